// A hash table of separately allocated string records (the big encodings:
// hash fields with their values, set members, sorted-set members with their
// scores), on top of OrderedTable.
//
// Each record is one malloc'd block laid out by `Layout`, which says where
// the record's key is (Layout::Key(record)). A slot is the record's address
// with 16 bits of the key's hash in the otherwise unused top bits.
//
// The table owns its records: erasing frees them, and ReleaseSome frees them
// a slice at a time for the lazy-free list.
//
// Thread safety: none.
#pragma once

#include <malloc.h>
#include <xxhash.h>

#include <cstdint>
#include <cstdlib>
#include <new>
#include <string_view>

#include "storage/detail/ordered_table.h"

namespace emberkv::storage::detail {

// The seed of every element hash, random per process, so that nobody can
// prepare members that all collide.
uint64_t ElementHashSeed();
inline uint64_t HashElement(std::string_view bytes) {
  return XXH3_64bits_withSeed(bytes.data(), bytes.size(), ElementHashSeed());
}
inline uint64_t HashInteger(int64_t value) {
  uint64_t x = static_cast<uint64_t>(value) ^ ElementHashSeed();
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

template <class Layout>
class StringTable {
 public:
  static constexpr size_t kNotFound = SIZE_MAX;

  StringTable() = default;
  ~StringTable() { FreeAll(); }
  StringTable(const StringTable&) = delete;
  StringTable& operator=(const StringTable&) = delete;

  static char* Record(uint64_t slot) { return reinterpret_cast<char*>(slot & kPointerMask); }
  static std::string_view KeyOf(const char* record) { return Layout::Key(record); }

  size_t size() const { return table_.size(); }
  size_t MemoryUsage() const { return table_.MemoryUsage() + record_bytes_; }
  void Reserve(size_t n) { table_.Reserve(n); }

  // A new record of `bytes`, counted; not yet in the table.
  char* NewRecord(size_t bytes) {
    char* record = static_cast<char*>(std::malloc(bytes));
    if (!record) throw std::bad_alloc();
    record_bytes_ += malloc_usable_size(record);
    return record;
  }
  void FreeRecord(char* record) {
    record_bytes_ -= malloc_usable_size(record);
    std::free(record);
  }

  size_t FindIndex(std::string_view key) const { return FindIndex(key, HashElement(key)); }
  size_t FindIndex(std::string_view key, uint64_t hash) const {
    uint64_t tag = hash & ~kPointerMask;
    return table_.Find(hash, [&](uint64_t slot) {
      return (slot & ~kPointerMask) == tag && Layout::Key(Record(slot)) == key;
    });
  }
  char* Find(std::string_view key) const {
    size_t index = FindIndex(key);
    return index == kNotFound ? nullptr : RecordAt(index);
  }
  char* RecordAt(size_t index) const { return Record(table_.slot(index)); }

  // Adds a record (from NewRecord) whose key is absent.
  void Insert(char* record) {
    uint64_t hash = HashElement(Layout::Key(record));
    table_.Insert(hash, Tagged(record, hash));
  }
  // Puts `record` (same key) in place of the one at `index`, which is freed.
  void ReplaceAt(size_t index, char* record) {
    uint64_t slot = table_.slot(index);
    FreeRecord(Record(slot));
    table_.set_slot(index, (slot & ~kPointerMask) | reinterpret_cast<uint64_t>(record));
  }
  // Removes and frees the record at `index`.
  void EraseAt(size_t index) {
    char* record = RecordAt(index);
    table_.EraseAt(index);
    FreeRecord(record);
  }
  // Removes the record at `index` without freeing it (the caller takes it).
  char* TakeAt(size_t index) {
    char* record = RecordAt(index);
    table_.EraseAt(index);
    record_bytes_ -= malloc_usable_size(record);
    return record;
  }

  template <class Fn>
  void ForEach(Fn&& fn) const {
    table_.ForEach([&](uint64_t slot) { fn(static_cast<const char*>(Record(slot))); });
  }
  template <class Fn>
  uint64_t Scan(uint64_t cursor, size_t want, Fn&& fn) const {
    return table_.Scan(cursor, want,
                       [&](uint64_t slot) { fn(static_cast<const char*>(Record(slot))); });
  }
  size_t RandomIndex(uint64_t random) const { return table_.RandomIndex(random); }

  // Frees up to `budget` records of a table that is going away; returns how
  // many (0 when nothing is left).
  size_t ReleaseSome(size_t budget) {
    size_t freed = 0;
    while (release_at_ < table_.capacity() && freed < budget) {
      uint64_t slot = table_.slot(release_at_);
      if (slot != 0) {
        FreeRecord(Record(slot));
        table_.set_slot(release_at_, 0);
        ++freed;
      }
      ++release_at_;
    }
    if (release_at_ >= table_.capacity() && table_.capacity() > 0) {
      table_.Clear();
      ++freed;
    }
    return freed;
  }

 private:
  struct Traits {
    static constexpr uint64_t kEmpty = 0;
    static uint64_t Hash(uint64_t slot) { return HashElement(Layout::Key(Record(slot))); }
  };
  static constexpr uint64_t kPointerMask = (uint64_t{1} << 48) - 1;
  static uint64_t Tagged(char* record, uint64_t hash) {
    return (hash & ~kPointerMask) | reinterpret_cast<uint64_t>(record);
  }
  void FreeAll() {
    table_.ForEach([&](uint64_t slot) { std::free(Record(slot)); });
    table_.Clear();
    record_bytes_ = 0;
  }

  OrderedTable<Traits> table_;
  size_t record_bytes_ = 0;
  size_t release_at_ = 0;
};

}  // namespace emberkv::storage::detail
