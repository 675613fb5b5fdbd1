// A per-second rate of a counter over the last couple of seconds, as Redis's
// instantaneous_ops_per_sec: the counter is sampled every 100 ms (from the
// worker's timer) and the rate is the mean of the last 16 samples' rates.
//
// Thread safety: none; each worker samples its own counters.
#pragma once

#include <array>
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
    rates_[next_ % kSamples] = static_cast<double>(counter - last_counter_) * 1000.0 / static_cast<double>(elapsed);
    ++next_;
    last_ms_ = now_ms;
    last_counter_ = counter;
  }

  // Per second, over the samples taken so far (at most kSamples).
  double PerSecond() const {
    size_t n = next_ < kSamples ? next_ : kSamples;
    if (n == 0) return 0;
    double sum = 0;
    for (size_t i = 0; i < n; ++i) sum += rates_[i];
    return sum / static_cast<double>(n);
  }

 private:
  std::array<double, kSamples> rates_{};
  size_t next_ = 0;
  int64_t last_ms_ = 0;
  uint64_t last_counter_ = 0;
};

}  // namespace emberkv::server
