#include "storage/list_value.h"

#include <malloc.h>

#include <algorithm>
#include <cassert>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace emberkv::storage {

// A block: this header, then `capacity` payload bytes of which [begin, end)
// hold `count` elements. One malloc'd piece.
struct ListValue::Block {
  uint32_t capacity;
  uint32_t begin;
  uint32_t end;
  uint32_t count;

  char* data() { return reinterpret_cast<char*>(this + 1); }
  const char* data() const { return reinterpret_cast<const char*>(this + 1); }
  size_t used() const { return end - begin; }
};

namespace {

// ---- Element encoding: [varint length][bytes][varint length, reversed] ----

size_t VarintSize(size_t value) {
  size_t n = 1;
  while (value >= 0x80) {
    value >>= 7;
    ++n;
  }
  return n;
}

size_t EncodedSize(size_t length) { return length + 2 * VarintSize(length); }

char* PutElement(char* out, std::string_view value) {
  char varint[10];
  size_t n = 0;
  size_t length = value.size();
  do {
    uint8_t byte = length & 0x7F;
    length >>= 7;
    varint[n++] = static_cast<char>(length ? byte | 0x80 : byte);
  } while (length);
  std::memcpy(out, varint, n);
  out += n;
  // An empty view may carry a null pointer, which memcpy must never see.
  if (!value.empty()) std::memcpy(out, value.data(), value.size());
  out += value.size();
  // Written backwards, so that reading from the element's end towards its
  // start meets the varint's bytes in their usual order.
  for (size_t k = 0; k < n; ++k) out[k] = varint[n - 1 - k];
  return out + n;
}

// The element starting at `at`; returns where the next one starts.
const char* ReadElement(const char* at, std::string_view* value) {
  size_t length = 0;
  int shift = 0;
  const char* p = at;
  while (true) {
    uint8_t byte = static_cast<uint8_t>(*p++);
    length |= static_cast<size_t>(byte & 0x7F) << shift;
    if (!(byte & 0x80)) break;
    shift += 7;
  }
  size_t header = static_cast<size_t>(p - at);
  *value = std::string_view(p, length);
  return p + length + header;
}

const char* SkipElement(const char* at) {
  std::string_view ignored;
  return ReadElement(at, &ignored);
}

// Where the element that ends at `end` starts.
const char* ElementBefore(const char* end) {
  size_t length = 0;
  int shift = 0;
  const char* p = end;
  while (true) {
    uint8_t byte = static_cast<uint8_t>(*--p);
    length |= static_cast<size_t>(byte & 0x7F) << shift;
    if (!(byte & 0x80)) break;
    shift += 7;
  }
  size_t header = static_cast<size_t>(end - p);
  return p - length - header;
}

[[noreturn]] void OutOfMemory(size_t bytes) {
  // As Redis's zmalloc: running out of memory is not recoverable here.
  std::fprintf(stderr, "emberkv: out of memory allocating %zu bytes\n", bytes);
  std::abort();
}

void* AllocateOrDie(size_t bytes) {
  void* memory = std::malloc(bytes);
  if (!memory) OutOfMemory(bytes);
  return memory;
}

// Blocks start small and double up to kBlockBytes, so small lists stay small.
constexpr size_t kMinShrinkCapacity = 256;

}  // namespace

ListValue::ListValue() { bytes_ = sizeof(ListValue); }

ListValue::~ListValue() {
  for (size_t i = 0; i < ring_size_; ++i) std::free(BlockAt(i));
  if (ring_ != &inline_block_) std::free(ring_);
}

// ---- The ring of blocks ----

ListValue::Block*& ListValue::BlockAt(size_t i) const {
  return ring_[(ring_head_ + i) & (ring_capacity_ - 1)];
}

void ListValue::RingReserve(size_t capacity) {
  size_t wanted = 1;
  while (wanted < capacity) wanted *= 2;
  if (wanted == ring_capacity_) return;
  assert(wanted >= ring_size_);
  Block** old = ring_;
  if (wanted == 1) {
    Block* only = ring_size_ ? BlockAt(0) : nullptr;
    inline_block_ = only;
    ring_ = &inline_block_;
  } else {
    Block** fresh = static_cast<Block**>(AllocateOrDie(wanted * sizeof(Block*)));
    bytes_ += malloc_usable_size(fresh);
    for (size_t i = 0; i < ring_size_; ++i) fresh[i] = BlockAt(i);
    ring_ = fresh;
  }
  if (old != &inline_block_) {
    bytes_ -= malloc_usable_size(old);
    std::free(old);
  }
  ring_capacity_ = wanted;
  ring_head_ = 0;
}

