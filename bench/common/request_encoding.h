// Client requests in RESP, encoded with the project's own ReplyBuilder: a
// request is an array of bulk strings, which is exactly what the builder
// writes for an array reply, so the benchmarks and the load generator do not
// carry a second RESP encoder.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include "protocol/reply_builder.h"

namespace emberkv::bench {

// Appends one request (e.g. {"SET", key, value}) to `out`.
inline void AppendRequest(std::string* out, std::initializer_list<std::string_view> args) {
  protocol::ReplyBuilder builder(out, protocol::RespVersion::kResp2);
  builder.ArrayHeader(args.size());
  for (std::string_view arg : args) builder.Bulk(arg);
}

}  // namespace emberkv::bench
