// Per-shard intent locks that make commands spanning several shards atomic.
//
// A multi-shard command (MGET, MSET, RENAME, EXEC, ...) takes locks on its
// keys shard by shard in ascending shard order, does its work while holding
// them, and releases them all at the end (strict two-phase locking). Within a
// shard a request registers on all its keys at once, in arrival order, and is
// granted when it is at the front of every key's queue (shared requests may
// share the front), as in VLL (Ren, Thomson, Abadi). Arrival order is the
// same on every key of a shard and shards are taken in one global order, so
// no cycle of waits can form.
//
// Single-key commands pay nothing when the table is empty (the common case)
// and a hash lookup otherwise; they wait only if their own key is locked.
// A request for the whole shard (FLUSHALL, SWAPDB) waits for everything
// before it and holds back everything after it.
//
// Thread safety: none; each shard's thread owns its table. Requests are
// owned by their issuers and must stay alive until released.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <absl/container/flat_hash_map.h>

namespace emberkv::server {

enum class LockMode : uint8_t { kShared, kExclusive };

class LockRequest {
 public:
  // Keys of this shard (deduplicated by the table), or the whole shard.
  std::vector<std::string> keys;
  LockMode mode = LockMode::kExclusive;
  bool whole_shard = false;
  // Runs on the shard's thread once the locks are held (possibly inside
  // Acquire). It may release the request.
  std::function<void()> on_granted;

  bool granted() const { return granted_; }

 private:
  friend class LockTable;
  bool granted_ = false;
  bool registered_ = false;  // in the key queues (or holding the shard)
};

class LockTable {
 public:
  bool empty() const { return active_ == 0 && !shard_held_ && waiting_room_.empty(); }

  // Whether a command that touches only `keys` may run now without waiting
  // (nothing ahead of it holds or awaits a conflicting lock).
  bool CanRunNow(const std::vector<std::string_view>& keys, LockMode mode) const;

  void Acquire(LockRequest* request);
  // Releases a granted request; grants whatever can now proceed.
  void Release(LockRequest* request);

  size_t locked_keys() const { return queues_.size(); }

 private:
  void Register(LockRequest* request);
  bool Grantable(const LockRequest* request) const;
  void OpenWaitingRoom();
  void RunGrants();

  // Per key: the requests in arrival order; granted ones are at the front.
  absl::flat_hash_map<std::string, std::deque<LockRequest*>> queues_;
  size_t active_ = 0;         // registered, not yet released
  bool shard_held_ = false;   // a whole-shard request holds the shard
  // Requests that arrived while a whole-shard request was pending or held.
  std::deque<LockRequest*> waiting_room_;
  // Grants are delivered from a loop so that callbacks that release do not
  // recurse into the table.
  std::deque<LockRequest*> to_grant_;  // FIFO, so shared requests behind one another all proceed
  bool granting_ = false;
};

}  // namespace emberkv::server