void ListValue::RingInsert(size_t i, Block* const* blocks, size_t n) {
  if (n == 0) return;
  if (ring_size_ + n > ring_capacity_) RingReserve(ring_size_ + n);
  size_t mask = ring_capacity_ - 1;
  if (i < ring_size_ - i) {
    // Move the blocks before i towards the front.
    ring_head_ = (ring_head_ - n) & mask;
    for (size_t k = 0; k < i; ++k) BlockAt(k) = BlockAt(k + n);
  } else {
    for (size_t k = ring_size_; k-- > i;) BlockAt(k + n) = BlockAt(k);
  }
  for (size_t k = 0; k < n; ++k) BlockAt(i + k) = blocks[k];
  ring_size_ += n;
}

void ListValue::RingErase(size_t i, size_t n) {
  if (n == 0) return;
  size_t mask = ring_capacity_ - 1;
  if (i < ring_size_ - i - n) {
    for (size_t k = i; k-- > 0;) BlockAt(k + n) = BlockAt(k);
    ring_head_ = (ring_head_ + n) & mask;
  } else {
    for (size_t k = i; k + n < ring_size_; ++k) BlockAt(k) = BlockAt(k + n);
  }
  ring_size_ -= n;
  if (ring_size_ <= 1 && ring_capacity_ > 1) {
    RingReserve(1);
  } else if (ring_capacity_ > 16 && ring_size_ * 8 <= ring_capacity_) {
    RingReserve(ring_size_ * 2);
  }
}

// ---- Blocks ----

ListValue::Block* ListValue::NewBlock(size_t capacity) {
  void* memory = AllocateOrDie(sizeof(Block) + capacity);
  size_t usable = malloc_usable_size(memory);
  bytes_ += usable;
  Block* block = static_cast<Block*>(memory);
  block->capacity = static_cast<uint32_t>(usable - sizeof(Block));
  block->begin = block->end = 0;
  block->count = 0;
  return block;
}

void ListValue::FreeBlock(Block* block) {
  bytes_ -= malloc_usable_size(block);
  std::free(block);
}

void ListValue::MakeRoom(size_t i, size_t bytes, ListEnd end) {
  Block* block = BlockAt(i);
  if (end == ListEnd::kTail ? block->capacity - block->end >= bytes : block->begin >= bytes) return;
  size_t used = block->used();
  size_t need = used + bytes;
  if (need <= block->capacity) {
    // The room is on the other side: centre the elements, so that pushes on
    // alternating ends do not move them every time.
    size_t spare = block->capacity - need;
    size_t begin = spare / 2 + (end == ListEnd::kHead ? bytes : 0);
    std::memmove(block->data() + begin, block->data() + block->begin, used);
    block->begin = static_cast<uint32_t>(begin);
    block->end = static_cast<uint32_t>(begin + used);
    return;
  }
  size_t capacity = std::max(need, std::min(kBlockBytes, 2 * size_t{block->capacity}));
  size_t old_usable = malloc_usable_size(block);
  void* memory = std::realloc(block, sizeof(Block) + capacity);
  if (!memory) OutOfMemory(sizeof(Block) + capacity);
  block = static_cast<Block*>(memory);
  size_t usable = malloc_usable_size(block);
  bytes_ += usable - old_usable;
  block->capacity = static_cast<uint32_t>(usable - sizeof(Block));
  BlockAt(i) = block;
  // The new room is at the back; pushes at the head want it in front.
  size_t begin = end == ListEnd::kTail ? (block->capacity - block->end >= bytes ? block->begin : 0)
                                       : block->capacity - used;
  if (begin != block->begin)
    std::memmove(block->data() + begin, block->data() + block->begin, used);
  block->begin = static_cast<uint32_t>(begin);
  block->end = static_cast<uint32_t>(begin + used);
}

