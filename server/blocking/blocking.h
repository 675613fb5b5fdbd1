// Clients blocked on keys (BLPOP, BRPOP, BLMOVE, BLMPOP, BZPOPMIN, ...).
//
// A blocking command runs like any other, with its keys' shards locked. If
// none of its keys has anything to give, it registers a BlockedClient with
// each of those shards' registries while still holding the locks (so no push
// slips in between), and its client stops reading commands.
//
// A command that changes a key with waiters marks the key ready (the shard's
// KeyObserver). Before the command's locks go, the executor serves the ready
// keys of the shards it holds: each key's waiters in the order they blocked
// (Redis's fairness), as long as the key has something of their kind to
// give; waiters for another type of value are passed over, as in Redis. The
// popping happens right there, under the writer's locks, so nobody else can
// take the element first; only the reply travels, by message, to the loop
// that owns the blocked client (the one wake-up this costs).
//
// A waiter whose command needs a shard the writer does not hold (BLMOVE into
// a key of another shard) stops the serving of that key: the key is served
// again just after, with the shards its head waiter needs locked in order
// (ServeDeferred). Between the two, a plain LPOP on the source from another
// loop may take the element first; the waiter then keeps its place.
//
// A client blocked on keys of several shards may be reached by several
// writers at once, but is served once: they claim it with an atomic flag.
// Its timeout and its disconnection claim it the same way, and so does
// CLIENT UNBLOCK from whichever loop runs it. A writer that finds a client
// claimed passes it by and marks it contended; whoever lets go of a claim
// without finishing the client looks at its keys again.
//
// Thread safety: BlockedClient's flags are atomic; the rest of it is written
// before it is registered and read-only afterwards, except the fields marked
// "home loop only". A registry belongs to its shard and is used under the
// shard's lock.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <asio/steady_timer.hpp>
#include <atomic>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/reply_builder.h"
#include "server/client/client.h"
#include "server/engine/shard_set.h"
#include "storage/entry.h"

namespace emberkv::storage {
struct Key;
}

namespace emberkv::server {

class Connection;
class Shard;
struct CommandContext;
struct CommandSpec;
class ShardLocks;
class Worker;

enum class ServeResult : uint8_t {
  kServed,   // the reply is written; the client is done
  kNothing,  // the key has nothing (more) to give
};

// Tries to serve a blocked command from `key` (one of its keys, holding a
// value of the client's kind, with every shard in BlockedClient::shards
// held): pops, writes the reply and returns kServed, or writes nothing and
// returns kNothing. ctx.client is nullptr.
using ServeFn = ServeResult (*)(CommandContext& ctx, const storage::Key& key);

struct BlockedClient {
  // Held while a writer serves the client, or while its timeout or its
  // disconnection finishes it; a writer that finds it held passes it by.
  std::atomic<bool> claimed{false};
  // Set once and for all when the client was served, timed out or left.
  std::atomic<bool> finished{false};
  // A writer passed the client by because it was claimed.
  std::atomic<bool> contended{false};

  int home = 0;  // the loop that owns the client
  std::weak_ptr<Connection> connection;
  const CommandSpec* spec = nullptr;
  std::vector<std::string> args;
  std::vector<std::string_view> arg_views;
  std::vector<uint64_t> key_hashes;  // by argument index, as routed
  std::vector<int> key_args;         // the keys it waits on, in argument order
  ShardSet shards;                   // every shard serving it needs locked
  int db = 0;
  protocol::RespVersion resp = protocol::RespVersion::kResp2;
  ClientFlags flags;
  storage::ValueType kind = storage::ValueType::kList;  // what it pops
  ServeFn serve = nullptr;
  std::string timeout_reply;  // what it answers when its time is up

  // Home loop only.
  std::unique_ptr<asio::steady_timer> timer;
  bool reply_suppressed = false;  // CLIENT REPLY OFF/SKIP dropped its reply
};

// A key whose serving waits for more shards than its writer held.
struct DeferredServe {
  int shard;  // the key's
  int db;
  std::string key;
  ShardSet needs;
};

class BlockingRegistry {
 public:
  void Block(int db, std::string_view key, const std::shared_ptr<BlockedClient>& client);
  void Unblock(int db, std::string_view key, const BlockedClient* client);

