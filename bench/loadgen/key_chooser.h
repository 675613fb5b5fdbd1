// Which key each request uses: uniform over the key space, or Zipf-skewed
// (key number 0 the most popular, then 1, ...), with a fast generator of our
// own so that choosing a key costs a few nanoseconds.
//
// Thread safety: none; each load generator thread has its own chooser.
#pragma once

#include <cstdint>

#include "bench/loadgen/options.h"

namespace emberkv::loadgen {

// SplitMix64: 64 bits of state, passes BigCrush, and seeds cheaply.
class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n).
  uint64_t Below(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * n) >> 64);
  }
  // Uniform in [0, 1).
  double Unit() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

 private:
  uint64_t state_;
};

// Zipf over {0, ..., n-1} with P(k) proportional to 1/(k+1)^s, by
// rejection-inversion (W. Hörmann and G. Derflinger, "Rejection-inversion to
// generate variates from monotone discrete distributions", 1996): constant
// time per sample and no table, whatever n is.
class ZipfSampler {
 public:
  ZipfSampler(uint64_t n, double exponent);
  uint64_t Sample(Random& random) const;

 private:
  // H is an antiderivative of h(x) = x^-s; HInverse its inverse.
  double H(double x) const;
  double HInverse(double y) const;
  double h(double x) const;

  uint64_t n_;
  double s_;
  double h_integral_x1_;  // H(1.5) - h(1)
  double h_integral_n_;   // H(n + 0.5)
  double squeeze_;        // accepts most samples without evaluating H
};

class KeyChooser {
 public:
  KeyChooser(const Options& options, uint64_t seed);
  uint64_t Next();
  // Whether the next request is a GET (else a SET).
  bool NextIsGet() { return random_.Unit() < get_ratio_; }

 private:
  Random random_;
  uint64_t keys_;
  bool zipf_;
  double get_ratio_;
  ZipfSampler sampler_;
};

}  // namespace emberkv::loadgen