void ListValue::MaybeShrink(size_t i) {
  Block* block = BlockAt(i);
  size_t used = block->used();
  if (block->capacity <= kMinShrinkCapacity || used * 4 >= block->capacity) return;
  Block* smaller = NewBlock(std::max(used * 2, kMinShrinkCapacity / 2));
  // Keep the free room where pushes will come: in front of the head block,
  // behind the tail block, around a list's only block.
  size_t spare = smaller->capacity - used;
  size_t begin = ring_size_ == 1 ? spare / 2 : i == 0 ? spare : 0;
  std::memcpy(smaller->data() + begin, block->data() + block->begin, used);
  smaller->begin = static_cast<uint32_t>(begin);
  smaller->end = static_cast<uint32_t>(begin + used);
  smaller->count = block->count;
  FreeBlock(block);
  BlockAt(i) = smaller;
}

void ListValue::Repack(size_t i, const std::string_view* elements, size_t n) {
  Block* old = BlockAt(i);
  std::vector<Block*> fresh;
  for (size_t k = 0; k < n;) {
    size_t first = k;
    size_t bytes = EncodedSize(elements[k++].size());
    while (k < n && bytes + EncodedSize(elements[k].size()) <= kBlockBytes) {
      bytes += EncodedSize(elements[k++].size());
    }
    Block* block = NewBlock(bytes);
    char* out = block->data();
    for (size_t j = first; j < k; ++j) out = PutElement(out, elements[j]);
    block->end = static_cast<uint32_t>(out - block->data());
    block->count = static_cast<uint32_t>(k - first);
    fresh.push_back(block);
  }
  count_ = count_ - old->count + n;
  FreeBlock(old);  // only now: the elements may live in it
  if (fresh.empty()) {
    RingErase(i, 1);
    return;
  }
  BlockAt(i) = fresh[0];
  RingInsert(i + 1, fresh.data() + 1, fresh.size() - 1);
}

void ListValue::Locate(size_t index, size_t* block_index, uint32_t* offset) const {
  assert(index < count_);
  size_t i;
  size_t k;  // the element's position within block i
  if (index < count_ / 2) {
    for (i = 0; index >= BlockAt(i)->count; ++i) index -= BlockAt(i)->count;
    k = index;
  } else {
    size_t from_tail = count_ - 1 - index;
    for (i = ring_size_ - 1; from_tail >= BlockAt(i)->count; --i) from_tail -= BlockAt(i)->count;
    k = BlockAt(i)->count - 1 - from_tail;
  }
  const Block* block = BlockAt(i);
  const char* p;
  if (k < block->count / 2) {
    p = block->data() + block->begin;
    for (size_t step = 0; step < k; ++step) p = SkipElement(p);
  } else {
    p = block->data() + block->end;
    for (size_t step = block->count - k; step > 0; --step) p = ElementBefore(p);
  }
  *block_index = i;
  *offset = static_cast<uint32_t>(p - block->data());
}

// ---- The list ----

void ListValue::Push(ListEnd end, std::string_view value) {
  size_t bytes = EncodedSize(value.size());
  size_t i = end == ListEnd::kHead ? 0 : ring_size_ - 1;
  if (ring_size_ == 0 || BlockAt(i)->used() + bytes > kBlockBytes) {
    Block* block = NewBlock(bytes);
    block->begin = block->end = end == ListEnd::kHead ? block->capacity : 0;
    i = end == ListEnd::kHead ? 0 : ring_size_;
    RingInsert(i, &block, 1);
  } else {
    MakeRoom(i, bytes, end);
  }
  Block* block = BlockAt(i);
  if (end == ListEnd::kHead) {
    block->begin -= static_cast<uint32_t>(bytes);
    PutElement(block->data() + block->begin, value);
  } else {
    PutElement(block->data() + block->end, value);
    block->end += static_cast<uint32_t>(bytes);
  }
  ++block->count;
  ++count_;
}

