// One event loop: a thread running its own asio::io_context, the
// connections it was given, and the background work of the shards assigned
// to it.
//
// A loop runs every command it reads itself, on whichever shards the keys
// live (engine/shard_locks.h). It wakes another loop only where it must:
// a blocked client's reply, a published message for a subscriber there,
// CLIENT KILL and CLIENT PAUSE's end, a connection handed over by the
// listener, shutdown. Such work travels as a Message through the target's
// lock-free inbox; messages sent during one turn are chained per
// destination and handed over with one atomic push (and at most one
// eventfd wake-up, only if the target sleeps) at the end of the turn.
//
// Background work: shard s belongs to loop s % loops for expiry, eviction,
// index growth and lazy freeing. Its timer does that work in slices of at
// most a few hundred microseconds under the shard's lock, so a command on
// another loop never waits long behind it.
//
// Thread safety: every method runs on the loop's own thread unless it says
// otherwise.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <asio/io_context.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/steady_timer.hpp>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "server/blocking/blocking.h"
#include "server/engine/message.h"
#include "server/engine/mpsc_queue.h"
#include "server/engine/shard_locks.h"
#include "server/net/uring_loop.h"
#include "server/stats.h"

namespace emberkv::server {

class Connection;
class Engine;
class LoopScripts;

class Worker {
 public:
  // The Lua heap of a loop when maxmemory is not set.
  static constexpr size_t kDefaultLuaMemoryLimit = size_t{1} << 30;

  Worker(Engine* engine, int id);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // The loop whose thread is running, or nullptr on other threads.
  static Worker* Current();

  int id() const { return id_; }
  Engine& engine() { return *engine_; }
  asio::io_context& io() { return io_; }
  // The shard locks this loop holds for the command it runs.
  ShardLocks& locks() { return locks_; }
  // Keys whose blocked clients wait for more shards (blocking/blocking.h).
  std::vector<DeferredServe>& deferred_serves() { return deferred_serves_; }
  // This loop's Lua state and what it compiled, made on first use.
  LoopScripts& scripts();
  // The loop's io_uring when the server uses io_uring (net/io_engine.h),
  // else nullptr: connections then use asio's epoll reactor.
  UringLoop* ring() { return ring_.get(); }
  // Keeps a connection alive while the ring has requests of it in flight
  // (their completions name it by pointer); idempotent.
  void HoldForRing(std::shared_ptr<Connection> connection) {
    ring_users_.emplace(connection.get(), std::move(connection));
  }
  void ReleaseFromRing(Connection* connection) { ring_users_.erase(connection); }
  // Its counters; read from any thread.
  WorkerStats& stats() { return stats_; }

  // Queues `message` to run on loop `target` (this one included); it leaves
  // at the end of the current turn.
  void Send(int target, std::unique_ptr<Message> message);
  // Pushes `message` into this loop's inbox from any thread, now.
  void PostFromAnyThread(std::unique_ptr<Message> message);

  // Unix time in milliseconds, refreshed once per loop turn (and before each
  // read's commands run), so that one command sees one instant.
  int64_t now_ms() const { return now_ms_; }
  void RefreshClock();

  // Runs the loop on the calling thread until Stop().
  void Run();
  // From any thread.
  void Stop();
  bool stopping() const { return stopping_.load(std::memory_order_relaxed); }

  // Connections served by this loop; the registry owns them until closed.
  void RegisterConnection(std::shared_ptr<Connection> connection);
  void UnregisterConnection(Connection* connection);
  // The connection at `connection` if it is still open here and still the
  // client `id` (a stale pointer from an old message yields nullptr).
  Connection* FindConnection(Connection* connection, uint64_t id) const;
  const absl::flat_hash_map<Connection*, std::shared_ptr<Connection>>& connections() const {
    return connections_;
  }

  // A connection with replies to send at the end of this loop turn.
  void ScheduleWrite(std::shared_ptr<Connection> connection) {
    pending_writes_.push_back(std::move(connection));
  }

  // CLIENT PAUSE: a connection whose next command waits for the pause to
  // end. Resumed when it ends (timer) or on CLIENT UNPAUSE.
  void HoldForPause(std::shared_ptr<Connection> connection);
  void ResumePaused();

  // Shutdown: every connection runs what it has read, writes its replies and
  // closes.
  void DrainConnections();

  // Callbacks run by the periodic timer (hz times a second).
  void AddCronHook(std::function<void()> hook) { cron_hooks_.push_back(std::move(hook)); }

 private:
  void ArmWakeup();
  void Wake();
  size_t DrainInbox();
  void FlushOutgoing();
  void ScheduleCron(int delay_ms);
  void Cron();
  // Expiry, eviction and upkeep of the shards this loop looks after, in
  // short slices under each shard's lock. True if work is left for soon.
  bool MaintainShards();
  void CloseIdleConnections();
  void SampleCpuTime();
  size_t FlushPendingWrites();
  // Wakes run_one when the ring has completions (see Run).
  void ArmRingWait();

  Engine* engine_;
  const int id_;
  asio::io_context io_;
  ShardLocks locks_;
  std::vector<DeferredServe> deferred_serves_;
  WorkerStats stats_;
  std::unique_ptr<LoopScripts> scripts_;
  int64_t now_ms_ = 0;

  MpscQueue inbox_;
  // Whether the loop is (about to be) blocked in epoll; senders wake it then.
  std::atomic<bool> sleeping_{false};
  std::atomic<bool> stopping_{false};
  int wakeup_fd_ = -1;
  asio::posix::stream_descriptor wakeup_;
  uint64_t wakeup_buffer_ = 0;

  struct Outgoing {
    Message* head = nullptr;
    Message* tail = nullptr;
  };
  std::vector<Outgoing> outgoing_;

  absl::flat_hash_map<Connection*, std::shared_ptr<Connection>> connections_;
  asio::steady_timer cron_timer_;
  std::vector<std::weak_ptr<Connection>> paused_;
  std::vector<std::shared_ptr<Connection>> pending_writes_;
  std::vector<std::shared_ptr<Connection>> writing_now_;
  asio::steady_timer pause_timer_;
  int64_t last_idle_check_ms_ = 0;
  std::vector<std::function<void()>> cron_hooks_;

  absl::flat_hash_map<Connection*, std::shared_ptr<Connection>> ring_users_;
  // After ring_users_, so that it goes first: closing the ring ends the
  // requests before the connections they point to.
  std::unique_ptr<UringLoop> ring_;
  asio::posix::stream_descriptor ring_wait_;  // the ring's descriptor, not owned
};

}  // namespace emberkv::server
