// Which lock should guard a shard (issue 13): ShardMutex (futex with a
// bounded spin) against absl::Mutex, std::mutex (glibc: futex, no spin) and
// a plain test-and-test-and-set spinlock as the reference that never sleeps.
//
//   BM_Uncontended/L     one thread, lock + unlock
//   BM_Contended/L/I/O   1, 2 or 4 threads, each a loop of: lock, I units of
//                        work on shared data, unlock, O units of private work
//                        (the parse and the reply, outside the lock); with
//                        one thread, the CPU the loop costs with nobody to
//                        wait for
//   BM_HolderSleeps/L    1 or 2 threads as above, but every 256th critical
//                        section of each thread sleeps 200 us while holding
//                        the lock: a holder whose (virtual) CPU was
//                        descheduled
//
// With 4 threads on this 2-core machine the kernel preempts holders by
// itself. Counters, for every lock:
//   items_per_second   critical sections per second, all threads, wall time
//   cpu_ns_per_op      CPU time of all threads (CLOCK_THREAD_CPUTIME_ID) per
//                      critical section; above the one-thread figure it is
//                      what waiting cost, spinning and sleeping included
//   cores_busy         CPU time of all threads over wall time: a spinning
//                      waiter keeps it near the thread count even when the
//                      holder sleeps
//   sleeps_per_kop     (ShardMutex only) how often a waiter slept in the kernel
// The critical section increments a plain counter; a count that does not
// add up at the end fails the benchmark (the lock did not exclude).
#include <absl/synchronization/mutex.h>
#include <benchmark/benchmark.h>
#include <time.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <type_traits>

#include "server/engine/shard_mutex.h"

namespace emberkv::bench {
namespace {

using server::ShardMutex;

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

// The reference: spins until it gets the lock, never sleeps.
class SpinLock {
 public:
  void lock() {
    while (true) {
      if (!locked_.exchange(true, std::memory_order_acquire)) return;
      while (locked_.load(std::memory_order_relaxed)) CpuRelax();
    }
  }
  void unlock() { locked_.store(false, std::memory_order_release); }

