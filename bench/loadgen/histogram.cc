#include "bench/loadgen/histogram.h"

#include <algorithm>
#include <cmath>

namespace emberkv::loadgen {

namespace {
constexpr size_t kHalf = size_t{1} << 7;  // buckets per octave above the exact range
}  // namespace

Histogram::Histogram() : buckets_(BucketOf(UINT64_MAX) + 1) {}

void Histogram::Merge(const Histogram& other) {
  for (size_t i = 0; i < buckets_.size(); ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  max_ = std::max(max_, other.max_);
}

uint64_t Histogram::MiddleOf(size_t index) {
  if (index < 2 * kHalf) return index;
  // index = shift * 128 + mantissa, mantissa in [128, 256).
  size_t shift = index / kHalf - 1;
  uint64_t mantissa = index - shift * kHalf;
  uint64_t low = mantissa << shift;
  return low + ((uint64_t{1} << shift) >> 1);
}

uint64_t Histogram::Percentile(double percent) const {
  if (count_ == 0) return 0;
  uint64_t rank = static_cast<uint64_t>(std::ceil(percent / 100.0 * static_cast<double>(count_)));
  rank = std::clamp<uint64_t>(rank, 1, count_);
  uint64_t seen = 0;
  for (size_t i = 0; i < buckets_.size(); ++i) {
    seen += buckets_[i];
    if (seen >= rank) return std::min(MiddleOf(i), max_);
  }
  return max_;
}

}  // namespace emberkv::loadgen
