#include "server/engine/shard_mutex.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>

namespace emberkv::server {
namespace {

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

void FutexWait(std::atomic<uint32_t>* word, uint32_t expected) {
  // Returns at once if the word no longer holds `expected`; spurious
  // wake-ups are fine, the caller looks again.
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAIT_PRIVATE, expected, nullptr,
          nullptr, 0);
}

void FutexWake(std::atomic<uint32_t>* word, int count) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAKE_PRIVATE, count, nullptr, nullptr,
          0);
}

}  // namespace

void ShardMutex::LockSlow() {
  contended_.fetch_add(1, std::memory_order_relaxed);
  // Spin while the holder runs and nobody sleeps: a command is shorter than
  // a trip through the kernel.
  for (int spin = 0; spin < kSpinLimit; ++spin) {
    uint32_t state = state_.load(std::memory_order_relaxed);
    if (state == kFree) {
      uint32_t expected = kFree;
      if (state_.compare_exchange_weak(expected, kHeld, std::memory_order_acquire,
                                       std::memory_order_relaxed)) {
        return;
      }
    } else if (state == kHeldWithSleepers) {
      break;  // others already sleep: queue behind them rather than overtake
    }
    CpuRelax();
  }
  // Announce a sleeper (state 2) and sleep until the lock is free. Taking
  // it by exchange to 2 (not 1) is deliberate: we cannot know whether other
  // sleepers remain, so our unlock must wake one.
  uint32_t previous = state_.exchange(kHeldWithSleepers, std::memory_order_acquire);
  while (previous != kFree) {
    slept_.fetch_add(1, std::memory_order_relaxed);
    FutexWait(&state_, kHeldWithSleepers);
    previous = state_.exchange(kHeldWithSleepers, std::memory_order_acquire);
  }
}

void ShardMutex::WakeOne() { FutexWake(&state_, 1); }

}  // namespace emberkv::server