std::string ListValue::Pop(ListEnd end) {
  assert(count_ > 0);
  size_t i = end == ListEnd::kHead ? 0 : ring_size_ - 1;
  Block* block = BlockAt(i);
  std::string_view value;
  std::string out;
  if (end == ListEnd::kHead) {
    const char* next = ReadElement(block->data() + block->begin, &value);
    out.assign(value);
    block->begin = static_cast<uint32_t>(next - block->data());
  } else {
    const char* start = ElementBefore(block->data() + block->end);
    ReadElement(start, &value);
    out.assign(value);
    block->end = static_cast<uint32_t>(start - block->data());
  }
  --block->count;
  --count_;
  if (block->count == 0) {
    FreeBlock(block);
    RingErase(i, 1);
  } else {
    MaybeShrink(i);
  }
  return out;
}

std::string_view ListValue::At(size_t index) const {
  size_t block;
  uint32_t offset;
  Locate(index, &block, &offset);
  std::string_view value;
  ReadElement(BlockAt(block)->data() + offset, &value);
  return value;
}

void ListValue::Set(size_t index, std::string_view value) {
  size_t i;
  uint32_t offset;
  Locate(index, &i, &offset);
  Block* block = BlockAt(i);
  std::string_view old;
  ReadElement(block->data() + offset, &old);
  if (old.size() == value.size()) {
    // Same length, same encoding: overwrite the bytes.
    std::memmove(const_cast<char*>(old.data()), value.data(), value.size());
    return;
  }
  std::vector<std::string_view> elements;
  elements.reserve(block->count);
  const char* p = block->data() + block->begin;
  const char* end = block->data() + block->end;
  while (p < end) {
    std::string_view element;
    const char* at = p;
    p = ReadElement(p, &element);
    elements.push_back(at == block->data() + offset ? value : element);
  }
  Repack(i, elements.data(), elements.size());
}

void ListValue::Insert(size_t index, std::string_view value) {
  assert(index <= count_);
  if (index == 0) return Push(ListEnd::kHead, value);
  if (index == count_) return Push(ListEnd::kTail, value);
  size_t i;
  uint32_t offset;
  Locate(index, &i, &offset);
  Block* block = BlockAt(i);
  std::vector<std::string_view> elements;
  elements.reserve(block->count + 1);
  const char* p = block->data() + block->begin;
  const char* end = block->data() + block->end;
  while (p < end) {
    if (p == block->data() + offset) elements.push_back(value);
    std::string_view element;
    p = ReadElement(p, &element);
    elements.push_back(element);
  }
  Repack(i, elements.data(), elements.size());
}

void ListValue::Trim(size_t head, size_t tail) {
  assert(head + tail <= count_);
  count_ -= head + tail;
  while (head > 0) {
    Block* block = BlockAt(0);
    if (block->count <= head) {
      head -= block->count;
      FreeBlock(block);
      RingErase(0, 1);
      continue;
    }
    const char* p = block->data() + block->begin;
    for (size_t k = 0; k < head; ++k) p = SkipElement(p);
    block->begin = static_cast<uint32_t>(p - block->data());
    block->count -= static_cast<uint32_t>(head);
    head = 0;
    MaybeShrink(0);
  }
  while (tail > 0) {
    size_t last = ring_size_ - 1;
    Block* block = BlockAt(last);
    if (block->count <= tail) {
      tail -= block->count;
      FreeBlock(block);
      RingErase(last, 1);
      continue;
    }
    const char* p = block->data() + block->end;
    for (size_t k = 0; k < tail; ++k) p = ElementBefore(p);
    block->end = static_cast<uint32_t>(p - block->data());
    block->count -= static_cast<uint32_t>(tail);
    tail = 0;
    MaybeShrink(last);
  }
}

