// An unbounded, intrusive, lock-free multi-producer single-consumer queue
// (Dmitry Vyukov's design): a push is one atomic exchange, a pop touches only
// the consumer's end. Workers receive their messages through one of these,
// so no mutex sits on the path between shards.
//
// Thread safety: Push from any thread; Pop and Empty from the consumer only.
#pragma once

#include <atomic>

namespace emberkv::server {

struct MpscNode {
  std::atomic<MpscNode*> next{nullptr};
};

class MpscQueue {
 public:
  MpscQueue() : head_(&stub_), tail_(&stub_) {}
  MpscQueue(const MpscQueue&) = delete;
  MpscQueue& operator=(const MpscQueue&) = delete;

  void Push(MpscNode* node) {
    node->next.store(nullptr, std::memory_order_relaxed);
    MpscNode* previous = head_.exchange(node, std::memory_order_acq_rel);
    previous->next.store(node, std::memory_order_release);
  }

  // Returns the oldest node, or nullptr when the queue is empty or a producer
  // is half-way through a push (the producer then wakes the consumer anyway).
  MpscNode* Pop() {
    MpscNode* tail = tail_;
    MpscNode* next = tail->next.load(std::memory_order_acquire);
    if (tail == &stub_) {
      if (!next) return nullptr;
      tail_ = next;
      tail = next;
      next = next->next.load(std::memory_order_acquire);
    }
    if (next) {
      tail_ = next;
      return tail;
    }
    if (tail != head_.load(std::memory_order_acquire)) return nullptr;
    Push(&stub_);
    next = tail->next.load(std::memory_order_acquire);
    if (next) {
      tail_ = next;
      return tail;
    }
    return nullptr;
  }

  // Whether a Pop could return something (may be stale by the time you act).
  bool Empty() const {
    MpscNode* tail = tail_;
    MpscNode* next = tail->next.load(std::memory_order_seq_cst);
    return tail == &stub_ ? next == nullptr : false;
  }

 private:
  std::atomic<MpscNode*> head_;  // producers' end
  MpscNode* tail_;               // consumer's end
  MpscNode stub_;
};

}  // namespace emberkv::server
