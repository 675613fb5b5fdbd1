#include "server/engine/engine.h"

#include <algorithm>
#include <chrono>

#include "server/engine/memory_limit.h"

namespace emberkv::server {

Engine::Engine(ServerConfig config, IoEngine io_engine)
    : config_(std::move(config)),
      io_engine_(io_engine),
      worker_count_(config_.EffectiveThreads()),
      keyspace_(config_.EffectiveShards(), config_.databases) {
  auth_required_.store(!config_.requirepass.empty());
  start_time_ms_ = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  storage::MemoryPolicy policy = ShardMemoryPolicy(config_, keyspace_.shard_count());
  for (int s = 0; s < keyspace_.shard_count(); ++s)
    keyspace_.shard(s).store().SetMemoryPolicy(policy);
  ApplyEncodingLimits(config_);
  workers_.reserve(worker_count_);
  for (int i = 0; i < worker_count_; ++i) workers_.push_back(std::make_unique<Worker>(this, i));
}

Engine::~Engine() {
  Stop();
  Join();
}

storage::ShardContext& Engine::PairedShard(int worker) {
  // Connections are spread over the loops round robin, and keys over the
  // shards uniformly: pairing loop i with shard i % shards keeps each
  // shard's share of the limit fair without a global sum on the data path.
  return keyspace_.shard(worker % keyspace_.shard_count()).store().context();
}

void Engine::AccountClientBytes(int worker, int64_t delta) {
  PairedShard(worker).client_bytes.fetch_add(static_cast<size_t>(delta), std::memory_order_relaxed);
}

void Engine::AccountLuaBytes(int worker, int64_t delta) {
  PairedShard(worker).lua_bytes.fetch_add(static_cast<size_t>(delta), std::memory_order_relaxed);
}

void Engine::Pause(int64_t until_ms, PauseMode mode, int64_t now_ms) {
  bool active = now_ms < pause_until_ms_.load(std::memory_order_acquire);
  int current = active ? pause_mode_.load(std::memory_order_acquire) : 0;
  pause_mode_.store(std::max(current, static_cast<int>(mode)), std::memory_order_release);
  int64_t until =
      active ? std::max(until_ms, pause_until_ms_.load(std::memory_order_acquire)) : until_ms;
  pause_until_ms_.store(until, std::memory_order_release);
}

void Engine::Unpause(Worker& from) {
  pause_until_ms_.store(0, std::memory_order_release);
  pause_mode_.store(0, std::memory_order_release);
  for (int w = 0; w < worker_count(); ++w) {
    from.Send(w, MakeMessage([] { Worker::Current()->ResumePaused(); }));
  }
}

void Engine::Start() {
  for (auto& worker : workers_) {
    Worker* w = worker.get();
    threads_.emplace_back([w] { w->Run(); });
  }
}

void Engine::Stop() {
  for (auto& worker : workers_) worker->Stop();
}

void Engine::Join() {
  for (std::thread& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  threads_.clear();
}

}  // namespace emberkv::server
