// How large a collection may grow before it leaves its compact encoding:
// Redis's hash-max-listpack-entries and its siblings. CONFIG SET changes them
// while every shard reads them, so they live in one process-wide place as
// relaxed atomics (a plain load on x86). As in Redis, a change applies to
// collections as they next grow; none is converted back.
//
// Thread safety: any thread reads and writes.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace emberkv::storage {

struct EncodingLimits {
  std::atomic<uint64_t> hash_max_listpack_entries{512};
  std::atomic<uint64_t> hash_max_listpack_value{64};
  std::atomic<uint64_t> set_max_intset_entries{512};
  std::atomic<uint64_t> set_max_listpack_entries{128};
  std::atomic<uint64_t> set_max_listpack_value{64};
  std::atomic<uint64_t> zset_max_listpack_entries{128};
  std::atomic<uint64_t> zset_max_listpack_value{64};
};

// The limits every shard uses.
EncodingLimits& encoding_limits();

// Reads one limit.
inline uint64_t Limit(const std::atomic<uint64_t>& limit) {
  return limit.load(std::memory_order_relaxed);
}

// Whether a compact encoding may take `more` bytes beyond the `used` it
// holds. Whatever the settings, one allocation stays under 1 GiB (Redis's
// listpack safety limit): past it the collection converts, so that settings
// of any size cannot overflow a compact encoding's 32-bit offsets.
inline bool CompactMayGrow(size_t used, size_t more) {
  constexpr size_t kSafetyBytes = size_t{1} << 30;
  return more <= kSafetyBytes && used <= kSafetyBytes - more;
}

}  // namespace emberkv::storage
