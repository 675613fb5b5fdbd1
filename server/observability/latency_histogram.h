// A histogram of command durations with log-linear buckets, cheap enough to
// update on every command.
//
// Durations are counted in ticks of 1/64 µs (15.6 ns). Below 16 ticks every
// tick has its own bucket; above, each power of two is split into 16 equal
// buckets, so a bucket is at most 1/16 (6.25%) of its values wide, from
// nanoseconds up to kMaxTicks (about 18 minutes; longer durations land in the
// last bucket). Every power of two of microseconds (0.25 µs, 0.5 µs, 1 µs,
// 2 µs, ...) is a bucket boundary, so the power-of-two buckets of Prometheus
// (emberkv_command_duration_seconds) and of LATENCY HISTOGRAM are exact.
//
// One histogram is about 4 KB: a worker creates one per command on the
// command's first call there (LazyLatencyHistogram), so an idle server has
// none.
//
// Thread safety: none; a histogram belongs to one worker, and figures are
// merged into a copy when someone asks.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace emberkv::server {

class LatencyHistogram {
 public:
  static constexpr uint64_t kTicksPerMicrosecond = 64;
  static constexpr int kSubBits = 4;  // 16 buckets per power of two
  static constexpr int kMaxBits = 36;
  static constexpr uint64_t kMaxTicks = (uint64_t{1} << kMaxBits) - 1;
  static constexpr size_t kBuckets = ((kMaxBits - kSubBits) + 1) << kSubBits;

  // The bucket a duration of `ticks` falls in.
  static size_t BucketOf(uint64_t ticks) {
    if (ticks > kMaxTicks) ticks = kMaxTicks;
    if (ticks < (uint64_t{1} << kSubBits)) return static_cast<size_t>(ticks);
    int msb = 63 - __builtin_clzll(ticks);
    int shift = msb - kSubBits;
    return (static_cast<size_t>(shift + 1) << kSubBits) +
           static_cast<size_t>((ticks >> shift) & ((uint64_t{1} << kSubBits) - 1));
  }
  // The first tick count above bucket `index` (its exclusive upper bound).
  static uint64_t BucketEnd(size_t index);

  void Add(uint64_t ticks) {
    ++buckets_[BucketOf(ticks)];
    ++count_;
  }
  void Merge(const LatencyHistogram& other);
  void Clear() { *this = LatencyHistogram(); }

  uint64_t count() const { return count_; }
  uint64_t bucket(size_t index) const { return buckets_[index]; }

  // Durations shorter than `ticks` (exact when `ticks` is a bucket boundary,
  // as every power of two of microseconds is).
  uint64_t CountBelow(uint64_t ticks) const;
  // The duration below which `percentile`% of the durations fall, in ticks:
  // the upper bound of the bucket holding that rank (0 when empty).
  uint64_t Percentile(double percentile) const;

 private:
  std::array<uint64_t, kBuckets> buckets_{};
  uint64_t count_ = 0;
};

// A histogram created by its first Add(). Copies copy the figures (so that
// counters holding one stay copyable); a default one is a null pointer.
class LazyLatencyHistogram {
 public:
  LazyLatencyHistogram() = default;
  LazyLatencyHistogram(const LazyLatencyHistogram& other)
      : histogram_(other.histogram_ ? std::make_unique<LatencyHistogram>(*other.histogram_) : nullptr) {}
  LazyLatencyHistogram& operator=(const LazyLatencyHistogram& other) {
    if (this != &other) *this = LazyLatencyHistogram(other);
    return *this;
  }
  LazyLatencyHistogram(LazyLatencyHistogram&&) noexcept = default;
  LazyLatencyHistogram& operator=(LazyLatencyHistogram&&) noexcept = default;

  void Add(uint64_t ticks) {
    if (!histogram_) [[unlikely]] histogram_ = std::make_unique<LatencyHistogram>();
    histogram_->Add(ticks);
  }
  // Null until the first Add().
  const LatencyHistogram* get() const { return histogram_.get(); }

 private:
  std::unique_ptr<LatencyHistogram> histogram_;
};

}  // namespace emberkv::server
