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
// Thread safety: one thread adds (the loop that runs the command), any
// thread reads or copies: the buckets are relaxed atomics, updated with a
// plain load and store by their one writer. A copy taken while the writer
// adds may be off by the adds in flight, never torn.
#pragma once

#include <array>
#include <atomic>
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

  LatencyHistogram() = default;
  LatencyHistogram(const LatencyHistogram& other) { Merge(other); }
  LatencyHistogram& operator=(const LatencyHistogram& other) {
    if (this != &other) {
      Clear();
      Merge(other);
    }
    return *this;
  }

  void Add(uint64_t ticks) {
    Bump(buckets_[BucketOf(ticks)], 1);
    Bump(count_, 1);
  }
  void Merge(const LatencyHistogram& other);
  void Clear();

  uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  uint64_t bucket(size_t index) const { return buckets_[index].load(std::memory_order_relaxed); }

  // Durations shorter than `ticks` (exact when `ticks` is a bucket boundary,
  // as every power of two of microseconds is).
  uint64_t CountBelow(uint64_t ticks) const;
  // The duration below which `percentile`% of the durations fall, in ticks:
  // the upper bound of the bucket holding that rank (0 when empty).
  uint64_t Percentile(double percentile) const;

 private:
  static void Bump(std::atomic<uint64_t>& counter, uint64_t n) {
    counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }

  std::array<std::atomic<uint64_t>, kBuckets> buckets_{};
  std::atomic<uint64_t> count_{0};
};

// A histogram created by its first Add(), so an idle server has none. Once
// created it stays until the owner goes (Reset zeroes it), so a reader on
// another thread may use what get() returned.
class LazyLatencyHistogram {
 public:
  LazyLatencyHistogram() = default;
  ~LazyLatencyHistogram() { delete histogram_.load(std::memory_order_acquire); }
  LazyLatencyHistogram(const LazyLatencyHistogram&) = delete;
  LazyLatencyHistogram& operator=(const LazyLatencyHistogram&) = delete;

  void Add(uint64_t ticks) {
    LatencyHistogram* histogram = histogram_.load(std::memory_order_relaxed);
    if (!histogram) [[unlikely]] {
      histogram = new LatencyHistogram();
      histogram_.store(histogram, std::memory_order_release);
    }
    histogram->Add(ticks);
  }
  void Reset() {
    if (LatencyHistogram* histogram = histogram_.load(std::memory_order_acquire))
      histogram->Clear();
  }
  // Null until the first Add().
  const LatencyHistogram* get() const { return histogram_.load(std::memory_order_acquire); }

 private:
  std::atomic<LatencyHistogram*> histogram_{nullptr};
};

}  // namespace emberkv::server
