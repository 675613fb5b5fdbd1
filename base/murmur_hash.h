// MurmurHash64A (Austin Appleby's MurmurHash2, 64-bit version), as Redis's
// HyperLogLog hashes its elements: eight bytes at a time read as little
// endian whatever the machine, so that an HLL built here has the registers
// Redis would give it. Pure, safe from any thread.
#pragma once

#include <cstdint>
#include <string_view>

namespace emberkv::base {

uint64_t MurmurHash64A(std::string_view data, uint64_t seed);

}  // namespace emberkv::base
