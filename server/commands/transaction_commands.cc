// MULTI, EXEC, DISCARD, WATCH and UNWATCH.
//
// EXEC is atomic across shards: it takes the locks of every shard its
// commands touch and of the watched keys' shards, all at once in ascending
// order (every shard when a queued command needs them all), pins them,
// checks WATCH, runs the commands in order and lets go. Nothing waits for
// anything while the locks are held, so a transaction never aborts and
// never deadlocks (engine/shard_locks.h).
#include <string>
#include <vector>

#include "server/command_table.h"
#include "server/dispatch/executor.h"
#include "server/engine/engine.h"
#include "server/errors.h"
#include "server/transaction/watch.h"

namespace emberkv::server {
namespace {

void Multi(CommandContext& c) {
  if (c.client->in_multi()) return c.reply.Error(errors::kNestedMulti);
  c.client->BeginMulti();
  c.reply.Ok();
}

void Discard(CommandContext& c) {
  if (!c.client->in_multi()) return c.reply.Error(errors::kDiscardWithoutMulti);
  bool failed;
  c.client->EndMulti(&failed);
  Unwatch(c.worker, *c.client);
  c.reply.Ok();
}

void UnwatchCommand(CommandContext& c) {
  Unwatch(c.worker, *c.client);
  c.reply.Ok();
}

// The keys' shards are held (WATCH's key specs name them all).
void Watch(CommandContext& c) {
  if (c.client->in_multi()) return c.reply.Error(errors::kWatchInsideMulti);
  const std::shared_ptr<WatchState>& state = c.client->watch_state();
  for (size_t i = 1; i < c.args.size(); ++i) {
    storage::Database& db = c.Db(i);
    // A key already past its deadline goes now, before the watch starts, so
    // that its expiry does not count as a change (as in Redis).
    storage::Database::Slot slot;
    db.Find(c.Key(i), &slot, storage::LookupMode::kWrite);
    c.shards.shard(c.shards.keyspace().ShardOfHash(c.Key(i).hash))
        .watches()
        .Watch(c.db, c.args[i], state);
    c.client->AddWatchedKey(c.db, c.args[i]);
  }
  c.reply.Ok();
}

// Every shard the queued commands and the watched keys need.
ShardSet ShardsOf(const std::vector<QueuedCommand>& queue, const Client& client,
                  const Keyspace& keyspace) {
  ShardSet shards;
  for (const QueuedCommand& command : queue) {
    const CommandSpec& spec = *command.spec;
    if (spec.flags & (kCmdAllShards | kCmdVisitsShards)) return keyspace.all();
    std::vector<std::string_view> args(command.args.begin(), command.args.end());
    spec.ForEachKeyIndex(args, [&](int i) { shards.Add(keyspace.ShardOfKey(args[i])); });
  }
  for (const auto& [db, key] : client.watched_keys()) shards.Add(keyspace.ShardOfKey(key));
  return shards;
}

void Exec(CommandContext& c) {
  Client& client = *c.client;
  if (!client.in_multi()) return c.reply.Error(errors::kExecWithoutMulti);
  bool failed;
  std::vector<QueuedCommand> queue = client.EndMulti(&failed);
  if (failed) {
    Unwatch(c.worker, client);
    return c.reply.Error(errors::kExecAbort);
  }
  ShardLocks& locks = c.shards;
  locks.Acquire(ShardsOf(queue, client, locks.keyspace()));
  locks.Pin();
  // A watched key whose deadline passed counts as changed: looking it up
  // expires it, which marks the watch dirty.
  for (const auto& [db, key] : client.watched_keys()) {
    storage::Key routed(key, storage::HashKey(key));
    storage::Database::Slot slot;
    locks.shard(locks.keyspace().ShardOfHash(routed.hash))
        .store()
        .db(db)
        .Find(routed, &slot, storage::LookupMode::kWrite);
  }
  if (client.watch_dirty()) {
    locks.Unpin();
    Unwatch(c.worker, client);
    return c.reply.NullArray();
  }
  // Each command replies in the client's protocol (HELLO inside the
  // transaction changes it for those after) into one buffer.
  std::string replies;
  for (const QueuedCommand& command : queue) {
    std::vector<std::string_view> args(command.args.begin(), command.args.end());
    RunCommand(CommandRun{c.worker, locks, client, *command.spec, args}, &replies);
  }
  locks.Unpin();
  Unwatch(c.worker, client);
  c.reply.ArrayHeader(queue.size());
  c.reply.Raw(replies);
}

}  // namespace

void RegisterTransactionCommands(CommandTable& table) {
  table.Register({
      {.name = "multi", .handler = Multi, .flags = kCmdNeverQueued},
      {.name = "exec", .handler = Exec, .flags = kCmdNeverQueued | kCmdRunsQueued},
      {.name = "discard", .handler = Discard, .flags = kCmdNeverQueued},
      {.name = "watch", .handler = Watch, .flags = kCmdNeverQueued},
      {.name = "unwatch", .handler = UnwatchCommand},
  });
}

}  // namespace emberkv::server
