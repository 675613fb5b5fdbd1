// maxmemory on the server side: each shard's share of the limit, CONFIG SET
// reaching every shard, the check before a command runs, and the shard
// timer's part of eviction. The eviction itself is storage's (see
// storage/evictor.h and docs/eviction.md).
//
// Each of the N shards gets maxmemory / N. Keys hash uniformly over the
// shards (XXH3), so with more than a handful of keys their data grows
// evenly, and every shard can decide on its own, with its own counters and
// no lock or global sum on the data path. A shard's used memory includes the
// buffers of the connections its thread serves, which are spread over the
// threads round robin.
//
// Thread safety: ShardMemoryPolicy anywhere; PushMemoryPolicy on a worker's
// thread; the rest on the thread of the worker they are given.
#pragma once

#include "server/command.h"
#include "server/config.h"
#include "storage/eviction_policy.h"

namespace emberkv::server {

class Engine;
class Worker;

// One shard's share of `config`'s maxmemory and its policy.
storage::MemoryPolicy ShardMemoryPolicy(const ServerConfig& config, int shards);

// Gives every shard `policy`: the calling worker's at once (so that its next
// command sees it), the others by message (which arrive before any command
// this worker sends them afterwards).
void PushMemoryPolicy(Worker& here, const storage::MemoryPolicy& policy);

// Before a command runs on the shard that owns its keys: makes room if the
// shard is over its limit, and returns false if the command must be refused
// with -OOM (a deny-oom command while the shard is over its limit with
// nothing its policy may evict). One branch when maxmemory is 0.
bool AdmitOnShard(Worker& worker, const CommandSpec& spec);

// Whether any shard was out of memory after its last command or timer tick:
// for deny-oom commands that run across shards. From any thread.
bool AnyShardOutOfMemory(Engine& engine);

// From the shard's timer: continues eviction with a larger budget. Returns
// whether the shard is still over its limit (the timer then comes back soon).
bool ReclaimFromTimer(Worker& worker);

}  // namespace emberkv::server
