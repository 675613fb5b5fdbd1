// Clients blocked on keys (BLPOP, BRPOP, BLMOVE, BZPOPMIN, ...).
//
// A blocking command first tries to run under the intent locks of its keys.
// If it would block, it registers a BlockedClient with each of its keys'
// shards while still holding those locks (so no push slips in between), lets
// go of the locks and suspends. When a command changes a key that has
// waiters, the key's shard serves the waiters right after that command, in
// the order they blocked, by running each one's ServeFn on the spot (Redis's
// fairness: the longest-waiting client gets the first element). The reply
// travels to the waiter's worker, which resumes the suspended command.
//
// A client blocked on keys of several shards may be served by any of them,
// but only once: the shards claim it with an atomic flag. Its timeout and
// its disconnection claim it the same way.
//
// Thread safety: BlockedClient's flags are atomic; everything else in it is
// written before it is shared and read-only afterwards, except `reply`,
// `served` and `waiting`, which only its home worker touches. A registry
// belongs to its shard's thread.
#pragma once

#include <asio/steady_timer.hpp>

#include <atomic>
#include <coroutine>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include "protocol/reply_builder.h"
#include "server/command.h"

namespace emberkv::server {

// Tries to serve a blocked command from `key` (one of its keys, owned by the
// shard running it): writes the reply and returns true, or writes nothing and
// returns false when there is nothing to take.
using ServeFn = bool (*)(OpContext& ctx, std::string_view key);

struct BlockedClient {
  // Held while a shard serves the client (or while its timeout or its
  // disconnection finishes it); a shard that finds it held moves on.
  std::atomic<bool> claimed{false};
  // Set once and for all when the client was served, timed out or left.
  std::atomic<bool> finished{false};

  int home = 0;  // the client's worker
  const CommandSpec* spec = nullptr;
  std::vector<std::string> args;
  std::vector<std::string_view> arg_views;
  std::vector<std::string> keys;  // in argument order
  int db = 0;
  protocol::RespVersion resp = protocol::RespVersion::kResp2;
  ClientFlags flags;
  ServeFn serve = nullptr;

  // Home worker only.
  std::coroutine_handle<> waiting;
  std::string reply;
  bool served = false;     // a shard's reply is in `reply`
  bool timed_out = false;  // the wait ended without a reply (timeout or disconnection)
  std::unique_ptr<asio::steady_timer> timer;
};

class BlockingRegistry {
 public:
  void Block(int db, std::string_view key, const std::shared_ptr<BlockedClient>& client);
  void Unblock(int db, std::string_view key, const BlockedClient* client);

  // Called for every changed key (via the worker's key observer).
  void KeyChanged(int db, std::string_view key) {
    if (!waiters_.empty()) NoteReady(db, key);
  }
  bool has_ready() const { return !ready_.empty(); }
  // Serves the waiters of keys that changed, oldest first, as long as the
  // keys have something to give. Call after a command ran on this shard.
  void ServeReadyKeys(Worker& worker);

  size_t blocked_keys() const { return waiters_.size(); }

 private:
  static std::string Slot(int db, std::string_view key);
  void NoteReady(int db, std::string_view key);

  absl::flat_hash_map<std::string, std::deque<std::weak_ptr<BlockedClient>>> waiters_;
  std::vector<std::pair<int, std::string>> ready_;
  bool serving_ = false;
};

// Runs a blocking command: call it from the command's coroutine with `lock`
// held on all of `client`'s keys after its first attempt found nothing. It
// registers the client with the keys' shards, releases the lock and waits
// until a shard serves it (its reply is then written to ctx.reply), the
// timeout passes (timeout_ms > 0), or the client disconnects. In the last two
// cases nothing is written and client->timed_out is set: the command writes
// its own timeout reply (a null of the right shape).
class MultiShardLock;
Task<void> WaitForKeys(CoordContext& ctx, MultiShardLock& lock, std::shared_ptr<BlockedClient> client,
                       int64_t timeout_ms);

// Ends a blocked client's wait because it disconnected (from its home worker).
void CancelBlockedClient(const std::shared_ptr<BlockedClient>& client, Worker& home);

// Makes a BlockedClient for the command in `ctx` blocked on `key_indices`.
std::shared_ptr<BlockedClient> MakeBlockedClient(const CoordContext& ctx, const std::vector<int>& key_indices,
                                                 ServeFn serve);

}  // namespace emberkv::server
