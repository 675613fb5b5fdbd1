// The per-database hash index: an open-addressing table of 4-byte entry
// handles, laid out for memory and for one cache miss per lookup.
//
// Slots come in 64-byte chunks of twelve: twelve one-byte tags (8 bits of the
// key's hash, 0 = empty), an overflow counter and twelve handles. A lookup
// compares the tags of a whole chunk at once with SSE2 and only touches
// entries whose tag matches. Collisions probe the next chunk; each chunk
// counts the entries that probed past it (as in Facebook's F14), so a lookup
// stops at the first chunk with no overflow and erasing needs no tombstones.
// A slot costs 5.33 bytes; at the load of 0.57-0.85 this table keeps, that is
// 6.3-9.3 bytes per key.
//
// The chunk count is any integer, not a power of two: the home chunk of a
// hash is (hash * chunks) >> 64. That lets the table grow by 1.5x instead of
// 2x, and it keeps keys in hash order across resizes, which is what makes
// SCAN's cursor (a position in hash space) survive resizing.
//
// Growing never stops the world: a new table is allocated and the old one is
// drained a few chunks per insert (and from the shard's timer), while lookups
// look in both. The same happens when shrinking.
//
// The index knows handles and hashes only; callers supply key comparison, and
// the owner supplies a function that recomputes an entry's hash (needed when
// moving entries and for SCAN).
//
// Tables of 64 KiB and more are mapped from the kernel directly, so that a
// table given up after a resize leaves resident memory at once. The bytes of
// both tables are added to the owner's counter, if it gives one, as tables
// come and go (memory accounting costs nothing per operation).
//
// Eviction sweeps the index chunk by chunk (sweep_length, VisitSweepChunk),
// in a scattered order (position x a large prime, modulo the chunk count):
// the holes eviction leaves are then spread over the table, so that entries
// whose home chunk is full do not all probe into the chunks the sweep just
// left, which would tie an entry's age to its place in the sweep.
//
// Under a memory limit, growing the table at the limit would take 1.5x its
// size at once and force the shard to evict that much: the owner's growth
// check can defer growth until the table is 95% full (as Redis defers a
// dict's expansion), by which time eviction has usually stopped the growth.
//
// Thread safety: none; one index belongs to one shard's thread.
#pragma once

#include <emmintrin.h>

#include <cstddef>
#include <cstdint>
#include <memory>

#include "storage/slab_arena.h"

namespace emberkv::storage {

class KeyIndex {
 public:
  static constexpr int kSlotsPerChunk = 12;

  using HashFn = uint64_t (*)(const void* context, Handle handle);
  // Asks the CPU to fetch what HashFn will read for this handle.
  using PrefetchFn = void (*)(const void* context, Handle handle);
  // Whether the table may take `bytes` more to grow now.
  using GrowthCheck = bool (*)(const void* context, size_t bytes);

  // Where a handle sits. Valid until the next Insert, Erase or Migrate.
  struct Position {
    uint32_t chunk = 0;
    uint8_t slot = 0;
    uint8_t table = 0;  // 0: the current table, 1: the one being drained
  };

  KeyIndex(HashFn hash_of, const void* context, size_t* memory_counter = nullptr,
           GrowthCheck may_grow = nullptr, PrefetchFn prefetch_entry = nullptr)
      : hash_of_(hash_of),
        prefetch_entry_(prefetch_entry),
        context_(context),
        memory_counter_(memory_counter),
        may_grow_(may_grow) {}
  ~KeyIndex();
  KeyIndex(const KeyIndex&) = delete;
  KeyIndex& operator=(const KeyIndex&) = delete;

  // Finds the handle with this hash for which equals(handle) holds.
  template <class Equals>
  bool Find(uint64_t hash, Equals&& equals, Position* position) const;

  Handle Get(Position position) const {
    return TableAt(position).chunks[position.chunk].handles[position.slot];
  }
  void Set(Position position, Handle handle) {
    TableAt(position).chunks[position.chunk].handles[position.slot] = handle;
  }

  // Adds a handle whose key is not in the index. Returns its position.
  Position Insert(uint64_t hash, Handle handle);
  // Removes the handle at `position`; `hash` must be its key's hash.
  void Erase(Position position, uint64_t hash);

  // Moves up to `chunks` chunks of a table being drained. Returns whether a
  // migration is still in progress.
  bool Migrate(size_t chunks);
  bool migrating() const { return old_.chunks != nullptr; }

  void Clear();
  size_t size() const { return current_.count + old_.count; }
  size_t capacity() const { return static_cast<size_t>(current_.size) * kSlotsPerChunk; }
  size_t memory_bytes() const {
    return (static_cast<size_t>(current_.size) + old_.size) * sizeof(Chunk);
  }

  // Calls fn(handle) for every entry.
  template <class Fn>
  void ForEach(Fn&& fn) const;

