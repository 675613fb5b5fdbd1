// WATCH: optimistic locking for MULTI/EXEC.
//
// A client's WatchState is shared by the shards that hold its watched keys.
// Each shard keeps a WatchRegistry from (db, key) to the states watching it
// and marks them dirty when the key changes: written, deleted, expired or
// evicted (the registry is fed by the shard's storage::KeyObserver), or when
// its database is flushed or swapped. EXEC takes the locks of the watched
// keys' shards with those of its commands, so it reads the state while
// nothing can change the keys, and fails if it is dirty.
//
// Thread safety: a registry belongs to its shard and is used under the
// shard's lock. WatchState::dirty is atomic because the loop that sets it is
// not always the client's.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/shard_context.h"

namespace emberkv::storage {
class Database;
}

namespace emberkv::server {

class Client;
class Worker;

struct WatchState {
  std::atomic<bool> dirty{false};
};

class WatchRegistry {
 public:
  void Watch(int db, std::string_view key, const std::shared_ptr<WatchState>& state);
  void Unwatch(int db, std::string_view key, const WatchState* state);
  bool empty() const { return watched_.empty(); }

  // Fed by the worker's storage::KeyObserver.
  void KeyChanged(int db, std::string_view key);
  void DatabaseCleared(storage::Database& emptied, storage::Database* replaced_with);

 private:
  using Watchers = std::vector<std::weak_ptr<WatchState>>;
  // Keyed by "<db>:<key>"; small and only as large as what is watched.
  static std::string Slot(int db, std::string_view key);

  absl::flat_hash_map<std::string, Watchers> watched_;
};

// Forgets every key `client` watches: leaves the registries of their shards
// (taking their locks on `worker`) and makes its state clean again.
void Unwatch(Worker& worker, Client& client);

}  // namespace emberkv::server
