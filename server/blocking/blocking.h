// Clients blocked on keys (BLPOP, BRPOP, BLMOVE, BLMPOP, BZPOPMIN, ...).
//
// A blocking command first tries to run under the intent locks of its keys.
// If it would block, it registers a BlockedClient with each of its keys'
// shards while still holding those locks (so no push slips in between), lets
// go of the locks and suspends. When a command changes a key that has
// waiters, the key's shard serves the waiters right after that command, in
// the order they blocked, by running each one's ServeFn on the spot (Redis's
// fairness: the longest-waiting client gets the first element). Waiters for
// another type of value (a BZPOPMIN behind a BLPOP on a list) are passed
// over, as in Redis. The reply travels to the waiter's worker, which resumes
// the suspended command.
//
// A client blocked on keys of several shards may be served by any of them,
// but only once: the shards claim it with an atomic flag. Its timeout and
// its disconnection claim it the same way. A shard that finds a client
// claimed passes it by and marks it contended; whoever then lets go of the
// claim without finishing the client asks its shards to look at its keys
// again, so no push is missed.
//
// A ServeFn that cannot finish on the key's shard alone (BLMOVE whose
// destination lives on another shard) answers kWake: the client stays at the
// head of the key's queue, claimed, and the shard serves nobody behind it;
// its command resumes on its home worker, takes the locks of both keys and
// moves the element atomically (MultiShardLock), then either ends the wait
// (FinishWoken) or, if someone else took the element first, waits again in
// the place it had (WaitForKeys once more).
//
// Thread safety: BlockedClient's flags are atomic; everything else in it is
// written before it is shared and read-only afterwards, except the fields
// marked "home worker only". A registry belongs to its shard's thread.
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
#include "storage/entry.h"

namespace emberkv::server {

class Worker;

enum class ServeResult : uint8_t {
  kServed,   // the reply is written; the client is done
  kNothing,  // the key has nothing (more) to give
  kWake,     // the client's command must finish under its own locks
};

// Tries to serve a blocked command from `key` (one of its keys, owned by the
// shard running it, holding a value of the client's kind): writes the reply
// and returns kServed, or writes nothing and returns kNothing or kWake.
using ServeFn = ServeResult (*)(OpContext& ctx, std::string_view key);

struct BlockedClient {
  // Held while a shard serves the client (or while its timeout or its
  // disconnection finishes it, or while its command finishes a wake); a shard
  // that finds it held passes the client by.
  std::atomic<bool> claimed{false};
  // Set once and for all when the client was served, timed out or left.
  std::atomic<bool> finished{false};
  // Set by the shard that answered kWake, until the command has retried; the
  // shard serves nobody behind the client meanwhile.
  std::atomic<bool> woken{false};
  // A shard passed the client by because it was claimed.
  std::atomic<bool> contended{false};

  int home = 0;  // the client's worker
  const CommandSpec* spec = nullptr;
  std::vector<std::string> args;
  std::vector<std::string_view> arg_views;
  std::vector<std::string> keys;  // in argument order
  int db = 0;
  protocol::RespVersion resp = protocol::RespVersion::kResp2;
  ClientFlags flags;
  storage::ValueType kind = storage::ValueType::kList;  // what it pops
  ServeFn serve = nullptr;

  // Home worker only.
  std::coroutine_handle<> waiting;
  std::string reply;
  bool served = false;      // a shard's reply is in `reply`
  bool timed_out = false;   // the wait ended without a reply (timeout or disconnection)
  bool wake_pending = false;  // a shard answered kWake for `woken_key`
  std::string woken_key;
  bool registered = false;  // in the shards' queues
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
  // Every key of database `db` may have changed (SWAPDB).
  void DatabaseChanged(int db);
  bool has_ready() const { return !ready_.empty(); }
  // Serves the waiters of keys that changed, oldest first, as long as the
  // keys have something to give. Call after a command ran on this shard.
  void ServeReadyKeys(Worker& worker);

  // Keys with waiters, and waiters in all (a client blocked on three keys
  // of this shard counts three times).
  size_t blocked_keys() const { return waiters_.size(); }
  size_t waiters() const;

 private:
  using Queue = std::deque<std::weak_ptr<BlockedClient>>;
  // The map's key for (db, key), built in a reused buffer (absl's own
  // string_view: lookups then need no std::string).
  absl::string_view Slot(int db, std::string_view key);
  void NoteReady(int db, std::string_view key);
  void ServeKey(Worker& worker, int db, std::string_view key, Queue& queue);

  absl::flat_hash_map<std::string, Queue> waiters_;
  std::vector<std::pair<int, std::string>> ready_;
  bool serving_ = false;
  std::string slot_buffer_;
};

class MultiShardLock;

// Runs a blocking command's wait: call it from the command's coroutine with
// `lock` held on all of `client`'s keys after an attempt found nothing. The
// first call registers the client with the keys' shards, releases the lock
// and waits until a shard serves it (its reply is then written to ctx.reply),
// the timeout passes (timeout_ms > 0), or the client disconnects. In the last
// two cases nothing is written and client->timed_out is set: the command
// writes its own timeout reply (a null of the right shape).
//
// If it returns with client->wake_pending, a shard woke the client (kWake):
// the command takes the locks of its keys again and either finishes the job
// (then calls FinishWoken) or finds nothing and calls WaitForKeys again,
// still holding the locks, to wait in the place it had.
Task<void> WaitForKeys(CoordContext& ctx, MultiShardLock& lock, std::shared_ptr<BlockedClient> client,
                       int64_t timeout_ms);

// Ends the wait of a woken client whose command has written its reply.
void FinishWoken(CoordContext& ctx, const std::shared_ptr<BlockedClient>& client);

// Ends a blocked client's wait because it disconnected (from its home worker).
void CancelBlockedClient(const std::shared_ptr<BlockedClient>& client, Worker& home);

// Makes a BlockedClient for the command in `ctx` blocked on `key_indices`,
// popping values of type `kind`.
std::shared_ptr<BlockedClient> MakeBlockedClient(const CoordContext& ctx, const std::vector<int>& key_indices,
                                                 storage::ValueType kind, ServeFn serve);

// A blocking command's timeout argument (seconds, as a float) with Redis
// 7.0's rules and errors: "timeout is not a float or out of range",
// "timeout is negative". Returns milliseconds (0: wait for ever), or nullopt
// after replying the error.
std::optional<int64_t> TimeoutArg(std::string_view arg, protocol::ReplyBuilder& reply);

}  // namespace emberkv::server
