// The list value type (LPUSH, LRANGE, BLPOP, ...): a sequence of byte
// strings with O(1) pushes and pops at both ends.
//
// Elements are packed back to back in blocks, in the spirit of Redis's
// quicklist of listpacks: each element is [varint length][bytes][length
// again, written backwards], so a block can be walked from either end. A block
// keeps free room on both sides of its elements, so pushing or popping at
// either end of the list touches only the outer block and never moves the
// others. A small list is a single block that grows as needed (three short
// elements cost one allocation of about 32 bytes); a big one is a ring of
// blocks of up to kBlockBytes each (8 KiB, Redis's default list-max-listpack-
// size of -2), so a million short elements are about 1,500 allocations.
//
// Edits in the middle (LINSERT, LSET, LREM) repack the one block they touch,
// splitting it if it outgrows kBlockBytes. Finding index i walks blocks from
// the nearer end, then elements within one block, as quicklist does.
//
// MemoryUsage() is a running count of every byte allocated (malloc's usable
// sizes), kept exact by each change; the caller reports the difference to
// the shard (Database::AdjustExternalBytes).
//
// Views returned by At() and by cursors point into a block and are valid
// until the next change to the list.
//
// Thread safety: none (a list belongs to one shard's thread).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "storage/value_object.h"

namespace emberkv::storage {

enum class ListEnd : uint8_t { kHead, kTail };

class ListValue final : public ValueObject {
 public:
  // Payload bytes of a block before a new one is started. An element bigger
  // than this gets a block of its own.
  static constexpr size_t kBlockBytes = 8192;
  // Lists with more blocks than this are freed a slice at a time.
  static constexpr size_t kLazyFreeBlocks = 256;

  ListValue();
  ~ListValue() override;
  ListValue(const ListValue&) = delete;
  ListValue& operator=(const ListValue&) = delete;

  size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }

  void Push(ListEnd end, std::string_view value);
  // Removes the element at `end` (the list must not be empty).
  std::string Pop(ListEnd end);

  // The element at `index` (< size()).
  std::string_view At(size_t index) const;
  // Replaces the element at `index` (< size()).
  void Set(size_t index, std::string_view value);
  // Inserts `value` so that it becomes the element at `index` (<= size()).
  void Insert(size_t index, std::string_view value);
  // Removes `head` elements from the head and `tail` from the tail
  // (head + tail <= size()).
  void Trim(size_t head, size_t tail);
  // Removes elements equal to `value`, at most `limit` of them (0: all),
  // scanning from the head or from the tail. Returns how many went.
  size_t RemoveEqual(std::string_view value, size_t limit, ListEnd from);

  // A position in the list that walks towards the tail (Next) or the head
  // (Prev). Invalid once it walks off either end, and after any change.
  class Cursor {
   public:
    bool valid() const { return block_ != kNone; }
    std::string_view value() const;
    void Next();
    void Prev();

   private:
    friend class ListValue;
    static constexpr size_t kNone = SIZE_MAX;
    Cursor(const ListValue* list, size_t block, uint32_t offset)
        : list_(list), block_(block), offset_(offset) {}
    const ListValue* list_;
    size_t block_;     // ring index of the block, kNone when off the ends
    uint32_t offset_;  // where the element starts in that block
  };
  // A cursor on the element at `index` (< size()).
  Cursor CursorAt(size_t index) const;

  size_t block_count() const { return ring_size_; }
  // Recounts elements and bytes from scratch and checks every block against
  // the running figures (for tests).
  bool Verify() const;

  // ValueObject
  size_t MemoryUsage() const override { return bytes_; }
  std::unique_ptr<ValueObject> Clone() const override;
  // Redis 7.0 calls every list a quicklist.
  std::string_view EncodingName() const override { return "quicklist"; }
  bool CostlyToDelete() const override { return ring_size_ > kLazyFreeBlocks; }
  size_t ReleaseSome(size_t budget) override;

 private:
  struct Block;

  // ---- The ring of blocks ----
  Block*& BlockAt(size_t i) const;
  void RingReserve(size_t capacity);
  void RingInsert(size_t i, Block* const* blocks, size_t n);
  void RingErase(size_t i, size_t n);

  // ---- Blocks ----
  Block* NewBlock(size_t capacity);
  void FreeBlock(Block* block);
  // Makes room for `bytes` more at `end` of block i, growing or re-centring it.
  void MakeRoom(size_t i, size_t bytes, ListEnd end);
  // Gives back memory of block i when it is mostly empty.
  void MaybeShrink(size_t i);
  // Replaces block i with blocks packed from `elements` (views may point
  // into block i itself); an empty list of elements removes the block.
  void Repack(size_t i, const std::string_view* elements, size_t n);
  // The block holding `index` and where that element starts in it.
  void Locate(size_t index, size_t* block, uint32_t* offset) const;

  // Blocks, head first, from ring_head_, wrapping. A list of one block
  // keeps it in inline_block_ and allocates no ring.
  Block* inline_block_ = nullptr;
  Block** ring_ = &inline_block_;
  size_t ring_capacity_ = 1;  // a power of two
  size_t ring_head_ = 0;
  size_t ring_size_ = 0;
  size_t count_ = 0;  // elements
  size_t bytes_ = 0;  // everything allocated, for MemoryUsage()
};

}  // namespace emberkv::storage
