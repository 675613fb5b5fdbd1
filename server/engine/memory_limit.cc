#include "server/engine/memory_limit.h"

#include "server/engine/engine.h"
#include "server/engine/worker.h"

namespace emberkv::server {
namespace {

// Index chunks (about 10 entries each) the timer may visit per tick: a few
// milliseconds of work at most.
constexpr size_t kTimerBudget = 4096;

void Publish(Worker& worker, storage::Evictor::Result result) {
  worker.set_out_of_memory(result == storage::Evictor::Result::kOutOfMemory);
}

}  // namespace

storage::MemoryPolicy ShardMemoryPolicy(const ServerConfig& config, int shards) {
  storage::MemoryPolicy policy;
  policy.limit = shards > 0 ? config.maxmemory / static_cast<uint64_t>(shards) : config.maxmemory;
  // A limit too small to divide still limits.
  if (config.maxmemory != 0 && policy.limit == 0) policy.limit = 1;
  policy.policy = storage::ParseEvictionPolicy(config.maxmemory_policy).value_or(storage::EvictionPolicy::kNoEviction);
  policy.samples = config.maxmemory_samples;
  policy.lfu_log_factor = config.lfu_log_factor;
  policy.lfu_decay_time = config.lfu_decay_time;
  return policy;
}

void PushMemoryPolicy(Worker& here, const storage::MemoryPolicy& policy) {
  for (int shard = 0; shard < here.engine().shard_count(); ++shard) {
    if (shard == here.id()) {
      here.store().SetMemoryPolicy(policy);
      continue;
    }
    // `policy` is copied into the message.
    here.Send(shard, MakeMessage([policy] { Worker::Current()->store().SetMemoryPolicy(policy); }));
  }
}

bool AdmitOnShard(Worker& worker, const CommandSpec& spec) {
  storage::ShardStore& store = worker.store();
  if (store.memory_limit() == 0) return true;
  storage::Evictor::Result result = store.ReclaimMemory();
  Publish(worker, result);
  return result != storage::Evictor::Result::kOutOfMemory || !(spec.flags & kCmdDenyOom);
}

bool AnyShardOutOfMemory(Engine& engine) {
  for (int shard = 0; shard < engine.shard_count(); ++shard) {
    if (engine.worker(shard).out_of_memory()) return true;
  }
  return false;
}

bool ReclaimFromTimer(Worker& worker) {
  storage::ShardStore& store = worker.store();
  if (store.memory_limit() == 0) {
    Publish(worker, storage::Evictor::Result::kOk);
    return false;
  }
  storage::Evictor::Result result = store.ReclaimMemory(kTimerBudget);
  Publish(worker, result);
  return result == storage::Evictor::Result::kInProgress;
}

}  // namespace emberkv::server
