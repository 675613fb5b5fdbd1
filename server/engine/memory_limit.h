// maxmemory on the server side: each shard's share of the limit, CONFIG SET
// reaching every shard, the check before a command runs, and the timer's
// part of eviction. The eviction itself is storage's (see
// storage/evictor.h and docs/eviction.md).
//
// Each of the N shards gets maxmemory / N. Keys hash uniformly over the
// shards (XXH3), so with more than a handful of keys their data grows
// evenly, and every shard can decide on its own, with its own counters and
// no global sum on the data path. A shard's used memory includes the
// buffers of the connections of the loop it is paired with (see
// Engine::AccountClientBytes).
//
// Thread safety: ShardMemoryPolicy anywhere; the rest with the shards they
// are given held.
#pragma once

#include "server/command.h"
#include "server/config.h"
#include "server/engine/shard_set.h"
#include "storage/eviction_policy.h"

namespace emberkv::server {

class Engine;
class Shard;
class ShardLocks;

// One shard's share of `config`'s maxmemory and its policy.
storage::MemoryPolicy ShardMemoryPolicy(const ServerConfig& config, int shards);

// Gives every shard `policy`, taking their locks one at a time on `locks`.
void ApplyMemoryPolicy(ShardLocks& locks, const storage::MemoryPolicy& policy);

// Before a command runs, with `shards` (its keys' shards) held: makes room
// in each if it is over its limit, and returns false if the command must be
// refused with -OOM (a deny-oom command while one of them is over its limit
// with nothing its policy may evict; a keyless deny-oom command while any
// shard is). One branch per shard when maxmemory is 0.
bool AdmitUnderMemoryLimit(ShardLocks& locks, ShardSet shards, const CommandSpec& spec);

// With `shards` held: makes room in each that is over its limit, and returns
// whether one of them is still over it; with no shards, whether any shard
// was found over its limit last time it was looked at.
bool OutOfMemoryAfterEviction(ShardLocks& locks, ShardSet shards);

// From the timer, with `shard` held: one slice of eviction. Returns whether
// the shard is still over its limit (the timer then comes back soon).
bool ReclaimFromTimer(Shard& shard);

}  // namespace emberkv::server
