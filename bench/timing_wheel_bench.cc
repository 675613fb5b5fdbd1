// The timing wheel on its own (storage/timing_wheel.h): scheduling a
// deadline, expiring it, and what "cancelling" costs in our design.
//
// The wheel holds weak references, so there is no cancel operation: when a
// key is deleted or its deadline removed, its handle stays in the wheel and
// is dropped when its slot fires and the owner sees that the entry is gone.
// BM_WheelFireCancelled measures that drop, which is where a cancel's cost
// is paid. Here the owner's check is a flag per handle standing in for the
// arena's IsLiveChunk; table_bench.cc has the same paths through a real
// Database (BM_DatabaseExpireDue, BM_DatabaseDropCancelled).
//
// Everything is timed in batches of 10,000 handles; ns_per_op is per handle.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>
#include <vector>

#include "storage/timing_wheel.h"

namespace emberkv::bench {
namespace {

using storage::Handle;
using storage::TimingWheel;

constexpr size_t kBatch = 10'000;
constexpr int64_t kStartMs = 1'700'000'000'000;

double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

void ReportPerOp(benchmark::State& state, double seconds, size_t ops) {
  state.SetItemsProcessed(static_cast<int64_t>(ops));
  state.counters["ns_per_op"] = ops ? seconds * 1e9 / static_cast<double>(ops) : 0;
}

// Offsets from "now" for a batch, uniform in [1, span_ms].
std::vector<int64_t> RandomOffsets(int64_t span_ms) {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int64_t> offset(1, span_ms);
  std::vector<int64_t> offsets(kBatch);
  for (int64_t& o : offsets) o = offset(rng);
  return offsets;
}

// A wheel with an owner: handle h (1-based) has deadline deadlines[h - 1]
// unless cancelled[h - 1]. Firing does what Database::OnWheelFire does.
struct Owner {
  TimingWheel wheel{kStartMs};
  int64_t now_ms = kStartMs;
  std::vector<int64_t> deadlines = std::vector<int64_t>(kBatch);
  std::vector<char> cancelled = std::vector<char>(kBatch);
  size_t expired = 0;
  size_t dropped = 0;

  void ScheduleBatch(const std::vector<int64_t>& offsets) {
    for (size_t i = 0; i < kBatch; ++i) {
      deadlines[i] = now_ms + offsets[i];
      wheel.Schedule(static_cast<Handle>(i + 1), deadlines[i]);
    }
  }

  // Advances in 100 ms steps (the server's 10 Hz timer) until the wheel is
  // empty; returns the time spent in Advance.
  double Drain() {
    double timed = 0;
    while (wheel.size() > 0) {
      now_ms += 100;
      auto start = std::chrono::steady_clock::now();
      wheel.Advance(now_ms, SIZE_MAX, [this](Handle h) {
        size_t i = h - 1;
        if (cancelled[i]) {
          ++dropped;
        } else if (deadlines[i] > now_ms) {
          wheel.Schedule(h, deadlines[i]);  // a coarse slot came due early: hand it down
        } else {
          ++expired;
        }
      });
      timed += Seconds(std::chrono::steady_clock::now() - start);
    }
    return timed;
  }
};

// Deadlines up to an hour away, as a cache's TTLs are; the batch is cleared
// (untimed) after each round.
void BM_WheelSchedule(benchmark::State& state) {
  const std::vector<int64_t> offsets = RandomOffsets(3'600'000);
  TimingWheel wheel(kStartMs);
  double timed = 0;
  for (auto _ : state) {
    auto start = std::chrono::steady_clock::now();
    for (size_t i = 0; i < kBatch; ++i)
      wheel.Schedule(static_cast<Handle>(i + 1), kStartMs + offsets[i]);
    double seconds = Seconds(std::chrono::steady_clock::now() - start);
    state.SetIterationTime(seconds);
    timed += seconds;
    wheel.Clear();
  }
  ReportPerOp(state, timed, state.iterations() * kBatch);
}
BENCHMARK(BM_WheelSchedule)->UseManualTime();

// Deadlines spread over the next 10 s, all reached: each handle is offered
// once per level it passes through, then expires.
void BM_WheelExpire(benchmark::State& state) {
  const std::vector<int64_t> offsets = RandomOffsets(10'000);
  Owner owner;
  double timed = 0;
  for (auto _ : state) {
    owner.ScheduleBatch(offsets);
    double seconds = owner.Drain();
    state.SetIterationTime(seconds);
    timed += seconds;
  }
  ReportPerOp(state, timed, state.iterations() * kBatch);
  if (owner.expired != state.iterations() * kBatch) state.SkipWithError("not every handle expired");
}
BENCHMARK(BM_WheelExpire)->UseManualTime();

// The same batch, every handle cancelled (its key deleted) before its slot
// fires: the drop at the first firing is the whole cost of the cancel.
void BM_WheelFireCancelled(benchmark::State& state) {
  const std::vector<int64_t> offsets = RandomOffsets(10'000);
  Owner owner;
  std::fill(owner.cancelled.begin(), owner.cancelled.end(), 1);
  double timed = 0;
  for (auto _ : state) {
    owner.ScheduleBatch(offsets);
    double seconds = owner.Drain();
    state.SetIterationTime(seconds);
    timed += seconds;
  }
  ReportPerOp(state, timed, state.iterations() * kBatch);
  if (owner.dropped != state.iterations() * kBatch)
    state.SkipWithError("not every handle was dropped");
}
BENCHMARK(BM_WheelFireCancelled)->UseManualTime();

}  // namespace
}  // namespace emberkv::bench
