// ShardMutex excludes, try_lock never waits, and a waiter that outlasts its
// spin sleeps in the kernel and is woken when the holder lets go. Runs under
// ThreadSanitizer too (tests/suites/50-tsan), which checks that what the
// lock guards is ordered by its acquire and release.
#include "server/engine/shard_mutex.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

using emberkv::server::ShardMutex;
using namespace std::chrono_literals;

namespace {

// Runs body(i) on n threads at once and joins them.
template <typename Body>
void OnThreads(int n, Body body) {
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) threads.emplace_back(body, i);
  for (auto& t : threads) t.join();
}

// Waits until `done` holds or a few seconds pass; returns whether it held.
template <typename Predicate>
bool Eventually(Predicate done) {
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(100us);
  }
  return true;
}

}  // namespace

TEST_CASE("shard mutex: one holder at a time, no increment lost") {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 20000;
  ShardMutex mutex;
  uint64_t counter = 0;        // guarded by mutex, deliberately not atomic
  std::atomic<int> inside{0};  // holders right now
  std::atomic<bool> overlapped{false};
  OnThreads(kThreads, [&](int) {
    for (int i = 0; i < kPerThread; ++i) {
      std::lock_guard guard(mutex);
      if (inside.fetch_add(1, std::memory_order_relaxed) != 0) overlapped = true;
      ++counter;
      inside.fetch_sub(1, std::memory_order_relaxed);
    }
  });
  CHECK_FALSE(overlapped);
  CHECK(counter == uint64_t{kThreads} * kPerThread);
}

TEST_CASE("shard mutex: try_lock takes a free lock and refuses a held one") {
  ShardMutex mutex;
  REQUIRE(mutex.try_lock());
  CHECK_FALSE(mutex.try_lock());  // not recursive
  bool other_got_it = true;
  std::thread([&] { other_got_it = mutex.try_lock(); }).join();
  CHECK_FALSE(other_got_it);
  mutex.unlock();
  std::thread([&] {
    other_got_it = mutex.try_lock();
    if (other_got_it) mutex.unlock();
  }).join();
  CHECK(other_got_it);
  CHECK(mutex.contended() == 0);  // try_lock never counts as waiting
}

TEST_CASE("shard mutex: a waiter behind a long holder sleeps, then gets the lock") {
  ShardMutex mutex;
  mutex.lock();
  int guarded = 0;  // written by the holder, read by the waiter after it locks
  int seen = -1;
  std::atomic<bool> waiter_has_it{false};
  std::thread waiter([&] {
    std::lock_guard guard(mutex);
    waiter_has_it = true;
    seen = guarded;
  });
  // The waiter spins far less than this, then sleeps in the kernel.
  REQUIRE(Eventually([&] { return mutex.slept() > 0; }));
  std::this_thread::sleep_for(20ms);
  CHECK_FALSE(waiter_has_it);
  guarded = 1;
  mutex.unlock();  // must wake it
  // On a lost wake-up this fails, and the still-joinable thread ends the
  // test program rather than hanging it.
  REQUIRE(Eventually([&] { return waiter_has_it.load(); }));
  waiter.join();
  CHECK(waiter_has_it);
  CHECK(seen == 1);
  CHECK(mutex.contended() == 1);
  CHECK(mutex.slept() >= 1);
}

TEST_CASE("shard mutex: every sleeper is woken, one unlock at a time") {
  constexpr int kWaiters = 4;
  ShardMutex mutex;
  mutex.lock();
  std::atomic<int> finished{0};
  std::vector<std::thread> waiters;
  for (int i = 0; i < kWaiters; ++i) {
    waiters.emplace_back([&] {
      std::lock_guard guard(mutex);
      finished.fetch_add(1);
    });
  }
  REQUIRE(Eventually([&] { return mutex.contended() == kWaiters; }));
  REQUIRE(Eventually([&] { return mutex.slept() >= kWaiters; }));
  CHECK(finished == 0);
  mutex.unlock();
  REQUIRE(Eventually([&] { return finished == kWaiters; }));
  for (auto& t : waiters) t.join();
  // Left free: a sleeper that took the lock marked it "may have sleepers",
  // and the last unlock must have cleared that.
  CHECK(mutex.try_lock());
  mutex.unlock();
}

TEST_CASE("shard mutex: holders that sleep inside keep waiters correct") {
  // Every 64th critical section sleeps while holding the lock, as a holder
  // whose CPU was taken away would: waiters pass from spinning to sleeping
  // and back, and still nothing may be lost.
  constexpr int kThreads = 6;
  constexpr int kPerThread = 3000;
  ShardMutex mutex;
  uint64_t counter = 0;
  OnThreads(kThreads, [&](int) {
    for (int i = 1; i <= kPerThread; ++i) {
      std::lock_guard guard(mutex);
      ++counter;
      if (i % 64 == 0) std::this_thread::sleep_for(50us);
    }
  });
  CHECK(counter == uint64_t{kThreads} * kPerThread);
  CHECK(mutex.slept() > 0);
  CHECK(mutex.try_lock());
  mutex.unlock();
}
