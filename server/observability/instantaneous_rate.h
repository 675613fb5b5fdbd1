// A per-second rate of a counter over the last couple of seconds, as Redis's
// instantaneous_ops_per_sec: the counter is sampled every 100 ms (from the
// worker's timer) and the rate is the mean of the last 16 samples' rates.
//
// Thread safety: one loop samples (its own counters); any thread reads
// PerSecond(), which is published as an atomic when a sample is taken.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace emberkv::server {

class InstantaneousRate {
 public:
  static constexpr int64_t kPeriodMs = 100;
  static constexpr size_t kSamples = 16;

  // Takes a sample of `counter` at `now_ms` if a period has passed since the
  // last one.
  void Sample(uint64_t counter, int64_t now_ms) {
    if (last_ms_ == 0) {
      last_ms_ = now_ms;
      last_counter_ = counter;
      return;
    }
    int64_t elapsed = now_ms - last_ms_;
    if (elapsed < kPeriodMs) return;
    rates_[next_ % kSamples] =
        static_cast<double>(counter - last_counter_) * 1000.0 / static_cast<double>(elapsed);
    ++next_;
    last_ms_ = now_ms;
    last_counter_ = counter;
    size_t n = next_ < kSamples ? next_ : kSamples;
    double sum = 0;
    for (size_t i = 0; i < n; ++i) sum += rates_[i];
    per_second_.store(sum / static_cast<double>(n), std::memory_order_relaxed);
  }

  // Per second, over the samples taken so far (at most kSamples).
  double PerSecond() const { return per_second_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> per_second_{0};
  std::array<double, kSamples> rates_{};
  size_t next_ = 0;
  int64_t last_ms_ = 0;
  uint64_t last_counter_ = 0;
};

}  // namespace emberkv::server
