// A log-linear histogram of latencies in nanoseconds, in the manner of
// HdrHistogram: exact below 256 ns, then 128 buckets per power of two, so a
// reported percentile is within 0.4% of the true value (we report the middle
// of its bucket). Recording is an increment; one histogram is about 60 KiB.
//
// Thread safety: none; each load generator thread has its own, merged at the
// end.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace emberkv::loadgen {

class Histogram {
 public:
  Histogram();

  void Record(uint64_t ns) {
    ++buckets_[BucketOf(ns)];
    ++count_;
    sum_ += ns;
    if (ns > max_) max_ = ns;
  }
  void Merge(const Histogram& other);

  uint64_t count() const { return count_; }
  uint64_t max() const { return max_; }
  double mean() const {
    return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0;
  }
  // The value below which `percent` percent of the recordings lie (0 when empty).
  uint64_t Percentile(double percent) const;

 private:
  static constexpr int kPrecisionBits = 8;  // exact below 2^8, then 2^7 buckets per octave
  static size_t BucketOf(uint64_t ns) {
    if (ns < (uint64_t{1} << kPrecisionBits)) return static_cast<size_t>(ns);
    int top = 63 - __builtin_clzll(ns);
    int shift = top - (kPrecisionBits - 1);
    return (static_cast<size_t>(shift) << (kPrecisionBits - 1)) + static_cast<size_t>(ns >> shift);
  }
  // The middle of bucket `index`'s range of values.
  static uint64_t MiddleOf(size_t index);

  std::vector<uint64_t> buckets_;
  uint64_t count_ = 0;
  uint64_t sum_ = 0;
  uint64_t max_ = 0;
};

}  // namespace emberkv::loadgen