size_t ListValue::RemoveEqual(std::string_view value, size_t limit, ListEnd from) {
  size_t removed = 0;
  auto more = [&] { return limit == 0 || removed < limit; };
  std::vector<std::string_view> kept;
  if (from == ListEnd::kHead) {
    for (size_t i = 0; i < ring_size_ && more();) {
      const Block* block = BlockAt(i);
      kept.clear();
      size_t before = removed;
      const char* p = block->data() + block->begin;
      const char* end = block->data() + block->end;
      while (p < end) {
        std::string_view element;
        p = ReadElement(p, &element);
        if (element == value && more()) {
          ++removed;
        } else {
          kept.push_back(element);
        }
      }
      if (removed == before) {
        ++i;
        continue;
      }
      size_t blocks = ring_size_;
      Repack(i, kept.data(), kept.size());  // one block or none: it only shrank
      i += 1 + ring_size_ - blocks;
    }
  } else {
    for (size_t i = ring_size_; i-- > 0 && more();) {
      const Block* block = BlockAt(i);
      kept.clear();
      size_t before = removed;
      const char* begin = block->data() + block->begin;
      const char* p = block->data() + block->end;
      while (p > begin) {
        p = ElementBefore(p);
        std::string_view element;
        ReadElement(p, &element);
        if (element == value && more()) {
          ++removed;
        } else {
          kept.push_back(element);
        }
      }
      if (removed == before) continue;
      std::reverse(kept.begin(), kept.end());
      Repack(i, kept.data(), kept.size());
    }
  }
  return removed;
}

// ---- Cursors ----

ListValue::Cursor ListValue::CursorAt(size_t index) const {
  size_t block;
  uint32_t offset;
  Locate(index, &block, &offset);
  return Cursor(this, block, offset);
}

std::string_view ListValue::Cursor::value() const {
  std::string_view value;
  ReadElement(list_->BlockAt(block_)->data() + offset_, &value);
  return value;
}

void ListValue::Cursor::Next() {
  const Block* block = list_->BlockAt(block_);
  const char* next = SkipElement(block->data() + offset_);
  if (next < block->data() + block->end) {
    offset_ = static_cast<uint32_t>(next - block->data());
  } else if (block_ + 1 < list_->ring_size_) {
    ++block_;
    offset_ = list_->BlockAt(block_)->begin;
  } else {
    block_ = kNone;
  }
}

void ListValue::Cursor::Prev() {
  const Block* block = list_->BlockAt(block_);
  if (offset_ > block->begin) {
    offset_ = static_cast<uint32_t>(ElementBefore(block->data() + offset_) - block->data());
  } else if (block_ > 0) {
    --block_;
    const Block* previous = list_->BlockAt(block_);
    offset_ =
        static_cast<uint32_t>(ElementBefore(previous->data() + previous->end) - previous->data());
  } else {
    block_ = kNone;
  }
}

bool ListValue::Verify() const {
  size_t elements = 0;
  size_t bytes = sizeof(ListValue);
  if (ring_ != &inline_block_) bytes += malloc_usable_size(ring_);
  if (ring_size_ > ring_capacity_) return false;
  for (size_t i = 0; i < ring_size_; ++i) {
    const Block* block = BlockAt(i);
    bytes += malloc_usable_size(const_cast<Block*>(block));
    if (block->count == 0 || block->begin > block->end || block->end > block->capacity)
      return false;
    if (block->count > 1 && block->used() > kBlockBytes) return false;
    size_t n = 0;
    const char* p = block->data() + block->begin;
    const char* end = block->data() + block->end;
    while (p < end) {
      p = SkipElement(p);
      ++n;
    }
    if (p != end || n != block->count) return false;
    elements += n;
  }
  return elements == count_ && bytes == bytes_;
}

// ---- ValueObject ----

std::unique_ptr<ValueObject> ListValue::Clone() const {
  auto copy = std::make_unique<ListValue>();
  copy->RingReserve(ring_size_);
  for (size_t i = 0; i < ring_size_; ++i) {
    const Block* block = BlockAt(i);
    Block* twin = copy->NewBlock(block->used());
    std::memcpy(twin->data(), block->data() + block->begin, block->used());
    twin->end = static_cast<uint32_t>(block->used());
    twin->count = block->count;
    copy->BlockAt(i) = twin;
  }
  copy->ring_size_ = ring_size_;
  copy->count_ = count_;
  return copy;
}

size_t ListValue::ReleaseSome(size_t budget) {
  // A few dozen blocks are freed by the destructor in no time.
  constexpr size_t kCheapBlocks = 32;
  size_t freed = 0;
  while (ring_size_ > kCheapBlocks && freed < budget) {
    size_t last = ring_size_ - 1;
    Block* block = BlockAt(last);
    count_ -= block->count;
    FreeBlock(block);
    RingErase(last, 1);
    ++freed;
  }
  return freed;
}

}  // namespace emberkv::storage
