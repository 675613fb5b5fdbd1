#include "server/blocking/blocking.h"

#include <chrono>

#include "server/engine/engine.h"
#include "server/net/connection.h"
#include "server/transaction/multi_shard.h"

namespace emberkv::server {
namespace {

// Suspends the blocked command until a shard, its timeout or its
// disconnection finishes it.
struct UntilFinished {
  BlockedClient* client;
  bool await_ready() const noexcept { return client->finished.load(std::memory_order_acquire); }
  void await_suspend(std::coroutine_handle<> handle) noexcept { client->waiting = handle; }
  void await_resume() const noexcept {}
};

void Resume(BlockedClient& client) {
  if (std::coroutine_handle<> handle = std::exchange(client.waiting, {})) handle.resume();
}

// Ends the wait from the home worker (timeout, disconnection). If a shard is
// serving the client at this very moment, its reply is on the way: try again
// shortly (the shard either finishes the client or lets go of it).
void FinishFromHome(const std::shared_ptr<BlockedClient>& client, Worker& home) {
  if (client->finished.load(std::memory_order_acquire)) return;
  if (client->claimed.exchange(true, std::memory_order_acq_rel)) {
    if (!client->timer) client->timer = std::make_unique<asio::steady_timer>(home.io());
    client->timer->expires_after(std::chrono::milliseconds(1));
    client->timer->async_wait([client, &home](const asio::error_code& error) {
      if (!error) FinishFromHome(client, home);
    });
    return;
  }
  client->finished.store(true, std::memory_order_release);
  Resume(*client);
}

}  // namespace

std::string BlockingRegistry::Slot(int db, std::string_view key) {
  std::string slot = std::to_string(db);
  slot.push_back(':');
  slot.append(key);
  return slot;
}

void BlockingRegistry::Block(int db, std::string_view key, const std::shared_ptr<BlockedClient>& client) {
  waiters_[Slot(db, key)].push_back(client);
}

void BlockingRegistry::Unblock(int db, std::string_view key, const BlockedClient* client) {
  auto it = waiters_.find(Slot(db, key));
  if (it == waiters_.end()) return;
  auto& queue = it->second;
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

void BlockingRegistry::NoteReady(int db, std::string_view key) {
  if (!waiters_.contains(Slot(db, key))) return;
  for (const auto& [d, k] : ready_) {
    if (d == db && k == key) return;
  }
  ready_.emplace_back(db, key);
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
      auto& queue = it->second;
      for (size_t i = 0; i < queue.size();) {
        std::shared_ptr<BlockedClient> client = queue[i].lock();
        if (!client || client->finished.load(std::memory_order_acquire)) {
          queue.erase(queue.begin() + static_cast<long>(i));
          continue;
        }
        // Being finished by another shard or by its home: not ours to serve.
        if (client->claimed.exchange(true, std::memory_order_acq_rel)) {
          ++i;
          continue;
        }
        std::string reply;
        protocol::ReplyBuilder builder(&reply, client->resp);
        OpContext context{worker, worker.store().db(client->db), client->arg_views, builder,
                          *client->spec, client->flags};
        if (!client->serve(context, key)) {
          client->claimed.store(false, std::memory_order_release);
          break;  // the key has nothing more to give
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
      if (queue.empty()) waiters_.erase(Slot(db, key));
    }
  }
  ready_ = std::move(held);
  serving_ = false;
}

std::shared_ptr<BlockedClient> MakeBlockedClient(const CoordContext& ctx, const std::vector<int>& key_indices,
                                                 ServeFn serve) {
  auto client = std::make_shared<BlockedClient>();
  client->home = ctx.worker.id();
  client->spec = &ctx.spec;
  client->args.assign(ctx.args.begin(), ctx.args.end());
  client->arg_views.assign(client->args.begin(), client->args.end());
  for (int i : key_indices) client->keys.push_back(client->args[i]);
  client->db = ctx.db;
  client->resp = ctx.reply.version();
  client->flags = ctx.flags;
  client->serve = serve;
  return client;
}

Task<void> WaitForKeys(CoordContext& ctx, MultiShardLock& lock, std::shared_ptr<BlockedClient> client,
                       int64_t timeout_ms) {
  Worker& home = ctx.worker;
  std::vector<std::string_view> keys(client->keys.begin(), client->keys.end());
  std::vector<ShardKeys> plan = GroupKeysByShard(ctx.engine, keys);
  // Registered while the locks are held: nothing can change the keys
  // between the failed attempt and this.
  for (const ShardKeys& part : plan) {
    co_await home.RunOn(part.shard, [&](Worker& shard) {
      for (std::string_view key : part.keys) shard.blocking().Block(client->db, key, client);
    });
  }
  lock.Release();

  Connection* connection = ctx.connection;
  if (connection) connection->set_blocked(client);
  if (timeout_ms > 0) {
    client->timer = std::make_unique<asio::steady_timer>(home.io());
    client->timer->expires_after(std::chrono::milliseconds(timeout_ms));
    client->timer->async_wait([client, &home](const asio::error_code& error) {
      if (!error) FinishFromHome(client, home);
    });
  }
  co_await UntilFinished{client.get()};
  if (client->timer) client->timer->cancel();
  if (connection) connection->set_blocked(nullptr);

  // Leave the other keys' queues (a shard that finds the client finished
  // would drop it anyway; this keeps idle queues from holding it).
  const BlockedClient* raw = client.get();
  for (const ShardKeys& part : plan) {
    std::vector<std::string> part_keys(part.keys.begin(), part.keys.end());
    home.Send(part.shard, MakeMessage([db = client->db, part_keys = std::move(part_keys), raw, keep = client] {
      for (const std::string& key : part_keys) Worker::Current()->blocking().Unblock(db, key, raw);
    }));
  }
  if (client->served) {
    ctx.reply.Raw(client->reply);
  } else {
    client->timed_out = true;
  }
}

void CancelBlockedClient(const std::shared_ptr<BlockedClient>& client, Worker& home) {
  FinishFromHome(client, home);
}

}  // namespace emberkv::server
