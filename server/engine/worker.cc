#include "server/engine/worker.h"

#include <sys/eventfd.h>
#include <sys/resource.h>
#include <unistd.h>

#include <asio/post.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "server/command_table.h"
#include "server/engine/engine.h"
#include "server/engine/memory_limit.h"
#include "server/net/connection.h"
#include "server/scripting/loop_scripts.h"

namespace emberkv::server {
namespace {

thread_local Worker* current_worker = nullptr;

int64_t RealtimeMs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// Background work on a shard is done in slices, each under one hold of the
// shard's lock: a slice reclaims at most kExpireSlice expired keys (a few
// hundred microseconds at worst, with collections freed lazily), so a
// command on another loop never waits long behind it.
constexpr size_t kExpireSlice = 1000;
// Expired keys reclaimed per shard per timer tick; more waiting means the
// timer comes back at once.
constexpr size_t kExpireBudgetPerTick = 20000;
// Eviction slices per shard per tick (each at most kEvictionSliceBudget
// index chunks, see memory_limit.h).
constexpr int kEvictionSlicesPerTick = 16;

}  // namespace

Worker::Worker(Engine* engine, int id)
    : engine_(engine),
      id_(id),
      io_(1),
      locks_(engine->keyspace()),
      stats_(CommandTable::Get().by_id().size()),
      wakeup_fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)),
      wakeup_(io_),
      outgoing_(engine->worker_count()),
      cron_timer_(io_),
      pause_timer_(io_),
      ring_wait_(io_) {
  wakeup_.assign(wakeup_fd_);
  if (engine->io_engine() == IoEngine::kIoUring) {
    // The start-up probe (net/io_engine.h) succeeded, so this fails only
    // when the system runs out of something; a server that was told to use
    // io_uring does not silently serve part of its loops with epoll.
    std::string error;
    ring_ = UringLoop::Create(&error);
    if (!ring_) {
      std::fprintf(stderr, "emberkv: io-engine io_uring: loop %d: %s\n", id, error.c_str());
      std::exit(1);
    }
    ring_wait_.assign(ring_->fd());
  }
  RefreshClock();
}

LoopScripts& Worker::scripts() {
  if (!scripts_) {
    scripting::EngineOptions options;
    // The busy threshold is CONFIG's, read by the host at every hook
    // (ServerScriptHost::OnBusy), so that CONFIG SET applies at once.
    options.busy_threshold = std::chrono::milliseconds(0);
    // Redis does not bound the Lua heap; we do, so that a string.rep or
    // table bomb gets "not enough memory" instead of taking the process.
    const uint64_t maxmemory = engine_->config().maxmemory;
    options.memory_limit = maxmemory != 0 ? maxmemory : kDefaultLuaMemoryLimit;
    scripts_ = std::make_unique<LoopScripts>(engine_->scripts(), options);
  }
  return *scripts_;
}

Worker::~Worker() {
  // The ring closes its own descriptor.
  if (ring_) ring_wait_.release();
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
  stats_.connected_clients.Add(1);
}

Connection* Worker::FindConnection(Connection* connection, uint64_t id) const {
  auto it = connections_.find(connection);
  if (it == connections_.end() || it->second->client().id() != id) return nullptr;
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
  stats_.connected_clients.Sub(1);
  engine_->connected_clients().fetch_sub(1, std::memory_order_relaxed);
  asio::post(io_, [keep = std::move(keep)] {});
}

