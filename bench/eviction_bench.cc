// Hit ratio of emberkv's eviction against exact LRU and Redis's sampling,
// replaying one cache-aside trace through the real store code.
//
//   eviction_bench [--requests 10000000] [--keys 1000000] [--room 0.10]
//                  [--zipf 0.99] [--value 16] [--seed 1]
//
// The trace: `requests` GETs of keys drawn from Zipf(`zipf`) over `keys`
// keys ("key:" and 10 digits, 14 bytes); a miss is followed by a SET of a
// `value`-byte value, as a cache-aside client does. emberkv runs it through
// storage::ShardStore with a memory limit chosen so that the store holds
// `room` x `keys` keys on average (calibrated on a prefix of the trace), and
// calls ReclaimMemory before every command, as the server does. The
// reference policies run on the same trace with a capacity equal to the
// number of keys emberkv held on average over the second half of the run:
//
//   * exact LRU: a hash map and a doubly linked list;
//   * Redis 7's approximation (evict.c): per eviction, sample
//     maxmemory-samples random keys into a 16-entry pool ordered by idle
//     time and evict the idlest, with exact timestamps (Redis's clock has a
//     1 s resolution, which would only make it worse on a trace).
//
// Also a fragmentation scenario: values of random sizes whose distribution
// shifts halfway, with and without page compaction (--fragmentation).
//
// Prints one line per policy: hit ratio, keys held, and the cost of
// eviction in the store (entries the sweep visited per eviction, ns per
// request).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <list>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "storage/shard_store.h"
#include "storage/string_ops.h"

