// The per-operation cost of the bitmap and HyperLogLog operations (issue 16:
// SETBIT and PFADD), through the storage functions the commands call, and
// the memory of a 10-million-bit bitmap and of an HLL of a million elements
// in our representation (as MEMORY USAGE reports it), as counters.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "storage/bit_ops.h"
#include "storage/hll_ops.h"
#include "storage/key_ops.h"
#include "storage/shard_store.h"

namespace {

// A setup step that must work: a benchmark of a failed write measures nothing.
template <class Result>
void Expect(const Result& result) {
  if (!result.ok()) {
    std::fprintf(stderr, "data_commands_bench: a setup step failed\n");
    std::abort();
  }
}

using namespace emberkv::storage;

constexpr int64_t kMaxBulk = 512LL * 1024 * 1024;
constexpr uint64_t kBitmapBits = 10'000'000;

struct Store {
  ShardStore store{1};
  Database& db = store.db(0);
  Store() { store.set_now_ms(1'000'000); }
};

// Makes `key` a dense HLL (20,000 elements).
void AddDense(Database& db, const Key& key) {
  std::vector<std::string> fill;
  for (int i = 0; i < 20000; ++i) fill.push_back("fill:" + std::to_string(i));
  std::vector<std::string_view> views(fill.begin(), fill.end());
  Expect(hlls::Add(db, key, views));
}

// SETBIT at random offsets of a 10-million-bit bitmap.
void BM_SetBitRandom(benchmark::State& state) {
  Store s;
  Expect(bits::SetBit(s.db, "bitmap", kBitmapBits - 1, true, kMaxBulk));
  std::mt19937_64 rng(1);
  for (auto _ : state) {
    auto r = bits::SetBit(s.db, "bitmap", rng() % kBitmapBits, rng() & 1, kMaxBulk);
    benchmark::DoNotOptimize(r.value);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SetBitRandom);

// SETBIT growing a bitmap from nothing, one bit after the other.
void BM_SetBitAppend(benchmark::State& state) {
  Store s;
  uint64_t offset = 0;
  for (auto _ : state) {
    auto r = bits::SetBit(s.db, "bitmap", offset, true, kMaxBulk);
    benchmark::DoNotOptimize(r.value);
    offset = (offset + 1) % kBitmapBits;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SetBitAppend);

void BM_GetBit(benchmark::State& state) {
  Store s;
  Expect(bits::SetBit(s.db, "bitmap", kBitmapBits - 1, true, kMaxBulk));
  std::mt19937_64 rng(2);
  for (auto _ : state)
    benchmark::DoNotOptimize(bits::GetBit(s.db, "bitmap", rng() % kBitmapBits).value);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_GetBit);

// BITCOUNT of the whole 10-million-bit bitmap (1.25 MB).
void BM_BitCount(benchmark::State& state) {
  Store s;
  std::mt19937_64 rng(3);
  for (int i = 0; i < 100000; ++i)
    Expect(bits::SetBit(s.db, "bitmap", rng() % kBitmapBits, true, kMaxBulk));
  Expect(bits::SetBit(s.db, "bitmap", kBitmapBits - 1, true, kMaxBulk));
  for (auto _ : state) benchmark::DoNotOptimize(bits::BitCount(s.db, "bitmap", std::nullopt).value);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(kBitmapBits / 8));
}
BENCHMARK(BM_BitCount);

// PFADD of one new element: into sparse HLLs (a fresh key each 1000 adds,
// as in a pipeline of small HLLs) and into one dense HLL.
void BM_PfAddSparse(benchmark::State& state) {
  Store s;
  uint64_t i = 0;
  std::string element;
  for (auto _ : state) {
    element = "element:" + std::to_string(i);
    std::string_view view = element;
    auto r = hlls::Add(s.db, "hll:" + std::to_string(i / 1000 % 64), std::span(&view, 1));
    benchmark::DoNotOptimize(r.value);
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PfAddSparse);

void BM_PfAddDense(benchmark::State& state) {
  Store s;
  AddDense(s.db, "hll");
  uint64_t i = 0;
  std::string element;
  for (auto _ : state) {
    element = "element:" + std::to_string(i++);
    std::string_view view = element;
    benchmark::DoNotOptimize(hlls::Add(s.db, "hll", std::span(&view, 1)).value);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PfAddDense);

// PFCOUNT of a dense HLL whose cache a PFADD has just made stale.
void BM_PfCountStale(benchmark::State& state) {
  Store s;
  AddDense(s.db, "hll");
  uint64_t i = 0;
  std::string element;
  for (auto _ : state) {
    // A new element that raises a register most of the time.
    do {
      element = "again:" + std::to_string(i++);
      std::string_view view = element;
      if (hlls::Add(s.db, "hll", std::span(&view, 1)).value) break;
    } while (true);
    benchmark::DoNotOptimize(hlls::Count(s.db, "hll").value);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PfCountStale);

// The memory of the structures of issue 16's target, as MEMORY USAGE
// reports it: a 10-million-bit bitmap made by one SETBIT of its last bit and
// by SETBIT of every bit in order, and an HLL of a million elements.
void BM_Memory(benchmark::State& state) {
  Store s;
  Expect(bits::SetBit(s.db, "one-setbit", kBitmapBits - 1, true, kMaxBulk));
  for (uint64_t b = 0; b < kBitmapBits; b += 1)
    Expect(bits::SetBit(s.db, "in-order", b, true, kMaxBulk));
  std::vector<std::string> elements;
  for (int i = 0; i < 1000; ++i) elements.push_back(std::string());
  for (int batch = 0; batch < 1000; ++batch) {
    for (int i = 0; i < 1000; ++i) elements[i] = "m:" + std::to_string(batch * 1000 + i);
    std::vector<std::string_view> views(elements.begin(), elements.end());
    Expect(hlls::Add(s.db, "hll", views));
  }
  for (auto _ : state) benchmark::DoNotOptimize(keys::MemoryUsage(s.db, "hll"));
  state.counters["bitmap_bytes"] = static_cast<double>(*keys::MemoryUsage(s.db, "one-setbit"));
  state.counters["bitmap_in_order_bytes"] =
      static_cast<double>(*keys::MemoryUsage(s.db, "in-order"));
  state.counters["hll_1m_bytes"] = static_cast<double>(*keys::MemoryUsage(s.db, "hll"));
  state.counters["hll_1m_count"] = static_cast<double>(hlls::Count(s.db, "hll").value);
}
BENCHMARK(BM_Memory)->Iterations(1);

}  // namespace
