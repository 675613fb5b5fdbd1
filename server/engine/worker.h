// One event-loop thread and the shard it owns.
//
// Each worker runs its own asio::io_context, owns one ShardStore (the keys
// whose hash maps to it) and the connections it was given. Nothing in a
// worker is touched by another thread: work for another shard travels as a
// Message through that worker's lock-free inbox. Messages sent during one
// turn of the loop are batched per destination and handed over with one
// atomic push (and at most one wake-up) at the end of the turn.
//
// Thread safety: every method runs on the worker's own thread unless it says
// otherwise.
#pragma once

#include <absl/container/flat_hash_map.h>
#include <asio/io_context.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/steady_timer.hpp>

#include <atomic>
#include <cstdint>
#include <coroutine>
#include <functional>
#include <memory>
#include <optional>
#include <thread>
#include <type_traits>
#include <vector>

#include "server/blocking/blocking.h"
#include "server/engine/message.h"
#include "server/engine/mpsc_queue.h"
#include "server/engine/task.h"
#include "server/observability/worker_records.h"
#include "server/pubsub/pubsub_registry.h"
#include "server/stats.h"
#include "server/transaction/lock_table.h"
#include "server/transaction/watch.h"
#include "storage/shard_store.h"

namespace emberkv::server {

class Connection;
class Engine;

class Worker {
 public:
  Worker(Engine* engine, int id);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // The worker whose thread is running, or nullptr on other threads.
  static Worker* Current();

  int id() const { return id_; }
  Engine& engine() { return *engine_; }
  asio::io_context& io() { return io_; }
  storage::ShardStore& store() { return store_; }
  LockTable& locks() { return locks_; }
  WatchRegistry& watches() { return watches_; }
  PubSubRegistry& pubsub() { return pubsub_; }
  BlockingRegistry& blocking() { return blocking_; }
  WorkerStats& stats() { return stats_; }
  // Whether this shard was over its memory limit with nothing to evict after
  // its last command or timer tick (engine/memory_limit.h); from any thread.
  bool out_of_memory() const { return out_of_memory_.load(std::memory_order_relaxed); }
  void set_out_of_memory(bool value) {
    // Written only when it changes: other threads read the line it is on.
    if (out_of_memory() != value) out_of_memory_.store(value, std::memory_order_relaxed);
  }
  // The slow log and the latency monitor's events of commands run here.
  WorkerRecords& records() { return records_; }

  // Queues `message` to run on worker `target` (this one included); it leaves
  // at the end of the current loop turn.
  void Send(int target, std::unique_ptr<Message> message);

  // Pushes `message` into this worker's inbox from any thread, now.
  void PostFromAnyThread(std::unique_ptr<Message> message);

  // Runs fn(Worker&) on `target` and hands its result to done(result) back
  // on this worker. Whatever fn captures must be safe on the target thread.
  template <class Fn, class Done>
  void Call(int target, Fn fn, Done done);

  // An awaitable that runs fn(Worker&) on `target` and resumes the awaiting
  // coroutine here with its result. Runs fn inline when target is this worker.
  template <class Fn>
  auto RunOn(int target, Fn fn);

  // Unix time in milliseconds, refreshed once per loop turn (and before each
  // command batch), so that one command sees one instant.
  int64_t now_ms() const { return store_.context().now_ms; }
  void RefreshClock();

  // Runs the loop on the calling thread until Stop().
  void Run();
  // From any thread.
  void Stop();
  bool stopping() const { return stopping_.load(std::memory_order_relaxed); }

  // Connections served by this worker; the registry owns them until closed.
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
  // closes. From the worker's thread.
  void DrainConnections();

  // Callbacks run by the periodic timer (hz times a second): connection
  // housekeeping registers here.
  void AddCronHook(std::function<void()> hook) { cron_hooks_.push_back(std::move(hook)); }

 private:
  void ArmWakeup();
  void Wake();
  size_t DrainInbox();
  void FlushOutgoing();
  void ScheduleCron(int delay_ms);
  void Cron();
  void CloseIdleConnections();
  size_t FlushPendingWrites();

  Engine* engine_;
  const int id_;
  asio::io_context io_;
  storage::ShardStore store_;
  LockTable locks_;
  WatchRegistry watches_;
  PubSubRegistry pubsub_;
  BlockingRegistry blocking_;
  // Tells the WATCH and blocking registries about every changed key.
  class KeyEvents : public storage::KeyObserver {
   public:
    explicit KeyEvents(Worker* worker) : worker_(worker) {}
    void KeyChanged(int db, std::string_view key) override {
      worker_->watches_.KeyChanged(db, key);
      worker_->blocking_.KeyChanged(db, key);
    }
    void DatabaseCleared(storage::Database& emptied, storage::Database* replaced_with) override {
      worker_->watches_.DatabaseCleared(emptied, replaced_with);
      // SWAPDB: clients blocked in either database may find their keys now.
      if (replaced_with) worker_->blocking_.DatabaseChanged(emptied.index());
    }

   private:
    Worker* worker_;
  };
  KeyEvents key_events_{this};
  WorkerStats stats_;
  WorkerRecords records_;

  MpscQueue inbox_;
  // Whether the loop is (about to be) blocked in epoll; senders wake it then.
  std::atomic<bool> sleeping_{false};
  std::atomic<bool> stopping_{false};
  std::atomic<bool> out_of_memory_{false};
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
};

template <class Fn, class Done>
void Worker::Call(int target, Fn fn, Done done) {
  Worker* origin = this;
  Send(target, MakeMessage([origin, fn = std::move(fn), done = std::move(done)]() mutable {
    Worker* here = Worker::Current();
    auto result = fn(*here);
    here->Send(origin->id(), MakeMessage([done = std::move(done), result = std::move(result)]() mutable {
      done(std::move(result));
    }));
  }));
}

template <class Fn>
auto Worker::RunOn(int target, Fn fn) {
  using Result = std::invoke_result_t<Fn&, Worker&>;
  struct Awaitable {
    Worker* origin;
    int target;
    Fn fn;
    // The result is written on the target thread and read after the resume
    // message comes back, which orders the two.
    std::conditional_t<std::is_void_v<Result>, bool, std::optional<Result>> result{};

    bool await_ready() {
      if (target != origin->id()) return false;
      if constexpr (std::is_void_v<Result>) {
        fn(*origin);
      } else {
        result.emplace(fn(*origin));
      }
      return true;
    }
    void await_suspend(std::coroutine_handle<> awaiting) {
      // `this` lives in the suspended coroutine's frame until it resumes.
      origin->Send(target, MakeMessage([this, awaiting]() {
        Worker* here = Worker::Current();
        if constexpr (std::is_void_v<Result>) {
          fn(*here);
        } else {
          result.emplace(fn(*here));
        }
        here->Send(origin->id(), MakeMessage([awaiting]() { awaiting.resume(); }));
      }));
    }
    Result await_resume() {
      if constexpr (!std::is_void_v<Result>) return std::move(*result);
    }
  };
  return Awaitable{this, target, std::move(fn)};
}

}  // namespace emberkv::server
