#include "server/engine/memory_limit.h"

#include "server/engine/shard_locks.h"

namespace emberkv::server {
namespace {

// Index chunks (about 10 entries each) one timer slice may visit under the
// shard's lock: well under a millisecond.
constexpr size_t kEvictionSliceBudget = 256;

void Publish(Shard& shard, storage::Evictor::Result result) {
  shard.set_out_of_memory(result == storage::Evictor::Result::kOutOfMemory);
}

bool AnyShardOutOfMemory(Keyspace& keyspace) {
  for (int s = 0; s < keyspace.shard_count(); ++s) {
    if (keyspace.shard(s).out_of_memory()) return true;
  }
  return false;
}

}  // namespace

storage::MemoryPolicy ShardMemoryPolicy(const ServerConfig& config, int shards) {
  storage::MemoryPolicy policy;
  policy.limit = shards > 0 ? config.maxmemory / static_cast<uint64_t>(shards) : config.maxmemory;
  // A limit too small to divide still limits.
  if (config.maxmemory != 0 && policy.limit == 0) policy.limit = 1;
  policy.policy = storage::ParseEvictionPolicy(config.maxmemory_policy)
                      .value_or(storage::EvictionPolicy::kNoEviction);
  policy.samples = config.maxmemory_samples;
  policy.lfu_log_factor = config.lfu_log_factor;
  policy.lfu_decay_time = config.lfu_decay_time;
  return policy;
}

void ApplyMemoryPolicy(ShardLocks& locks, const storage::MemoryPolicy& policy) {
  Keyspace& keyspace = locks.keyspace();
  for (int s = 0; s < keyspace.shard_count(); ++s) {
    locks.Acquire(ShardSet::Of(s));
    locks.shard(s).store().SetMemoryPolicy(policy);
  }
}

bool OutOfMemoryAfterEviction(ShardLocks& locks, ShardSet shards) {
  if (shards.empty()) return AnyShardOutOfMemory(locks.keyspace());
  bool out_of_memory = false;
  shards.ForEach([&](int s) {
    Shard& shard = locks.shard(s);
    storage::ShardStore& store = shard.store();
    if (store.memory_limit() == 0) return;
    storage::Evictor::Result result = store.ReclaimMemory();
    Publish(shard, result);
    if (result == storage::Evictor::Result::kOutOfMemory) out_of_memory = true;
  });
  return out_of_memory;
}

bool AdmitUnderMemoryLimit(ShardLocks& locks, ShardSet shards, const CommandSpec& spec) {
  // Keyless commands that do not deny OOM (PING) look at nothing.
  if (shards.empty() && !(spec.flags & kCmdDenyOom)) return true;
  return !OutOfMemoryAfterEviction(locks, shards) || !(spec.flags & kCmdDenyOom);
}

bool ReclaimFromTimer(Shard& shard) {
  storage::ShardStore& store = shard.store();
  if (store.memory_limit() == 0) {
    Publish(shard, storage::Evictor::Result::kOk);
    return false;
  }
  storage::Evictor::Result result = store.ReclaimMemory(kEvictionSliceBudget);
  Publish(shard, result);
  return result == storage::Evictor::Result::kInProgress;
}

}  // namespace emberkv::server
