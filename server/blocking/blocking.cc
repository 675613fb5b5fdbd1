#include "server/blocking/blocking.h"

#include <asio/post.hpp>
#include <chrono>
#include <cmath>
#include <thread>

#include "base/numbers.h"
#include "server/command_context.h"
#include "server/engine/engine.h"
#include "server/engine/shard_locks.h"
#include "server/net/connection.h"

namespace emberkv::server {
namespace {

// Timeouts longer than this (about a century) never fire; asio's clock
// would overflow on Redis's largest ones.
constexpr int64_t kForeverMs = int64_t{100} * 365 * 24 * 3600 * 1000;

// Ends the wait from the home loop (timeout, disconnection), with `reply`
// if it is a timeout. If a writer is serving the client at this very moment,
// its reply is on the way, or the claim will be let go: look again shortly.
void FinishFromHome(Worker& home, const std::shared_ptr<BlockedClient>& client, bool timed_out) {
  if (client->finished.load(std::memory_order_acquire)) return;
  if (client->claimed.exchange(true, std::memory_order_seq_cst)) {
    if (!client->timer) client->timer = std::make_unique<asio::steady_timer>(home.io());
    client->timer->expires_after(std::chrono::milliseconds(1));
    client->timer->async_wait([&home, client, timed_out](const asio::error_code& error) {
      if (!error) FinishFromHome(home, client, timed_out);
    });
    return;
  }
  client->finished.store(true, std::memory_order_release);
  if (timed_out) {
    if (auto connection = client->connection.lock())
      connection->EndBlockedWait(client->timeout_reply);
  }
  EndWait(home, client);
}

// Marks `key` of `db` ready on its shard, to be served by ServeDeferred.
void Recheck(Keyspace& keyspace, int db, std::string_view key,
             std::vector<DeferredServe>* deferred) {
  int shard = keyspace.ShardOfKey(key);
  deferred->push_back(DeferredServe{shard, db, std::string(key), ShardSet::Of(shard)});
}

// Lets go of a claim without finishing the client. If a writer passed the
// client by meanwhile, its keys are looked at again (all but `tried`, which
// the caller just found empty).
void ReleaseClaim(Keyspace& keyspace, BlockedClient& client, std::string_view tried,
                  std::vector<DeferredServe>* deferred) {
  client.claimed.store(false, std::memory_order_seq_cst);
  if (!client.contended.exchange(false, std::memory_order_seq_cst)) return;
  for (int arg : client.key_args) {
    if (client.arg_views[arg] != tried)
      Recheck(keyspace, client.db, client.arg_views[arg], deferred);
  }
}

// Sends a served client its reply, to the loop that owns it.
void Deliver(Worker& worker, std::shared_ptr<BlockedClient> client, std::string reply) {
  // The client and the reply are owned by the message; the connection is
  // looked up there, on its own loop, and may have gone.
  const int home = client->home;
  worker.Send(home, MakeMessage([client = std::move(client), reply = std::move(reply)] {
                Worker& home = *Worker::Current();
                if (auto connection = client->connection.lock()) connection->EndBlockedWait(reply);
                EndWait(home, client);
              }));
}

}  // namespace

// ---- The registry ----

absl::string_view BlockingRegistry::Slot(int db, std::string_view key) {
  slot_buffer_.clear();
  slot_buffer_.append(std::to_string(db)).push_back(':');
  slot_buffer_.append(key);
  return absl::string_view(slot_buffer_.data(), slot_buffer_.size());
}

void BlockingRegistry::Block(int db, std::string_view key,
                             const std::shared_ptr<BlockedClient>& client) {
  waiters_[std::string(Slot(db, key))].push_back(client);
}

void BlockingRegistry::Unblock(int db, std::string_view key, const BlockedClient* client) {
  auto it = waiters_.find(Slot(db, key));
  if (it == waiters_.end()) return;
  Queue& queue = it->second;
  for (auto q = queue.begin(); q != queue.end();) {
    auto locked = q->lock();
    if (!locked || locked.get() == client || locked->finished.load(std::memory_order_acquire)) {
      q = queue.erase(q);
    } else {
      ++q;
    }
  }
  if (queue.empty()) waiters_.erase(it);
}

size_t BlockingRegistry::waiters() const {
  size_t n = 0;
  for (const auto& [slot, queue] : waiters_) n += queue.size();
  return n;
}

void BlockingRegistry::NoteReady(int db, std::string_view key) {
  if (!waiters_.contains(Slot(db, key))) return;
  for (const auto& [d, k] : ready_) {
    if (d == db && k == key) return;
  }
  ready_.emplace_back(db, key);
}

void BlockingRegistry::DatabaseChanged(int db) {
  std::string prefix = std::to_string(db) + ":";
  for (const auto& [slot, queue] : waiters_) {
    if (slot.starts_with(prefix)) ready_.emplace_back(db, slot.substr(prefix.size()));
  }
}

void BlockingRegistry::ServeReadyKeys(Worker& worker, ShardLocks& locks, Shard& self,
                                      std::vector<DeferredServe>* deferred) {
  // Serving may fill other keys of this shard (BLMOVE's destination), which
  // become ready in turn.
  while (!ready_.empty()) {
    std::vector<std::pair<int, std::string>> ready = std::move(ready_);
    ready_.clear();
    for (auto& [db, key] : ready) ServeKey(worker, locks, self, db, key, deferred);
  }
}

void BlockingRegistry::ServeKey(Worker& worker, ShardLocks& locks, Shard& self, int db_index,
                                std::string_view key, std::vector<DeferredServe>* deferred) {
  auto it = waiters_.find(Slot(db_index, key));
  if (it == waiters_.end()) return;
  // Serving never adds or removes map entries (only Block and Unblock do,
  // and nobody blocks or unblocks on this shard while we hold it), so `it`
  // stays valid.
  Queue& queue = it->second;
  storage::Database& db = self.store().db(db_index);
  const storage::Key routed(key, storage::HashKey(key));
  for (size_t i = 0; i < queue.size();) {
    std::shared_ptr<BlockedClient> client = queue[i].lock();
    if (!client || client->finished.load(std::memory_order_acquire)) {
      queue.erase(queue.begin() + static_cast<long>(i));
      continue;
    }
    storage::Database::Slot slot;
    if (!db.Find(routed, &slot, storage::LookupMode::kWrite)) break;  // nothing (left) to give
    if (db.EntryAt(slot).type() != client->kind) {
      ++i;  // waits for another type of value
      continue;
    }
    if (!locks.held().Contains(client->shards)) {
      // Its command needs shards this writer does not hold: the key waits
      // for them, and nobody behind this client is served before it.
      deferred->push_back(DeferredServe{self.index(), db_index, std::string(key), client->shards});
      break;
    }
    if (client->claimed.exchange(true, std::memory_order_seq_cst)) {
      // Being served by another writer, or finished by its home. Say so
      // before looking once more, so that a claim let go meanwhile is either
      // seen here or sees the mark (see ReleaseClaim).
      client->contended.store(true, std::memory_order_seq_cst);
      if (client->claimed.exchange(true, std::memory_order_seq_cst)) {
        ++i;
        continue;
      }
    }
    std::string reply;
    protocol::ReplyBuilder builder(&reply, client->resp);
    CommandContext context{worker,     *client->spec, client->arg_views,
                           builder,    locks,         client->key_hashes,
                           client->db, client->flags, nullptr};
    if (client->serve(context, routed) == ServeResult::kNothing) {
      ReleaseClaim(locks.keyspace(), *client, key, deferred);
      break;
    }
    client->finished.store(true, std::memory_order_release);
    queue.erase(queue.begin() + static_cast<long>(i));
    worker.stats().commands_processed.Add(1);
    Deliver(worker, std::move(client), std::move(reply));
  }
  if (queue.empty()) waiters_.erase(it);
}

// ---- The executor's side ----

void ServeBlockedClients(Worker& worker, ShardLocks& locks) {
  if (locks.pinned()) return;
  // Serving a waiter may fill a key of another held shard (BLMOVE's
  // destination): go round until no held shard has a ready key.
  bool served = true;
  while (served) {
    served = false;
    locks.held().ForEach([&](int index) {
      Shard& shard = locks.shard(index);
      if (!shard.blocking().has_ready()) return;
      shard.blocking().ServeReadyKeys(worker, locks, shard, &worker.deferred_serves());
      served = true;
    });
  }
}

void ServeDeferred(Worker& worker, ShardLocks& locks) {
  std::vector<DeferredServe>& pending = worker.deferred_serves();
  while (!pending.empty()) {
    std::vector<DeferredServe> batch = std::move(pending);
    pending.clear();
    for (DeferredServe& item : batch) {
      ShardSet needs = item.needs;
      needs.Add(item.shard);
      locks.Acquire(needs);
      Shard& shard = locks.shard(item.shard);
      shard.blocking().ServeKey(worker, locks, shard, item.db, item.key, &pending);
      // What serving filled on the shards now held.
      ServeBlockedClients(worker, locks);
    }
  }
}

// ---- The blocking command's side ----

std::shared_ptr<BlockedClient> MakeBlockedClient(const CommandContext& ctx,
                                                 std::vector<int> key_args, storage::ValueType kind,
                                                 ServeFn serve, std::string timeout_reply,
                                                 ShardSet extra_shards) {
  auto client = std::make_shared<BlockedClient>();
  client->home = ctx.worker.id();
  if (ctx.client && ctx.client->connection())
    client->connection = ctx.client->connection()->weak_from_this();
  client->spec = &ctx.spec;
  client->args.assign(ctx.args.begin(), ctx.args.end());
  client->arg_views.assign(client->args.begin(), client->args.end());
  client->key_hashes.assign(ctx.key_hashes.begin(), ctx.key_hashes.end());
  client->key_hashes.resize(client->args.size(), 0);
  for (int arg : key_args) {
    if (client->key_hashes[arg] == 0) client->key_hashes[arg] = storage::HashKey(client->args[arg]);
    client->shards.Add(ctx.shards.keyspace().ShardOfHash(client->key_hashes[arg]));
  }
  client->shards.Add(extra_shards);
  client->key_args = std::move(key_args);
  client->db = ctx.db;
  client->resp = ctx.reply.version();
  client->flags = ctx.flags;
  client->kind = kind;
  client->serve = serve;
  client->timeout_reply = std::move(timeout_reply);
  return client;
}

void BlockOnKeys(CommandContext& ctx, std::shared_ptr<BlockedClient> client, int64_t timeout_ms) {
  Keyspace& keyspace = ctx.shards.keyspace();
  // Registered while the keys' shards are held: nothing can change the keys
  // between the failed attempt and this.
  for (int arg : client->key_args) {
    int shard = keyspace.ShardOfHash(client->key_hashes[arg]);
    ctx.shards.shard(shard).blocking().Block(client->db, client->arg_views[arg], client);
  }
  Worker& home = ctx.worker;
  if (timeout_ms > 0 && timeout_ms < kForeverMs) {
    client->timer = std::make_unique<asio::steady_timer>(home.io());
    client->timer->expires_after(std::chrono::milliseconds(timeout_ms));
    client->timer->async_wait([&home, client](const asio::error_code& error) {
      if (!error) FinishFromHome(home, client, true);
    });
  }
  ctx.client->set_blocked(std::move(client));
}

std::string NullArrayReply(const CommandContext& ctx) {
  std::string reply;
  protocol::ReplyBuilder(&reply, ctx.reply.version()).NullArray();
  return reply;
}

bool MayBlock(const CommandContext& ctx) {
  return ctx.client && ctx.client->connection() && !ctx.shards.pinned();
}

void EndWait(Worker& home, const std::shared_ptr<BlockedClient>& client) {
  if (client->timer) client->timer->cancel();
  // Leave the keys' queues (a writer that finds the client finished would
  // drop it anyway; this keeps idle queues from holding it). Posted: the
  // caller may be in the middle of a command, holding shards.
  asio::post(home.io(), [&home, client] {
    ShardLocks& locks = home.locks();
    Keyspace& keyspace = locks.keyspace();
    locks.set_now_ms(home.now_ms());
    for (int arg : client->key_args) {
      locks.AcquireOnly(keyspace.ShardOfHash(client->key_hashes[arg]));
      locks.shard(keyspace.ShardOfHash(client->key_hashes[arg]))
          .blocking()
          .Unblock(client->db, client->arg_views[arg], client.get());
    }
    locks.ReleaseAll();
  });
}

void CancelBlockedClient(Worker& home, const std::shared_ptr<BlockedClient>& client) {
  FinishFromHome(home, client, false);
}

namespace {

// Finishes the wait from any loop; false if it had ended already. A claim
// held by someone else is brief: a writer serving the client, or its home
// loop ending the wait. Both already hold every lock they need and wait for
// nothing, and either finish the client or let go at once, so waiting for
// them here cannot deadlock. CLIENT UNBLOCK must answer whether it ended
// the wait, and CLIENT KILL must know no writer will serve the client, so
// neither can pass the client by as writers do.
bool FinishFromAnywhere(BlockedClient& client) {
  while (client.claimed.exchange(true, std::memory_order_seq_cst)) {
    if (client.finished.load(std::memory_order_acquire)) return false;
    std::this_thread::yield();
  }
  if (client.finished.load(std::memory_order_acquire)) return false;
  client.finished.store(true, std::memory_order_release);
  return true;
}

}  // namespace

bool UnblockClient(Worker& worker, std::shared_ptr<BlockedClient> client, std::string reply) {
  if (!FinishFromAnywhere(*client)) return false;
  Deliver(worker, std::move(client), std::move(reply));
  return true;
}

void AbandonWait(Worker& worker, std::shared_ptr<BlockedClient> client) {
  if (!FinishFromAnywhere(*client)) return;
  // No reply (the connection is closing): its home stops the timer and
  // leaves the keys' queues.
  const int home = client->home;
  worker.Send(home,
              MakeMessage([client = std::move(client)] { EndWait(*Worker::Current(), client); }));
}

std::optional<int64_t> TimeoutArg(std::string_view arg, protocol::ReplyBuilder& reply) {
  long double seconds;
  if (!base::ParseLongDouble(arg, &seconds)) {
    reply.Error("ERR timeout is not a float or out of range");
    return std::nullopt;
  }
  // Redis rounds up to whole milliseconds; a value its conversion to a
  // 64-bit integer cannot hold (inf, 1e400) comes out as the most negative
  // integer on x86, hence "negative".
  long double ms = std::ceil(seconds * 1000.0L);
  if (!(ms > -9223372036854775808.0L && ms < 9223372036854775808.0L) || ms < 0) {
    reply.Error("ERR timeout is negative");
    return std::nullopt;
  }
  return static_cast<int64_t>(ms);
}

}  // namespace emberkv::server
