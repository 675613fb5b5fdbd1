#include "base/bit_count.h"

#include <cstring>

namespace emberkv::base {
namespace {

uint64_t LoadBigEndian(const uint8_t* p) {
  uint64_t word;
  std::memcpy(&word, p, sizeof(word));
  return __builtin_bswap64(word);
}

}  // namespace

// GCC builds this loop once per target and picks the best at load time: the
// default build has no POPCNT instruction, and __builtin_popcountll without
// it is a library call per word (about 4x slower on a long bitmap).
//
// Not under ThreadSanitizer: the resolver that picks a clone runs while the
// dynamic loader relocates the program, before the sanitizer's runtime is
// set up, and, instrumented, crashes there (every TSan binary that linked
// this file died at start).
#if defined(__SANITIZE_THREAD__)
#define EMBERKV_POPCOUNT_CLONES
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define EMBERKV_POPCOUNT_CLONES
#endif
#endif
#ifndef EMBERKV_POPCOUNT_CLONES
#define EMBERKV_POPCOUNT_CLONES __attribute__((target_clones("avx2", "popcnt", "default")))
#endif

EMBERKV_POPCOUNT_CLONES uint64_t PopCount(const uint8_t* data, size_t size) {
  uint64_t count = 0;
  size_t i = 0;
  // Four independent sums: the CPU runs the popcounts side by side.
  uint64_t c0 = 0, c1 = 0, c2 = 0, c3 = 0;
  for (; i + 32 <= size; i += 32) {
    uint64_t w[4];
    std::memcpy(w, data + i, sizeof(w));
    c0 += static_cast<uint64_t>(__builtin_popcountll(w[0]));
    c1 += static_cast<uint64_t>(__builtin_popcountll(w[1]));
    c2 += static_cast<uint64_t>(__builtin_popcountll(w[2]));
    c3 += static_cast<uint64_t>(__builtin_popcountll(w[3]));
  }
  count = c0 + c1 + c2 + c3;
  for (; i + 8 <= size; i += 8) {
    uint64_t w;
    std::memcpy(&w, data + i, sizeof(w));
    count += static_cast<uint64_t>(__builtin_popcountll(w));
  }
  for (; i < size; ++i) count += static_cast<uint64_t>(__builtin_popcount(data[i]));
  return count;
}

int64_t FindFirstBit(const uint8_t* data, size_t size, bool bit) {
  // Looking for a 0 is looking for a 1 in the complement.
  const uint64_t flip = bit ? 0 : ~uint64_t{0};
  size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    uint64_t word = LoadBigEndian(data + i) ^ flip;
    if (word) return static_cast<int64_t>(i * 8 + static_cast<size_t>(__builtin_clzll(word)));
  }
  for (; i < size; ++i) {
    uint8_t byte = static_cast<uint8_t>(data[i] ^ static_cast<uint8_t>(flip));
    if (byte) return static_cast<int64_t>(i * 8 + static_cast<size_t>(__builtin_clz(byte) - 24));
  }
  return -1;
}

}  // namespace emberkv::base
