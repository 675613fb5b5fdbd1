#include "storage/evictor.h"

#include <algorithm>

#include "storage/shard_store.h"

namespace emberkv::storage {
namespace {

// Visits between two updates of the threshold (fewer at first).
constexpr uint32_t kHistogramWindow = 512;
constexpr uint32_t kFirstHistogramWindow = 64;
// Index references one volatile-ttl step may look at in the wheel.
constexpr size_t kWheelVisitsPerStep = 128;
// The maintenance sweep covers 1/kMaintenanceFraction of the index per timer
// tick (a revolution in about 10 s at hz 10) when it has work to do.
constexpr uint32_t kMaintenanceFraction = 100;
// The LRU clock may lead the start of the last revolution by kMaxClockLead
// ticks before it stalls; the maintenance sweep starts at half of that.
constexpr uint8_t kMaintenanceClockLead = AccessTracker::kMaxClockLead / 2;

}  // namespace

std::optional<EvictionPolicy> ParseEvictionPolicy(std::string_view name) {
  for (EvictionPolicy p :
       {EvictionPolicy::kNoEviction, EvictionPolicy::kAllKeysLru, EvictionPolicy::kAllKeysLfu,
        EvictionPolicy::kAllKeysRandom, EvictionPolicy::kVolatileLru, EvictionPolicy::kVolatileLfu,
        EvictionPolicy::kVolatileRandom, EvictionPolicy::kVolatileTtl}) {
    if (EvictionPolicyName(p) == name) return p;
  }
  return std::nullopt;
}

std::string_view EvictionPolicyName(EvictionPolicy policy) {
  switch (policy) {
    case EvictionPolicy::kNoEviction:
      return "noeviction";
    case EvictionPolicy::kAllKeysLru:
      return "allkeys-lru";
    case EvictionPolicy::kAllKeysLfu:
      return "allkeys-lfu";
    case EvictionPolicy::kAllKeysRandom:
      return "allkeys-random";
    case EvictionPolicy::kVolatileLru:
      return "volatile-lru";
    case EvictionPolicy::kVolatileLfu:
      return "volatile-lfu";
    case EvictionPolicy::kVolatileRandom:
      return "volatile-random";
    case EvictionPolicy::kVolatileTtl:
      return "volatile-ttl";
  }
  return "noeviction";
}

void Evictor::Configure(const MemoryPolicy& policy) {
  bool was_lfu = IsLfu(policy_.policy);
  policy_ = policy;
  store_->context().memory_limit = policy.limit;
  // A reserve of 1/64 of the limit, at least two pages (a fresh page of one
  // class must not push a full shard over), at most a quarter of the limit.
  reserve_ = std::clamp<size_t>(policy.limit / 64, 2 * SlabArena::kPageSize, 64u << 20);
  reserve_ = std::min(reserve_, policy.limit / 4);
  target_ratio_ = static_cast<uint32_t>(std::max(2, 2 * policy.samples));
  store_->context().access.set_lfu(IsLfu(policy.policy), policy.lfu_log_factor);
  if (was_lfu != IsLfu(policy.policy)) {
    // The scores mean something else now.
    std::fill(std::begin(histogram_), std::end(histogram_), 0);
    histogram_total_ = 0;
    threshold_ = 0;
  }
}

bool Evictor::CanEvict() const {
  if (policy_.policy == EvictionPolicy::kNoEviction) return false;
  bool volatile_only = IsVolatile(policy_.policy);
  for (int i = 0; i < store_->database_count(); ++i) {
    const Database* db = store_->existing_db(i);
    if (db && (volatile_only ? db->expires() : db->size()) > 0) return true;
  }
  return false;
}

Evictor::Result Evictor::Reclaim(size_t budget) {
  if (policy_.limit == 0) return Result::kOk;
  ShardContext& context = store_->context();
  now_ms_ = context.now_ms;
  const size_t limit = policy_.limit;
  bool compacted = false;
  int candidates = -1;  // whether the policy can evict anything; unknown yet
  // While the shard fills up, nothing evicts and the sweep stands still; a
  // chunk per command keeps it going before the LRU clock would have to
  // stall (see eviction_policy.h).
  if (SweepBehindClock()) SweepStep(/*evict=*/false);
  while (true) {
    size_t used = store_->UsedMemory();
    bool over = used > limit;
    size_t live = store_->LiveMemory();
    if (!over && live + reserve_ <= limit) return Result::kOk;
    if (over) {
      SlabArena& arena = context.arena;
      // Empty pages kept for reuse go first, then one sparse page per call.
      if (arena.resident_bytes() > arena.page_bytes()) {
        arena.ReleaseEmptyPages();
        continue;
      }
      // Moving entries beats evicting them, when holes are what puts the
      // shard over: then, while some class has a page's worth of holes,
      // compact (one page per call) instead of evicting. When the live data
      // itself is over the line (less the reserve) and the policy can
      // evict, eviction has to free that much anyway and the next writes
      // fill the holes it leaves; compacting first would move a page of
      // entries per call for nothing (under constant writes, more entries
      // than were evicted).
      bool holes_to_blame = live + reserve_ <= limit;
      if (!holes_to_blame) {
        if (candidates < 0) candidates = CanEvict() ? 1 : 0;
        holes_to_blame = !candidates;
      }
      uint32_t sparse = holes_to_blame ? arena.FindSparsePage() : 0;
      if (sparse != 0) {
        if (compacted) return Result::kInProgress;
        compacted = true;
        if (CompactPage(sparse)) continue;
      }
    }
    if (candidates < 0) candidates = CanEvict() ? 1 : 0;
    if (!candidates) return over ? Result::kOutOfMemory : Result::kOk;
    if (budget == 0) return over ? Result::kInProgress : Result::kOk;
    --budget;
    wanted_ =
        std::max(over ? used - limit : 0, live + reserve_ > limit ? live + reserve_ - limit : 0);
    switch (policy_.policy) {
      case EvictionPolicy::kAllKeysRandom:
        EvictRandom();
        break;
      case EvictionPolicy::kVolatileTtl:
        EvictVolatileTtl();
        break;
      default:
        SweepStep(/*evict=*/true);
        break;
    }
  }
}

size_t Evictor::SweepStep(bool evict) {
  ShardContext& context = store_->context();
  SlabArena& arena = context.arena;
  AccessTracker& access = context.access;
  const int databases = store_->database_count();
  if (!sweeping_) {
    // The first revolution starts now: ages so far cannot have wrapped (the
    // clock could not lead 0, the floor, by more than kMaxClockLead).
    sweeping_ = true;
    revolution_start_clock_ = access.clock();
    revolution_start_ms_ = now_ms_;
  }
  for (int tries = 0; tries <= databases; ++tries) {
    Database* db = store_->existing_db(sweep_db_);
    Handle handles[KeyIndex::kSlotsPerChunk];
    int count = 0;
    if (!db || !db->SweepNext([&](Handle h) { handles[count++] = h; })) {
      // This database's sweep came round: on to the next one.
      if (++sweep_db_ == databases) {
        sweep_db_ = 0;
        CompleteRevolution();
      }
      continue;
    }
    // The entries are scattered over the arena: fetch them all at once (if
    // an earlier step has not already), and get the next steps' memory on
    // its way: the index chunk four ahead, and the entries of the chunk two
    // ahead, whose index line was asked for two steps ago. Without this
    // each step waits for two rounds of cache misses (the chunk, then its
    // entries), which is most of what eviction costs.
    // (The handles ahead are gathered first and prefetched here: a visitor
    // that only prefetched would look free of side effects to GCC, which
    // would then drop the visit.)
    for (int i = 0; i < count; ++i) __builtin_prefetch(arena.Resolve(handles[i]));
    db->PrefetchSweepAhead(4);
    Handle ahead[KeyIndex::kSlotsPerChunk];
    int ahead_count = 0;
    db->PeekSweepAhead(2, [&](Handle h) { ahead[ahead_count++] = h; });
    for (int i = 0; i < ahead_count; ++i) __builtin_prefetch(arena.Resolve(ahead[i]));
    const bool lfu = access.lfu();
    const bool volatile_only = IsVolatile(policy_.policy);
    const bool any = policy_.policy == EvictionPolicy::kVolatileRandom;
    Handle victims[KeyIndex::kSlotsPerChunk];
    int victim_count = 0;
    for (int i = 0; i < count; ++i) {
      Entry entry(arena.Resolve(handles[i]));
      ++stats_.entries_visited;
      if (entry.has_expiry()) {
        if (entry.expiry_ms() <= now_ms_) {
          victims[victim_count++] = handles[i];  // expired: reclaimed whatever the policy
          continue;
        }
      } else if (volatile_only) {
        continue;  // protected
      }
      uint8_t score;
      if (lfu) {
        uint8_t counter = entry.access();
        uint8_t decayed = counter;
        if (lfu_decay_per_visit_ && counter) {
          uint64_t decrement = lfu_decay_per_visit_ >> 16;
          if ((access.Random() & 0xFFFF) < (lfu_decay_per_visit_ & 0xFFFF)) ++decrement;
          decayed = counter > decrement ? static_cast<uint8_t>(counter - decrement) : 0;
          if (decayed != counter) entry.set_access(decayed);
        }
        score = static_cast<uint8_t>(255 - decayed);
      } else {
        uint8_t age = access.Age(entry.access());
        if (age > AccessTracker::kMaxLruAge) {
          // Clamped so that it cannot wrap before the sweep comes by again.
          entry.set_access(static_cast<uint8_t>(access.clock() - AccessTracker::kMaxLruAge));
          age = AccessTracker::kMaxLruAge;
        }
        score = age;
      }
      ++histogram_[score];
      if (++histogram_total_ >=
          (stats_.entries_visited > kHistogramWindow ? kHistogramWindow : kFirstHistogramWindow)) {
        UpdateThreshold();
      }
      if (evict && (any || score >= threshold_)) victims[victim_count++] = handles[i];
    }
    // Evict what qualified, even beyond what is wanted, up to the reserve's
    // worth more (small entries: the whole chunk, at most 12): each of them
    // is among the oldest (least used) tenth, and leaving it for the next
    // revolution made the hand visit a third more entries per eviction for
    // a hit ratio that was no better but a little worse (bench/
    // eviction_bench: 14.1 visits and -0.07 points against exact LRU,
    // against 9.3 and -0.01). The bound keeps a chunk of big values from
    // going at once when one was enough. Expired entries go regardless.
    size_t freed = 0;
    for (int i = 0; i < victim_count; ++i) {
      if (evict && freed >= wanted_ + reserve_) {
        Entry entry(arena.Resolve(victims[i]));
        if (!entry.has_expiry() || entry.expiry_ms() > now_ms_) continue;
      }
      freed += db->EvictHandle(victims[i]);
    }
    return freed;
  }
  return 0;
}

void Evictor::UpdateThreshold() {
  // The score that one visited entry in target_ratio_ reaches.
  uint32_t wanted = std::max<uint32_t>(1, histogram_total_ / target_ratio_);
  uint32_t seen = 0;
  int score = 255;
  for (; score > 0; --score) {
    seen += histogram_[score];
    if (seen >= wanted) break;
  }
  threshold_ = static_cast<uint8_t>(score);
  histogram_total_ = 0;
  for (uint32_t& n : histogram_) {
    n >>= 1;
    histogram_total_ += n;
  }
}

void Evictor::CompleteRevolution() {
  ShardContext& context = store_->context();
  AccessTracker& access = context.access;
  ++stats_.revolutions;
  // Every entry was visited (its age clamped) since the revolution began.
  access.set_clock_floor(revolution_start_clock_);
  revolution_start_clock_ = access.clock();
  if (policy_.lfu_decay_time > 0) {
    // Each visit decays a counter by the decay periods one revolution took.
    int64_t elapsed = std::max<int64_t>(0, now_ms_ - revolution_start_ms_);
    lfu_decay_per_visit_ = static_cast<uint64_t>(elapsed) * 65536 /
                           (static_cast<uint64_t>(policy_.lfu_decay_time) * 60000);
  } else {
    lfu_decay_per_visit_ = 0;
  }
  revolution_start_ms_ = now_ms_;
}

size_t Evictor::EvictRandom() {
  const int databases = store_->database_count();
  for (int tries = 0; tries < databases; ++tries) {
    Database* db = store_->existing_db(next_db_);
    next_db_ = (next_db_ + 1) % databases;
    if (!db || db->size() == 0) continue;
    rng_ = rng_ * 6364136223846793005ULL + 1442695040888963407ULL;
    Handle handle = db->RandomHandle(rng_);
    if (handle != kNullHandle) return db->EvictHandle(handle);
  }
  return 0;
}

size_t Evictor::EvictVolatileTtl() {
  const int databases = store_->database_count();
  for (int tries = 0; tries < databases; ++tries) {
    Database* db = store_->existing_db(next_db_);
    next_db_ = (next_db_ + 1) % databases;
    if (!db || db->expires() == 0) continue;
    return db->EvictSoonestDeadline(kWheelVisitsPerStep);
  }
  return 0;
}

bool Evictor::CompactPage(uint32_t page) {
  SlabArena& arena = store_->context().arena;
  size_t pages_before = arena.pages_in_use();
  stats_.chunks_moved += arena.EvacuatePage(page, [this](Handle from, Handle to) {
    for (int i = 0; i < store_->database_count(); ++i) {
      Database* db = store_->existing_db(i);
      if (db && db->Relocate(from, to)) return true;
    }
    return false;
  });
  if (arena.pages_in_use() >= pages_before) return false;
  ++stats_.pages_compacted;
  return true;
}

bool Evictor::SweepBehindClock() const {
  const AccessTracker& access = store_->context().access;
  if (access.lfu()) return false;
  // The clock stalls kMaxClockLead ticks past its floor (the start of the
  // last completed revolution); sweep when half of that is used up.
  return static_cast<uint8_t>(access.clock() - access.clock_floor()) > kMaintenanceClockLead;
}

void Evictor::Maintain(int64_t now_ms) {
  now_ms_ = now_ms;
  ShardContext& context = store_->context();
  AccessTracker& access = context.access;
  if (policy_.limit == 0) return;
  bool lru_or_lfu = policy_.policy != EvictionPolicy::kNoEviction &&
                    policy_.policy != EvictionPolicy::kAllKeysRandom &&
                    policy_.policy != EvictionPolicy::kVolatileTtl;
  if (!lru_or_lfu) return;
  // LFU counters decay as the sweep passes; LRU ages must be clamped before
  // the clock stalls. Eviction moves the hand too; this covers idle times.
  if (!access.lfu() && !SweepBehindClock()) return;
  size_t chunks = 0;
  for (int i = 0; i < store_->database_count(); ++i) {
    if (const Database* db = store_->existing_db(i)) chunks += db->sweep_length();
  }
  size_t budget = std::max<size_t>(8, chunks / kMaintenanceFraction);
  for (size_t i = 0; i < budget; ++i) SweepStep(/*evict=*/false);
}

}  // namespace emberkv::storage
