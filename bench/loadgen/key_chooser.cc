#include "bench/loadgen/key_chooser.h"

#include <algorithm>
#include <cmath>

namespace emberkv::loadgen {
namespace {

// log(1 + x) / x and (exp(x) - 1) / x, accurate near x = 0 where the
// exponent s is close to 1.
double Log1pOverX(double x) {
  return std::abs(x) > 1e-8 ? std::log1p(x) / x : 1 - x / 2 + x * x / 3;
}
double Expm1OverX(double x) {
  return std::abs(x) > 1e-8 ? std::expm1(x) / x : 1 + x / 2 + x * x / 6;
}

}  // namespace

ZipfSampler::ZipfSampler(uint64_t n, double exponent) : n_(n), s_(exponent) {
  h_integral_x1_ = H(1.5) - 1.0;
  h_integral_n_ = H(static_cast<double>(n) + 0.5);
  squeeze_ = 2.0 - HInverse(H(2.5) - h(2.0));
}

double ZipfSampler::h(double x) const { return std::exp(-s_ * std::log(x)); }

// (x^(1-s) - 1) / (1-s), which tends to log(x) as s tends to 1.
double ZipfSampler::H(double x) const {
  double log_x = std::log(x);
  return Expm1OverX((1.0 - s_) * log_x) * log_x;
}

double ZipfSampler::HInverse(double y) const {
  double t = std::max(-1.0, y * (1.0 - s_));
  return std::exp(Log1pOverX(t) * y);
}

uint64_t ZipfSampler::Sample(Random& random) const {
  // Draw from the continuous density bounding h from above, round to the
  // nearest integer, and accept when the integer's probability covers it.
  while (true) {
    double u = h_integral_n_ + random.Unit() * (h_integral_x1_ - h_integral_n_);
    double x = HInverse(u);
    double k = std::floor(x + 0.5);
    k = std::clamp(k, 1.0, static_cast<double>(n_));
    if (k - x <= squeeze_ || u >= H(k + 0.5) - h(k)) return static_cast<uint64_t>(k) - 1;
  }
}

KeyChooser::KeyChooser(const Options& options, uint64_t seed)
    : random_(seed),
      keys_(options.keys),
      zipf_(options.distribution == Distribution::kZipf),
      get_ratio_(options.get_ratio),
      sampler_(options.keys, options.zipf_exponent) {}

uint64_t KeyChooser::Next() { return zipf_ ? sampler_.Sample(random_) : random_.Below(keys_); }

}  // namespace emberkv::loadgen
