// One numbered database (SELECT 0..15) within one shard: its key index, its
// timing wheel of deadlines, and the primitive operations that commands are
// built from. Entries live in the shard's arena (see ShardContext).
//
// Every lookup checks expiry lazily; the timing wheel reclaims the rest (see
// ExpireDue). Writes report changed keys to the shard's KeyObserver.
//
// For eviction and compaction (storage/evictor.h) a database also offers its
// entries by handle: a sweep over the index, removal of the entry at a
// handle, repointing an entry the arena moved, and the soonest deadlines.
// Those run between commands only, when no Slot is held.
//
// A Slot names a located entry. It stays valid until the next write to this
// database, except through the methods that take it by pointer, which keep
// it up to date when the entry moves.
//
// Thread safety: none; used by one thread at a time, under its shard's lock.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "storage/entry.h"
#include "storage/handle_set.h"
#include "storage/hash.h"
#include "storage/key_index.h"
#include "storage/shard_context.h"
#include "storage/timing_wheel.h"
#include "storage/value_object.h"

namespace emberkv::storage {

// A key with its hash, computed once where the command is routed.
struct Key {
  Key(std::string_view b) : bytes(b), hash(HashKey(b)) {}  // NOLINT: keys convert from text
  Key(const std::string& b) : Key(std::string_view(b)) {}  // NOLINT
  Key(const char* b) : Key(std::string_view(b)) {}         // NOLINT
  Key(std::string_view b, uint64_t h) : bytes(b), hash(h) {}
  std::string_view bytes;
  uint64_t hash;
};

// What a write does to the key's deadline.
struct ExpiryChange {
  enum Kind : uint8_t { kKeep, kClear, kSet } kind = kClear;
  int64_t deadline_ms = 0;
  static ExpiryChange Keep() { return {kKeep, 0}; }
  static ExpiryChange Clear() { return {kClear, 0}; }
  static ExpiryChange At(int64_t ms) { return {kSet, ms}; }
};

enum class LookupMode : uint8_t {
  kRead,         // counts a keyspace hit or miss and refreshes the access clock
  kReadNoTouch,  // counts, but leaves the access clock (TYPE, TTL, EXISTS, OBJECT)
  kWrite,        // refreshes the access clock without counting: the command is
                 // about to change the key (Redis's lookupKeyWrite touches too)
};

class Database {
 public:
  Database(ShardContext* context, int index);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  struct Slot {
    Handle handle = kNullHandle;
    KeyIndex::Position position;
  };

  // Finds a live entry. An entry past its deadline is deleted first and
  // reported absent.
  bool Find(const Key& key, Slot* slot, LookupMode mode = LookupMode::kRead);
  Entry EntryAt(const Slot& slot) const { return Entry(context_->arena.Resolve(slot.handle)); }

  // Prefetching for a run of commands (see server/dispatch/key_prefetcher.h).
  // A lookup misses the cache twice in a big keyspace: on the index chunk,
  // then on the entry. PrefetchIndex asks for the chunk of `hash`;
  // PrefetchEntries, called once that has had time to arrive, asks for the
  // entries in it whose tag matches. Always inlined: GCC takes a function
  // that only prefetches for one without effects and drops calls to it.
  [[gnu::always_inline]] void PrefetchIndex(uint64_t hash) const {
    index_table_.PrefetchHome(hash);
  }
  [[gnu::always_inline]] void PrefetchEntries(uint64_t hash) const {
    const SlabArena& arena = context_->arena;
    index_table_.VisitHomeMatches(
        hash, [&arena](Handle handle) { PrefetchEntryAt(arena.Resolve(handle)); });
  }
  // Small entries are packed at 4-byte granularity, so more than half of
  // them straddle two cache lines: ask for the line that holds a small
  // entry's end too (a no-op when it is the same line).
  [[gnu::always_inline]] static void PrefetchEntryAt(const char* entry) {
    constexpr size_t kSmallEntryEnd = 47;
    __builtin_prefetch(entry);
    __builtin_prefetch(entry + kSmallEntryEnd);
  }

