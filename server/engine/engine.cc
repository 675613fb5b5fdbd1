#include "server/engine/engine.h"

#include <algorithm>
#include <chrono>

namespace emberkv::server {

Engine::Engine(ServerConfig config)
    : config_(std::move(config)), shard_count_(config_.EffectiveThreads()) {
  auth_required_.store(!config_.requirepass.empty());
  start_time_ms_ = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  workers_.reserve(shard_count_);
  for (int i = 0; i < shard_count_; ++i) workers_.push_back(std::make_unique<Worker>(this, i));
}

Engine::~Engine() {
  Stop();
  Join();
}

void Engine::Pause(int64_t until_ms, PauseMode mode, int64_t now_ms) {
  bool active = now_ms < pause_until_ms_.load(std::memory_order_acquire);
  int current = active ? pause_mode_.load(std::memory_order_acquire) : 0;
  pause_mode_.store(std::max(current, static_cast<int>(mode)), std::memory_order_release);
  int64_t until = active ? std::max(until_ms, pause_until_ms_.load(std::memory_order_acquire)) : until_ms;
  pause_until_ms_.store(until, std::memory_order_release);
}

void Engine::Unpause(Worker& from) {
  pause_until_ms_.store(0, std::memory_order_release);
  pause_mode_.store(0, std::memory_order_release);
  for (int w = 0; w < shard_count_; ++w) {
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
