// Keeps one shard under its share of maxmemory: decides what to evict, and
// compacts arena pages that eviction left sparse.
//
// What counts. UsedMemory = arena pages (with the few empty ones kept for
// reuse) + external bytes (long values, collections) + index tables and
// timing wheels + the shard thread's client buffers: the shard's resident
// memory, not just what its entries occupy. LiveMemory is the same with the
// arena's chunks in place of its pages; the difference is free space inside
// pages (holes left by deletions, unused page tails).
//
// When. Reclaim runs before every command on the shard when a limit is set
// (and from the shard's timer), and works while UsedMemory > limit, or while
// LiveMemory > limit - reserve: evicting a little ahead keeps a reserve of
// holes that new entries fill, so a full cache does not take a fresh page
// (and go over) on every write. Each call does a bounded amount of work (a
// few index chunks, at most one page compaction), so no command pays for
// evicting megabytes; the timer continues with a larger budget.
//
// Which entries (LRU and LFU). A sweep walks the index chunk by chunk, in
// hash order, like a CLOCK hand; each entry it passes gets a score from its
// access byte (LRU: its age; LFU: 255 - its decayed counter) and is evicted
// if the score reaches a threshold. The threshold is the score that about
// one visited entry in 2 x maxmemory-samples reaches, from a decaying
// histogram of the scores seen, so the hand moves about that many entries
// per eviction and each entry is evicted within one revolution of becoming
// one of the oldest (least used). On a Zipf trace this is within a few
// hundredths of a percentage point of exact LRU (bench/eviction_bench.cc)
// for one byte per key, where exact LRU needs a 16-byte list node and
// Redis's sampling a 24-bit clock in every object and a pool.
//
// volatile-lru/lfu/random sweep the same way but only consider entries with
// a deadline (so they cost more per eviction when few keys have one);
// volatile-ttl takes the soonest deadlines from the timing wheel; the random
// policies take random index positions (allkeys) or the first entry with a
// deadline at the hand (volatile). Volatile policies never evict an entry
// without a deadline; with no such entries they report out of memory.
//
// Fragmentation. Eviction frees chunks all over the arena's pages, and a
// page returns to the kernel only when empty. Holes are reused by new
// entries of the same size class; when the shard is over its limit because
// of them (its live data, plus the reserve, is within the limit, or the
// policy cannot evict) and some size class has a page's worth of holes, the
// sparsest of a few of its pages is evacuated into the others (its entries'
// index slots and wheel references are repointed) and released.
//
// Thread safety: none; one per shard, on its thread.
#pragma once

#include <cstddef>
#include <cstdint>

#include "storage/eviction_policy.h"
#include "storage/slab_arena.h"

namespace emberkv::storage {

class ShardStore;

struct EvictionStats {
  uint64_t entries_visited = 0;  // by the sweep (eviction and maintenance)
  uint64_t revolutions = 0;      // completed passes of the sweep over the shard
  uint64_t pages_compacted = 0;  // pages evacuated and released
  uint64_t chunks_moved = 0;     // entries moved by compaction
};

class Evictor {
 public:
  // Index chunks (about 10 entries each) one Reclaim may visit before a
  // command; the timer passes more.
  static constexpr size_t kCommandBudget = 16;

  enum class Result : uint8_t {
    kOk,           // within the limit
    kInProgress,   // over it, but eviction is making room (commands may run)
    kOutOfMemory,  // over it with nothing the policy may evict
  };

  explicit Evictor(ShardStore* store) : store_(store) {}

  void Configure(const MemoryPolicy& policy);
  const MemoryPolicy& policy() const { return policy_; }
  size_t limit() const { return policy_.limit; }
  // Free space kept inside the arena ahead of need (see above).
  size_t reserve() const { return reserve_; }

  // Evicts and compacts, visiting at most `budget` index chunks (or wheel
  // blocks, or random samples).
  Result Reclaim(size_t budget);

  // From the shard's timer: keeps the sweep going when eviction is idle, so
  // that LRU ages never wrap and LFU counters decay, visiting a fraction of
  // the index per call; and sets the LRU clock's rate from the key count.
  void Maintain(int64_t now_ms);

  const EvictionStats& stats() const { return stats_; }

 private:
  // Visits the next index chunk of the sweep; evicts what qualifies when
  // `evict` is set. Returns the bytes freed.
  size_t SweepStep(bool evict);
  // A revolution of the sweep over every database has ended.
  void CompleteRevolution();
  void UpdateThreshold();
  // Whether the LRU clock has run far enough ahead of the sweep that the
  // sweep should move without evicting.
  bool SweepBehindClock() const;
  size_t EvictRandom();
  size_t EvictVolatileTtl();
  // Whether the policy may evict anything now (not noeviction; for
  // volatile-*, some entry has a deadline).
  bool CanEvict() const;
  // Evacuates `page` (from SlabArena::FindSparsePage); true if it was released.
  bool CompactPage(uint32_t page);

  ShardStore* store_;
  MemoryPolicy policy_;
  size_t reserve_ = 0;
  int sweep_db_ = 0;  // the database the sweep is in
  int next_db_ = 0;   // round robin for the random and volatile-ttl policies
  uint64_t rng_ = 0x2545F4914F6CDD1DULL;
  size_t wanted_ = 0;  // bytes the current Reclaim step should free

  // Scores of the entries the sweep visited, halved now and then.
  uint32_t histogram_[256] = {};
  uint32_t histogram_total_ = 0;
  uint8_t threshold_ = 0;
  uint32_t target_ratio_ = 10;  // visits per eviction the threshold aims at

  bool sweeping_ = false;  // whether the sweep has started
  uint8_t revolution_start_clock_ = 0;
  int64_t revolution_start_ms_ = 0;
  int64_t now_ms_ = 0;
  // LFU decay per visit, in 1/65536 of a decrement (from the last revolution).
  uint64_t lfu_decay_per_visit_ = 0;
  EvictionStats stats_;
};

}  // namespace emberkv::storage
