// A set of shard indices, walked in ascending order (the order in which
// their locks are taken).
#pragma once

#include <cstdint>

namespace emberkv::server {

class ShardSet {
 public:
  // Shards are indexed 0 .. kMaxShards-1.
  static constexpr int kMaxShards = 64;

  constexpr ShardSet() = default;
  static constexpr ShardSet Of(int shard) { return ShardSet(uint64_t{1} << shard); }
  static constexpr ShardSet FirstN(int n) {
    return ShardSet(n >= kMaxShards ? ~uint64_t{0} : (uint64_t{1} << n) - 1);
  }

  void Add(int shard) { bits_ |= uint64_t{1} << shard; }
  void Add(ShardSet other) { bits_ |= other.bits_; }
  bool Contains(int shard) const { return (bits_ >> shard) & 1; }
  bool Contains(ShardSet other) const { return (other.bits_ & ~bits_) == 0; }
  bool empty() const { return bits_ == 0; }
  int size() const { return __builtin_popcountll(bits_); }
  int lowest() const { return __builtin_ctzll(bits_); }        // not empty
  int highest() const { return 63 - __builtin_clzll(bits_); }  // not empty
  ShardSet Minus(ShardSet other) const { return ShardSet(bits_ & ~other.bits_); }
  bool Intersects(ShardSet other) const { return (bits_ & other.bits_) != 0; }
  bool operator==(const ShardSet&) const = default;

  // As one word, for sets published through an atomic (a busy script's shards).
  uint64_t bits() const { return bits_; }
  static constexpr ShardSet FromBits(uint64_t bits) { return ShardSet(bits); }

  // Calls fn(shard) for each member, ascending.
  template <class Fn>
  void ForEach(Fn&& fn) const {
    for (uint64_t rest = bits_; rest != 0; rest &= rest - 1) fn(__builtin_ctzll(rest));
  }

 private:
  explicit constexpr ShardSet(uint64_t bits) : bits_(bits) {}
  uint64_t bits_ = 0;
};

}  // namespace emberkv::server
