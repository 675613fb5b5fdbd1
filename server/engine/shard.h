// One shard of the keyspace, and the lock any event loop takes to use it.
//
// The keyspace is split into shards by key hash (storage::ShardOf). A shard
// is data, not a thread: whichever loop read a command runs it, holding the
// lock of every shard its keys live on (see shard_locks.h for the order in
// which several are taken). What the lock guards:
//
//   * the store: databases, arena, eviction clock, timing wheels, counters;
//   * the WATCH registry of its keys (EXEC checks it under the same lock);
//   * the clients blocked on its keys, and the keys made ready for them.
//
// Who takes it and for how long: a command, for the time it runs (a
// pipeline may keep it across consecutive commands on the same shard,
// see dispatch/pipeline.h); a transaction or a multi-key command, for all
// its shards at once; the background work of the loop the shard is assigned
// to (expiry, eviction, index growth, lazy freeing), in slices of at most
// kMaintenanceSliceUs. Never across a system call that can block, never
// while waiting for another loop.
//
// Thread safety: mutex(), index() and the out-of-memory flag from any
// thread; everything else only with mutex() held.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>

#include "server/blocking/blocking.h"
#include "server/engine/shard_mutex.h"
#include "server/transaction/watch.h"
#include "storage/shard_store.h"

namespace emberkv::server {

class Shard {
 public:
  Shard(int index, int databases);
  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;

  int index() const { return index_; }
  ShardMutex& mutex() { return mutex_; }

  // ---- With mutex() held ----
  storage::ShardStore& store() { return store_; }
  WatchRegistry& watches() { return watches_; }
  BlockingRegistry& blocking() { return blocking_; }
  // Moves the shard's clock (what expiry decisions use) to `now_ms`, never
  // back: loops refresh their clocks at different moments, and a deadline
  // once passed must stay passed.
  void AdvanceClock(int64_t now_ms) {
    storage::ShardContext& context = store_.context();
    context.now_ms = std::max(context.now_ms, now_ms);
  }

  // ---- From any thread ----
  // Whether the shard was over its memory limit with nothing its policy may
  // evict, after its last command or maintenance slice.
  bool out_of_memory() const { return out_of_memory_.load(std::memory_order_relaxed); }
  void set_out_of_memory(bool value) {
    // Written only when it changes: other threads read the line it is on.
    if (out_of_memory() != value) out_of_memory_.store(value, std::memory_order_relaxed);
  }
  // The shard's used memory as of its last maintenance slice or snapshot
  // (for the process-wide peak, which needs no lock).
  uint64_t published_used_memory() const { return used_memory_.load(std::memory_order_relaxed); }
  void PublishUsedMemory(uint64_t bytes) { used_memory_.store(bytes, std::memory_order_relaxed); }

 private:
  // Tells the WATCH and blocking registries about every changed key.
  class KeyEvents : public storage::KeyObserver {
   public:
    explicit KeyEvents(Shard* shard) : shard_(shard) {}
    void KeyChanged(int db, std::string_view key) override;
    void DatabaseCleared(storage::Database& emptied, storage::Database* replaced_with) override;

   private:
    Shard* shard_;
  };

  const int index_;
  ShardMutex mutex_;
  storage::ShardStore store_;
  WatchRegistry watches_;
  BlockingRegistry blocking_;
  KeyEvents key_events_{this};
  std::atomic<bool> out_of_memory_{false};
  std::atomic<uint64_t> used_memory_{0};
};

}  // namespace emberkv::server
