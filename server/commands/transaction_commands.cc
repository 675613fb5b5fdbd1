// MULTI, EXEC, DISCARD, WATCH and UNWATCH.
//
// EXEC is atomic across shards: it takes the intent locks of every key its
// commands touch (and of the watched keys), shard by shard in ascending
// order, or whole shards when a command needs them all; checks WATCH; runs
// the commands in order while holding the locks; and lets go. Consecutive
// commands for one shard travel together.
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "server/command_table.h"
#include "server/commands/arg_parsing.h"
#include "server/dispatch/op_runner.h"
#include "server/engine/engine.h"
#include "server/errors.h"
#include "server/net/connection.h"
#include "server/transaction/multi_shard.h"
#include "server/transaction/watch.h"

namespace emberkv::server {
namespace {

void ConnMulti(ConnContext& c) {
  if (c.connection.in_multi()) return c.reply.Error(errors::kNestedMulti);
  c.connection.BeginMulti();
  c.reply.Ok();
}

void ConnDiscard(ConnContext& c) {
  if (!c.connection.in_multi()) return c.reply.Error(errors::kDiscardWithoutMulti);
  bool failed;
  c.connection.EndMulti(&failed);
  c.connection.Unwatch();
  c.reply.Ok();
}

void ConnUnwatch(ConnContext& c) {
  c.connection.Unwatch();
  c.reply.Ok();
}

Task<void> CoordWatch(CoordContext& c) {
  Connection* connection = c.connection;
  if (!connection) co_return c.reply.Error(errors::NeedsClient("WATCH"));
  if (connection->in_multi()) co_return c.reply.Error(errors::kWatchInsideMulti);
  std::shared_ptr<WatchState> state = connection->watch_state();
  std::vector<int> keys;
  for (size_t i = 1; i < c.args.size(); ++i) keys.push_back(static_cast<int>(i));
  for (const ShardKeys& part : GroupKeysByShard(c, keys)) {
    co_await c.worker.RunOn(part.shard, [&](Worker& shard) {
      shard.RefreshClock();
      storage::Database& db = shard.store().db(c.db);
      for (std::string_view key : part.keys) {
        // A key already past its deadline goes now, before the watch starts,
        // so that its expiry does not count as a change (as in Redis).
        storage::Database::Slot slot;
        db.Find(key, &slot, storage::LookupMode::kWrite);
        shard.watches().Watch(c.db, key, state);
      }
    });
  }
  for (int i : keys) connection->AddWatchedKey(c.db, c.args[i]);
  c.reply.Ok();
}

// How EXEC will run one queued command.
struct Step {
  const QueuedCommand* command;
  std::vector<std::string_view> args;
  int shard = -1;  // for an OpHandler whose keys share one shard
};

Task<void> CoordExec(CoordContext& c) {
  Connection* connection = c.connection;
  if (!connection || !connection->in_multi()) co_return c.reply.Error(errors::kExecWithoutMulti);
  bool failed;
  std::vector<QueuedCommand> queue = connection->EndMulti(&failed);
  if (failed) {
    connection->Unwatch();
    co_return c.reply.Error(errors::kExecAbort);
  }

  // What to lock: the keys of every command, whole shards for commands that
  // need them all, and the watched keys (to read their state atomically).
  std::vector<Step> steps;
  std::vector<std::string_view> lock_keys;
  bool whole_shards = false;
  for (const QueuedCommand& command : queue) {
    Step step{&command, std::vector<std::string_view>(command.args.begin(), command.args.end())};
    const CommandSpec& spec = *command.spec;
    if (spec.has_keys()) {
      std::vector<int> indices = spec.KeyIndices(step.args);
      std::set<int> shards;
      for (int i : indices) {
        lock_keys.push_back(step.args[i]);
        shards.insert(c.engine.ShardOfKey(step.args[i]));
      }
      if (spec.op && shards.size() <= 1) step.shard = shards.empty() ? c.worker.id() : *shards.begin();
    } else if (!spec.conn) {
      whole_shards = true;
    }
    steps.push_back(std::move(step));
  }
  std::shared_ptr<WatchState> watch = connection->watched_keys().empty() ? nullptr : connection->watch_state();
  for (const auto& [db, key] : connection->watched_keys()) lock_keys.push_back(key);

  std::optional<MultiShardLock> lock;
  if (whole_shards) {
    lock.emplace(MultiShardLock::AllShards(c));
  } else {
    lock.emplace(c, GroupKeysByShard(c.engine, lock_keys), LockMode::kExclusive);
  }
  const auto& watched = connection->watched_keys();
  co_await lock->Acquire([&](Worker& shard, const std::vector<int>&) {
    // A watched key whose deadline passed counts as changed: looking it up
    // expires it, which marks the watch dirty.
    for (const auto& [db, key] : watched) {
      if (c.engine.ShardOfKey(key) != shard.id()) continue;
      storage::Database::Slot slot;
      shard.store().db(db).Find(key, &slot, storage::LookupMode::kWrite);
    }
  });
  if (watch && watch->dirty.load(std::memory_order_acquire)) {
    lock->Release();
    connection->Unwatch();
    co_return c.reply.NullArray();
  }

  // Run the commands in order, each writing its reply into `replies`.
  std::string replies;
  protocol::ReplyBuilder builder(&replies, c.reply.version());
  int db = connection->db();
  for (size_t i = 0; i < steps.size();) {
    const Step& step = steps[i];
    const CommandSpec& spec = *step.command->spec;
    if (step.shard >= 0) {
      // A run of commands for one shard goes in one hop.
      size_t end = i + 1;
      while (end < steps.size() && steps[end].shard == step.shard) ++end;
      co_await c.worker.RunOn(step.shard, [&, i, end](Worker& shard) {
        shard.RefreshClock();
        for (size_t k = i; k < end; ++k) {
          RunOpNow(shard, *steps[k].command->spec, steps[k].args, db, c.reply.version(), c.flags, &replies);
        }
      });
      i = end;
      continue;
    }
    if (spec.conn) {
      ConnContext context{c.worker, c.engine, *connection, step.args, builder, spec};
      spec.conn(context);
      db = connection->db();  // SELECT inside the transaction
    } else if (spec.coordinated) {
      CoordContext context{c.worker, c.engine, connection, db, step.args, builder, spec, c.flags, true};
      co_await spec.coordinated(context);
    }
    ++i;
  }
  lock->Release();
  connection->Unwatch();
  c.reply.ArrayHeader(steps.size());
  c.reply.Raw(replies);
}

}  // namespace

void RegisterTransactionCommands(CommandTable& table) {
  table.Register({
      {.name = "multi", .conn = ConnMulti, .flags = kCmdNeverQueued},
      {.name = "exec", .coordinated = CoordExec, .flags = kCmdNeverQueued | kCmdRunsQueued},
      {.name = "discard", .conn = ConnDiscard, .flags = kCmdNeverQueued},
      {.name = "watch", .coordinated = CoordWatch, .flags = kCmdNeverQueued},
      {.name = "unwatch", .conn = ConnUnwatch},
  });
}

}  // namespace emberkv::server