namespace {

using namespace emberkv;

struct Options {
  uint64_t requests = 10'000'000;
  uint32_t keys = 1'000'000;
  double room = 0.10;
  double zipf = 0.99;
  size_t value = 16;
  uint64_t seed = 1;
  bool fragmentation = false;
};

// Key ids drawn from Zipf(s) over n keys by inverting the CDF; the most
// popular ranks are spread over the ids by a random permutation.
std::vector<uint32_t> MakeTrace(const Options& o) {
  std::vector<double> cdf(o.keys);
  double sum = 0;
  for (uint32_t i = 0; i < o.keys; ++i) {
    sum += 1.0 / std::pow(i + 1.0, o.zipf);
    cdf[i] = sum;
  }
  for (double& x : cdf) x /= sum;
  std::mt19937_64 rng(o.seed);
  std::vector<uint32_t> id_of_rank(o.keys);
  for (uint32_t i = 0; i < o.keys; ++i) id_of_rank[i] = i;
  std::shuffle(id_of_rank.begin(), id_of_rank.end(), rng);
  std::uniform_real_distribution<double> uniform(0, 1);
  std::vector<uint32_t> trace(o.requests);
  for (uint64_t i = 0; i < o.requests; ++i) {
    size_t rank = std::lower_bound(cdf.begin(), cdf.end(), uniform(rng)) - cdf.begin();
    trace[i] = id_of_rank[std::min<size_t>(rank, o.keys - 1)];
  }
  return trace;
}

struct StoreRun {
  double hit_ratio = 0;
  double mean_keys = 0;  // over the second half
  uint64_t evicted = 0;
  double visited_per_eviction = 0;
  double ns_per_request = 0;
  uint64_t pages_compacted = 0;
  size_t peak_used = 0;
};

// Replays `trace` (or its first `limit_requests`) through a ShardStore.
StoreRun RunStore(const std::vector<uint32_t>& trace, uint64_t limit_requests, size_t memory_limit,
                  storage::EvictionPolicy policy, int samples, size_t value_size,
                  const std::vector<uint16_t>* sizes = nullptr) {
  storage::ShardStore store(1);
  store.set_now_ms(1'700'000'000'000);
  storage::MemoryPolicy p;
  p.limit = memory_limit;
  p.policy = policy;
  p.samples = samples;
  store.SetMemoryPolicy(p);
  storage::Database& db = store.db(0);
  std::string value(4096, 'v');
  uint64_t n = std::min<uint64_t>(limit_requests, trace.size());
  uint64_t hits = 0;
  double keys_sum = 0;
  uint64_t keys_samples = 0;
  size_t peak = 0;
  char key[32];
  auto start = std::chrono::steady_clock::now();
  for (uint64_t i = 0; i < n; ++i) {
    std::snprintf(key, sizeof(key), "key:%010u", trace[i]);
    std::string_view k(key, 14);
    store.ReclaimMemory();
    std::string_view got;
    if (storage::strings::Get(db, k, &got) == storage::OpStatus::kOk) {
      ++hits;
    } else {
      store.ReclaimMemory();
      size_t size = sizes ? (*sizes)[i] : value_size;
      storage::strings::Set(db, k, std::string_view(value.data(), size),
                            storage::strings::SetOptions{});
    }
    if ((i & 1023) == 0) {
      peak = std::max(peak, store.UsedMemory());
      if (i >= n / 2) {
        keys_sum += static_cast<double>(db.size());
        ++keys_samples;
      }
    }
  }
  auto elapsed = std::chrono::steady_clock::now() - start;
  StoreRun run;
  run.hit_ratio = static_cast<double>(hits) / static_cast<double>(n);
  run.mean_keys = keys_samples ? keys_sum / keys_samples : 0;
  run.evicted = store.context().counters.evicted_keys;
  run.visited_per_eviction =
      run.evicted ? static_cast<double>(store.evictor().stats().entries_visited) / run.evicted : 0;
  run.ns_per_request = std::chrono::duration<double, std::nano>(elapsed).count() / n;
  run.pages_compacted = store.evictor().stats().pages_compacted;
  run.peak_used = peak;
  return run;
}

double ExactLru(const std::vector<uint32_t>& trace, size_t capacity) {
  std::list<uint32_t> order;  // most recent first
  std::unordered_map<uint32_t, std::list<uint32_t>::iterator> where;
  where.reserve(capacity * 2);
  uint64_t hits = 0;
  for (uint32_t k : trace) {
    auto it = where.find(k);
    if (it != where.end()) {
      ++hits;
      order.splice(order.begin(), order, it->second);
      continue;
    }
    if (order.size() >= capacity) {
      where.erase(order.back());
      order.pop_back();
    }
    order.push_front(k);
    where[k] = order.begin();
  }
  return static_cast<double>(hits) / trace.size();
}

// evict.c's evictionPoolPopulate + performEvictions, allkeys-lru, one db.
double RedisSampling(const std::vector<uint32_t>& trace, size_t capacity, int samples,
                     uint64_t seed) {
  constexpr int kPoolSize = 16;  // EVPOOL_SIZE
  struct PoolEntry {
    uint64_t idle;
    uint32_t key;
  };
  std::vector<uint32_t> keys;  // the dict, for random sampling
  std::unordered_map<uint32_t, std::pair<size_t, uint64_t>>
      entry;  // key -> (index in keys, last access)
  entry.reserve(capacity * 2);
  std::vector<PoolEntry> pool;  // ascending idle time, as in Redis
  std::mt19937_64 rng(seed);
  uint64_t now = 0, hits = 0;
  for (uint32_t k : trace) {
    ++now;
    auto it = entry.find(k);
    if (it != entry.end()) {
      ++hits;
      it->second.second = now;
      continue;
    }
    while (keys.size() >= capacity) {
      // Populate: sample, insert by idle time; a full pool drops its least
      // idle entry when a better one comes (Redis shifts left).
      for (int s = 0; s < samples; ++s) {
        uint32_t candidate = keys[rng() % keys.size()];
        uint64_t idle = now - entry[candidate].second;
        size_t pos = 0;
        while (pos < pool.size() && pool[pos].idle < idle) ++pos;
        if (pos == 0 && pool.size() == kPoolSize) continue;  // worse than everything
        bool duplicate = false;
        for (const PoolEntry& e : pool) duplicate |= e.key == candidate;
        if (duplicate) continue;
        if (pool.size() < kPoolSize) {
          pool.insert(pool.begin() + pos, PoolEntry{idle, candidate});
        } else {
          pool.erase(pool.begin());
          pool.insert(pool.begin() + pos - 1, PoolEntry{idle, candidate});
        }
      }
      // Evict the idlest entry that still exists.
      while (!pool.empty()) {
        uint32_t victim = pool.back().key;
        pool.pop_back();
        auto v = entry.find(victim);
        if (v == entry.end()) continue;
        size_t index = v->second.first;
        keys[index] = keys.back();
        entry[keys[index]].first = index;
        keys.pop_back();
        entry.erase(v);
        break;
      }
    }
    entry[k] = {keys.size(), now};
    keys.push_back(k);
  }
  return static_cast<double>(hits) / trace.size();
}

// The limit at which the store holds `target` keys on average, found on a
// prefix of the trace.
size_t CalibrateLimit(const std::vector<uint32_t>& trace, double target, size_t value_size) {
  size_t limit = static_cast<size_t>(target * 60);
  uint64_t prefix = std::min<uint64_t>(trace.size(), 3'000'000);
  for (int round = 0; round < 6; ++round) {
    StoreRun run =
        RunStore(trace, prefix, limit, storage::EvictionPolicy::kAllKeysLru, 5, value_size);
    if (run.mean_keys <= 0) break;
    double error = run.mean_keys / target - 1;
    if (std::fabs(error) < 0.001) break;
    // Tables and reserve make memory per key not quite constant; iterate.
    limit = static_cast<size_t>(static_cast<double>(limit) * target / run.mean_keys);
  }
  return limit;
}

void PrintStore(const char* name, const StoreRun& run) {
  std::printf(
      "%-34s hit ratio %.4f  keys %8.0f  evicted %9lu  visited/eviction %5.1f  %5.0f ns/request\n",
      name, run.hit_ratio, run.mean_keys, static_cast<unsigned long>(run.evicted),
      run.visited_per_eviction, run.ns_per_request);
}

void HitRatio(const Options& o) {
  std::printf(
      "trace: %lu GETs (SET on a miss), Zipf(%.2f) over %u keys, room for %.0f%%, %zu-byte "
      "values\n",
      static_cast<unsigned long>(o.requests), o.zipf, o.keys, o.room * 100, o.value);
  std::vector<uint32_t> trace = MakeTrace(o);
  double target = o.room * o.keys;
  size_t limit = CalibrateLimit(trace, target, o.value);
  std::printf("memory limit %zu bytes (calibrated to hold %.0f keys)\n", limit, target);
  StoreRun lru =
      RunStore(trace, trace.size(), limit, storage::EvictionPolicy::kAllKeysLru, 5, o.value);
  PrintStore("emberkv allkeys-lru (samples 5)", lru);
  for (int samples : {2, 10}) {
    StoreRun r = RunStore(trace, trace.size(), limit, storage::EvictionPolicy::kAllKeysLru, samples,
                          o.value);
    char name[64];
    std::snprintf(name, sizeof(name), "emberkv allkeys-lru (samples %d)", samples);
    PrintStore(name, r);
  }
  PrintStore("emberkv allkeys-lfu", RunStore(trace, trace.size(), limit,
                                             storage::EvictionPolicy::kAllKeysLfu, 5, o.value));
  PrintStore(
      "emberkv allkeys-random",
      RunStore(trace, trace.size(), limit, storage::EvictionPolicy::kAllKeysRandom, 5, o.value));
  size_t capacity = static_cast<size_t>(std::llround(lru.mean_keys));
  double exact = ExactLru(trace, capacity);
  std::printf("%-34s hit ratio %.4f  keys %8zu\n", "exact LRU", exact, capacity);
  std::printf("%-34s hit ratio %.4f  keys %8zu\n", "Redis 7 sampling (5, pool 16)",
              RedisSampling(trace, capacity, 5, o.seed), capacity);
  std::printf("%-34s hit ratio %.4f  keys %8zu\n", "Redis 7 sampling (10, pool 16)",
              RedisSampling(trace, capacity, 10, o.seed), capacity);
  std::printf("emberkv allkeys-lru vs exact LRU: %+.2f percentage points\n",
              (lru.hit_ratio - exact) * 100);
}

void Fragmentation(const Options& o) {
  // Values of 16-200 bytes for the first half of the trace, 300-2000 bytes
  // for the second: the small classes' pages must go to the big ones.
  std::vector<uint32_t> trace = MakeTrace(o);
  std::vector<uint16_t> sizes(trace.size());
  std::mt19937 rng(static_cast<uint32_t>(o.seed));
  for (size_t i = 0; i < sizes.size(); ++i) {
    sizes[i] = static_cast<uint16_t>(i < sizes.size() / 2 ? 16 + rng() % 185 : 300 + rng() % 1701);
  }
  size_t limit = 64u << 20;
  std::printf("fragmentation: %lu requests, values 16-200 B then 300-2000 B, limit %zu MiB\n",
              static_cast<unsigned long>(trace.size()), limit >> 20);
  StoreRun run =
      RunStore(trace, trace.size(), limit, storage::EvictionPolicy::kAllKeysLru, 5, 0, &sizes);
  std::printf(
      "  hit ratio %.4f  keys (2nd half) %.0f  evicted %lu  pages compacted %lu  peak used %.1f "
      "MiB\n",
      run.hit_ratio, run.mean_keys, static_cast<unsigned long>(run.evicted),
      static_cast<unsigned long>(run.pages_compacted), run.peak_used / 1048576.0);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto next = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", arg.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--requests")
      o.requests = std::strtoull(next(), nullptr, 10);
    else if (arg == "--keys")
      o.keys = static_cast<uint32_t>(std::strtoul(next(), nullptr, 10));
    else if (arg == "--room")
      o.room = std::strtod(next(), nullptr);
    else if (arg == "--zipf")
      o.zipf = std::strtod(next(), nullptr);
    else if (arg == "--value")
      o.value = std::strtoul(next(), nullptr, 10);
    else if (arg == "--seed")
      o.seed = std::strtoull(next(), nullptr, 10);
    else if (arg == "--fragmentation")
      o.fragmentation = true;
    else {
      std::fprintf(
          stderr,
          "usage: eviction_bench [--requests N] [--keys N] [--room F] [--zipf S] [--value B] "
          "[--seed N] [--fragmentation]\n");
      return 2;
    }
  }
  if (o.keys == 0 || o.requests == 0 || o.value > 4000 || o.room <= 0 || o.room >= 1) {
    std::fprintf(stderr, "eviction_bench: bad options\n");
    return 2;
  }
  if (o.fragmentation) {
    Fragmentation(o);
  } else {
    HitRatio(o);
  }
  return 0;
}
