// The one hash of a key, computed once per command and used three ways:
// which shard owns the key (low 32 bits), its tag in the index (low 8 bits)
// and its home chunk (high bits). XXH3 is fast on short keys and well mixed.
#pragma once

#include <xxhash.h>

#include <cstdint>
#include <string_view>

namespace emberkv::storage {

inline uint64_t HashKey(std::string_view key) { return XXH3_64bits(key.data(), key.size()); }

// Maps a hash to one of `shards` shards, independently of the index's bits.
inline uint32_t ShardOf(uint64_t hash, uint32_t shards) {
  return static_cast<uint32_t>((static_cast<uint64_t>(static_cast<uint32_t>(hash >> 8)) * shards) >>
                               32);
}

}  // namespace emberkv::storage
