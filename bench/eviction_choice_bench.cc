// The cost of choosing and removing a victim: one shard of about 1,000,000
// keys (14-byte keys, 16-byte values) at its memory limit, through the path
// the server takes before each command, ShardStore::ReclaimMemory (the
// sweep, the wheel for volatile-ttl, random picks, Database::EvictHandle).
//
// Each iteration writes a batch of 1,000 new keys and reads 1,000 earlier
// ones (untimed; the reads refresh access bytes, so LRU and LFU have
// something to tell apart), which leaves the shard about 1,000 keys' worth
// over its line; then calls ReclaimMemory with the per-command budget until
// it answers kOk, and only that is timed, in thread CPU time. ns_per_eviction is that time over
// the keys it evicted; visited_per_eviction is how many entries the sweep
// looked at for each (the CPU price of the choice's precision: about
// 2 x maxmemory-samples for the LRU and LFU sweeps).
//
// The hit ratio these choices give is bench/eviction_bench.cc's business.
#include <benchmark/benchmark.h>
#include <time.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <random>
#include <string>

#include "bench/common/key_format.h"
#include "storage/shard_store.h"
#include "storage/string_ops.h"

namespace emberkv::bench {
namespace {

using storage::EvictionPolicy;
namespace strings = storage::strings;

constexpr size_t kKeys = 1'000'000;
constexpr size_t kBatch = 1'000;
constexpr int64_t kStartMs = 1'700'000'000'000;
constexpr int64_t kHourMs = 3'600'000;

// The calling thread's CPU time: on a shared machine, wall time would also
// count the time other processes had the core (a batch takes about a
// millisecond, a time slice several).
double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Which keys get a deadline (an hour or two away, spread over the hour).
enum class Deadlines { kNone, kHalf, kAll };

struct Shard {
  EvictionPolicy policy;
  Deadlines deadlines;
  storage::ShardStore store{1};
  storage::Database* db = nullptr;
  uint64_t next_key = 0;  // keys are numbered in the order they are written
  std::mt19937_64 rng{7};
  std::string value = std::string(16, 'v');

  void Write() {
    char key[40];
    size_t length = FormatKey(kDefaultKeyPrefix, kDefaultKeyDigits, next_key, key);
    strings::SetOptions options;
    bool with_ttl =
        deadlines == Deadlines::kAll || (deadlines == Deadlines::kHalf && next_key % 2 == 0);
    if (with_ttl)
      options.expiry =
          storage::ExpiryChange::At(kStartMs + kHourMs + static_cast<int64_t>(rng() % kHourMs));
    strings::Set(*db, std::string_view(key, length), value, options);
    ++next_key;
  }

  // A GET of one of the last ~1.2 million keys written (a hit if it is
  // still there).
  void Read() {
    char key[40];
    uint64_t span = std::min<uint64_t>(next_key, kKeys + kKeys / 5);
    uint64_t number = next_key - 1 - rng() % span;
    size_t length = FormatKey(kDefaultKeyPrefix, kDefaultKeyDigits, number, key);
    std::string_view got;
    // A miss is part of the workload (the key may have been evicted).
    benchmark::DoNotOptimize(strings::Get(*db, std::string_view(key, length), &got));
  }

