// Fetching the keys of a run of commands before running them.
//
// In a keyspace bigger than the CPU's caches, each lookup misses twice: on
// its index chunk, then on its entry. Commands of a pipeline (or of a batch
// from another shard) run one after the other, so each would wait out its
// own misses. A run's keys are known before the first of them runs, though:
// asking for all their chunks first, then for all their entries, lets the
// misses of the run overlap instead (what Dragonfly and KeyDB call
// prefetching a batch; bench/compare's -P 16 figures are most of the gain).
//
// Only the first key of a command with a fixed key position is fetched:
// that covers GET, SET, INCR and their kind, the commands that pipelines
// are made of. A prefetch is a hint; a wrong one (a key that another
// command of the run deletes first, a SELECT in between) costs a cache line.
//
// Thread safety: one per shard thread, used on the thread that owns `db`.
#pragma once

#include <string_view>

#include "server/command.h"
#include "storage/database.h"
#include "storage/hash.h"

namespace emberkv::server {

// The key a prefetch looks for: the command's first key, if its position
// is fixed; empty otherwise.
inline std::string_view PrefetchableKey(const CommandSpec& spec, ArgList args) {
  const int first = spec.fixed_first_key();
  if (first <= 0 || static_cast<size_t>(first) >= args.size()) return {};
  return args[first];
}

class KeyPrefetcher {
 public:
  static constexpr int kMaxKeys = 32;

  bool full() const { return count_ == kMaxKeys; }
  int size() const { return count_; }

  // Asks for the index chunk of the key with this hash (storage::HashKey)
  // in `db`; ignored once full. Callers often have the hash already, from
  // routing the key to its shard.
  void Add(const storage::Database& db, uint64_t hash) {
    if (full()) return;
    db.PrefetchIndex(hash);
    pending_[count_++] = {&db, hash};
  }

  // Asks for the entries of every key added, then forgets them. Call after
  // the last Add, when the first chunks have had time to arrive.
  void FetchEntries() {
    for (int i = 0; i < count_; ++i) pending_[i].db->PrefetchEntries(pending_[i].hash);
    count_ = 0;
  }

 private:
  struct Pending {
    const storage::Database* db;
    uint64_t hash;
  };
  Pending pending_[kMaxKeys];
  int count_ = 0;
};

}  // namespace emberkv::server
