#include "server/engine/worker.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <asio/post.hpp>

#include <chrono>
#include <ctime>

#include "server/command_table.h"
#include "server/engine/engine.h"
#include "server/engine/memory_limit.h"
#include "server/net/connection.h"

namespace emberkv::server {
namespace {

thread_local Worker* current_worker = nullptr;

int64_t RealtimeMs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

uint64_t MonotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ULL + ts.tv_nsec;
}

// Expired keys reclaimed per shard per timer tick; more waiting means the
// timer comes back at once.
constexpr size_t kExpireBudgetPerTick = 20000;

}  // namespace

Worker::Worker(Engine* engine, int id)
    : engine_(engine),
      id_(id),
      io_(1),
      store_(engine->config().databases),
      wakeup_fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)),
      wakeup_(io_),
      outgoing_(engine->shard_count()),
      cron_timer_(io_),
      pause_timer_(io_) {
  wakeup_.assign(wakeup_fd_);
  stats_.commands.resize(CommandTable::Get().by_id().size());
  store_.context().observer = &key_events_;
  store_.SetMemoryPolicy(ShardMemoryPolicy(engine->config(), engine->shard_count()));
  RefreshClock();
}

Worker::~Worker() {
  // Undelivered messages (at shutdown) are dropped.
  while (MpscNode* node = inbox_.Pop()) {
    Message* message = static_cast<Message*>(node);
    while (message) {
      Message* next = message->batch_next;
      delete message;
      message = next;
    }
  }
  for (Outgoing& out : outgoing_) {
    while (out.head) {
      Message* next = out.head->batch_next;
      delete out.head;
      out.head = next;
    }
  }
}

Worker* Worker::Current() { return current_worker; }

void Worker::RegisterConnection(std::shared_ptr<Connection> connection) {
  Connection* key = connection.get();
  connections_.emplace(key, std::move(connection));
  ++stats_.connected_clients;
}

Connection* Worker::FindConnection(Connection* connection, uint64_t id) const {
  auto it = connections_.find(connection);
  if (it == connections_.end() || it->second->id() != id) return nullptr;
  return connection;
}

void Worker::HoldForPause(std::shared_ptr<Connection> connection) {
  paused_.push_back(connection);
  int64_t wait_ms = std::max<int64_t>(1, engine_->pause_until_ms() - now_ms());
  pause_timer_.expires_after(std::chrono::milliseconds(wait_ms));
  pause_timer_.async_wait([this](const asio::error_code& error) {
    if (!error) ResumePaused();
  });
}

void Worker::ResumePaused() {
  RefreshClock();
  std::vector<std::weak_ptr<Connection>> paused = std::move(paused_);
  paused_.clear();
  for (auto& weak : paused) {
    if (auto connection = weak.lock()) connection->ResumeAfterPause();
  }
}

void Worker::DrainConnections() {
  std::vector<std::shared_ptr<Connection>> all;
  for (auto& [raw, connection] : connections_) all.push_back(connection);
  for (auto& connection : all) connection->Drain();
}

void Worker::UnregisterConnection(Connection* connection) {
  auto it = connections_.find(connection);
  if (it == connections_.end()) return;
  // The connection may be running the code that closes it: let it finish.
  std::shared_ptr<Connection> keep = std::move(it->second);
  connections_.erase(it);
  --stats_.connected_clients;
  engine_->connected_clients().fetch_sub(1, std::memory_order_relaxed);
  asio::post(io_, [keep = std::move(keep)] {});
}

void Worker::RefreshClock() { store_.set_now_ms(RealtimeMs()); }

void Worker::Send(int target, std::unique_ptr<Message> message) {
  Message* raw = message.release();
  raw->batch_next = nullptr;
  Outgoing& out = outgoing_[target];
  if (out.tail) {
    out.tail->batch_next = raw;
  } else {
    out.head = raw;
  }
  out.tail = raw;
  if (target != id_) ++stats_.messages_sent;
}

void Worker::PostFromAnyThread(std::unique_ptr<Message> message) {
  Message* raw = message.release();
  raw->batch_next = nullptr;
  inbox_.Push(raw);
  Wake();
}

void Worker::Wake() {
  if (sleeping_.exchange(false, std::memory_order_seq_cst)) {
    uint64_t one = 1;
    [[maybe_unused]] ssize_t n = write(wakeup_fd_, &one, sizeof(one));
  }
}

