#include "server/observability/latency_histogram.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <random>

using emberkv::server::LatencyHistogram;
using emberkv::server::LazyLatencyHistogram;

TEST_CASE("every tick count falls in the bucket that spans it") {
  for (uint64_t ticks = 0; ticks < 200000; ++ticks) {
    size_t bucket = LatencyHistogram::BucketOf(ticks);
    REQUIRE(bucket < LatencyHistogram::kBuckets);
    REQUIRE(ticks < LatencyHistogram::BucketEnd(bucket));
    if (bucket > 0) REQUIRE(ticks >= LatencyHistogram::BucketEnd(bucket - 1));
  }
  std::mt19937_64 random(7);
  for (int i = 0; i < 100000; ++i) {
    uint64_t ticks = random() >> (random() % 64);
    size_t bucket = LatencyHistogram::BucketOf(ticks);
    REQUIRE(bucket < LatencyHistogram::kBuckets);
    if (ticks <= LatencyHistogram::kMaxTicks) {
      REQUIRE(ticks < LatencyHistogram::BucketEnd(bucket));
      if (bucket > 0) REQUIRE(ticks >= LatencyHistogram::BucketEnd(bucket - 1));
    } else {
      REQUIRE(bucket == LatencyHistogram::kBuckets - 1);
    }
  }
}

TEST_CASE("buckets are at most 1/16 of their values wide") {
  for (size_t bucket = 17; bucket < LatencyHistogram::kBuckets; ++bucket) {
    uint64_t begin = LatencyHistogram::BucketEnd(bucket - 1);
    uint64_t end = LatencyHistogram::BucketEnd(bucket);
    REQUIRE(end > begin);
    REQUIRE((end - begin) * 16 <= begin);
  }
}

TEST_CASE("powers of two of a microsecond are bucket boundaries") {
  // 0.25 us = 16 ticks up to 2^29 us: what /metrics and LATENCY HISTOGRAM use.
  for (int log2 = 4; log2 < LatencyHistogram::kMaxBits; ++log2) {
    uint64_t boundary = uint64_t{1} << log2;
    size_t bucket = LatencyHistogram::BucketOf(boundary);
    REQUIRE(LatencyHistogram::BucketEnd(bucket - 1) == boundary);
  }
}

TEST_CASE("counts below a boundary and percentiles") {
  LatencyHistogram h;
  REQUIRE(h.Percentile(50) == 0);
  // 1 us, 2 us, ... 100 us.
  for (uint64_t us = 1; us <= 100; ++us) h.Add(us * LatencyHistogram::kTicksPerMicrosecond);
  REQUIRE(h.count() == 100);
  REQUIRE(h.CountBelow(64 * 64) == 63);  // below 64 us: 1..63
  REQUIRE(h.CountBelow(128 * 64) == 100);
  REQUIRE(h.CountBelow(1) == 0);
  // The 50th value is 50 us; its bucket's end is within 1/16 above.
  double p50_us = static_cast<double>(h.Percentile(50)) / 64;
  REQUIRE(p50_us > 50);
  REQUIRE(p50_us <= 50 * (1 + 1.0 / 16));
  double p99_us = static_cast<double>(h.Percentile(99)) / 64;
  REQUIRE(p99_us > 99);
  REQUIRE(p99_us <= 99 * (1 + 1.0 / 16));
  REQUIRE(h.Percentile(100) >= 100 * 64);
}

TEST_CASE("merging adds counts bucket by bucket") {
  LatencyHistogram a, b;
  a.Add(10);
  a.Add(1000);
  b.Add(1000);
  b.Add(LatencyHistogram::kMaxTicks * 4);  // clamped into the last bucket
  a.Merge(b);
  REQUIRE(a.count() == 4);
  REQUIRE(a.bucket(LatencyHistogram::BucketOf(1000)) == 2);
  REQUIRE(a.bucket(LatencyHistogram::kBuckets - 1) == 1);
}

TEST_CASE("a lazy histogram exists only once used, and Reset keeps it for readers") {
  LazyLatencyHistogram lazy;
  REQUIRE(lazy.get() == nullptr);
  lazy.Add(100);
  const LatencyHistogram* seen = lazy.get();
  REQUIRE(seen != nullptr);
  REQUIRE(seen->count() == 1);
  // A reader on another loop may hold what get() returned: Reset zeroes the
  // histogram in place rather than freeing it.
  lazy.Reset();
  REQUIRE(lazy.get() == seen);
  REQUIRE(seen->count() == 0);
  lazy.Add(100);
  REQUIRE(seen->count() == 1);
}

TEST_CASE("a histogram copied while it is added to is never torn") {
  LatencyHistogram histogram;
  for (int i = 0; i < 1000; ++i) histogram.Add(static_cast<uint64_t>(i));
  LatencyHistogram copy = histogram;
  REQUIRE(copy.count() == 1000);
  uint64_t total = 0;
  for (size_t b = 0; b < LatencyHistogram::kBuckets; ++b) total += copy.bucket(b);
  REQUIRE(total == 1000);
}
