#include "server/observability/latency_histogram.h"

#include <cmath>

namespace emberkv::server {

uint64_t LatencyHistogram::BucketEnd(size_t index) {
  constexpr size_t kSub = size_t{1} << kSubBits;
  if (index < kSub) return index + 1;
  size_t shift = (index >> kSubBits) - 1;
  uint64_t sub = index & (kSub - 1);
  return (kSub + sub + 1) << shift;
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  for (size_t i = 0; i < kBuckets; ++i) Bump(buckets_[i], other.bucket(i));
  Bump(count_, other.count());
}

void LatencyHistogram::Clear() {
  for (auto& bucket : buckets_) bucket.store(0, std::memory_order_relaxed);
  count_.store(0, std::memory_order_relaxed);
}

uint64_t LatencyHistogram::CountBelow(uint64_t ticks) const {
  uint64_t below = 0;
  for (size_t i = 0; i < kBuckets && BucketEnd(i) <= ticks; ++i) below += bucket(i);
  return below;
}

uint64_t LatencyHistogram::Percentile(double percentile) const {
  const uint64_t total = count();
  if (total == 0) return 0;
  // The rank of the wanted duration, 1-based: the smallest r with
  // r >= count * percentile / 100.
  uint64_t rank = static_cast<uint64_t>(std::ceil(static_cast<double>(total) * percentile / 100.0));
  if (rank < 1) rank = 1;
  if (rank > total) rank = total;
  uint64_t seen = 0;
  for (size_t i = 0; i < kBuckets; ++i) {
    seen += bucket(i);
    if (seen >= rank) return BucketEnd(i);
  }
  return BucketEnd(kBuckets - 1);
}

}  // namespace emberkv::server
