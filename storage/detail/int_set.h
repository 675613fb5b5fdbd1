// A sorted array of integers in one allocation, as Redis's intset: every
// element takes the width the widest one needs (2, 4 or 8 bytes), so a small
// set of small integers costs two bytes per member.
//
// Thread safety: none.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>

namespace emberkv::storage::detail {

class IntSet {
 public:
  IntSet() = default;
  ~IntSet();
  IntSet(const IntSet& other);
  IntSet& operator=(const IntSet&) = delete;
  IntSet(IntSet&& other) noexcept : buffer_(other.buffer_) { other.buffer_ = nullptr; }
  IntSet& operator=(IntSet&& other) noexcept {
    std::swap(buffer_, other.buffer_);
    return *this;
  }

  uint32_t size() const { return buffer_ ? header()->count : 0; }
  int64_t At(uint32_t index) const;
  bool Contains(int64_t value) const;
  // False when already present.
  bool Insert(int64_t value);
  // False when absent.
  bool Remove(int64_t value);
  void RemoveAt(uint32_t index);
  void Clear();
  size_t MemoryUsage() const;

 private:
  struct Header {
    uint32_t count;
    uint32_t width;  // bytes per element: 2, 4 or 8
  };
  Header* header() const { return reinterpret_cast<Header*>(buffer_); }
  char* data() const { return buffer_ + sizeof(Header); }
  // Index of value, or where it would go (and *found = false).
  uint32_t Search(int64_t value, bool* found) const;
  void Set(uint32_t index, int64_t value);
  void Resize(uint32_t count, uint32_t width);

  char* buffer_ = nullptr;
};

}  // namespace emberkv::storage::detail
