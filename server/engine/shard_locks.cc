#include "server/engine/shard_locks.h"

namespace emberkv::server {

void ShardLocks::Lock(int index) {
  Shard& shard = keyspace_->shard(index);
  shard.mutex().lock();
  shard.AdvanceClock(now_ms_);
  held_.Add(index);
}

bool ShardLocks::Acquire(ShardSet wanted) {
  ShardSet missing = wanted.Minus(held_);
  if (missing.empty()) {
    // Held already; the clock still moves for the command about to run.
    if (now_ms_ != 0) wanted.ForEach([this](int s) { keyspace_->shard(s).AdvanceClock(now_ms_); });
    return true;
  }
  if (pinned_) return false;
  if (!held_.empty() && missing.lowest() < held_.highest()) {
    // Taking it now could wait on a lower shard while holding a higher one.
    ReleaseAll();
    missing = wanted;
  } else if (now_ms_ != 0) {
    wanted.Minus(missing).ForEach([this](int s) { keyspace_->shard(s).AdvanceClock(now_ms_); });
  }
  missing.ForEach([this](int s) { Lock(s); });
  return true;
}

bool ShardLocks::ExtendPinned(ShardSet more) {
  ShardSet missing = more.Minus(held_);
  if (missing.empty()) return true;
  if (!held_.empty() && missing.lowest() < held_.highest()) return false;
  missing.ForEach([this](int s) { Lock(s); });
  return true;
}

bool ShardLocks::AcquireOnly(int index) {
  if (pinned_) return holds(index);
  if (held_ == ShardSet::Of(index)) {
    keyspace_->shard(index).AdvanceClock(now_ms_);
    return true;
  }
  ReleaseAll();
  Lock(index);
  return true;
}

void ShardLocks::ReleaseAll() {
  assert(!pinned_);
  held_.ForEach([this](int s) { keyspace_->shard(s).mutex().unlock(); });
  held_ = ShardSet();
}

}  // namespace emberkv::server