  // Makes `key` a string of `length` bytes and returns where to write them.
  // With `slot` == nullptr or an absent key this creates the entry (and sets
  // *slot if given); otherwise the entry at *slot, which must be a string,
  // keeps its first min(old, new) bytes when `preserve` is set. `greedy`
  // leaves room to grow (APPEND). Returns nullptr when memory is exhausted.
  char* WriteString(const Key& key, Slot* slot, size_t length, ExpiryChange expiry,
                    bool preserve = false, bool greedy = false);
  // Creates an entry for a collection object (the database takes ownership).
  bool CreateObject(const Key& key, ValueType type, ValueObject* object, int64_t expiry_ms,
                    Slot* slot = nullptr);
  ValueObject* ObjectAt(const Slot& slot) const {
    return static_cast<ValueObject*>(EntryAt(slot).value_pointer());
  }

  // Sets (deadline > 0) or removes (0) the deadline of the entry at *slot.
  void SetExpiry(const Key& key, Slot* slot, int64_t deadline_ms);

  void Erase(const Key& key, const Slot& slot);
  // Erases the entry of a collection but hands its object to the caller
  // (RENAME and MOVE carry it elsewhere).
  ValueObject* EraseKeepingObject(const Key& key, const Slot& slot);

  // A collection grew or shrank in place by `delta` bytes (its MemoryUsage()).
  void AdjustExternalBytes(ptrdiff_t delta) { context_->external_bytes += delta; }

  // Tells the observer that the value at `key` changed in place (collections).
  void NotifyChanged(std::string_view key) {
    if (context_->observer) context_->observer->KeyChanged(index_, key);
  }

  size_t size() const { return index_table_.size(); }
  size_t expires() const { return expires_; }
  int index() const { return index_; }
  int64_t now_ms() const { return context_->now_ms; }
  void set_index(int index) { index_ = index; }  // SWAPDB

  // SCAN: calls fn(Entry) for live entries of a range of hash space starting
  // at `cursor` (0 to begin), about `count` of them. Returns the next cursor,
  // 0 when done.
  template <class Fn>
  uint64_t Scan(uint64_t cursor, size_t count, Fn&& fn);
  // Calls fn(Entry) for every live entry.
  template <class Fn>
  void ForEach(Fn&& fn);
  // A random live key, or false when there is none.
  bool RandomKey(uint64_t random, std::string* key);

  // Deletes every entry (FLUSHDB).
  void Clear();

  // Deletes entries whose deadline has passed, at most `budget` of them.
  // Returns how many expired.
  size_t ExpireDue(size_t budget);
  // When ExpireDue next has work (INT64_MAX: never).
  int64_t NextExpiryTime() const { return wheel_.size() ? wheel_.NextFireTime() : INT64_MAX; }

  // Moves some of a pending index resize and drops stale wheel references
  // if they have piled up (from the shard's timer).
  void Maintain();

  // MEMORY USAGE: what the key at `slot` costs here: its entry's chunk in
  // the arena, its key and value outside it (long strings, collection
  // objects, whose sizes are kept exact as they change), and its share of
  // the index: the table's bytes over its keys, but no more than
  // kMaxIndexShare (a slot costs 5.3 bytes; a nearly empty table's bytes are
  // not the cost of its few keys).
  static constexpr size_t kMaxIndexShare = 16;
  size_t KeyMemory(const Slot& slot) const {
    size_t share = size() ? std::min(kMaxIndexShare, index_table_.memory_bytes() / size()) : 0;
    return EntryBytes(EntryAt(slot)) + share;
  }

  // Bytes of the index and the wheel (entries are counted by the arena).
  size_t overhead_bytes() const { return index_bytes() + expiry_bytes(); }
  size_t index_bytes() const { return index_table_.memory_bytes(); }
  size_t expiry_bytes() const { return wheel_.memory_bytes(); }
  // References in the timing wheel, stale ones included (>= expires()).
  size_t wheel_references() const { return wheel_.size(); }

