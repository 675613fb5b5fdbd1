// Runs a command's OpHandler on the shard that owns its keys, honouring the
// shard's intent locks: a command whose key is locked by a multi-shard
// command in flight waits its turn instead of seeing half of it.
#pragma once

#include <functional>
#include <string>

#include "protocol/reply_builder.h"
#include "server/command.h"
#include "server/observability/command_observer.h"

namespace emberkv::server {

// Runs `spec`'s op now and appends its reply to *out. Counts and times the
// call (see observability/command_observer.h); `client` is for the slow log.
void RunOpNow(Worker& worker, const CommandSpec& spec, ArgList args, int db,
              protocol::RespVersion resp, ClientFlags flags, std::string* out,
              const ClientLabel& client = {});

// Whether the command may run now on `worker` without waiting for a lock.
bool OpCanRunNow(Worker& worker, const CommandSpec& spec, ArgList args);

}  // namespace emberkv::server
