// What timing every command costs (server/observability/): reading a clock
// twice, and the accounting ObserveCall does per command (counters, one
// histogram bucket, the slow-log and latency-monitor checks).
//
//   BM_ClockGettimePair  two clock_gettime(CLOCK_MONOTONIC), the vDSO way
//   BM_CycleClockPair    two CycleClock::Now() (the timestamp counter)
//   BM_CyclesToTicks     converting a duration to histogram ticks
//   BM_HistogramAdd      LatencyHistogram::Add of varied durations
//   BM_ObserveCall       the whole per-command accounting on a worker
//   BM_TimedCall         CycleClock pair + ObserveCall: what a command pays
//
// Read the CPU column: on a shared machine the wall time includes waiting
// for a core. The server spends a few microseconds of CPU per request (see
// docs/benchmarks.md); BM_TimedCall is what timing adds to that. The engine's
// workers are never started: ObserveCall only touches one worker's counters,
// on the benchmark thread.
#include <benchmark/benchmark.h>
#include <time.h>

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "server/command_table.h"
#include "server/config.h"
#include "server/engine/engine.h"
#include "server/observability/command_observer.h"
#include "server/observability/cycle_clock.h"
#include "server/observability/latency_histogram.h"

namespace emberkv::bench {
namespace {

using server::CycleClock;

void BM_ClockGettimePair(benchmark::State& state) {
  for (auto _ : state) {
    timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    benchmark::ClobberMemory();
    clock_gettime(CLOCK_MONOTONIC, &b);
    benchmark::DoNotOptimize(b.tv_nsec - a.tv_nsec);
  }
}
BENCHMARK(BM_ClockGettimePair);

void BM_CycleClockPair(benchmark::State& state) {
  for (auto _ : state) {
    uint64_t start = CycleClock::Now();
    benchmark::ClobberMemory();
    benchmark::DoNotOptimize(CycleClock::Now() - start);
  }
}
BENCHMARK(BM_CycleClockPair);

void BM_CyclesToTicks(benchmark::State& state) {
  uint64_t cycles = 1500;
  for (auto _ : state) {
    benchmark::DoNotOptimize(server::CyclesToTicks(cycles));
    cycles += 7;
  }
}
BENCHMARK(BM_CyclesToTicks);

void BM_HistogramAdd(benchmark::State& state) {
  auto histogram = std::make_unique<server::LatencyHistogram>();
  uint64_t ticks = 20;
  for (auto _ : state) {
    histogram->Add(ticks);
    benchmark::ClobberMemory();
    ticks = (ticks * 13 + 7) & 0xfff;  // 0 to 64 us, all over the buckets
  }
  benchmark::DoNotOptimize(histogram->count());
}
BENCHMARK(BM_HistogramAdd);

server::Engine& IdleEngine() {
  static server::Engine engine([] {
    server::ServerConfig config;
    config.threads = 1;
    return config;
  }());
  return engine;
}

void BM_ObserveCall(benchmark::State& state) {
  server::Engine& engine = IdleEngine();
  server::Worker& worker = engine.worker(0);
  const server::CommandSpec& get = *server::CommandTable::Get().Find("get");
  std::vector<std::string_view> args = {"GET", "key:000000042"};
  server::ClientLabel client{"127.0.0.1:50000", ""};
  uint64_t cycles = 1500;
  for (auto _ : state) {
    server::ObserveCall(worker, get, args, client, cycles, "$5\r\nvalue\r\n");
    cycles = 1000 + (cycles * 13 + 7) % 3000;
  }
}
BENCHMARK(BM_ObserveCall);

void BM_TimedCall(benchmark::State& state) {
  server::Engine& engine = IdleEngine();
  server::Worker& worker = engine.worker(0);
  const server::CommandSpec& get = *server::CommandTable::Get().Find("get");
  std::vector<std::string_view> args = {"GET", "key:000000042"};
  server::ClientLabel client{"127.0.0.1:50000", ""};
  for (auto _ : state) {
    uint64_t start = CycleClock::Now();
    benchmark::ClobberMemory();  // the command would run here
    server::ObserveCall(worker, get, args, client, CycleClock::Now() - start, "$5\r\nvalue\r\n");
  }
}
BENCHMARK(BM_TimedCall);

}  // namespace
}  // namespace emberkv::bench
