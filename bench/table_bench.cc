// The shard table at 1,000,000 keys: one Database (key index and arena)
// holding 14-byte keys with 16-byte values, driven through the functions a
// command handler calls (storage/string_ops.h, storage/key_ops.h). Every
// operation hashes its key, as the server does once per command.
//
// Keys are visited in a shuffled order, so lookups miss the CPU cache as they
// do under real traffic; the key strings themselves are read in sequence, so
// their own cache misses are not counted.
//
// Inserts and erases are timed in batches of 1,000, with the opposite
// operation (untimed) putting the table back to 1,000,000 keys: every figure
// is taken at that size. Expiry at the database level (wheel plus index and
// arena) is here too, because it needs the full table; the wheel alone is in
// timing_wheel_bench.cc.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "bench/common/key_format.h"
#include "storage/key_ops.h"
#include "storage/shard_store.h"
#include "storage/string_ops.h"

namespace emberkv::bench {
namespace {

using storage::OpStatus;
namespace strings = storage::strings;
namespace keys = storage::keys;

constexpr size_t kKeys = 1'000'000;
constexpr size_t kBatch = 1'000;
static_assert(kKeys % kBatch == 0);

struct Table {
  storage::ShardStore store{1};
  storage::Database* db = nullptr;
  int64_t now_ms = 1'700'000'000'000;  // the shard clock, moved forward by the expiry benchmarks
  std::vector<std::string> present;    // in the table, shuffled
  std::vector<std::string> absent;     // never left in the table, shuffled
  std::string value = std::string(16, 'v');
};

Table& SharedTable() {
  // Built once for all benchmarks of this program (about a second).
  static Table* table = [] {
    auto* t = new Table;
    t->store.set_now_ms(t->now_ms);
    t->db = &t->store.db(0);
    t->present.reserve(kKeys);
    t->absent.reserve(kKeys);
    for (size_t i = 0; i < kKeys; ++i) {
      t->present.push_back(MakeKey("key:", 10, i));
      t->absent.push_back(MakeKey("new:", 10, i));
    }
    std::mt19937_64 rng(42);
    std::shuffle(t->present.begin(), t->present.end(), rng);
    std::shuffle(t->absent.begin(), t->absent.end(), rng);
    for (const std::string& key : t->present) {
      if (strings::Set(*t->db, key, t->value, {}).status != OpStatus::kOk) std::abort();
    }
    return t;
  }();
  return *table;
}

double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// Reports nanoseconds per operation for benchmarks that time batches.
void ReportPerOp(benchmark::State& state, double seconds, size_t ops) {
  state.SetItemsProcessed(static_cast<int64_t>(ops));
  state.counters["ns_per_op"] = ops ? seconds * 1e9 / static_cast<double>(ops) : 0;
}

bool CheckSize(benchmark::State& state, const Table& t) {
  if (t.db->size() == kKeys) return true;
  state.SkipWithError("the table did not stay at 1,000,000 keys");
  return false;
}

void BM_TableGetHit(benchmark::State& state) {
  Table& t = SharedTable();
  size_t i = 0;
  size_t wrong = 0;
  for (auto _ : state) {
    std::string_view value;
    wrong += strings::Get(*t.db, t.present[i], &value) != OpStatus::kOk;
    benchmark::DoNotOptimize(value.data());
    if (++i == kKeys) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
  if (wrong) state.SkipWithError("a present key was not found");
  CheckSize(state, t);
}
BENCHMARK(BM_TableGetHit);

void BM_TableGetMiss(benchmark::State& state) {
  Table& t = SharedTable();
  size_t i = 0;
  size_t wrong = 0;
  for (auto _ : state) {
    std::string_view value;
    wrong += strings::Get(*t.db, t.absent[i], &value) != OpStatus::kNotFound;
    benchmark::DoNotOptimize(value.data());
    if (++i == kKeys) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
  if (wrong) state.SkipWithError("an absent key was found");
  CheckSize(state, t);
}
BENCHMARK(BM_TableGetMiss);

// SET of a present key with a value of the same size: rewritten in place.
void BM_TableOverwrite(benchmark::State& state) {
  Table& t = SharedTable();
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(strings::Set(*t.db, t.present[i], t.value, {}).status);
    if (++i == kKeys) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
  CheckSize(state, t);
}
BENCHMARK(BM_TableOverwrite);

void BM_TableInsert(benchmark::State& state) {
  Table& t = SharedTable();
  size_t next = 0;
  double timed = 0;
  for (auto _ : state) {
    const std::string* batch = &t.absent[next];
    auto start = std::chrono::steady_clock::now();
    for (size_t k = 0; k < kBatch; ++k) {
      benchmark::DoNotOptimize(strings::Set(*t.db, batch[k], t.value, {}).status);
    }
    double seconds = Seconds(std::chrono::steady_clock::now() - start);
    state.SetIterationTime(seconds);
    timed += seconds;
    for (size_t k = 0; k < kBatch; ++k) keys::Delete(*t.db, batch[k]);
    next = (next + kBatch) % kKeys;
  }
  ReportPerOp(state, timed, state.iterations() * kBatch);
  CheckSize(state, t);
}
BENCHMARK(BM_TableInsert)->UseManualTime();

void BM_TableErase(benchmark::State& state) {
  Table& t = SharedTable();
  size_t next = 0;
  double timed = 0;
  size_t wrong = 0;
  for (auto _ : state) {
    const std::string* batch = &t.absent[next];
    for (size_t k = 0; k < kBatch; ++k) strings::Set(*t.db, batch[k], t.value, {});
    auto start = std::chrono::steady_clock::now();
    for (size_t k = 0; k < kBatch; ++k) wrong += !keys::Delete(*t.db, batch[k]);
    double seconds = Seconds(std::chrono::steady_clock::now() - start);
    state.SetIterationTime(seconds);
    timed += seconds;
    next = (next + kBatch) % kKeys;
  }
  ReportPerOp(state, timed, state.iterations() * kBatch);
  if (wrong) state.SkipWithError("DEL did not find a key it had just set");
  CheckSize(state, t);
}
BENCHMARK(BM_TableErase)->UseManualTime();

// Adds a batch of keys with deadlines spread over the next second.
void AddExpiringBatch(Table& t, size_t first) {
  strings::SetOptions options;
  for (size_t k = 0; k < kBatch; ++k) {
    options.expiry = storage::ExpiryChange::At(t.now_ms + 1 + static_cast<int64_t>(k % 1000));
    strings::Set(*t.db, t.absent[first + k], t.value, options);
  }
}

// Moves the clock in 100 ms steps, as the server's 10 Hz timer does, calling
// ExpireDue at each, until the wheel is empty. Returns the time spent.
double DrainWheel(Table& t) {
  double timed = 0;
  while (t.db->NextExpiryTime() != INT64_MAX) {
    t.now_ms += 100;
    t.store.set_now_ms(t.now_ms);
    auto start = std::chrono::steady_clock::now();
    t.db->ExpireDue(SIZE_MAX);
    timed += Seconds(std::chrono::steady_clock::now() - start);
  }
  return timed;
}

// Keys with a TTL reaching their deadline: the wheel offers each handle
// (handing it down a level when its coarse slot comes due early), and the
// database finds the entry, erases it from the index and frees its chunk.
void BM_DatabaseExpireDue(benchmark::State& state) {
  Table& t = SharedTable();
  size_t next = 0;
  double timed = 0;
  for (auto _ : state) {
    AddExpiringBatch(t, next);
    double seconds = DrainWheel(t);
    state.SetIterationTime(seconds);
    timed += seconds;
    next = (next + kBatch) % kKeys;
  }
  ReportPerOp(state, timed, state.iterations() * kBatch);
  CheckSize(state, t);
}
BENCHMARK(BM_DatabaseExpireDue)->UseManualTime();

// "Cancelling" a deadline. Our wheel holds weak references: DEL (or an
// overwrite without TTL) does nothing to the wheel, and the stale handle is
// dropped when its slot fires, after the arena says its chunk is free. So the
// cost of a cancel is paid here, at firing time, and this is what is timed:
// the DELs themselves are not (BM_TableErase measures DEL).
void BM_DatabaseDropCancelled(benchmark::State& state) {
  Table& t = SharedTable();
  size_t next = 0;
  double timed = 0;
  for (auto _ : state) {
    AddExpiringBatch(t, next);
    for (size_t k = 0; k < kBatch; ++k) keys::Delete(*t.db, t.absent[next + k]);
    double seconds = DrainWheel(t);
    state.SetIterationTime(seconds);
    timed += seconds;
    next = (next + kBatch) % kKeys;
  }
  ReportPerOp(state, timed, state.iterations() * kBatch);
  CheckSize(state, t);
}
// The untimed SETs and DELs take about 50 times the timed part: a fixed
// minimum of timed work keeps the run to about a second.
BENCHMARK(BM_DatabaseDropCancelled)->UseManualTime()->MinTime(0.02);

}  // namespace
}  // namespace emberkv::bench
