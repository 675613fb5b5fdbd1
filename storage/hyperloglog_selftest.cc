// PFSELFTEST (hyperloglog.h): our own checks of the representation, with
// the failures Redis's self-test reports.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <string_view>

#include "storage/hyperloglog.h"

namespace emberkv::storage::hll {
namespace {

// Register packing: every register takes a random value and gives it back,
// neighbours untouched (values straddle byte boundaries three times in four).
std::string CheckRegisters(std::mt19937_64& rng) {
  constexpr int kCycles = 1000;
  std::string dense(kDenseSize - kHeaderSize, '\0');
  auto* registers = reinterpret_cast<uint8_t*>(dense.data());
  uint8_t expected[kRegisters];
  for (int cycle = 0; cycle < kCycles; ++cycle) {
    for (uint32_t i = 0; i < kRegisters; ++i) {
      expected[i] = static_cast<uint8_t>(rng() & kMaxRegisterValue);
      SetDenseRegister(registers, i, expected[i]);
    }
    for (uint32_t i = 0; i < kRegisters; ++i) {
      uint8_t got = DenseRegister(registers, i);
      if (got != expected[i]) {
        return "TESTFAILED Register error at " + std::to_string(i) + ": " + std::to_string(got);
      }
    }
  }
  return {};
}

// The estimator: one HLL that starts sparse (and turns dense as it grows,
// at the default hll-sparse-max-bytes) and one dense from the start take
// the same elements; at 10, 100, ... 10^7 both must give the same count,
// within six standard errors (1.04 / sqrt(16384) each) of the truth.
std::string CheckEstimates(std::mt19937_64& rng) {
  std::string sparse = Empty();
  std::string dense = Empty();
  ToDense(&dense);
  const double relative_error = 1.04 / std::sqrt(static_cast<double>(kRegisters));
  const uint64_t seed = rng();
  uint64_t checkpoint = 10;
  for (uint64_t n = 1; n <= 10'000'000; ++n) {
    uint64_t element = n ^ seed;
    Hashed h = Hash(std::string_view(reinterpret_cast<const char*>(&element), sizeof(element)));
    Raise(&sparse, h.index, h.count, kDefaultSparseMaxBytes);
    Raise(&dense, h.index, h.count, kDefaultSparseMaxBytes);
    if (n != checkpoint) continue;
    uint64_t from_sparse = Count(sparse), from_dense = Count(dense);
    if (from_sparse != from_dense) {
      return "TESTFAILED Sparse and dense estimates differ. card:" + std::to_string(n) +
             " sparse:" + std::to_string(from_sparse) + " dense:" + std::to_string(from_dense);
    }
    uint64_t error = from_dense > n ? from_dense - n : n - from_dense;
    // Ten elements can collide in a register often enough that more than
    // one off would fail now and then by chance alone.
    uint64_t most = n == 10 ? 1 : static_cast<uint64_t>(std::ceil(relative_error * 6 * n));
    if (error > most) {
      return "TESTFAILED Too big error. card:" + std::to_string(n) +
             " abserr:" + std::to_string(error);
    }
    checkpoint *= 10;
  }
  return {};
}

}  // namespace

std::string SelfTest() {
  std::mt19937_64 rng(std::random_device{}());
  std::string failure = CheckRegisters(rng);
  if (failure.empty()) failure = CheckEstimates(rng);
  return failure;
}

}  // namespace emberkv::storage::hll
