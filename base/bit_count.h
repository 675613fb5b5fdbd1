// Counting and finding bits in byte strings, for the bitmap commands
// (BITCOUNT, BITPOS) and anything else that needs a fast population count.
//
// Bits are numbered as Redis numbers them: bit 0 is the most significant bit
// of byte 0. Pure functions, safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>

namespace emberkv::base {

// The number of set bits in data[0..size). Uses the CPU's POPCNT (or AVX2)
// when it has one, chosen once at load time, whatever the build's -march.
uint64_t PopCount(const uint8_t* data, size_t size);

// The position of the first bit equal to `bit` (0 or 1) in data[0..size),
// or -1 when there is none.
int64_t FindFirstBit(const uint8_t* data, size_t size, bool bit);

}  // namespace emberkv::base
