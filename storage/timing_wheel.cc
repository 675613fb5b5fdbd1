#include "storage/timing_wheel.h"

#include <bit>

namespace emberkv::storage {

TimingWheel::~TimingWheel() {
  Clear();
  while (free_blocks_) {
    Block* next = free_blocks_->next;
    delete free_blocks_;
    free_blocks_ = next;
    --blocks_allocated_;
    if (memory_counter_) *memory_counter_ -= kBlockBytes;
  }
}

TimingWheel::Block* TimingWheel::NewBlock() {
  Block* block = free_blocks_;
  if (block) {
    free_blocks_ = block->next;
    block->next = nullptr;
    block->count = 0;
    return block;
  }
  ++blocks_allocated_;
  if (memory_counter_) *memory_counter_ += kBlockBytes;
  return new Block();
}

void TimingWheel::FreeBlock(Block* block) {
  // Keep a few spare blocks; give the rest back.
  if (blocks_allocated_ > 64 && free_blocks_ != nullptr) {
    --blocks_allocated_;
    if (memory_counter_) *memory_counter_ -= kBlockBytes;
    delete block;
    return;
  }
  block->next = free_blocks_;
  free_blocks_ = block;
}

void TimingWheel::Push(List& list, Handle handle) {
  if (!list.head || list.head->count == std::size(list.head->items)) {
    Block* block = NewBlock();
    block->next = list.head;
    list.head = block;
  }
  list.head->items[list.head->count++] = handle;
}

void TimingWheel::Schedule(Handle handle, int64_t deadline_ms) {
  ++size_;
  uint64_t delta = deadline_ms > now_ ? static_cast<uint64_t>(deadline_ms - now_) : 0;
  if (delta == 0) {
    Push(due_, handle);
    return;
  }
  int level = 0;
  while (level + 1 < kLevels && delta >= (uint64_t{1} << (kSlotBits * (level + 1)))) ++level;
  uint64_t period = static_cast<uint64_t>(deadline_ms) >> (kSlotBits * level);
  int slot = static_cast<int>(period & (kSlots - 1));
  if (level == kLevels - 1) {
    // Beyond the top level's reach the slot would alias a nearer one; use the
    // farthest slot instead, and let the entry come round again.
    uint64_t current = static_cast<uint64_t>(now_) >> (kSlotBits * level);
    if (period > current + kSlots) slot = static_cast<int>(current & (kSlots - 1));
  }
  Push(slots_[level][slot], handle);
  occupied_[level] |= uint64_t{1} << slot;
}

int64_t TimingWheel::NextSlotTime(int level) const {
  uint64_t occupied = occupied_[level];
  if (!occupied) return INT64_MAX;
  int shift = kSlotBits * level;
  uint64_t current = static_cast<uint64_t>(now_) >> shift;
  int after = static_cast<int>((current + 1) & (kSlots - 1));
  // Rotate so that the slot after the current one is bit 0.
  uint64_t rotated = std::rotr(occupied, after);
  uint64_t steps = static_cast<uint64_t>(std::countr_zero(rotated)) + 1;
  return static_cast<int64_t>((current + steps) << shift);
}

void TimingWheel::SpliceIntoDue(Block* head) {
  if (!head) return;
  Block* tail = head;
  while (tail->next) tail = tail->next;
  tail->next = due_.head;
  due_.head = head;
}

void TimingWheel::CollectDue(int level) {
  int shift = kSlotBits * level;
  uint64_t now = static_cast<uint64_t>(now_);
  if (now & ((uint64_t{1} << shift) - 1)) return;  // not at a slot boundary of this level
  int slot = static_cast<int>((now >> shift) & (kSlots - 1));
  if (!(occupied_[level] & (uint64_t{1} << slot))) return;
  occupied_[level] &= ~(uint64_t{1} << slot);
  List& list = slots_[level][slot];
  // Splice the slot's blocks (and those Compact took off it) in front of due_.
  if (IsPending(level, slot)) {
    SpliceIntoDue(pending_);
    pending_ = nullptr;
    ++compaction_pass_;
  }
  SpliceIntoDue(list.head);
  list.head = nullptr;
}

int64_t TimingWheel::FireTime(int level, int slot) const {
  // As NextSlotTime: the slot after the current one is one step away, the
  // current one a whole turn.
  int shift = kSlotBits * level;
  uint64_t current = static_cast<uint64_t>(now_) >> shift;
  uint64_t steps = ((static_cast<uint64_t>(slot) - current - 1) & (kSlots - 1)) + 1;
  return static_cast<int64_t>((current + steps) << shift);
}

int64_t TimingWheel::NextFireTime() const {
  if (due_.head) return now_;
  int64_t next = INT64_MAX;
  for (int level = 0; level < kLevels; ++level) {
    int64_t t = NextSlotTime(level);
    if (t < next) next = t;
  }
  return next;
}

void TimingWheel::Clear() {
  auto drop = [this](List& list) {
    while (list.head) {
      Block* next = list.head->next;
      FreeBlock(list.head);
      list.head = next;
    }
  };
  for (auto& level : slots_) {
    for (List& list : level) drop(list);
  }
  drop(due_);
  List pending{pending_};
  drop(pending);
  pending_ = nullptr;
  ++compaction_pass_;
  for (uint64_t& bits : occupied_) bits = 0;
  size_ = 0;
}

}  // namespace emberkv::storage
