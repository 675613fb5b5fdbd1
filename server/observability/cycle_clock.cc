#include "server/observability/cycle_clock.h"

#include <time.h>

#include <cstdint>

#if defined(__x86_64__)
#include <sys/platform/x86.h>
#endif

#include <mutex>

namespace emberkv::server {
namespace {

// The counter is usable when it ticks at a constant rate in every power state
// and on every core ("invariant TSC", CPUID leaf 0x80000007, EDX bit 8).
// glibc has read the CPUID leaves before main(); asking it costs nothing,
// while executing CPUID again traps to the hypervisor in a VM (tens of
// microseconds each here, paid at every start).
bool HasInvariantTsc() {
#if defined(__x86_64__)
  return CPU_FEATURE_PRESENT(INVARIANT_TSC);
#else
  return false;
#endif
}

// One reading of both clocks at (nearly) the same instant.
struct Reading {
  uint64_t cycles;
  uint64_t ns;
};

// The thread may be preempted between the two reads, and a reading taken
// across a preemption would skew the rate by the length of the preemption
// (a millisecond against a span of 100 us: tenfold). So the clock is read
// between two counter reads, and a reading whose counter reads lie further
// apart than a clock read can take is taken again.
Reading ReadBothClocks() {
  constexpr uint64_t kMaxGapCycles = 20000;  // ~10 us at 2 GHz; a vDSO clock read takes < 1 us
  Reading best{};
  uint64_t best_gap = UINT64_MAX;
  for (int attempt = 0; attempt < 16 && best_gap > kMaxGapCycles; ++attempt) {
    uint64_t before = CycleClock::Now();
    uint64_t ns = CycleClock::MonotonicNs();
    uint64_t after = CycleClock::Now();
    uint64_t gap = after - before;
    if (gap < best_gap) {
      best_gap = gap;
      best = {before + gap / 2, ns};
    }
  }
  return best;
}

// The baseline: one reading of both clocks, taken once.
std::once_flag baseline_once;
Reading baseline;

const Reading& GetBaseline() {
  std::call_once(baseline_once, [] { baseline = ReadBothClocks(); });
  return baseline;
}

// The rate over [baseline, now]; 0 when too little time has passed to tell.
double MeasureRate(uint64_t min_span_ns) {
  const Reading& base = GetBaseline();
  Reading now = ReadBothClocks();
  if (now.ns - base.ns < min_span_ns || now.cycles <= base.cycles) return 0;
  return static_cast<double>(now.ns - base.ns) / static_cast<double>(now.cycles - base.cycles);
}

}  // namespace

bool CycleClock::uses_tsc_ = HasInvariantTsc();
std::atomic<double> CycleClock::ns_per_cycle_{0};

uint64_t CycleClock::MonotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ULL + static_cast<uint64_t>(ts.tv_nsec);
}

void CycleClock::Start() {
  GetBaseline();
  if (!uses_tsc_) ns_per_cycle_.store(1.0, std::memory_order_relaxed);
}

double CycleClock::Calibrate() {
  if (!uses_tsc_) {
    ns_per_cycle_.store(1.0, std::memory_order_relaxed);
    return 1.0;
  }
  // 100 us against a clock read to ~50 ns: within 1e-3 at once, which is
  // finer than a latency histogram's buckets, and Refine() improves on it
  // from 10 ms on. The span is short because the first command converts a
  // duration and waits here: a longer one delayed the first PONG after
  // start-up (issue 7 counts exec to first PONG in milliseconds).
  constexpr uint64_t kMinSpanNs = 100000;
  double rate;
  while ((rate = MeasureRate(kMinSpanNs)) == 0) {
  }
  double expected = 0;
  // Another thread may have calibrated meanwhile: keep the first result.
  ns_per_cycle_.compare_exchange_strong(expected, rate, std::memory_order_relaxed);
  return ns_per_cycle_.load(std::memory_order_relaxed);
}

void CycleClock::Refine() {
  if (!uses_tsc_) return;
  // Only from 10 ms on: a shorter span would not beat the first estimate.
  if (double rate = MeasureRate(10000000); rate > 0)
    ns_per_cycle_.store(rate, std::memory_order_relaxed);
}

}  // namespace emberkv::server