void Worker::FlushOutgoing() {
  Engine& engine = *engine_;
  for (int target = 0; target < static_cast<int>(outgoing_.size()); ++target) {
    Outgoing& out = outgoing_[target];
    if (!out.head) continue;
    Message* head = out.head;
    out.head = out.tail = nullptr;
    Worker& destination = engine.worker(target);
    destination.inbox_.Push(head);
    if (target != id_) {
      ++stats_.batches_sent;
      if (destination.sleeping_.load(std::memory_order_seq_cst)) ++stats_.wakeups_sent;
      destination.Wake();
    }
  }
}

size_t Worker::DrainInbox() {
  size_t ran = 0;
  while (MpscNode* node = inbox_.Pop()) {
    Message* message = static_cast<Message*>(node);
    while (message) {
      Message* next = message->batch_next;
      message->Run();
      delete message;
      message = next;
      ++ran;
    }
  }
  return ran;
}

void Worker::ArmWakeup() {
  wakeup_.async_read_some(asio::buffer(&wakeup_buffer_, sizeof(wakeup_buffer_)),
                          [this](const asio::error_code& error, size_t) {
                            if (!error) ArmWakeup();
                          });
}

void Worker::ScheduleCron(int delay_ms) {
  cron_timer_.expires_after(std::chrono::milliseconds(delay_ms));
  cron_timer_.async_wait([this](const asio::error_code& error) {
    if (!error) Cron();
  });
}

void Worker::Cron() {
  RefreshClock();
  store_.ExpireDue(kExpireBudgetPerTick);
  store_.Maintain();
  bool evicting = ReclaimFromTimer(*this);
  for (auto& hook : cron_hooks_) hook();
  CloseIdleConnections();
  int period_ms = 1000 / std::max(1, engine_->config().hz.load());
  // Come back at once while expiry is behind (a wheel slot is still due,
  // e.g. after the budget ran out, cascades included) or the shard is still
  // over its memory limit.
  bool behind = evicting || store_.NextExpiryTime() <= now_ms();
  ScheduleCron(behind ? 1 : period_ms);
}

size_t Worker::FlushPendingWrites() {
  if (pending_writes_.empty()) return 0;
  // Writing may make a connection read and schedule more: that waits for the
  // next turn.
  writing_now_.swap(pending_writes_);
  size_t count = writing_now_.size();
  for (auto& connection : writing_now_) connection->WriteNow();
  writing_now_.clear();
  return count;
}

void Worker::CloseIdleConnections() {
  int timeout_s = engine_->config().timeout;
  int64_t now = now_ms();
  if (timeout_s <= 0 || now - last_idle_check_ms_ < 1000) return;
  last_idle_check_ms_ = now;
  std::vector<std::shared_ptr<Connection>> idle;
  for (auto& [raw, connection] : connections_) {
    // As in Redis, blocked clients and subscribers are never idle.
    if (connection->blocked() || connection->subscriptions() > 0) continue;
    if (now - connection->last_interaction_ms() > int64_t{timeout_s} * 1000) idle.push_back(connection);
  }
  for (auto& connection : idle) connection->Close();
}

void Worker::Run() {
  current_worker = this;
  ArmWakeup();
  ScheduleCron(1);
  while (!stopping_.load(std::memory_order_relaxed)) {
    uint64_t start = MonotonicNs();
    RefreshClock();
    size_t work = io_.poll();
    work += DrainInbox();
    // Keys changed by coordinated commands and hops may have waiters.
    blocking_.ServeReadyKeys(*this);
    work += FlushPendingWrites();
    FlushOutgoing();
    stats_.loop_busy_ns += MonotonicNs() - start;
    if (work == 0) {
      // Announce the sleep before the last look at the inbox: a sender that
      // pushes after the look sees the flag and wakes us.
      sleeping_.store(true, std::memory_order_seq_cst);
      if (inbox_.Empty() && pending_writes_.empty() && !stopping_.load(std::memory_order_seq_cst)) {
        io_.run_one();
      }
      sleeping_.store(false, std::memory_order_relaxed);
    }
  }
  // Let handlers of closed sockets and cancelled timers finish.
  cron_timer_.cancel();
  pause_timer_.cancel();
  // Cancel, not close: other workers may still Wake() this one until every
  // thread has stopped, and a closed descriptor's number can be reused by a
  // socket. The descriptor closes with the worker.
  wakeup_.cancel();
  io_.poll();
  DrainInbox();
  current_worker = nullptr;
}

void Worker::Stop() {
  stopping_.store(true, std::memory_order_seq_cst);
  sleeping_.store(true, std::memory_order_seq_cst);
  Wake();
}

}  // namespace emberkv::server
