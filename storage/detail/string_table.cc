#include "storage/detail/string_table.h"

#include <random>

namespace emberkv::storage::detail {

uint64_t ElementHashSeed() {
  static const uint64_t seed = [] {
    std::random_device device;
    return (static_cast<uint64_t>(device()) << 32) ^ device();
  }();
  return seed;
}

}  // namespace emberkv::storage::detail