  // Reclaims until the shard is back within its limit and reserve; false
  // if the policy found nothing to evict.
  bool Reclaim() {
    while (true) {
      switch (store.ReclaimMemory()) {
        case storage::Evictor::Result::kOk:
          return true;
        case storage::Evictor::Result::kOutOfMemory:
          return false;
        case storage::Evictor::Result::kInProgress:
          break;
      }
    }
  }
};

// A full shard under `policy`, built once and kept while benchmarks of the
// same policy run (Google benchmark calls a function several times).
Shard& FullShard(EvictionPolicy policy, Deadlines deadlines) {
  static std::unique_ptr<Shard> shard;
  if (shard && shard->policy == policy && shard->deadlines == deadlines) return *shard;
  shard.reset();  // one at a time: each holds about 60 MB
  shard = std::make_unique<Shard>();
  Shard& s = *shard;
  s.policy = policy;
  s.deadlines = deadlines;
  s.store.set_now_ms(kStartMs);
  s.db = &s.store.db(0);
  // Filled under a limit it does not reach, with ReclaimMemory before each
  // write as the server does: the sweep keeps pace with the LRU clock, so
  // the access bytes spread as they would in a server that filled up.
  storage::MemoryPolicy p;
  p.limit = size_t{1} << 40;
  p.policy = policy;
  s.store.SetMemoryPolicy(p);
  for (size_t i = 0; i < kKeys; ++i) {
    s.store.ReclaimMemory();
    s.Write();
  }
  // The line where it stands now; then a tenth of a turnover so that the
  // sweep's threshold and the access bytes reach their steady state.
  p.limit = s.store.UsedMemory();
  s.store.SetMemoryPolicy(p);
  for (size_t i = 0; i < kKeys / 10 / kBatch; ++i) {
    for (size_t k = 0; k < kBatch; ++k) {
      s.Read();
      s.Write();
    }
    s.Reclaim();
  }
  return s;
}

void EvictBatches(benchmark::State& state, EvictionPolicy policy, Deadlines deadlines) {
  Shard& s = FullShard(policy, deadlines);
  const storage::ShardContext& context = s.store.context();
  uint64_t evicted = 0;
  uint64_t visited = 0;
  double timed = 0;
  for (auto _ : state) {
    for (size_t k = 0; k < kBatch; ++k) {
      s.Read();
      s.Write();
    }
    uint64_t evicted_before = context.counters.evicted_keys;
    uint64_t visited_before = s.store.evictor().stats().entries_visited;
    double start = ThreadCpuSeconds();
    bool ok = s.Reclaim();
    double seconds = ThreadCpuSeconds() - start;
    state.SetIterationTime(seconds);
    if (!ok) {
      state.SkipWithError("the policy found nothing to evict");
      return;
    }
    timed += seconds;
    evicted += context.counters.evicted_keys - evicted_before;
    visited += s.store.evictor().stats().entries_visited - visited_before;
  }
  if (evicted == 0) {
    state.SkipWithError("nothing was evicted");
    return;
  }
  state.SetItemsProcessed(static_cast<int64_t>(evicted));
  state.counters["ns_per_eviction"] = timed * 1e9 / static_cast<double>(evicted);
  state.counters["visited_per_eviction"] =
      static_cast<double>(visited) / static_cast<double>(evicted);
  state.counters["evicted_per_batch"] =
      static_cast<double>(evicted) / static_cast<double>(state.iterations());
  state.counters["keys"] = static_cast<double>(s.db->size());
  state.counters["pages_compacted"] =
      static_cast<double>(s.store.evictor().stats().pages_compacted);
}

void BM_EvictAllKeysLru(benchmark::State& state) {
  EvictBatches(state, EvictionPolicy::kAllKeysLru, Deadlines::kNone);
}
BENCHMARK(BM_EvictAllKeysLru)->UseManualTime();

void BM_EvictAllKeysLfu(benchmark::State& state) {
  EvictBatches(state, EvictionPolicy::kAllKeysLfu, Deadlines::kNone);
}
BENCHMARK(BM_EvictAllKeysLfu)->UseManualTime();

void BM_EvictAllKeysRandom(benchmark::State& state) {
  EvictBatches(state, EvictionPolicy::kAllKeysRandom, Deadlines::kNone);
}
BENCHMARK(BM_EvictAllKeysRandom)->UseManualTime();

// Half the keys have a deadline: the sweep passes over the other half.
void BM_EvictVolatileLru(benchmark::State& state) {
  EvictBatches(state, EvictionPolicy::kVolatileLru, Deadlines::kHalf);
}
BENCHMARK(BM_EvictVolatileLru)->UseManualTime();

// Every key has a deadline: the soonest of those the wheel offers first.
void BM_EvictVolatileTtl(benchmark::State& state) {
  EvictBatches(state, EvictionPolicy::kVolatileTtl, Deadlines::kAll);
}
BENCHMARK(BM_EvictVolatileTtl)->UseManualTime();

}  // namespace
}  // namespace emberkv::bench
