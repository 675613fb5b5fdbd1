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
// an entry points back into the wheel. Handles sit in 72-byte blocks of 15
// (80 with malloc's header), so a scheduled key costs about 5.3 bytes.
//
// Stale references are dropped when their slot fires; when keys are
// rewritten much faster than their deadlines come, they would pile up, so
// the owner can also filter slots through Compact, incrementally. A slot
// stands for the deadlines [fire, fire + span). A reference whose entry's
// deadline is earlier is redundant (whoever set a deadline earlier than a
// reference's slot scheduled a new reference); one whose entry's deadline
// is later was postponed, or names a chunk another entry has taken since:
// Compact moves it where that deadline belongs, so that it meets the entry's
// own reference there and one of the two goes. VisitSoonest offers
// references in firing order, for volatile-ttl eviction.
//
// Thread safety: none; a wheel belongs to one shard's thread.
#pragma once

#include <algorithm>
#include <bit>
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

  // `memory_counter`, if given, follows memory_bytes().
  explicit TimingWheel(int64_t now_ms, size_t* memory_counter = nullptr)
      : now_(now_ms), memory_counter_(memory_counter) {}
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

  // References held, stale ones included.
  size_t size() const { return size_; }
  size_t memory_bytes() const { return blocks_allocated_ * kBlockBytes; }
  void Clear();

  // Passes up to about `budget` references, slot by slot, to
  // deadline_of(handle), which returns the deadline of the entry the
  // reference should keep (0: none, drop it). A reference stays if that
  // deadline is one its slot stands for, is dropped if it is earlier, and
  // is moved if it is later (see above). Resumes where the previous call
  // stopped; a full pass visits every slot once. Returns the references
  // examined.
  template <class DeadlineOf>
  size_t Compact(size_t budget, DeadlineOf&& deadline_of);
  // Changes whenever Compact starts on another slot or a slot it was working
  // on fires: what keep() learned about the slot's references is void then.
  uint64_t compaction_pass() const { return compaction_pass_; }

  enum class Visit : uint8_t { kKeep, kDrop, kStop };
  // Offers up to `budget` references to visit(handle, fire_ms, end_ms), slot
  // by slot in the order the slots fire (those already due are left to
  // Advance); [fire_ms, end_ms) are the deadlines the slot stands for
  // (end_ms is INT64_MAX on the top level). kDrop removes the reference,
  // kStop ends the visit; visit must not schedule anything. Returns those
  // offered.
  template <class Fn>
  size_t VisitSoonest(size_t budget, Fn&& visit);

 private:
  struct Block {
    Handle items[15];
    uint32_t count = 0;
    Block* next = nullptr;  // older blocks of the same list
  };
  static_assert(sizeof(Block) <= 80);
  // What a block costs: malloc rounds 72 bytes plus its header to 80.
  static constexpr size_t kBlockBytes = 80;

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
  void SpliceIntoDue(Block* head);
  // When slot `slot` of `level` fires next.
  int64_t FireTime(int level, int slot) const;
  // The end of the deadlines a slot of `level` firing at `fire_ms` holds.
  static int64_t SlotEnd(int level, int64_t fire_ms) {
    return level == kLevels - 1 ? INT64_MAX : fire_ms + (int64_t{1} << (kSlotBits * level));
  }
  bool IsPending(int level, int slot) const {
    return pending_ && pending_level_ == level && pending_slot_ == slot;
  }

  int64_t now_;
  List slots_[kLevels][kSlots];
  uint64_t occupied_[kLevels] = {};  // bit s: slots_[level][s] is not empty
  List due_;                         // handles whose slot was reached but not yet offered
  size_t size_ = 0;
  Block* free_blocks_ = nullptr;
  size_t blocks_allocated_ = 0;
  size_t* memory_counter_;
  // Compaction: the blocks of the slot being filtered, taken off the slot
  // (whose occupied bit stays set), and the cursor over all slots.
  Block* pending_ = nullptr;
  int pending_level_ = 0;
  int pending_slot_ = 0;
  int64_t pending_fire_ = 0;
  int64_t pending_end_ = 0;
  int compact_cursor_ = 0;  // level * kSlots + slot of the next slot to take
  uint64_t compaction_pass_ = 1;
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

template <class DeadlineOf>
size_t TimingWheel::Compact(size_t budget, DeadlineOf&& deadline_of) {
  size_t examined = 0;
  int empty_slots = 0;
  while (examined < budget) {
    if (!pending_) {
      if (empty_slots == kLevels * kSlots) break;  // nothing anywhere
      int level = compact_cursor_ / kSlots;
      int slot = compact_cursor_ % kSlots;
      compact_cursor_ = (compact_cursor_ + 1) % (kLevels * kSlots);
      List& list = slots_[level][slot];
      if (list.empty()) {
        ++empty_slots;
        continue;
      }
      empty_slots = 0;
      ++compaction_pass_;
      pending_ = list.head;
      list.head = nullptr;
      pending_level_ = level;
      pending_slot_ = slot;
      pending_fire_ = FireTime(level, slot);
      pending_end_ = SlotEnd(level, pending_fire_);
    }
    Block* block = pending_;
    pending_ = block->next;
    List& list = slots_[pending_level_][pending_slot_];
    for (uint32_t i = 0; i < block->count; ++i) {
      Handle handle = block->items[i];
      ++examined;
      int64_t deadline = deadline_of(handle);
      if (deadline >= pending_fire_ && deadline < pending_end_) {
        Push(list, handle);
      } else if (deadline >= pending_end_) {
        --size_;
        Schedule(handle, deadline);  // another slot's list: not the one being filtered
      } else {
        --size_;
      }
    }
    FreeBlock(block);
    if (!pending_ && list.empty()) occupied_[pending_level_] &= ~(uint64_t{1} << pending_slot_);
  }
  return examined;
}

template <class Fn>
size_t TimingWheel::VisitSoonest(size_t budget, Fn&& visit) {
  struct Due {
    int64_t at;
    int level;
    int slot;
  };
  Due order[kLevels * kSlots];
  int n = 0;
  for (int level = 0; level < kLevels; ++level) {
    for (uint64_t bits = occupied_[level]; bits; bits &= bits - 1) {
      int slot = std::countr_zero(bits);
      order[n++] = Due{FireTime(level, slot), level, slot};
    }
  }
  std::sort(order, order + n, [](const Due& a, const Due& b) { return a.at < b.at; });
  size_t offered = 0;
  for (int i = 0; i < n && offered < budget; ++i) {
    List& list = slots_[order[i].level][order[i].slot];
    Block** link = &list.head;
    bool stop = false;
    while (*link && !stop && offered < budget) {
      Block* block = *link;
      uint32_t kept = 0;
      uint32_t k = 0;
      for (; k < block->count; ++k) {
        if (stop || offered >= budget) {
          block->items[kept++] = block->items[k];
          continue;
        }
        ++offered;
        Visit verdict = visit(block->items[k], order[i].at, SlotEnd(order[i].level, order[i].at));
        if (verdict == Visit::kDrop) {
          --size_;
          continue;
        }
        if (verdict == Visit::kStop) stop = true;
        block->items[kept++] = block->items[k];
      }
      block->count = kept;
      if (kept == 0) {
        *link = block->next;
        FreeBlock(block);
      } else {
        link = &block->next;
      }
    }
    if (list.empty() && !IsPending(order[i].level, order[i].slot)) {
      occupied_[order[i].level] &= ~(uint64_t{1} << order[i].slot);
    }
    if (stop) break;
  }
  return offered;
}

}  // namespace emberkv::storage