 private:
  std::atomic<bool> locked_{false};
};

// The same interface for each candidate.
struct AbslMutex {
  void lock() { mu.Lock(); }
  void unlock() { mu.Unlock(); }
  absl::Mutex mu;
};

int64_t ThreadCpuNs() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

int64_t WallNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

// Shared state a command touches: a few cache lines, as a lookup and an
// update of a table slot, its entry and the shard's statistics would.
struct alignas(64) SharedData {
  uint64_t words[32] = {};
};

// `units` steps of dependent arithmetic over `data`; one unit is a few ns.
inline void Work(uint64_t* data, int units) {
  uint64_t x = data[0];
  for (int i = 0; i < units; ++i) {
    x = x * 6364136223846793005u + 1442695040888963407u;
    data[(x >> 59) & 31] += x;
  }
  benchmark::DoNotOptimize(x);
}

template <typename Lock>
void BM_Uncontended(benchmark::State& state) {
  Lock lock;
  for (auto _ : state) {
    lock.lock();
    benchmark::ClobberMemory();
    lock.unlock();
  }
  state.SetItemsProcessed(state.iterations());
}

// One lock, its data and the check that it excluded, shared by the threads
// of one run. Thread 0 resets it before the timed loop and checks it after;
// the benchmark library holds every thread at a barrier on both sides.
template <typename Lock>
struct Arena {
  Lock lock;
  SharedData data;
  uint64_t sections = 0;  // incremented inside the lock, without atomics
  std::atomic<uint64_t> expected{0};
};

template <typename Lock>
Arena<Lock>& SharedArena() {
  static Arena<Lock>* arena = new Arena<Lock>;  // never freed: threads outlive main's statics
  return *arena;
}

// The loop of BM_Contended and BM_HolderSleeps: `sleep_every` 0 never sleeps.
template <typename Lock>
void RunSections(benchmark::State& state, int inside, int outside, int sleep_every, int sleep_us) {
  Arena<Lock>& arena = SharedArena<Lock>();
  uint64_t slept_before = 0;
  if (state.thread_index() == 0) {
    arena.sections = 0;
    arena.expected = 0;
    if constexpr (std::is_same_v<Lock, ShardMutex>) slept_before = arena.lock.slept();
  }
  SharedData mine;
  const timespec pause{0, sleep_us * 1000L};
  int64_t count = 0;
  const int64_t cpu_begin = ThreadCpuNs();
  for (auto _ : state) {
    arena.lock.lock();
    ++arena.sections;
    Work(arena.data.words, inside);
    if (sleep_every != 0 && ++count % sleep_every == 0) nanosleep(&pause, nullptr);
    arena.lock.unlock();
    Work(mine.words, outside);
  }
  const int64_t cpu_ns = ThreadCpuNs() - cpu_begin;
  arena.expected += state.iterations();
  state.SetItemsProcessed(state.iterations());
  // Summed over threads, then divided by all threads' iterations.
  state.counters["cpu_ns_per_op"] =
      benchmark::Counter(static_cast<double>(cpu_ns), benchmark::Counter::kAvgIterations);
  // Summed over threads, then divided by the run's wall time (per thread
  // time averaged by the library; UseRealTime): cores kept busy.
  state.counters["cores_busy"] =
      benchmark::Counter(static_cast<double>(cpu_ns) / 1e9, benchmark::Counter::kIsRate);
  if (state.thread_index() == 0) {
    if constexpr (std::is_same_v<Lock, ShardMutex>) {
      state.counters["sleeps_per_kop"] =
          benchmark::Counter(1000.0 * static_cast<double>(arena.lock.slept() - slept_before),
                             benchmark::Counter::kAvgIterations);
    }
  }
}

// Thread 0 checks, after every thread's loop, that no increment was lost.
// The library's end-of-run barrier comes after the loop, before this runs
// in thread 0, but other threads add their iterations to `expected` after
// that barrier: wait for them.
template <typename Lock>
void CheckExclusion(benchmark::State& state) {
  if (state.thread_index() != 0) return;
  Arena<Lock>& arena = SharedArena<Lock>();
  const int64_t deadline = WallNs() + 5'000'000'000;
  while (WallNs() < deadline) {
    std::atomic_thread_fence(std::memory_order_acquire);
    if (arena.expected.load() == arena.sections && arena.sections > 0) return;
    std::this_thread::yield();
  }
  state.SkipWithError("the lock did not exclude: increments were lost");
}

template <typename Lock>
void BM_Contended(benchmark::State& state) {
  RunSections<Lock>(state, static_cast<int>(state.range(0)), static_cast<int>(state.range(1)), 0,
                    0);
  CheckExclusion<Lock>(state);
}

constexpr int kSleepEvery = 256;
constexpr int kSleepUs = 200;

template <typename Lock>
void BM_HolderSleeps(benchmark::State& state) {
  RunSections<Lock>(state, static_cast<int>(state.range(0)), static_cast<int>(state.range(1)),
                    kSleepEvery, kSleepUs);
  CheckExclusion<Lock>(state);
}

// Units of Work() for a short command (~50 ns of CPU here) and a longer one
// (~300 ns); the one-thread runs show what they take on the machine at hand.
constexpr int kShort = 40;
constexpr int kLong = 250;

template <typename Lock>
void Register(const std::string& name) {
  benchmark::RegisterBenchmark(("BM_Uncontended/" + name).c_str(), BM_Uncontended<Lock>);
  for (int threads : {1, 2, 4}) {
    for (int units : {kShort, kLong}) {
      benchmark::RegisterBenchmark(("BM_Contended/" + name).c_str(), BM_Contended<Lock>)
          ->Args({units, units})
          ->Threads(threads)
          ->UseRealTime();
    }
  }
  for (int threads : {1, 2}) {
    benchmark::RegisterBenchmark(("BM_HolderSleeps/" + name).c_str(), BM_HolderSleeps<Lock>)
        ->Args({kShort, kShort})
        ->Threads(threads)
        ->UseRealTime();
  }
}

const bool registered = [] {
  Register<ShardMutex>("ShardMutex");
  Register<AbslMutex>("absl::Mutex");
  Register<std::mutex>("std::mutex");
  Register<SpinLock>("SpinLock");
  return true;
}();

}  // namespace
}  // namespace emberkv::bench
