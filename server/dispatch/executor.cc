#include "server/dispatch/executor.h"

#include <absl/container/inlined_vector.h>

#include "server/blocking/blocking.h"
#include "server/client/client.h"
#include "server/engine/engine.h"
#include "server/engine/memory_limit.h"
#include "server/errors.h"
#include "server/observability/command_observer.h"
#include "server/observability/cycle_clock.h"
#include "server/observability/monitors.h"

namespace emberkv::server {

Engine& CommandContext::engine() const { return worker.engine(); }

storage::LookupMode CommandContext::read_mode() const {
  // CLIENT NO-TOUCH: reads leave the access clock alone, except TOUCH's.
  return flags.no_touch && !(spec.flags & kCmdAlwaysTouches) ? storage::LookupMode::kReadNoTouch
                                                             : storage::LookupMode::kRead;
}

ShardSet RouteKeys(const Keyspace& keyspace, const CommandSpec& spec, ArgList args,
                   std::span<uint64_t> hashes) {
  if (spec.flags & kCmdAllShards) {
    spec.ForEachKeyIndex(args, [&](int index) { hashes[index] = storage::HashKey(args[index]); });
    return keyspace.all();
  }
  ShardSet shards;
  spec.ForEachKeyIndex(args, [&](int index) {
    uint64_t hash = storage::HashKey(args[index]);
    hashes[index] = hash;
    shards.Add(keyspace.ShardOfHash(hash));
  });
  return shards;
}

void RunCommand(const CommandRun& run, std::string* out) {
  Worker& worker = run.worker;
  const CommandSpec& spec = run.spec;
  Client& client = run.client;
  protocol::ReplyBuilder reply(out, run.resp.value_or(client.resp()));
  // Scripts (skip_monitor) are shown to MONITOR before they run, whatever
  // comes of them, so that their own commands follow them (as Redis 7.0).
  if (spec.flags & kCmdSkipMonitor)
    FeedMonitors(worker, client, run.from_script, client.db(), run.args);

  // Routing: one hash per key, kept for the handler (no allocation for the
  // common short commands).
  absl::InlinedVector<uint64_t, 8> hashes(run.args.size(), 0);
  ShardSet shards = RouteKeys(run.locks.keyspace(), spec, run.args,
                              std::span<uint64_t>(hashes.data(), hashes.size()));
  // A script past busy-reply-threshold holds some shards: commands of other
  // loops that need them are refused, as Redis refuses every command then
  // (clients of other shards go on; docs/compatibility.md).
  if (ShardSet busy = worker.engine().scripts().busy_shards();
      busy.Intersects(shards) && !(spec.flags & kCmdAllowBusy) &&
      worker.engine().scripts().busy_worker() != worker.id()) {
    std::string_view error =
        worker.engine().scripts().busy_is_function() ? errors::kBusyFunction : errors::kBusyScript;
    CountErrorReply(worker.stats(), error);
    reply.Error(error);
    return;
  }
  if (!shards.empty() && !run.locks.Acquire(shards)) {
    // A transaction or script holds its shards and this command wants
    // another: the caller should have locked it (an invariant of ours).
    reply.Error(errors::kKeysOutsideTransaction);
    return;
  }
  // Under maxmemory every shard the command touches makes room first.
  if (!AdmitUnderMemoryLimit(run.locks, shards, spec)) {
    worker.stats().commands[spec.id].rejected_calls.Add(1);
    CountErrorReply(worker.stats(), errors::kOutOfMemory);
    reply.Error(errors::kOutOfMemory);
    return;
  }

  CommandContext context{worker, spec,        run.args,       reply,  run.locks,
                         hashes, client.db(), client.flags(), &client};
  const bool touch = context.read_mode() == storage::LookupMode::kRead;
  if (!touch)
    shards.ForEach([&](int s) { run.locks.shard(s).store().context().reads_touch = false; });
  size_t before = out->size();
  uint64_t start = CycleClock::Now();
  spec.handler(context);
  uint64_t cycles = CycleClock::Now() - start;
  if (!touch)
    shards.ForEach([&](int s) { run.locks.shard(s).store().context().reads_touch = true; });

  // Clients blocked on a key this command filled are served right after it,
  // before anything else can take the element, as in Redis.
  if (!run.locks.pinned()) ServeBlockedClients(worker, run.locks);
  ObserveCall(worker, spec, run.args, ClientLabel{client.origin().peer_address, client.name()},
              cycles, std::string_view(*out).substr(before));
  if (!(spec.flags & (kCmdAdmin | kCmdSkipMonitor))) {
    // The database after the command: SELECT shows the one it chose.
    int db = run.from_script ? context.db : client.db();
    FeedMonitors(worker, client, run.from_script, db, run.args, context.redacted_args);
  }
}

}  // namespace emberkv::server
