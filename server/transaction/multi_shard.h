// Helpers for commands that span shards. They run as coroutines on the
// client's worker and hop to each shard involved, holding intent locks (see
// lock_table.h) so that no other client observes half of the command:
//
//   MultiShardLock lock(ctx, GroupKeysByShard(ctx, keys), LockMode::kShared);
//   co_await lock.Acquire([&](Worker& shard, const std::vector<int>& args) {
//     ... read the values of args on `shard` ...
//   });
//   lock.Release();
//
// Shards are locked in ascending order, which keeps concurrent multi-shard
// commands free of deadlock. Functions handed to a hop run on the target
// shard's thread while the coroutine is suspended; they may write into the
// coroutine's locals (the resume message orders those writes before the
// coroutine reads them) but must not touch other state of the client's worker.
//
// Inside EXEC (CoordContext::locks_held) the transaction already holds every
// lock, and these helpers only hop.
#pragma once

#include <functional>
#include <string_view>
#include <memory>
#include <vector>

#include "server/command.h"
#include "server/engine/task.h"
#include "server/transaction/lock_table.h"

namespace emberkv::server {

struct ShardKeys {
  int shard;
  std::vector<int> arg_indices;        // indices into the command's arguments
  std::vector<std::string_view> keys;  // the keys to lock (live as long as the lock)
};

// The given key arguments grouped by owning shard, shards ascending.
std::vector<ShardKeys> GroupKeysByShard(const CoordContext& ctx, const std::vector<int>& key_indices);
// Any keys grouped by owning shard, shards ascending (arg_indices left empty).
std::vector<ShardKeys> GroupKeysByShard(Engine& engine, const std::vector<std::string_view>& keys);

using ShardFunction = std::function<void(Worker& shard, const std::vector<int>& arg_indices)>;

class MultiShardLock {
 public:
  MultiShardLock(CoordContext& ctx, std::vector<ShardKeys> plan, LockMode mode);
  // A lock on whole shards: every shard of the engine.
  static MultiShardLock AllShards(CoordContext& ctx);
  MultiShardLock(MultiShardLock&&) = default;
  ~MultiShardLock();

  // Locks shard after shard, running on_locked on each as soon as its locks
  // are held.
  Task<void> Acquire(ShardFunction on_locked = nullptr);
  // Runs fn on one of the locked shards.
  Task<void> Run(int shard, std::function<void(Worker&)> fn);
  // Lets go of every lock (sent to remote shards; no need to wait).
  void Release();

  const std::vector<ShardKeys>& plan() const { return plan_; }

 private:
  MultiShardLock(CoordContext& ctx, bool whole_shards);

  CoordContext* ctx_;
  std::vector<ShardKeys> plan_;
  LockMode mode_;
  bool whole_shards_;
  std::vector<std::unique_ptr<LockRequest>> requests_;  // parallel to plan_
  bool released_ = false;
};

// Runs fn(shard) on every shard without locks, ascending, one after the
// other (DBSIZE, KEYS, SCAN, INFO: figures that need no atomic snapshot).
Task<void> ForEachShard(CoordContext& ctx, std::function<void(Worker&)> fn);

}  // namespace emberkv::server
