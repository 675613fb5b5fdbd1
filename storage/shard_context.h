// What every database of one shard shares: the entry arena, the clock of the
// command being executed, counters, and the hooks that let the server learn
// of changed keys (WATCH) without storage knowing about connections.
//
// Thread safety: used by one thread at a time (the server holds the shard's
// lock), except client_bytes.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "storage/eviction_policy.h"
#include "storage/slab_arena.h"

namespace emberkv::storage {

struct ShardCounters {
  uint64_t expired_keys = 0;
  uint64_t evicted_keys = 0;
  uint64_t keyspace_hits = 0;
  uint64_t keyspace_misses = 0;
};

// Told about every key that changes (written, deleted, expired), for WATCH.
class Database;
class ValueObject;

class KeyObserver {
 public:
  virtual ~KeyObserver() = default;
  virtual void KeyChanged(int db, std::string_view key) = 0;
  // Every key of `emptied` is about to go (FLUSHDB, FLUSHALL) or, for SWAPDB,
  // to be replaced by those of `replaced_with`; both still hold their keys
  // during the call.
  virtual void DatabaseCleared(Database& emptied, Database* replaced_with) = 0;
};

struct ShardContext {
  SlabArena arena;
  // Unix time in ms used for expiry decisions; the owner refreshes it before
  // each batch of commands, so one command sees one instant.
  int64_t now_ms = 0;
  // Bytes outside the arena: long keys and values, collection objects.
  size_t external_bytes = 0;
  // Deleted collections too big to free at once, released a slice at a time
  // (ShardStore::ReleaseLazyFree); their bytes stay in external_bytes until
  // they are actually freed.
  std::vector<ValueObject*> lazy_free;
  // Bytes of the databases' index tables and timing wheels (kept up to date
  // by the tables themselves as they grow and shrink).
  size_t table_bytes = 0;
  // Bytes the server holds outside storage on this shard's behalf (client
  // connection buffers); counted against the shard's memory limit. Atomic:
  // the server adds to it without holding the shard.
  std::atomic<size_t> client_bytes{0};
  // The Lua heap (scripts and functions) of the loop paired with this
  // shard, counted against the limit like client buffers. Atomic, as
  // client_bytes.
  std::atomic<size_t> lua_bytes{0};
  ShardCounters counters;
  KeyObserver* observer = nullptr;
  // What goes into an entry's access byte when it is created, read or
  // written: an LRU stamp or an LFU counter (see eviction_policy.h).
  AccessTracker access;
  // Cleared while a command of a CLIENT NO-TOUCH client runs: its reads
  // (LookupMode::kRead) then leave entries' access bytes as they were.
  bool reads_touch = true;
  // The shard's memory limit (0: none), set by its Evictor.
  size_t memory_limit = 0;

  // Bytes the server holds on this shard's behalf outside storage: client
  // buffers and a Lua heap.
  size_t ServerBytes() const {
    return client_bytes.load(std::memory_order_relaxed) + lua_bytes.load(std::memory_order_relaxed);
  }
  // What counts against the limit: resident arena pages, external bytes,
  // tables, client buffers, Lua heap.
  size_t UsedMemory() const {
    return arena.resident_bytes() + external_bytes + table_bytes + ServerBytes();
  }
};

}  // namespace emberkv::storage
