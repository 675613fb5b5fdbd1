// What a shard's memory limit is and what an entry's `access` byte means.
//
// The byte holds either an LRU stamp or an LFU counter, depending on the
// policy (switching policy at run time reinterprets the bytes already there,
// as Redis does with its 24-bit lru field):
//
// * LRU: the value of the shard's 8-bit clock when the entry was last
//   touched. The clock is logical: it ticks once per (entries / 64) entries
//   created, so the entries a full cache holds span a few dozen ticks
//   whatever the write rate, and an age is clock - stamp (mod 256). The
//   eviction sweep visits every entry at least once per revolution and
//   clamps ages to kMaxLruAge; the clock may not run more than
//   kMaxClockLead ticks past the start of the last completed revolution, so
//   an age can never wrap around (the clock stalls instead, for a while).
//   For OBJECT IDLETIME the tracker also remembers when each clock value
//   was last stamped: an entry's idle time is measured from the latest
//   access of any entry with its stamp, so it is never more than the true
//   idle time and equal to it for the entry touched last. (Redis keeps a
//   24-bit seconds clock in every object; one byte per key leaves room for
//   nothing but the stamp.)
// * LFU: Redis's logarithmic counter (lfu-log-factor, new keys start at 5),
//   which the eviction sweep decays by one per lfu-decay-time minutes since
//   its previous visit (probabilistically for fractions of a period), since
//   there is no room for Redis's 16-bit last-decrement time.
//
// Thread safety: none; one per shard.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace emberkv::storage {

enum class EvictionPolicy : uint8_t {
  kNoEviction,
  kAllKeysLru,
  kAllKeysLfu,
  kAllKeysRandom,
  kVolatileLru,
  kVolatileLfu,
  kVolatileRandom,
  kVolatileTtl,
};

// Redis's names ("allkeys-lru", ...), case-sensitive; nullopt if unknown.
std::optional<EvictionPolicy> ParseEvictionPolicy(std::string_view name);
std::string_view EvictionPolicyName(EvictionPolicy policy);
inline bool IsVolatile(EvictionPolicy p) {
  return p == EvictionPolicy::kVolatileLru || p == EvictionPolicy::kVolatileLfu ||
         p == EvictionPolicy::kVolatileRandom || p == EvictionPolicy::kVolatileTtl;
}
inline bool IsLfu(EvictionPolicy p) {
  return p == EvictionPolicy::kAllKeysLfu || p == EvictionPolicy::kVolatileLfu;
}

// One shard's share of maxmemory and how to stay under it.
struct MemoryPolicy {
  size_t limit = 0;  // bytes; 0: no limit
  EvictionPolicy policy = EvictionPolicy::kNoEviction;
  int samples = 5;          // maxmemory-samples: precision against CPU (see Evictor)
  int lfu_log_factor = 10;  // lfu-log-factor
  int lfu_decay_time = 1;   // lfu-decay-time, minutes; 0: no decay
};

class AccessTracker {
 public:
  static constexpr uint8_t kLfuInitial = 5;      // Redis's LFU_INIT_VAL
  static constexpr uint8_t kMaxLruAge = 127;     // ages are clamped to this by the sweep
  static constexpr uint8_t kMaxClockLead = 128;  // 127 + 128 < 256: no wrap-around

  bool lfu() const { return lfu_; }
  void set_lfu(bool lfu, int log_factor) {
    lfu_ = lfu;
    lfu_log_factor_ = log_factor < 0 ? 0 : log_factor;
  }

  // The access byte of a new entry in a shard of `population` entries,
  // created at `now_ms` (Unix time); the creation counts toward the clock's
  // next tick.
  uint8_t OnCreate(size_t population, int64_t now_ms) {
    if (--until_tick_ == 0) Tick(population);
    return lfu_ ? kLfuInitial : Stamp(now_ms);
  }
  // The access byte of an entry being read or written at `now_ms`.
  uint8_t OnAccess(uint8_t old, int64_t now_ms) { return lfu_ ? LfuIncrement(old) : Stamp(now_ms); }
  // Seconds from the latest access stamped `stamp` to `now_ms` (LRU only):
  // a lower bound of the idle time of an entry with that stamp.
  int64_t IdleSeconds(uint8_t stamp, int64_t now_ms) const {
    int64_t idle_ms = now_ms - stamped_ms_[stamp];
    return idle_ms > 0 ? idle_ms / 1000 : 0;
  }

  // ---- For the eviction sweep ----
  uint8_t clock() const { return clock_; }
  uint8_t Age(uint8_t stamp) const { return static_cast<uint8_t>(clock_ - stamp); }
  // The clock at the start of the last revolution that visited everything.
  uint8_t clock_floor() const { return clock_floor_; }
  void set_clock_floor(uint8_t floor) { clock_floor_ = floor; }
  uint8_t LfuIncrement(uint8_t counter) {
    if (counter == 255) return counter;
    uint32_t base = counter > kLfuInitial ? counter - kLfuInitial : 0;
    // Incremented with probability 1 / (base * factor + 1).
    uint64_t odds = uint64_t{base} * static_cast<uint64_t>(lfu_log_factor_) + 1;
    return static_cast<uint8_t>(counter + (Random() % odds == 0 ? 1 : 0));
  }
  uint32_t Random() {
    rng_ ^= rng_ << 13;
    rng_ ^= rng_ >> 7;
    rng_ ^= rng_ << 17;
    return static_cast<uint32_t>(rng_ >> 16);
  }

 private:
  void Tick(size_t population) {
    // A tick per 1/64 of the entries: a full cache turns over in a few dozen.
    until_tick_ = static_cast<uint32_t>(population / 64 > kMinTickInterval ? population / 64
                                                                           : kMinTickInterval);
    if (static_cast<uint8_t>(clock_ + 1 - clock_floor_) <= kMaxClockLead) ++clock_;
  }
  uint8_t Stamp(int64_t now_ms) {
    stamped_ms_[clock_] = now_ms;
    return clock_;
  }

  static constexpr uint32_t kMinTickInterval = 16;

  bool lfu_ = false;
  uint8_t clock_ = 0;
  uint8_t clock_floor_ = 0;
  int lfu_log_factor_ = 10;
  uint32_t until_tick_ = kMinTickInterval;
  uint64_t rng_ = 0x9E3779B97F4A7C15ULL;
  // When each clock value was last given to an entry (Unix ms).
  int64_t stamped_ms_[256] = {};
};

}  // namespace emberkv::storage
