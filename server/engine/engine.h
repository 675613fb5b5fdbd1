// The server's moving parts and what they share: the event loops (one per
// thread), the shards of the keyspace (any loop runs commands on any shard,
// under its lock), the registry of clients, the pub/sub table, the MONITOR
// clients, the records of slow commands, and the configuration, which is
// read-mostly.
//
// Thread safety: worker(), keyspace(), clients(), pubsub(), monitors() and
// records() are
// safe from any thread (each says how its contents are guarded). config() is
// read by every loop; CONFIG SET changes it field by field, for fields whose
// readers tolerate a value that changes under them (integers read once per
// use); its strings are guarded by config_mutex().
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

#include "server/client/client_registry.h"
#include "server/config.h"
#include "server/engine/keyspace.h"
#include "server/engine/worker.h"
#include "server/net/io_engine.h"
#include "server/observability/monitors.h"
#include "server/observability/records.h"
#include "server/pubsub/pubsub_hub.h"
#include "server/scripting/script_registry.h"

namespace emberkv::server {

enum class PauseMode : int { kNone = 0, kWrite = 1, kAll = 2 };

class Engine {
 public:
  explicit Engine(ServerConfig config, IoEngine io_engine = IoEngine::kEpoll);
  ~Engine();

  ServerConfig& config() { return config_; }
  // The socket I/O the loops use, resolved from io-engine at start.
  IoEngine io_engine() const { return io_engine_; }
  // Held by the rare commands that read or change the configuration's
  // strings (CONFIG GET/SET, AUTH, HELLO, INFO) from different loops.
  std::mutex& config_mutex() { return config_mutex_; }
  // Whether requirepass is set, for the check every command makes; CONFIG
  // SET keeps it in step with requirepass. Safe from any thread.
  bool auth_required() const { return auth_required_.load(std::memory_order_relaxed); }
  void set_auth_required(bool value) { auth_required_.store(value, std::memory_order_relaxed); }

  int worker_count() const { return worker_count_; }
  Worker& worker(int index) { return *workers_[index]; }
  Keyspace& keyspace() { return keyspace_; }
  int shard_count() const { return keyspace_.shard_count(); }
  ClientRegistry& clients() { return clients_; }
  PubSubHub& pubsub() { return pubsub_; }
  Monitors& monitors() { return monitors_; }
  Records& records() { return records_; }
  // Script bodies, function libraries and the busy script, shared by the
  // loops (each compiles them into its own Lua state).
  ScriptRegistry& scripts() { return scripts_; }

  // A loop's connection buffers, or its Lua heap, grew or shrank by `delta`
  // bytes: they count against maxmemory, in the shard that loop is paired
  // with.
  void AccountClientBytes(int worker, int64_t delta);
  void AccountLuaBytes(int worker, int64_t delta);

  // Starts one thread per loop.
  void Start();
  // Asks every loop to stop; from any thread.
  void Stop();
  // Waits for the loop threads.
  void Join();

  // Asks the process to stop cleanly (SHUTDOWN, signals). Safe from any
  // thread; the server installs the handler before starting.
  void RequestShutdown() {
    if (shutdown_handler_) shutdown_handler_();
  }
  void set_shutdown_handler(std::function<void()> handler) {
    shutdown_handler_ = std::move(handler);
  }

  // CLIENT PAUSE: which commands wait, as of `now_ms`. Safe from any thread.
  PauseMode pause_mode(int64_t now_ms) const {
    if (now_ms >= pause_until_ms_.load(std::memory_order_acquire)) return PauseMode::kNone;
    return static_cast<PauseMode>(pause_mode_.load(std::memory_order_acquire));
  }
  int64_t pause_until_ms() const { return pause_until_ms_.load(std::memory_order_acquire); }
  // Pauses clients until `until_ms`; an active pause only grows (longer,
  // stricter), as in Redis.
  void Pause(int64_t until_ms, PauseMode mode, int64_t now_ms);
  // Ends the pause and lets every loop resume its held clients; from a
  // loop's thread.
  void Unpause(Worker& from);

  // Readiness for /readyz: true from start until shutdown begins.
  bool accepting() const { return accepting_.load(std::memory_order_acquire); }
  // DEBUG SET-ACTIVE-EXPIRE: whether the loops' timers reclaim expired keys
  // (reads still drop the expired keys they find).
  bool active_expire() const { return active_expire_.load(std::memory_order_relaxed); }
  void set_active_expire(bool on) { active_expire_.store(on, std::memory_order_relaxed); }
  void set_accepting(bool value) { accepting_.store(value, std::memory_order_release); }

  uint64_t NextClientId() { return next_client_id_.fetch_add(1, std::memory_order_relaxed); }
  std::atomic<int64_t>& connected_clients() { return connected_clients_; }
  int64_t start_time_ms() const { return start_time_ms_; }

 private:
  // The shard whose memory count holds loop `worker`'s buffers and heap.
  storage::ShardContext& PairedShard(int worker);

  ServerConfig config_;
  const IoEngine io_engine_;
  std::mutex config_mutex_;
  std::atomic<bool> auth_required_{false};
  const int worker_count_;
  Keyspace keyspace_;
  ClientRegistry clients_;
  PubSubHub pubsub_;
  Monitors monitors_;
  Records records_;
  ScriptRegistry scripts_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> threads_;
  std::atomic<uint64_t> next_client_id_{1};
  std::atomic<int64_t> connected_clients_{0};
  int64_t start_time_ms_ = 0;
  std::function<void()> shutdown_handler_;
  std::atomic<int64_t> pause_until_ms_{0};
  std::atomic<int> pause_mode_{0};
  std::atomic<bool> active_expire_{true};
  std::atomic<bool> accepting_{true};
};

}  // namespace emberkv::server
