// The lock that guards one shard of the keyspace.
//
// Any event loop may run a command on any shard; it holds the shard's lock
// while it does (see docs/architecture.md, "Locks"). Critical sections are
// short (one command, or a short slice of background work), so the lock is
// built for the case where nobody else wants it: lock and unlock are one
// atomic read-modify-write each, and no system call.
//
// When the lock is taken, a waiter spins briefly (a bounded number of
// pause instructions, about a microsecond) while the holder runs; past
// that, or as soon as another waiter sleeps, it sleeps in the kernel
// (futex) until the holder lets go. A virtual CPU can be descheduled for
// milliseconds with the lock held: spinning on such a holder would burn the
// other core for nothing, so the spin never waits longer than a command
// takes.
//
// The states follow Drepper's "Futexes Are Tricky" (mutex 3): 0 free,
// 1 held, 2 held and someone may be asleep. Unlock wakes one sleeper only
// when the state says one may exist.
//
// Thread safety: it is a lock. Not recursive; unlock from the thread that
// locked (as std::mutex). Satisfies Lockable (lock, try_lock, unlock).
#pragma once

#include <atomic>
#include <cstdint>

namespace emberkv::server {

class ShardMutex {
 public:
  ShardMutex() = default;
  ShardMutex(const ShardMutex&) = delete;
  ShardMutex& operator=(const ShardMutex&) = delete;

  void lock() {
    uint32_t expected = kFree;
    if (state_.compare_exchange_strong(expected, kHeld, std::memory_order_acquire,
                                       std::memory_order_relaxed)) {
      return;
    }
    LockSlow();
  }

  bool try_lock() {
    uint32_t expected = kFree;
    return state_.compare_exchange_strong(expected, kHeld, std::memory_order_acquire,
                                          std::memory_order_relaxed);
  }

  void unlock() {
    if (state_.exchange(kFree, std::memory_order_release) == kHeldWithSleepers) WakeOne();
  }

  // How many times a lock() found the lock taken, and how many of those
  // went to sleep in the kernel (for INFO; relaxed, approximate).
  uint64_t contended() const { return contended_.load(std::memory_order_relaxed); }
  uint64_t slept() const { return slept_.load(std::memory_order_relaxed); }

  // Pause instructions a waiter spends before it sleeps.
  static constexpr int kSpinLimit = 128;

 private:
  static constexpr uint32_t kFree = 0;
  static constexpr uint32_t kHeld = 1;
  static constexpr uint32_t kHeldWithSleepers = 2;

  void LockSlow();
  void WakeOne();

  std::atomic<uint32_t> state_{kFree};
  std::atomic<uint64_t> contended_{0};
  std::atomic<uint64_t> slept_{0};
};

}  // namespace emberkv::server