  // Calls fn(handle) for the entries whose hash lies in [from, end of the
  // chunk range visited), visiting chunk ranges until at least `want` entries
  // were reported or the end of hash space. Returns where to continue, or 0
  // when the whole space has been covered. Start with 0.
  template <class Fn>
  uint64_t Scan(uint64_t from, size_t want, Fn&& fn) const;

  // Some entry chosen with `random` (roughly uniformly), or kNullHandle.
  Handle RandomEntry(uint64_t random) const;

  // The sweep visits the chunks of the current table, then those of the one
  // being drained: positions 0 .. sweep_length() - 1.
  uint32_t sweep_length() const { return current_.size + old_.size; }
  // After a resize: the position as far through the new sweep as
  // `position` was through the old one.
  static uint32_t RescaleSweepPosition(uint32_t position, uint32_t old_length,
                                       uint32_t new_length) {
    return old_length ? static_cast<uint32_t>(uint64_t{position} * new_length / old_length) : 0;
  }
  // Calls fn(handle) for each entry in chunk `position` of the sweep.
  template <class Fn>
  void VisitSweepChunk(uint32_t position, Fn&& fn) const;
  // Asks the CPU to fetch chunk `position` of the sweep ahead of its visit
  // (the sweep's order is scattered, so each chunk is a cache miss). Always
  // inlined: GCC counts a prefetch as no side effect, finds a function that
  // only prefetches "pure" and drops every call to it.
  [[gnu::always_inline]] void PrefetchSweepChunk(uint32_t position) const {
    const Table& table = position < current_.size ? current_ : old_;
    if (position >= current_.size) position -= current_.size;
    if (position < table.size)
      __builtin_prefetch(&table.chunks[(position * kSweepStride) % table.size]);
  }

  // Asks the CPU to fetch the chunk that a lookup of `hash` reads first (in
  // both tables while one is drained), ahead of the lookup. Always inlined,
  // as PrefetchSweepChunk.
  [[gnu::always_inline]] void PrefetchHome(uint64_t hash) const {
    if (current_.size) __builtin_prefetch(&current_.chunks[HomeChunk(hash, current_.size)]);
    if (old_.chunks) __builtin_prefetch(&old_.chunks[HomeChunk(hash, old_.size)]);
  }
  // Calls fn(handle) for the handles of the current table's home chunk of
  // `hash` whose tag matches: the entries a lookup would compare first.
  template <class Fn>
  void VisitHomeMatches(uint64_t hash, Fn&& fn) const {
    if (current_.count == 0) return;
    const Chunk& chunk = current_.chunks[HomeChunk(hash, current_.size)];
    for (uint32_t mask = MatchMask(chunk, TagOf(hash)); mask; mask &= mask - 1)
      fn(chunk.handles[__builtin_ctz(mask)]);
  }

 private:
  struct alignas(64) Chunk {
    uint8_t tags[kSlotsPerChunk];
    uint16_t overflow;  // entries that probed past this chunk; saturates
    uint16_t unused;
    Handle handles[kSlotsPerChunk];
  };
  static_assert(sizeof(Chunk) == 64);

  struct Table {
    Chunk* chunks = nullptr;
    uint32_t size = 0;  // chunks
    size_t count = 0;   // entries
  };

  static uint8_t TagOf(uint64_t hash) {
    uint8_t tag = static_cast<uint8_t>(hash);
    return tag == 0 ? 1 : tag;
  }
  static uint32_t HomeChunk(uint64_t hash, uint32_t size) {
    return static_cast<uint32_t>((static_cast<unsigned __int128>(hash) * size) >> 64);
  }
  // The smallest hash whose home chunk is `chunk` (2^64 for chunk == size is
  // reported as 0 with *end = true).
  static uint64_t ChunkStart(uint32_t chunk, uint32_t size, bool* end);
  static uint32_t MatchMask(const Chunk& chunk, uint8_t tag) {
    __m128i tags = _mm_loadu_si128(reinterpret_cast<const __m128i*>(chunk.tags));
    uint32_t mask = static_cast<uint32_t>(
        _mm_movemask_epi8(_mm_cmpeq_epi8(tags, _mm_set1_epi8(static_cast<char>(tag)))));
    return mask & ((1u << kSlotsPerChunk) - 1);
  }

  // Prime and larger than any chunk count, so position * kSweepStride mod n
  // visits every chunk of a table of n chunks once per n positions.
  static constexpr uint64_t kSweepStride = 2654435761u;

  Table& TableAt(Position p) { return p.table ? old_ : current_; }
  const Table& TableAt(Position p) const { return p.table ? old_ : current_; }

  template <class Equals>
  static bool FindIn(const Table& table, uint64_t hash, Equals& equals, Position* position);
  static Position InsertInto(Table& table, uint64_t hash, Handle handle);
  static void EraseFrom(Table& table, Position position, uint64_t hash);
  template <class Fn>
  void ScanRange(const Table& table, uint64_t lo, uint64_t hi, bool hi_is_end, Fn& fn,
                 size_t* reported) const;