void Worker::RefreshClock() { now_ms_ = RealtimeMs(); }

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
  if (target != id_) stats_.messages_sent.Add(1);
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
  for (int target = 0; target < static_cast<int>(outgoing_.size()); ++target) {
    Outgoing& out = outgoing_[target];
    if (!out.head) continue;
    Message* head = out.head;
    out.head = out.tail = nullptr;
    Worker& destination = engine_->worker(target);
    destination.inbox_.Push(head);
    if (target != id_) {
      if (destination.sleeping_.load(std::memory_order_seq_cst)) stats_.wakeups_sent.Add(1);
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

void Worker::ArmRingWait() {
  ring_wait_.async_wait(asio::posix::stream_descriptor::wait_read,
                        [this](const asio::error_code& error) {
                          if (!error) ArmRingWait();  // the loop reaps the completions itself
                        });
}

void Worker::ScheduleCron(int delay_ms) {
  cron_timer_.expires_after(std::chrono::milliseconds(delay_ms));
  cron_timer_.async_wait([this](const asio::error_code& error) {
    if (!error) Cron();
  });
}

bool Worker::MaintainShards() {
  Keyspace& keyspace = engine_->keyspace();
  const int loops = engine_->worker_count();
  bool behind = false;
  locks_.set_now_ms(now_ms_);
  for (int index = id_; index < keyspace.shard_count(); index += loops) {
    // A busy script holds this shard for long: waiting for it here would
    // keep this loop from serving SCRIPT KILL.
    if (engine_->scripts().busy_shards().Contains(index)) continue;
    // Expiry: slice after slice while keys are due, up to the tick's budget.
    size_t expired = 0;
    while (engine_->active_expire()) {
      locks_.AcquireOnly(index);
      storage::ShardStore& store = locks_.shard(index).store();
      size_t slice = store.ExpireDue(kExpireSlice);
      expired += slice;
      bool due = store.NextExpiryTime() <= now_ms_;
      locks_.ReleaseAll();
      if (!due) break;
      if (expired >= kExpireBudgetPerTick || slice == 0) {
        behind = true;  // come back at once
        break;
      }
    }
    // Index growth, stale wheel references, lazy freeing, eviction.
    locks_.AcquireOnly(index);
    Shard& shard = locks_.shard(index);
    shard.store().Maintain();
    shard.PublishUsedMemory(shard.store().UsedMemory());
    locks_.ReleaseAll();
    for (int slice = 0; slice < kEvictionSlicesPerTick; ++slice) {
      locks_.AcquireOnly(index);
      bool evicting = ReclaimFromTimer(locks_.shard(index));
      locks_.ReleaseAll();
      if (!evicting) break;
      if (slice + 1 == kEvictionSlicesPerTick) behind = true;
    }
  }
  return behind;
}

void Worker::SampleCpuTime() {
  rusage usage;
  if (getrusage(RUSAGE_THREAD, &usage) != 0) return;
  stats_.cpu_user_us.Set(static_cast<uint64_t>(usage.ru_utime.tv_sec) * 1000000 +
                         usage.ru_utime.tv_usec);
  stats_.cpu_sys_us.Set(static_cast<uint64_t>(usage.ru_stime.tv_sec) * 1000000 +
                        usage.ru_stime.tv_usec);
}

void Worker::Cron() {
  RefreshClock();
  bool behind = MaintainShards();
  SampleCpuTime();
  for (auto& hook : cron_hooks_) hook();
  CloseIdleConnections();
  int period_ms = 1000 / std::max(1, engine_->config().hz.load());
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
    const Client& client = connection->client();
    if (client.is_blocked() || client.subscribed()) continue;
    if (now - client.last_interaction_ms() > int64_t{timeout_s} * 1000) idle.push_back(connection);
  }
  for (auto& connection : idle) connection->Close();
}

// With io_uring, who waits? The loop still sleeps in asio's epoll_wait,
// with the ring's descriptor among asio's: asio keeps the timers, the
// acceptor, the metrics listener, posts and the inbox's eventfd exactly as
// with epoll, and the ring only carries the clients' sockets. A turn then
// costs one epoll_wait (woken by the ring, or by anything of asio's) and at
// most one io_uring_enter (every send and re-armed receive of the turn,
// submitted together); the receives themselves cost no system call, being
// multishot into provided buffers. The other way round, sleeping in
// io_uring_submit_and_wait, would save the epoll_wait, but asio gives no
// access to its reactor's descriptor or timer queue to wait on through the
// ring. It is not needed: a turn serves every request that arrived while
// the loop slept, so the pair of calls stays well below one per request.
// Measured with strace -c -f around redis-benchmark -t get -n 50000 -c 50
// -P 1, two loops, 2026-12-07: 0.31 system calls per request (epoll_wait
// 0.12, io_uring_enter 0.11, asio's epoll_ctl to re-arm the ring's wait
// 0.06) against 3.07 on the epoll path.
void Worker::Run() {
  current_worker = this;
  ArmWakeup();
  if (ring_) ArmRingWait();
  ScheduleCron(1);
  while (!stopping_.load(std::memory_order_relaxed)) {
    RefreshClock();
    DrainInbox();
    if (ring_)
      ring_->Reap([](const UringLoop::Completion& completion) {
        Connection::OnRingCompletion(completion);
      });
    FlushPendingWrites();
    FlushOutgoing();
    if (ring_) ring_->Submit();
    // Announce a possible sleep before the last look at the inbox: a sender
    // that pushes after the look sees the flag and wakes us. run_one runs
    // one ready handler, or waits in epoll_wait when none is ready: one
    // epoll_wait per round of ready sockets, and none in between (polling
    // would ask the kernel again for nothing). Completions that came after
    // the reap above wake epoll_wait through the ring's descriptor.
    sleeping_.store(true, std::memory_order_seq_cst);
    if (inbox_.Empty() && pending_writes_.empty() && !stopping_.load(std::memory_order_seq_cst) &&
        !(ring_ && ring_->HasCompletions())) {
      io_.run_one();
    }
    sleeping_.store(false, std::memory_order_relaxed);
  }
  // Let handlers of closed sockets and cancelled timers finish.
  cron_timer_.cancel();
  pause_timer_.cancel();
  // Cancel, not close: other loops may still Wake() this one until every
  // thread has stopped, and a closed descriptor's number can be reused by a
  // socket. The descriptor closes with the worker.
  wakeup_.cancel();
  if (ring_) ring_wait_.cancel();
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
