// Everything one shard owns: its databases (created when first used, so an
// unused database costs nothing), the arena their entries share, the clock
// and the counters, and the evictor that keeps it under its memory limit.
// The server splits the keyspace into shards by key hash and routes every
// key to the store that owns it.
//
// Thread safety: none; used by one thread at a time (the server serializes
// access with the shard's lock).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "storage/database.h"
#include "storage/evictor.h"
#include "storage/shard_context.h"

namespace emberkv::storage {

struct MemoryFigures {
  size_t entry_bytes = 0;       // arena chunks handed out
  size_t arena_page_bytes = 0;  // arena pages resident (entries plus fragmentation)
  size_t external_bytes = 0;    // long strings and collection objects
  size_t overhead_bytes = 0;    // indexes and timing wheels
  size_t client_bytes = 0;      // connection buffers (see ShardContext)
  size_t lua_bytes = 0;         // a loop's Lua heap (see ShardContext)
  size_t used() const {
    return arena_page_bytes + external_bytes + overhead_bytes + client_bytes + lua_bytes;
  }
};

class ShardStore {
 public:
  explicit ShardStore(int databases);
  ~ShardStore();

  ShardContext& context() { return context_; }
  const ShardContext& context() const { return context_; }
  int database_count() const { return static_cast<int>(databases_.size()); }

  // The database `index` (0 <= index < database_count()), created on first use.
  Database& db(int index);
  // nullptr when the database was never used.
  Database* existing_db(int index) const { return databases_[index].get(); }

  // Refreshes the clock that expiry decisions use.
  void set_now_ms(int64_t now_ms) { context_.now_ms = now_ms; }

  // Reclaims expired keys in every database, at most `budget` in all.
  size_t ExpireDue(size_t budget);
  // When ExpireDue next has work to do (INT64_MAX when never).
  int64_t NextExpiryTime() const;
  // Incremental housekeeping for the shard's timer: index resizes, stale
  // wheel references, the eviction sweep's idle work.
  void Maintain();
  // Frees about `budget` parts of deleted big collections (see
  // ValueObject::CostlyToDelete). Returns the parts freed; Maintain() calls
  // it with kLazyFreeBudget, so a million-member set goes in well under a
  // second of timer ticks without stalling the shard.
  size_t ReleaseLazyFree(size_t budget);
  static constexpr size_t kLazyFreeBudget = 64 * 1024;
  size_t lazy_free_pending() const { return context_.lazy_free.size(); }

  // ---- Memory limit (see storage/evictor.h) ----
  void SetMemoryPolicy(const MemoryPolicy& policy) { evictor_.Configure(policy); }
  const MemoryPolicy& memory_policy() const { return evictor_.policy(); }
  // The shard's limit in bytes; 0: none (then Reclaim is never needed).
  size_t memory_limit() const { return evictor_.limit(); }
  // Makes room if the shard is over its limit; before each command (with
  // the default budget) and from the timer (with a larger one).
  Evictor::Result ReclaimMemory(size_t budget = Evictor::kCommandBudget) {
    return evictor_.limit() ? evictor_.Reclaim(budget) : Evictor::Result::kOk;
  }
  // What counts against the limit: resident arena pages, external bytes,
  // tables, client buffers, Lua heap. O(1).
  size_t UsedMemory() const { return context_.UsedMemory(); }
  // The same with the arena's chunks instead of its pages.
  size_t LiveMemory() const {
    return context_.arena.allocated_bytes() + context_.external_bytes + context_.table_bytes +
           context_.ServerBytes();
  }
  const Evictor& evictor() const { return evictor_; }

  void SwapDatabases(int a, int b);
  void FlushAll();

  size_t KeyCount() const;
  size_t ExpiresCount() const;
  MemoryFigures Memory() const;

 private:
  ShardContext context_;
  std::vector<std::unique_ptr<Database>> databases_;
  Evictor evictor_{this};
};

}  // namespace emberkv::storage
