#include "server/engine/engine.h"

#include <chrono>

namespace emberkv::server {

Engine::Engine(ServerConfig config)
    : config_(std::move(config)), shard_count_(config_.EffectiveThreads()) {
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
