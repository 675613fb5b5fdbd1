// A set of arena handles (open addressing, linear probing), for passes that
// must see each handle once. Handle 0 never names a chunk, so it marks an
// empty slot.
//
// Thread safety: none.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "storage/slab_arena.h"

namespace emberkv::storage {

class HandleSet {
 public:
  // Adds `handle`; false if it was there already.
  bool Insert(Handle handle) {
    if ((size_ + 1) * 2 > slots_.size()) Grow();
    size_t mask = slots_.size() - 1;
    for (size_t i = Mix(handle) & mask;; i = (i + 1) & mask) {
      if (slots_[i] == handle) return false;
      if (slots_[i] == kNullHandle) {
        slots_[i] = handle;
        ++size_;
        return true;
      }
    }
  }
  void Clear() {
    // Keep small tables for reuse; give big ones back.
    if (slots_.size() > 4096) {
      std::vector<Handle>().swap(slots_);
    } else {
      std::fill(slots_.begin(), slots_.end(), kNullHandle);
    }
    size_ = 0;
  }
  size_t size() const { return size_; }

 private:
  static size_t Mix(Handle handle) {
    return static_cast<size_t>((uint64_t{handle} * 0x9E3779B97F4A7C15ULL) >> 32);
  }
  void Grow() {
    std::vector<Handle> old = std::move(slots_);
    slots_.assign(old.empty() ? 64 : old.size() * 2, kNullHandle);
    size_ = 0;
    for (Handle h : old) {
      if (h != kNullHandle) Insert(h);
    }
  }

  std::vector<Handle> slots_;
  size_t size_ = 0;
};

}  // namespace emberkv::storage
