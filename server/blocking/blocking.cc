#include "server/blocking/blocking.h"

#include <chrono>
#include <cmath>

#include "base/numbers.h"
#include "server/engine/engine.h"
#include "server/net/connection.h"
#include "server/transaction/multi_shard.h"

namespace emberkv::server {
namespace {

// Timeouts longer than this (about a century) never fire; asio's clock
// would overflow on Redis's largest ones.
constexpr int64_t kForeverMs = int64_t{100} * 365 * 24 * 3600 * 1000;

// Suspends the blocked command until a shard's reply, its timeout or its
// disconnection ends the wait, or a shard wakes it. Only what the home
// worker itself recorded counts: a shard on this very thread may have
// finished the client already while its reply is still a message away.
struct UntilFinished {
  BlockedClient* client;
  bool await_ready() const noexcept { return client->served || client->timed_out || client->wake_pending; }
  void await_suspend(std::coroutine_handle<> handle) noexcept { client->waiting = handle; }
  void await_resume() const noexcept {}
};

void Resume(BlockedClient& client) {
  if (std::coroutine_handle<> handle = std::exchange(client.waiting, {})) handle.resume();
}

// Ends the wait from the home worker (timeout, disconnection). If a shard is
// serving the client at this very moment (or its command is finishing a
// wake), its reply is on the way: try again shortly (the claim is either
// turned into a finish or let go).
void FinishFromHome(const std::shared_ptr<BlockedClient>& client, Worker& home) {
  if (client->finished.load(std::memory_order_acquire)) return;
  if (client->claimed.exchange(true, std::memory_order_seq_cst)) {
    if (!client->timer) client->timer = std::make_unique<asio::steady_timer>(home.io());
    client->timer->expires_after(std::chrono::milliseconds(1));
    client->timer->async_wait([client, &home](const asio::error_code& error) {
      if (!error) FinishFromHome(client, home);
    });
    return;
  }
  client->finished.store(true, std::memory_order_release);
  client->timed_out = true;
  Resume(*client);
}

// Asks the shard of `key` to look at its waiters again.
void Recheck(Worker& from, int db, const std::string& key) {
  int shard = from.engine().ShardOfKey(key);
  from.Send(shard, MakeMessage([db, key] { Worker::Current()->blocking().KeyChanged(db, key); }));
}

// Lets go of a claim without finishing the client. If a shard passed the
// client by meanwhile, its keys are looked at again (all but `tried`, which
// the caller just found empty).
void ReleaseClaim(Worker& worker, BlockedClient& client, std::string_view tried) {
  client.claimed.store(false, std::memory_order_seq_cst);
  if (!client.contended.exchange(false, std::memory_order_seq_cst)) return;
  for (const std::string& key : client.keys) {
    if (key != tried) Recheck(worker, client.db, key);
  }
}

// What ends every wait: the timer, the connection's note, the queues.
void EndWait(CoordContext& ctx, const std::shared_ptr<BlockedClient>& client) {
  Worker& home = ctx.worker;
  if (client->timer) client->timer->cancel();
  if (ctx.connection) ctx.connection->set_blocked(nullptr);
  // Leave the keys' queues (a shard that finds the client finished would
  // drop it anyway; this keeps idle queues from holding it).
  std::vector<std::string_view> keys(client->keys.begin(), client->keys.end());
  const BlockedClient* raw = client.get();
  for (const ShardKeys& part : GroupKeysByShard(ctx.engine, keys)) {
    std::vector<std::string> part_keys(part.keys.begin(), part.keys.end());
    home.Send(part.shard, MakeMessage([db = client->db, part_keys = std::move(part_keys), raw, keep = client] {
      for (const std::string& key : part_keys) Worker::Current()->blocking().Unblock(db, key, raw);
    }));
  }
}

}  // namespace

// ---- The registry ----

absl::string_view BlockingRegistry::Slot(int db, std::string_view key) {
  slot_buffer_.clear();
  slot_buffer_.append(std::to_string(db)).push_back(':');
  slot_buffer_.append(key);
  return absl::string_view(slot_buffer_.data(), slot_buffer_.size());
}

void BlockingRegistry::Block(int db, std::string_view key, const std::shared_ptr<BlockedClient>& client) {
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

void BlockingRegistry::ServeReadyKeys(Worker& worker) {
  if (serving_ || ready_.empty()) return;
  serving_ = true;
  std::vector<std::pair<int, std::string>> held;  // keys a multi-shard command holds: later
  while (!ready_.empty()) {
    std::vector<std::pair<int, std::string>> ready = std::move(ready_);
    ready_.clear();
    for (auto& [db, key] : ready) {
      auto it = waiters_.find(Slot(db, key));
      if (it == waiters_.end()) continue;
      if (!worker.locks().CanRunNow({key}, LockMode::kExclusive)) {
        held.emplace_back(db, key);
        continue;
      }
      // Serving never adds or removes map entries (only Block and Unblock
      // do), so `it` stays valid.
      ServeKey(worker, db, key, it->second);
      if (it->second.empty()) waiters_.erase(it);
    }
  }
  ready_ = std::move(held);
  serving_ = false;
}

void BlockingRegistry::ServeKey(Worker& worker, int db_index, std::string_view key, Queue& queue) {
  storage::Database& db = worker.store().db(db_index);
  for (size_t i = 0; i < queue.size();) {
    std::shared_ptr<BlockedClient> client = queue[i].lock();
    if (!client || client->finished.load(std::memory_order_acquire)) {
      queue.erase(queue.begin() + static_cast<long>(i));
      continue;
    }
    // Its home is finishing what this shard started: nobody behind it may
    // take its element meanwhile.
    if (client->woken.load(std::memory_order_acquire)) return;
    storage::Database::Slot slot;
    if (!db.Find(key, &slot, storage::LookupMode::kWrite)) return;  // nothing (left) to give
    if (db.EntryAt(slot).type() != client->kind) {
      ++i;  // waits for another type of value
      continue;
    }
    if (client->claimed.exchange(true, std::memory_order_seq_cst)) {
      // Being served by another shard or finished by its home. Say so before
      // looking once more, so that a claim let go meanwhile is either seen
      // here or sees the mark (see ReleaseClaim).
      client->contended.store(true, std::memory_order_seq_cst);
      if (client->claimed.exchange(true, std::memory_order_seq_cst)) {
        ++i;
        continue;
      }
    }
    std::string reply;
    protocol::ReplyBuilder builder(&reply, client->resp);
    OpContext context{worker, db, client->arg_views, builder, *client->spec, client->flags};
    switch (client->serve(context, key)) {
      case ServeResult::kNothing:
        ReleaseClaim(worker, *client, key);
        return;
      case ServeResult::kWake:
        // The claim stays: the client's command now owns the client.
        client->woken.store(true, std::memory_order_release);
        worker.Send(client->home, MakeMessage([client, key = std::string(key)]() mutable {
          client->woken_key = std::move(key);
          client->wake_pending = true;
          Resume(*client);
        }));
        return;
      case ServeResult::kServed:
        break;
    }
    client->finished.store(true, std::memory_order_release);
    queue.erase(queue.begin() + static_cast<long>(i));
    ++worker.stats().commands_processed;
    worker.Send(client->home, MakeMessage([client, reply = std::move(reply)]() mutable {
      client->reply = std::move(reply);
      client->served = true;
      Resume(*client);
    }));
  }
}

// ---- Commands' side ----

std::shared_ptr<BlockedClient> MakeBlockedClient(const CoordContext& ctx, const std::vector<int>& key_indices,
                                                 storage::ValueType kind, ServeFn serve) {
  auto client = std::make_shared<BlockedClient>();
  client->home = ctx.worker.id();
  client->spec = &ctx.spec;
  client->args.assign(ctx.args.begin(), ctx.args.end());
  client->arg_views.assign(client->args.begin(), client->args.end());
  for (int i : key_indices) client->keys.push_back(client->args[i]);
  client->db = ctx.db;
  client->resp = ctx.reply.version();
  client->flags = ctx.flags;
  client->kind = kind;
  client->serve = serve;
  return client;
}

Task<void> WaitForKeys(CoordContext& ctx, MultiShardLock& lock, std::shared_ptr<BlockedClient> client,
                       int64_t timeout_ms) {
  Worker& home = ctx.worker;
  if (!client->registered) {
    std::vector<std::string_view> keys(client->keys.begin(), client->keys.end());
    // Registered while the locks are held: nothing can change the keys
    // between the failed attempt and this.
    for (const ShardKeys& part : GroupKeysByShard(ctx.engine, keys)) {
      co_await home.RunOn(part.shard, [&](Worker& shard) {
        for (std::string_view key : part.keys) shard.blocking().Block(client->db, key, client);
      });
    }
    client->registered = true;
    lock.Release();
    if (ctx.connection) ctx.connection->set_blocked(client);
    if (timeout_ms > 0 && timeout_ms < kForeverMs) {
      client->timer = std::make_unique<asio::steady_timer>(home.io());
      client->timer->expires_after(std::chrono::milliseconds(timeout_ms));
      client->timer->async_wait([client, &home](const asio::error_code& error) {
        if (!error) FinishFromHome(client, home);
      });
    }
  } else {
    // Woken, but the element was gone by the time the command held its
    // locks: back to waiting, in the place it had. The claim is let go while
    // the locks are still held, so the next push (which waits for them)
    // finds the client ready to be served.
    client->wake_pending = false;
    client->woken.store(false, std::memory_order_release);
    ReleaseClaim(home, *client, {});
    lock.Release();
    Recheck(home, client->db, client->woken_key);
  }
  co_await UntilFinished{client.get()};
  if (!client->served && !client->timed_out) co_return;  // woken: the command goes on
  EndWait(ctx, client);
  if (client->served) ctx.reply.Raw(client->reply);
}

void FinishWoken(CoordContext& ctx, const std::shared_ptr<BlockedClient>& client) {
  client->wake_pending = false;
  client->finished.store(true, std::memory_order_release);
  client->woken.store(false, std::memory_order_release);
  EndWait(ctx, client);
  // Whoever waits behind it on that key may be served now.
  Recheck(ctx.worker, client->db, client->woken_key);
}

void CancelBlockedClient(const std::shared_ptr<BlockedClient>& client, Worker& home) {
  FinishFromHome(client, home);
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
