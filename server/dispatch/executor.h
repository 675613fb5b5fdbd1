// Runs one command on the loop that read it: the single execution path of
// the server. Pipelines (dispatch/pipeline.h), EXEC and scripts all come
// through here.
//
//   1. Routing: the command's keys (from its key specs) are hashed once;
//      the hashes pick their shards and travel down to storage with the
//      keys. kCmdAllShards commands want every shard.
//   2. Locks: the shards are taken in ascending order (engine/shard_locks.h)
//      unless the caller already holds them (a pipeline keeps what it holds
//      between commands; a transaction pins its shards).
//   3. Memory: under maxmemory, each of those shards makes room first, and
//      a deny-oom command is refused with -OOM when one cannot.
//   4. The handler runs, with the locks held.
//   5. Clients blocked on keys the command filled are served at once, before
//      the locks go, oldest first (blocking/blocking.h).
//   6. The call is counted and timed (observability/command_observer.h),
//      and shown to MONITOR clients (observability/monitors.h).
//
// The admission checks that depend on the connection (unknown command,
// arity, AUTH, subscribed context, MULTI queueing, CLIENT PAUSE) happen
// before, in the pipeline; the ones that depend on the data happen here.
//
// Thread safety: on the loop that runs the command.
#pragma once

#include <optional>
#include <string>

#include "server/command.h"
#include "server/command_context.h"

namespace emberkv::server {

class Client;
class ShardLocks;
class Worker;

struct CommandRun {
  Worker& worker;
  ShardLocks& locks;
  Client& client;
  const CommandSpec& spec;
  ArgList args;
  // The protocol of the reply: the client's, except for redis.call, whose
  // replies are in the version the script asked for (redis.setresp).
  std::optional<protocol::RespVersion> resp = std::nullopt;
  bool from_script = false;  // redis.call
};

// Runs the command and appends its reply (in the client's protocol) to *out.
void RunCommand(const CommandRun& run, std::string* out);

// The shards that hold `spec`'s keys in `args` (every shard for
// kCmdAllShards commands); fills hashes[i] for each key argument i.
ShardSet RouteKeys(const Keyspace& keyspace, const CommandSpec& spec, ArgList args,
                   std::span<uint64_t> hashes);

}  // namespace emberkv::server