  // Called for every changed key (via the shard's key observer).
  void KeyChanged(int db, std::string_view key) {
    if (!waiters_.empty()) NoteReady(db, key);
  }
  // Every key of database `db` may have changed (SWAPDB).
  void DatabaseChanged(int db);
  bool has_ready() const { return !ready_.empty(); }

  // Serves the waiters of the keys that changed, oldest first, as long as
  // the keys have something to give. `self` is this registry's shard, held
  // by `locks`; keys whose head waiter needs more go to *deferred.
  void ServeReadyKeys(Worker& worker, ShardLocks& locks, Shard& self,
                      std::vector<DeferredServe>* deferred);
  // Serves one key (from ServeDeferred).
  void ServeKey(Worker& worker, ShardLocks& locks, Shard& self, int db, std::string_view key,
                std::vector<DeferredServe>* deferred);

  // Keys with waiters, and waiters in all (a client blocked on three keys
  // of this shard counts three times).
  size_t blocked_keys() const { return waiters_.size(); }
  size_t waiters() const;

 private:
  using Queue = std::deque<std::weak_ptr<BlockedClient>>;
  // The map's key for (db, key), built in a reused buffer.
  absl::string_view Slot(int db, std::string_view key);
  void NoteReady(int db, std::string_view key);

  absl::flat_hash_map<std::string, Queue> waiters_;
  std::vector<std::pair<int, std::string>> ready_;
  std::string slot_buffer_;
};

// ---- The executor's side ----

// Serves the ready keys of every shard `locks` holds. Not while pinned (a
// transaction's pushes wake nobody until it ends).
void ServeBlockedClients(Worker& worker, ShardLocks& locks);
// Serves keys left for more shards, taking them in order; `locks` must not
// be pinned and may be let go.
void ServeDeferred(Worker& worker, ShardLocks& locks);

// ---- The blocking command's side ----

// A BlockedClient for the command in `ctx`, waiting on the key arguments
// `key_args` for values of type `kind`. `timeout_reply` is the reply when
// its time is up; `extra_shards`, shards beyond its keys' that serve needs.
std::shared_ptr<BlockedClient> MakeBlockedClient(const CommandContext& ctx,
                                                 std::vector<int> key_args, storage::ValueType kind,
                                                 ServeFn serve, std::string timeout_reply,
                                                 ShardSet extra_shards = {});

// Registers `client` on its keys (with their shards held by ctx), hands it
// to the client's connection (which reads no more commands until the wait
// ends) and starts its timer (timeout_ms > 0). The command writes no reply
// now: the reply comes when a writer serves it or the time is up.
void BlockOnKeys(CommandContext& ctx, std::shared_ptr<BlockedClient> client, int64_t timeout_ms);

// The null array in the command's protocol: what BLPOP and its kind answer
// when their time is up (`timeout_reply` of MakeBlockedClient).
std::string NullArrayReply(const CommandContext& ctx);

// Whether the command in `ctx` may block: not inside MULTI or a script (it
// then answers at once as if it had timed out, as in Redis).
bool MayBlock(const CommandContext& ctx);

// Ends a blocked client's wait on its home loop after its reply arrived:
// stops its timer and leaves its keys' queues.
void EndWait(Worker& home, const std::shared_ptr<BlockedClient>& client);

// Ends the wait of a client that disconnected (from its home loop).
void CancelBlockedClient(Worker& home, const std::shared_ptr<BlockedClient>& client);

// CLIENT UNBLOCK, from any loop: ends the wait at once with `reply` (the
// client's timeout_reply, or an error), as a writer that served it would.
// Returns false when the wait had already ended (served, timed out, left,
// unblocked before).
bool UnblockClient(Worker& worker, std::shared_ptr<BlockedClient> client, std::string reply);

// CLIENT KILL, from any loop: ends the wait of a client being killed at
// once, without a reply, so that no writer serves it (and takes a value
// for a closed connection) after KILL has answered.
void AbandonWait(Worker& worker, std::shared_ptr<BlockedClient> client);

// A blocking command's timeout argument (seconds, as a float) with Redis
// 7.0's rules and errors: "timeout is not a float or out of range",
// "timeout is negative". Returns milliseconds (0: wait for ever), or nullopt
// after replying the error.
std::optional<int64_t> TimeoutArg(std::string_view arg, protocol::ReplyBuilder& reply);

}  // namespace emberkv::server
