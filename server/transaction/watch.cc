#include "server/transaction/watch.h"

#include <algorithm>

#include "server/client/client.h"
#include "server/engine/engine.h"
#include "server/util/ascii.h"
#include "storage/database.h"

namespace emberkv::server {

std::string WatchRegistry::Slot(int db, std::string_view key) {
  std::string slot = std::to_string(db);
  slot.push_back(':');
  slot.append(key);
  return slot;
}

void WatchRegistry::Watch(int db, std::string_view key, const std::shared_ptr<WatchState>& state) {
  Watchers& watchers = watched_[Slot(db, key)];
  for (const auto& w : watchers) {
    if (w.lock() == state) return;
  }
  watchers.push_back(state);
}

void WatchRegistry::Unwatch(int db, std::string_view key, const WatchState* state) {
  auto it = watched_.find(Slot(db, key));
  if (it == watched_.end()) return;
  Watchers& watchers = it->second;
  watchers.erase(std::remove_if(watchers.begin(), watchers.end(),
                                [state](const std::weak_ptr<WatchState>& w) {
                                  auto locked = w.lock();
                                  return !locked || locked.get() == state;
                                }),
                 watchers.end());
  if (watchers.empty()) watched_.erase(it);
}

void WatchRegistry::KeyChanged(int db, std::string_view key) {
  if (watched_.empty()) return;
  auto it = watched_.find(Slot(db, key));
  if (it == watched_.end()) return;
  for (const auto& w : it->second) {
    if (auto state = w.lock()) state->dirty.store(true, std::memory_order_release);
  }
  // Dirty is final until the client unwatches; no need to keep the entry.
  watched_.erase(it);
}

void WatchRegistry::DatabaseCleared(storage::Database& db, storage::Database* replaced_with) {
  if (watched_.empty()) return;
  // As in Redis, only watched keys that exist in the emptied database (or in
  // the one replacing it) count. Collect first: a lookup may expire a key,
  // which calls KeyChanged and edits the map.
  std::string prefix = std::to_string(db.index()) + ":";
  std::vector<std::string> keys;
  for (const auto& [slot, watchers] : watched_) {
    if (std::string_view(slot).substr(0, prefix.size()) == prefix)
      keys.push_back(slot.substr(prefix.size()));
  }
  for (const std::string& key : keys) {
    storage::Database::Slot found;
    bool exists = db.Find(key, &found, storage::LookupMode::kWrite) ||
                  (replaced_with && replaced_with->Find(key, &found, storage::LookupMode::kWrite));
    if (exists) KeyChanged(db.index(), key);
  }
}

void Unwatch(Worker& worker, Client& client) {
  std::vector<std::pair<int, std::string>> keys = client.TakeWatchedKeys();
  const WatchState* state = client.watch_state().get();
  ShardLocks& locks = worker.locks();
  Keyspace& keyspace = locks.keyspace();
  for (const auto& [db, key] : keys) {
    int shard = keyspace.ShardOfKey(key);
    locks.Acquire(ShardSet::Of(shard));
    locks.shard(shard).watches().Unwatch(db, key, state);
  }
  // No registry refers to the state any more: nothing can dirty it now.
  client.watch_state()->dirty.store(false, std::memory_order_release);
}

}  // namespace emberkv::server
