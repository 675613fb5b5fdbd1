// Replies with what a storage operation returned: its value, or the error
// text of the status it failed with.
#pragma once

#include <cstdint>

#include "protocol/reply_builder.h"
#include "server/errors.h"
#include "storage/op_status.h"

namespace emberkv::server {

inline void ReplyInteger(protocol::ReplyBuilder& reply, const storage::OpResult<int64_t>& result) {
  if (!result.ok()) return errors::ReplyStatus(reply, result.status);
  reply.Integer(result.value);
}

}  // namespace emberkv::server