  Table Allocate(uint32_t chunks);
  void Release(Table& table);
  void StartResize(uint32_t chunks);
  void MaybeResizeAfterErase();

  // Asks for the entries of chunk `chunk` of the table being drained.
  void PrefetchOldChunk(uint32_t chunk) const;

  HashFn hash_of_;
  PrefetchFn prefetch_entry_;  // or nullptr
  const void* context_;
  size_t* memory_counter_;  // the owner's byte count, or nullptr
  GrowthCheck may_grow_;    // or nullptr: always
  Table current_;
  Table old_;             // being drained into current_, or empty
  uint32_t drained_ = 0;  // chunks of old_ already moved
};

// ---- implementation of the templates ----

template <class Equals>
bool KeyIndex::FindIn(const Table& table, uint64_t hash, Equals& equals, Position* position) {
  if (table.count == 0) return false;
  uint32_t index = HomeChunk(hash, table.size);
  uint8_t tag = TagOf(hash);
  for (uint32_t probes = 0; probes < table.size; ++probes) {
    const Chunk& chunk = table.chunks[index];
    for (uint32_t mask = MatchMask(chunk, tag); mask; mask &= mask - 1) {
      int slot = __builtin_ctz(mask);
      if (equals(chunk.handles[slot])) {
        position->chunk = index;
        position->slot = static_cast<uint8_t>(slot);
        return true;
      }
    }
    if (chunk.overflow == 0) return false;
    index = index + 1 == table.size ? 0 : index + 1;
  }
  return false;
}

template <class Equals>
bool KeyIndex::Find(uint64_t hash, Equals&& equals, Position* position) const {
  if (FindIn(current_, hash, equals, position)) {
    position->table = 0;
    return true;
  }
  if (old_.chunks && FindIn(old_, hash, equals, position)) {
    position->table = 1;
    return true;
  }
  return false;
}

template <class Fn>
void KeyIndex::ForEach(Fn&& fn) const {
  for (const Table* table : {&current_, &old_}) {
    for (uint32_t c = 0; c < table->size; ++c) {
      const Chunk& chunk = table->chunks[c];
      for (int s = 0; s < kSlotsPerChunk; ++s) {
        if (chunk.tags[s]) fn(chunk.handles[s]);
      }
    }
  }
}

template <class Fn>
void KeyIndex::VisitSweepChunk(uint32_t position, Fn&& fn) const {
  const Table& table = position < current_.size ? current_ : old_;
  if (position >= current_.size) position -= current_.size;
  if (position >= table.size) return;
  const Chunk& chunk = table.chunks[(position * kSweepStride) % table.size];
  for (int s = 0; s < kSlotsPerChunk; ++s) {
    if (chunk.tags[s]) fn(chunk.handles[s]);
  }
}

template <class Fn>
void KeyIndex::ScanRange(const Table& table, uint64_t lo, uint64_t hi, bool hi_is_end, Fn& fn,
                         size_t* reported) const {
  if (table.count == 0) return;
  uint32_t first = HomeChunk(lo, table.size);
  uint32_t last = hi_is_end ? table.size - 1 : HomeChunk(hi - 1, table.size);
  // Entries whose home is in [first, last] live there or further along the
  // probe sequence, which continues while a chunk reports overflow.
  uint32_t index = first;
  for (uint32_t visited = 0; visited < table.size; ++visited) {
    const Chunk& chunk = table.chunks[index];
    for (int s = 0; s < kSlotsPerChunk; ++s) {
      if (!chunk.tags[s]) continue;
      uint64_t h = hash_of_(context_, chunk.handles[s]);
      if (h >= lo && (hi_is_end || h < hi)) {
        fn(chunk.handles[s]);
        ++*reported;
      }
    }
    bool past_last = visited >= (last + table.size - first) % table.size;
    if (past_last && chunk.overflow == 0) break;
    index = index + 1 == table.size ? 0 : index + 1;
  }
}

template <class Fn>
uint64_t KeyIndex::Scan(uint64_t from, size_t want, Fn&& fn) const {
  if (size() == 0) return 0;
  // Walk the current table's chunk ranges; the old table (if draining) is
  // searched for the same hash ranges so that nothing in flight is missed.
  size_t reported = 0;
  uint32_t chunk = HomeChunk(from, current_.size);
  while (true) {
    bool end = false;
    uint64_t hi = ChunkStart(chunk + 1, current_.size, &end);
    ScanRange(current_, from, hi, end, fn, &reported);
    if (old_.chunks) ScanRange(old_, from, hi, end, fn, &reported);
    if (end) return 0;
    from = hi;
    ++chunk;
    if (reported >= want) return from;
  }
}

}  // namespace emberkv::storage
