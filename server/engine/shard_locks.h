// The shard locks one loop holds for the command it runs, and the one rule
// that keeps loops from deadlocking: locks are taken in ascending shard
// order, and nobody waits for a lock while holding a higher one.
//
// A multi-key command (MSET, RENAME, SMOVE, ...) holds every shard its keys
// live on for as long as it runs, so it is atomic; EXEC and scripts take
// the shards of all their commands at once and pin them until the end, so
// the transaction is atomic and WATCH is checked under the same locks.
//
// Between commands a pipeline may keep what it holds (a burst of commands
// on one shard locks once); Acquire lets go of everything first when it
// would otherwise have to lock below something held. A loop releases all
// its locks before it waits for anything (epoll, another loop, a timer).
//
// Thread safety: one per loop (or per client run), used by one thread.
#pragma once

#include <cassert>
#include <cstdint>

#include "server/engine/keyspace.h"
#include "server/engine/shard_set.h"

namespace emberkv::server {

class ShardLocks {
 public:
  explicit ShardLocks(Keyspace& keyspace) : keyspace_(&keyspace) {}
  ~ShardLocks() { ReleaseAll(); }
  ShardLocks(const ShardLocks&) = delete;
  ShardLocks& operator=(const ShardLocks&) = delete;

  Keyspace& keyspace() { return *keyspace_; }

  // The time commands under these locks see; shards locked from now on are
  // advanced to it (Shard::AdvanceClock).
  void set_now_ms(int64_t now_ms) { now_ms_ = now_ms; }
  int64_t now_ms() const { return now_ms_; }

  // Makes sure every shard of `wanted` is held, taking what is missing in
  // ascending order. If something missing lies below a shard already held,
  // everything held is let go first and the whole set taken afresh. While
  // pinned nothing is let go: returns false if `wanted` is not all held.
  bool Acquire(ShardSet wanted);
  // Holds `shard` and nothing else (for commands that visit the shards one
  // at a time: DBSIZE, KEYS, SCAN). While pinned, only checks it is held.
  bool AcquireOnly(int shard);
  // While pinned: takes the shards of `more` that are missing if every one
  // of them lies above every shard held (so the ascending order holds and
  // nothing can deadlock); they stay held until Unpin and ReleaseAll. Returns
  // false, taking nothing, otherwise. (A script reaching a key it did not
  // declare, commands/scripting_commands.cc.)
  bool ExtendPinned(ShardSet more);
  // Lets go of every lock (not while pinned).
  void ReleaseAll();

  // A transaction or script keeps its locks until Unpin, whatever its
  // commands acquire.
  void Pin() { pinned_ = true; }
  void Unpin() { pinned_ = false; }
  bool pinned() const { return pinned_; }

  ShardSet held() const { return held_; }
  bool holds(int shard) const { return held_.Contains(shard); }
  // A held shard.
  Shard& shard(int index) {
    assert(holds(index));
    return keyspace_->shard(index);
  }

 private:
  void Lock(int shard);

  Keyspace* keyspace_;
  ShardSet held_;
  int64_t now_ms_ = 0;
  bool pinned_ = false;
};

}  // namespace emberkv::server
