// A hierarchical timing wheel (Varghese and Lauck) holding entry handles by
// deadline, so that expired keys are found at a cost proportional to the keys
// that expire, never to the keys that exist.
//
// Six levels of 64 slots; a slot of level k spans 64^k ms (1 ms, 64 ms, 4 s,
// 4.4 min, 4.7 h, 12.4 days). A handle goes to the coarsest level whose span
// is below its distance to the deadline, into the slot that starts at or
// before the deadline. When time reaches a slot, its handles are offered back
// to the owner, which either expires the entry or schedules it again (it then
// lands one level finer). Deadlines beyond the top level's 795 days just take
// more trips.
//
// The wheel holds weak references: an entry that was deleted, rewritten to
// another chunk or given a later deadline leaves its old handle behind, and
// the owner recognizes it when the slot fires (the arena can tell a stale
// handle). So rescheduling to a later deadline costs nothing, and nothing in
// an entry points back into the wheel. Handles sit in 64-byte blocks of 15,
// so a scheduled key costs about 4.3 bytes.
//
// Thread safety: none; a wheel belongs to one shard's thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "storage/slab_arena.h"

namespace emberkv::storage {

class TimingWheel {
 public:
  static constexpr int kLevels = 6;
  static constexpr int kSlotBits = 6;
  static constexpr int kSlots = 1 << kSlotBits;

  explicit TimingWheel(int64_t now_ms) : now_(now_ms) {}
  ~TimingWheel();
  TimingWheel(const TimingWheel&) = delete;
  TimingWheel& operator=(const TimingWheel&) = delete;

  // Adds `handle` to fire at `deadline_ms` (or at the next advance if it is
  // already due).
  void Schedule(Handle handle, int64_t deadline_ms);

  // Moves time to `now_ms` and offers every handle of every slot reached to
  // fire(handle); fire may call Schedule. Stops after `budget` handles and
  // continues from there on the next call. Returns the handles offered.
  template <class Fire>
  size_t Advance(int64_t now_ms, size_t budget, Fire&& fire);

  // The earliest time at which a slot holds something to offer (INT64_MAX if
  // the wheel is empty); the owner's timer sleeps until then.
  int64_t NextFireTime() const;

  size_t size() const { return size_; }
  size_t memory_bytes() const { return blocks_allocated_ * sizeof(Block); }
  void Clear();

 private:
  struct Block {
    Handle items[15];
    uint32_t count = 0;
    Block* next = nullptr;  // older blocks of the same list
  };
  static_assert(sizeof(Block) <= 80);

  struct List {
    Block* head = nullptr;  // the newest block, the only one not full
    bool empty() const { return head == nullptr; }
  };

  void Push(List& list, Handle handle);
  Block* NewBlock();
  void FreeBlock(Block* block);
  // The next time (> now_) at which `level` reaches an occupied slot, or INT64_MAX.
  int64_t NextSlotTime(int level) const;
  // Takes the list of the slot that `level` reaches at time now_, if any.
  void CollectDue(int level);

  int64_t now_;
  List slots_[kLevels][kSlots];
  uint64_t occupied_[kLevels] = {};  // bit s: slots_[level][s] is not empty
  List due_;                          // handles whose slot was reached but not yet offered
  size_t size_ = 0;
  Block* free_blocks_ = nullptr;
  size_t blocks_allocated_ = 0;
};

template <class Fire>
size_t TimingWheel::Advance(int64_t now_ms, size_t budget, Fire&& fire) {
  size_t offered = 0;
  while (true) {
    // Offer what is already due, newest block first.
    while (due_.head && offered < budget) {
      Block* block = due_.head;
      while (block->count > 0 && offered < budget) {
        Handle handle = block->items[--block->count];
        --size_;
        ++offered;
        fire(handle);
      }
      if (block->count == 0) {
        due_.head = block->next;
        FreeBlock(block);
      }
    }
    if (due_.head) return offered;  // out of budget
    if (now_ >= now_ms) return offered;
    int64_t next = INT64_MAX;
    for (int level = 0; level < kLevels; ++level) {
      int64_t t = NextSlotTime(level);
      if (t < next) next = t;
    }
    if (next > now_ms) {
      now_ = now_ms;
      return offered;
    }
    now_ = next;
    // Coarse levels first, so that handles they hand down for this very
    // millisecond are collected from level 0 in the same step.
    for (int level = kLevels - 1; level >= 0; --level) CollectDue(level);
  }
}

}  // namespace emberkv::storage
