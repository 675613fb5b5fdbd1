// An open-addressing hash table of 8-byte slots kept in hash order, for the
// big encodings of hashes, sets and sorted sets.
//
// Linear probing, no wrap-around (a small overflow area follows the home
// range), deletion by backward shift (no tombstones). The home slot of a hash
// is (hash * size) >> 64, so elements sit in the order of their hashes and a
// position in hash space is a cursor that survives resizing: HSCAN, SSCAN
// and ZSCAN return every element present for the whole scan, as Redis
// promises, whatever the table did meanwhile. The size is any integer, so
// the table grows by 1.5x and keeps its load between 0.53 and 0.8.
//
// What a slot holds is the Traits' business: an int64 (sets of integers) or
// a tagged pointer to a string record (the 16 high bits of the pointer hold
// 16 bits of the hash, so probes rarely touch a record that does not match).
//   Traits::kEmpty          the value of an unused slot
//   Traits::Hash(slot)      recomputes the hash of an element
//
// Resizing rehashes at once (amortized O(1) per insert).
//
// Thread safety: none.
#pragma once

#include <malloc.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>

namespace emberkv::storage::detail {

template <class Traits>
class OrderedTable {
 public:
  static constexpr uint64_t kEmpty = Traits::kEmpty;
  static constexpr size_t kNotFound = SIZE_MAX;

  OrderedTable() = default;
  ~OrderedTable() { std::free(slots_); }
  OrderedTable(const OrderedTable&) = delete;
  OrderedTable& operator=(const OrderedTable&) = delete;

  size_t size() const { return count_; }
  // Bytes of the slot array.
  size_t MemoryUsage() const { return slots_ ? malloc_usable_size(slots_) : 0; }
  size_t capacity() const { return capacity_; }
  uint64_t slot(size_t index) const { return slots_[index]; }
  void set_slot(size_t index, uint64_t value) { slots_[index] = value; }  // same element, new bits

  // Makes room for `n` elements without further resizing.
  void Reserve(size_t n) {
    if (n > MaxCount(home_size_)) Rehash(SizeFor(n));
  }

  // The index of the element with this hash for which equals(slot) holds.
  template <class Equals>
  size_t Find(uint64_t hash, Equals&& equals) const {
    if (count_ == 0) return kNotFound;
    for (size_t i = Home(hash, home_size_); i < capacity_ && slots_[i] != kEmpty; ++i) {
      if (equals(slots_[i])) return i;
    }
    return kNotFound;
  }

  // Adds an element known to be absent.
  void Insert(uint64_t hash, uint64_t value) {
    if (count_ + 1 > MaxCount(home_size_)) Rehash(SizeFor(count_ + 1));
    while (!TryPlace(hash, value)) Rehash(home_size_ + home_size_ / 2 + 8);
    ++count_;
  }

  // Removes the element at `index` (from Find or a walk).
  void EraseAt(size_t index) {
    size_t hole = index;
    for (size_t j = index + 1; j < capacity_ && slots_[j] != kEmpty; ++j) {
      if (Home(Traits::Hash(slots_[j]), home_size_) <= hole) {
        slots_[hole] = slots_[j];
        hole = j;
      }
    }
    slots_[hole] = kEmpty;
    --count_;
    if (home_size_ > 16 && count_ < home_size_ / 5) Rehash(SizeFor(count_));
  }

  // Calls fn(slot) for every element.
  template <class Fn>
  void ForEach(Fn&& fn) const {
    for (size_t i = 0; i < capacity_; ++i) {
      if (slots_[i] != kEmpty) fn(slots_[i]);
    }
  }

  // One step of a scan: calls fn(slot) for elements whose hash is at least
  // `cursor`, until at least `want` were reported and a boundary in hash
  // space is reached. Returns the next cursor, 0 when done.
  template <class Fn>
  uint64_t Scan(uint64_t cursor, size_t want, Fn&& fn) const {
    if (count_ == 0) return 0;
    size_t reported = 0;
    size_t i = Home(cursor, home_size_);
    for (; i < capacity_; ++i) {
      uint64_t value = slots_[i];
      if (value == kEmpty) {
        if (reported >= want && i < home_size_) {
          // Everything whose home is below i sits below i: continue there.
          uint64_t next = SlotStart(i, home_size_);
          if (next > cursor) return next;
        }
        continue;
      }
      if (Traits::Hash(value) >= cursor) {
        fn(value);
        ++reported;
      }
    }
    return 0;
  }

  // The index of an element picked with `random` (the one at or after a
  // random slot: close to uniform at the loads kept here).
  size_t RandomIndex(uint64_t random) const {
    if (count_ == 0) return kNotFound;
    size_t start = static_cast<size_t>(random % capacity_);
    for (size_t i = start; i < capacity_; ++i) {
      if (slots_[i] != kEmpty) return i;
    }
    for (size_t i = 0; i < start; ++i) {
      if (slots_[i] != kEmpty) return i;
    }
    return kNotFound;
  }

  // Empties the table without looking at the elements (their owner frees
  // them first).
  void Clear() {
    std::free(slots_);
    slots_ = nullptr;
    home_size_ = capacity_ = 0;
    count_ = 0;
  }

 private:
  static size_t Home(uint64_t hash, size_t size) {
    return static_cast<size_t>((static_cast<unsigned __int128>(hash) * size) >> 64);
  }
  // The smallest hash whose home is `index`.
  static uint64_t SlotStart(size_t index, size_t size) {
    unsigned __int128 scaled = (static_cast<unsigned __int128>(index) << 64) + size - 1;
    return static_cast<uint64_t>(scaled / size);
  }
  static size_t MaxCount(size_t size) { return size - size / 5; }                     // load 0.8
  static size_t SizeFor(size_t n) { return std::max<size_t>(8, n + n / 2 + n / 8); }  // load ~0.6
  static size_t Overflow(size_t size) { return 8 + size / 64; }

  bool TryPlace(uint64_t hash, uint64_t value) {
    for (size_t i = Home(hash, home_size_); i < capacity_; ++i) {
      if (slots_[i] == kEmpty) {
        slots_[i] = value;
        return true;
      }
    }
    return false;
  }

  void Rehash(size_t home_size) {
    while (true) {
      size_t capacity = home_size + Overflow(home_size);
      uint64_t* fresh = static_cast<uint64_t*>(std::malloc(capacity * sizeof(uint64_t)));
      if (!fresh) throw std::bad_alloc();
      for (size_t i = 0; i < capacity; ++i) fresh[i] = kEmpty;
      // Plain linear-probing inserts: each element lands at the first free
      // slot from its home, which is all the scan and erase rely on.
      bool fits = true;
      for (size_t i = 0; i < capacity_ && fits; ++i) {
        uint64_t value = slots_[i];
        if (value == kEmpty) continue;
        size_t at = Home(Traits::Hash(value), home_size);
        while (at < capacity && fresh[at] != kEmpty) ++at;
        if (at >= capacity) {
          fits = false;
        } else {
          fresh[at] = value;
        }
      }
      if (!fits) {
        std::free(fresh);
        home_size += home_size / 2 + 8;
        continue;
      }
      std::free(slots_);
      slots_ = fresh;
      home_size_ = home_size;
      capacity_ = capacity;
      return;
    }
  }

  uint64_t* slots_ = nullptr;
  size_t home_size_ = 0;  // slots that are homes
  size_t capacity_ = 0;   // home_size_ plus the overflow area
  size_t count_ = 0;
};

}  // namespace emberkv::storage::detail