  // ---- Eviction and compaction support ----
  // The next chunk of this database's eviction sweep: calls fn(handle) for
  // each of its entries and returns true, or returns false (visiting
  // nothing) when the sweep has come round to the start again.
  template <class Fn>
  bool SweepNext(Fn&& fn);
  uint32_t sweep_length() const { return index_table_.sweep_length(); }
  // Calls fn(handle) for the entries of the chunk `ahead` (>= 1) chunks
  // after the last one SweepNext visited, without moving the sweep (none
  // past the end of the revolution); for prefetching.
  template <class Fn>
  void PeekSweepAhead(uint32_t ahead, Fn&& fn) const {
    uint32_t position = sweep_hand_ + ahead - 1;
    if (position < sweep_length_seen_) index_table_.VisitSweepChunk(position, fn);
  }
  // Asks the CPU to fetch that chunk of the index (always inlined, see
  // KeyIndex::PrefetchSweepChunk).
  [[gnu::always_inline]] void PrefetchSweepAhead(uint32_t ahead) const {
    uint32_t position = sweep_hand_ + ahead - 1;
    if (position < sweep_length_seen_) index_table_.PrefetchSweepChunk(position);
  }
  // A random entry's handle, or kNullHandle when empty.
  Handle RandomHandle(uint64_t random) const { return index_table_.RandomEntry(random); }
  // Removes the entry at `handle` as evicted (counted; watchers are told),
  // or as expired if its deadline has passed. Returns the arena and external
  // bytes it held, 0 if no entry of this database is at `handle`.
  size_t EvictHandle(Handle handle);
  // The arena copied the entry at `from` to `to`: points the index (and the
  // wheel) at `to`. False when `from` is not an entry of this database.
  bool Relocate(Handle from, Handle to);
  // volatile-ttl: evicts the entry with the soonest deadline among the first
  // few live ones the wheel offers (in firing order), looking at no more
  // than `budget` wheel references; drops stale ones on the way. Returns the
  // bytes freed (0: nothing found within the budget).
  size_t EvictSoonestDeadline(size_t budget);
  // Drops up to about `budget` stale wheel references. Returns those examined.
  size_t CompactWheel(size_t budget);

 private:
  static uint64_t HashOfHandle(const void* self, Handle handle);
  static void PrefetchEntry(const void* self, Handle handle);
  // The index grows past its usual load only if the shard can afford it.
  static bool IndexMayGrow(const void* self, size_t bytes);
  bool IsExpired(const Entry& entry) const {
    return entry.has_expiry() && entry.expiry_ms() <= context_->now_ms;
  }
  void ExpireEntry(const Key& key, const Slot& slot);
  // Schedules a deadline in the wheel, compacting it a little if stale
  // references have piled up.
  void ScheduleExpiry(Handle handle, int64_t deadline_ms);
  bool WheelNeedsCompaction() const;
  // Whether `handle` is a live entry of this database; fills *slot and *key
  // (whose bytes point into the entry).
  bool LocateHandle(Handle handle, Slot* slot, uint64_t* hash) const;
  // Bytes an entry holds in the arena and outside it.
  size_t EntryBytes(const Entry& entry) const;
  void FreeExternalParts(const Entry& entry);
  // Offers a fired wheel handle: expires it, schedules it again, or drops it.
  void OnWheelFire(Handle handle);
  char* AllocateExternal(size_t bytes, size_t* capacity);
  void FreeExternal(void* pointer);
  // Deletes a collection object now, or hands it to the lazy-free list.
  void DisposeObject(ValueObject* object);

  ShardContext* context_;
  int index_;
  KeyIndex index_table_;
  TimingWheel wheel_;
  size_t expires_ = 0;
  // Handles kept by the current wheel compaction pass (see CompactWheel).
  HandleSet wheel_kept_;
  uint64_t wheel_kept_pass_ = 0;
  uint32_t sweep_hand_ = 0;         // next chunk of the eviction sweep
  uint32_t sweep_length_seen_ = 0;  // index sweep length when the hand last moved
};

template <class Fn>
bool Database::SweepNext(Fn&& fn) {
  uint32_t length = index_table_.sweep_length();
  if (length != sweep_length_seen_) {
    // The index was resized: keep the hand as far through its revolution.
    sweep_hand_ = KeyIndex::RescaleSweepPosition(sweep_hand_, sweep_length_seen_, length);
    sweep_length_seen_ = length;
  }
  if (sweep_hand_ >= length) {
    sweep_hand_ = 0;
    return false;
  }
  index_table_.VisitSweepChunk(sweep_hand_++, fn);
  return true;
}

template <class Fn>
uint64_t Database::Scan(uint64_t cursor, size_t count, Fn&& fn) {
  // Expired entries are skipped here and reclaimed by the wheel; a scan must
  // not modify the index it walks.
  return index_table_.Scan(cursor, count, [&](Handle handle) {
    Entry entry(context_->arena.Resolve(handle));
    if (!IsExpired(entry)) fn(entry);
  });
}

template <class Fn>
void Database::ForEach(Fn&& fn) {
  index_table_.ForEach([&](Handle handle) {
    Entry entry(context_->arena.Resolve(handle));
    if (!IsExpired(entry)) fn(entry);
  });
}

}  // namespace emberkv::storage
