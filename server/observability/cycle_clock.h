// A cheap clock for timing commands: the CPU's timestamp counter.
//
// Two clock_gettime calls per command cost 40-100 ns in a VM (the vDSO reads
// the clock source and scales it); reading the timestamp counter is one
// instruction. Durations are kept in counter cycles on the data path and
// converted with a rate measured against CLOCK_MONOTONIC_RAW: measured
// lazily, at the first conversion, from the process's first reading, and
// refined by Refine() (the workers' timers call it) over an ever longer span,
// so the rate only gets more exact. Where the counter is not invariant (or
// not x86), the clock falls back to clock_gettime and a cycle is a
// nanosecond.
//
// bench/command_timing_bench.cc compares the costs.
//
// Thread safety: everything here may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

namespace emberkv::server {

class CycleClock {
 public:
  // The counter now. Not ordered with the surrounding instructions, which is
  // fine at the scale of a command (hundreds of cycles).
  static uint64_t Now() {
#if defined(__x86_64__)
    if (uses_tsc_) return __rdtsc();
#endif
    return MonotonicNs();
  }

  // Nanoseconds per cycle: measured at the first call (which waits, once,
  // until at least 100 us have passed since Start()), then refined.
  static double NsPerCycle() {
    double rate = ns_per_cycle_.load(std::memory_order_relaxed);
    return rate > 0 ? rate : Calibrate();
  }
  static double ToNs(uint64_t cycles) { return static_cast<double>(cycles) * NsPerCycle(); }
  static double ToSeconds(uint64_t cycles) { return ToNs(cycles) * 1e-9; }

  // Takes the first reading (the baseline of the rate). Called at start-up;
  // harmless later.
  static void Start();
  // Re-measures the rate over the whole time since Start(); cheap (one
  // clock_gettime), for a periodic timer.
  static void Refine();

  static bool uses_tsc() { return uses_tsc_; }
  static uint64_t MonotonicNs();

 private:
  static double Calibrate();

  static bool uses_tsc_;  // decided before main() runs, read-only afterwards
  // Replaced by better estimates from any thread; a relaxed load of an
  // atomic double is a plain load on x86.
  static std::atomic<double> ns_per_cycle_;
};

}  // namespace emberkv::server
