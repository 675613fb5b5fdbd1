#include "server/transaction/lock_table.h"

#include <algorithm>
#include <cassert>

#include "server/util/ascii.h"

namespace emberkv::server {

bool LockTable::CanRunNow(const std::vector<std::string_view>& keys, LockMode mode) const {
  if (shard_held_ || !waiting_room_.empty()) return false;
  if (queues_.empty()) return true;
  for (std::string_view key : keys) {
    auto it = queues_.find(ToAbsl(key));
    if (it == queues_.end()) continue;
    if (mode == LockMode::kExclusive) return false;
    for (const LockRequest* r : it->second) {
      if (r->mode == LockMode::kExclusive || !r->granted_) return false;
    }
  }
  return true;
}

void LockTable::Acquire(LockRequest* request) {
  request->granted_ = false;
  if (request->whole_shard) {
    if (waiting_room_.empty() && !shard_held_ && active_ == 0) {
      shard_held_ = true;
      request->registered_ = true;
      to_grant_.push_back(request);
      RunGrants();
    } else {
      waiting_room_.push_back(request);
    }
    return;
  }
  if (shard_held_ || !waiting_room_.empty()) {
    waiting_room_.push_back(request);
    return;
  }
  Register(request);
  RunGrants();
}

void LockTable::Register(LockRequest* request) {
  std::sort(request->keys.begin(), request->keys.end());
  request->keys.erase(std::unique(request->keys.begin(), request->keys.end()), request->keys.end());
  request->registered_ = true;
  ++active_;
  for (const std::string& key : request->keys) queues_[key].push_back(request);
  if (Grantable(request)) to_grant_.push_back(request);
}

bool LockTable::Grantable(const LockRequest* request) const {
  for (const std::string& key : request->keys) {
    const std::deque<LockRequest*>& queue = queues_.find(key)->second;
    for (const LockRequest* ahead : queue) {
      if (ahead == request) break;
      // Only granted shared requests may be ahead of a shared request.
      if (request->mode == LockMode::kExclusive || ahead->mode == LockMode::kExclusive ||
          !ahead->granted_) {
        return false;
      }
    }
  }
  return true;
}

void LockTable::Release(LockRequest* request) {
  assert(request->granted_);
  request->granted_ = false;
  request->registered_ = false;
  if (request->whole_shard) {
    shard_held_ = false;
    OpenWaitingRoom();
    RunGrants();
    return;
  }
  --active_;
  for (const std::string& key : request->keys) {
    auto it = queues_.find(key);
    std::deque<LockRequest*>& queue = it->second;
    queue.erase(std::find(queue.begin(), queue.end(), request));
    if (queue.empty()) {
      queues_.erase(it);
      continue;
    }
    // The new front (and shared requests right behind it) may now proceed.
    for (LockRequest* next : queue) {
      if (!next->granted_ && Grantable(next)) to_grant_.push_back(next);
      if (next->mode == LockMode::kExclusive) break;
    }
  }
  if (active_ == 0) OpenWaitingRoom();
  RunGrants();
}

void LockTable::OpenWaitingRoom() {
  while (!waiting_room_.empty() && !shard_held_) {
    LockRequest* next = waiting_room_.front();
    if (next->whole_shard) {
      if (active_ != 0) return;
      waiting_room_.pop_front();
      shard_held_ = true;
      next->registered_ = true;
      to_grant_.push_back(next);
      return;
    }
    waiting_room_.pop_front();
    Register(next);
  }
}

void LockTable::RunGrants() {
  if (granting_) return;
  granting_ = true;
  while (!to_grant_.empty()) {
    LockRequest* request = to_grant_.front();
    to_grant_.pop_front();
    // A request may be queued twice (via two keys), or released meanwhile.
    if (request->granted_ || !request->registered_) continue;
    if (!request->whole_shard && !Grantable(request)) continue;
    request->granted_ = true;
    if (request->on_granted) request->on_granted();
  }
  granting_ = false;
}

}  // namespace emberkv::server
