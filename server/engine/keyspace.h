// The shards of the keyspace and which one owns a key.
//
// Key -> shard: storage::ShardOf over the key's XXH3 hash, the same hash the
// shard's index uses, so a key is hashed once where it is routed and the
// hash travels with it (storage::Key).
//
// Thread safety: shard_count(), shard() and ShardOf*() from any thread;
// a shard's contents only under its lock (shard.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "server/engine/shard.h"
#include "server/engine/shard_set.h"
#include "storage/hash.h"

namespace emberkv::server {

class Keyspace {
 public:
  Keyspace(int shards, int databases) {
    shards_.reserve(shards);
    for (int i = 0; i < shards; ++i) shards_.push_back(std::make_unique<Shard>(i, databases));
  }

  int shard_count() const { return static_cast<int>(shards_.size()); }
  Shard& shard(int index) { return *shards_[index]; }
  ShardSet all() const { return ShardSet::FirstN(shard_count()); }

  int ShardOfHash(uint64_t hash) const {
    return static_cast<int>(storage::ShardOf(hash, shards_.size()));
  }
  int ShardOfKey(std::string_view key) const { return ShardOfHash(storage::HashKey(key)); }

 private:
  std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace emberkv::server
