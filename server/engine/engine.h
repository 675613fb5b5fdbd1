// The set of workers (one per thread, one shard each) and what they share:
// the configuration, which is read-mostly, and a few process-wide counters.
//
// Key -> shard: the low bits of the key's XXH3 hash (storage::ShardOf).
//
// Thread safety: shard_count(), worker() and ShardOfKey() are safe from any
// thread. config() is read by every worker; CONFIG SET changes it from the
// worker that runs the command, field by field, for fields whose readers
// tolerate a value that changes under them (integers read once per use).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <thread>
#include <vector>

#include "server/config.h"
#include "server/engine/worker.h"
#include "storage/hash.h"

namespace emberkv::server {

class Engine {
 public:
  explicit Engine(ServerConfig config);
  ~Engine();

  ServerConfig& config() { return config_; }
  int shard_count() const { return shard_count_; }
  Worker& worker(int index) { return *workers_[index]; }

  int ShardOfHash(uint64_t hash) const { return static_cast<int>(storage::ShardOf(hash, shard_count_)); }
  int ShardOfKey(std::string_view key) const { return ShardOfHash(storage::HashKey(key)); }

  // Starts one thread per worker.
  void Start();
  // Asks every worker to stop; from any thread.
  void Stop();
  // Waits for the worker threads.
  void Join();

  // Asks the process to stop cleanly (SHUTDOWN, signals). Safe from any
  // thread; the server installs the handler before starting.
  void RequestShutdown() {
    if (shutdown_handler_) shutdown_handler_();
  }
  void set_shutdown_handler(std::function<void()> handler) { shutdown_handler_ = std::move(handler); }

  uint64_t NextClientId() { return next_client_id_.fetch_add(1, std::memory_order_relaxed); }
  std::atomic<int64_t>& connected_clients() { return connected_clients_; }
  int64_t start_time_ms() const { return start_time_ms_; }

 private:
  ServerConfig config_;
  const int shard_count_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> threads_;
  std::atomic<uint64_t> next_client_id_{1};
  std::atomic<int64_t> connected_clients_{0};
  int64_t start_time_ms_ = 0;
  std::function<void()> shutdown_handler_;
};

}  // namespace emberkv::server
