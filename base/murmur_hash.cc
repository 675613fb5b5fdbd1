#include "base/murmur_hash.h"

#include <bit>
#include <cstring>

namespace emberkv::base {

uint64_t MurmurHash64A(std::string_view data, uint64_t seed) {
  constexpr uint64_t kMultiplier = 0xc6a4a7935bd1e995ULL;
  constexpr int kShift = 47;
  const auto* bytes = reinterpret_cast<const uint8_t*>(data.data());
  const size_t length = data.size();
  // Redis passes the length as an int: the product wraps the same way here
  // for any length a command can carry (below 2^31).
  uint64_t hash = seed ^ (static_cast<uint64_t>(length) * kMultiplier);

  const size_t blocks = length / 8;
  for (size_t i = 0; i < blocks; ++i) {
    uint64_t k;
    std::memcpy(&k, bytes + i * 8, sizeof(k));
    if constexpr (std::endian::native == std::endian::big) k = __builtin_bswap64(k);
    k *= kMultiplier;
    k ^= k >> kShift;
    k *= kMultiplier;
    hash ^= k;
    hash *= kMultiplier;
  }
  const uint8_t* tail = bytes + blocks * 8;
  const size_t rest = length & 7;
  if (rest) {
    for (size_t b = rest; b-- > 0;) hash ^= static_cast<uint64_t>(tail[b]) << (8 * b);
    hash *= kMultiplier;
  }
  hash ^= hash >> kShift;
  hash *= kMultiplier;
  hash ^= hash >> kShift;
  return hash;
}

}  // namespace emberkv::base
