// A message round trip between two shards: an Engine with two workers runs
// in this process, and worker 0 asks worker 1 for a value and waits for the
// answer, the way a command whose key lives on another shard does.
//
//   BM_CallRoundTrip   Worker::Call (callbacks), one round trip at a time
//   BM_RunOnRoundTrip  Worker::RunOn awaited in a coroutine, one at a time
//   BM_CallWaves       64 Calls in flight at once: messages of one loop turn
//                      travel as one batch, with one wake-up
//
// One at a time, both workers are idle between messages, so each hop
// includes waking the other thread from epoll (an eventfd write): this is
// the latency of a lone cross-shard command, the worst case. Under load the
// workers are awake and the wake-ups disappear, which BM_CallWaves shows.
// The benchmark thread only starts a batch of 1,000 round trips on worker 0
// and sleeps until it finishes; times are wall-clock, ns_per_op is per round
// trip.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>

#include "server/config.h"
#include "server/engine/engine.h"
#include "server/engine/message.h"
#include "server/engine/task.h"
#include "server/engine/worker.h"

namespace emberkv::bench {
namespace {

using server::Engine;
using server::MakeMessage;
using server::Task;
using server::Worker;

constexpr size_t kRoundTrips = 1'000;
constexpr int kWaveWidth = 64;

Engine& SharedEngine() {
  // Started on first use; stopped and joined when the program exits.
  static Engine engine([] {
    server::ServerConfig config;
    config.threads = 2;
    return config;
  }());
  static bool started = [] {
    engine.Start();
    return true;
  }();
  (void)started;
  return engine;
}

// Batches finished on worker 0. A global, so that a worker still inside
// notify_all() never touches a benchmark's freed stack.
std::atomic<uint64_t> batches_done{0};

void SignalBatchDone() {
  batches_done.fetch_add(1, std::memory_order_release);
  batches_done.notify_all();
}

// Runs start() on worker 0 and sleeps until it calls SignalBatchDone().
// Returns the wall time taken.
template <class Start>
double RunBatch(Engine& engine, Start start) {
  uint64_t before = batches_done.load(std::memory_order_acquire);
  auto begin = std::chrono::steady_clock::now();
  engine.worker(0).PostFromAnyThread(MakeMessage(std::move(start)));
  for (uint64_t now = before; now == before; now = batches_done.load(std::memory_order_acquire)) {
    batches_done.wait(before, std::memory_order_acquire);
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
}

void Report(benchmark::State& state, double seconds) {
  size_t trips = state.iterations() * kRoundTrips;
  state.SetItemsProcessed(static_cast<int64_t>(trips));
  state.counters["ns_per_op"] = seconds * 1e9 / static_cast<double>(trips);
}

int AskId(Worker& worker) { return worker.id(); }

// Sequential Calls from worker 0 to worker 1. Lives on the benchmark thread's
// stack; worker 0 uses it until it signals the batch done, and the benchmark
// thread waits for that signal before the chain goes out of scope.
struct CallChain {
  Worker* origin = nullptr;
  size_t remaining = 0;

  void Next() {
    if (remaining == 0) {
      SignalBatchDone();
      return;
    }
    --remaining;
    origin->Call(1, AskId, [this](int id) {
      benchmark::DoNotOptimize(id);
      Next();
    });
  }
};

void BM_CallRoundTrip(benchmark::State& state) {
  Engine& engine = SharedEngine();
  CallChain chain;
  double seconds = 0;
  for (auto _ : state) {
    chain.remaining = kRoundTrips;
    seconds += RunBatch(engine, [&chain] {
      chain.origin = Worker::Current();
      chain.Next();
    });
  }
  Report(state, seconds);
}
BENCHMARK(BM_CallRoundTrip)->UseRealTime();

Task<void> HopLoop(Worker* origin, size_t hops) {
  for (size_t i = 0; i < hops; ++i) {
    int id = co_await origin->RunOn(1, AskId);
    benchmark::DoNotOptimize(id);
  }
}

void BM_RunOnRoundTrip(benchmark::State& state) {
  Engine& engine = SharedEngine();
  double seconds = 0;
  for (auto _ : state) {
    seconds += RunBatch(
        engine, [] { server::Spawn(HopLoop(Worker::Current(), kRoundTrips), SignalBatchDone); });
  }
  Report(state, seconds);
}
BENCHMARK(BM_RunOnRoundTrip)->UseRealTime();

// Calls in waves of kWaveWidth: the next wave leaves when the last answer of
// the previous one is back. Same lifetime rule as CallChain.
struct CallWaves {
  Worker* origin = nullptr;
  size_t remaining = 0;
  size_t outstanding = 0;

  void Launch() {
    if (remaining == 0) {
      SignalBatchDone();
      return;
    }
    outstanding = std::min<size_t>(kWaveWidth, remaining);
    remaining -= outstanding;
    for (size_t i = outstanding; i > 0; --i) {
      origin->Call(1, AskId, [this](int id) {
        benchmark::DoNotOptimize(id);
        if (--outstanding == 0) Launch();
      });
    }
  }
};

void BM_CallWaves(benchmark::State& state) {
  Engine& engine = SharedEngine();
  CallWaves waves;
  double seconds = 0;
  for (auto _ : state) {
    waves.remaining = kRoundTrips;
    seconds += RunBatch(engine, [&waves] {
      waves.origin = Worker::Current();
      waves.Launch();
    });
  }
  Report(state, seconds);
}
BENCHMARK(BM_CallWaves)->UseRealTime();

}  // namespace
}  // namespace emberkv::bench
