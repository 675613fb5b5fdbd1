#include "storage/detail/compact_list.h"

#include <malloc.h>

#include <cstdlib>
#include <new>

namespace emberkv::storage::detail {

CompactList::~CompactList() { std::free(buffer_); }

CompactList::CompactList(const CompactList& other) {
  if (!other.buffer_) return;
  size_t bytes = sizeof(Header) + other.used();
  buffer_ = static_cast<char*>(std::malloc(bytes));
  if (!buffer_) throw std::bad_alloc();
  std::memcpy(buffer_, other.buffer_, bytes);
}

CompactList& CompactList::operator=(CompactList&& other) noexcept {
  if (this != &other) {
    std::free(buffer_);
    buffer_ = other.buffer_;
    other.buffer_ = nullptr;
  }
  return *this;
}

void CompactList::Reserve(size_t payload) {
  size_t bytes = sizeof(Header) + payload;
  if (buffer_ && malloc_usable_size(buffer_) >= bytes) return;
  bool fresh = buffer_ == nullptr;
  // realloc grows in place when it can; the slack malloc leaves is used
  // before the next call, so most inserts do not reallocate.
  char* grown = static_cast<char*>(std::realloc(buffer_, bytes));
  if (!grown) throw std::bad_alloc();
  buffer_ = grown;
  if (fresh) *header() = Header{0, 0};
}

char* CompactList::InsertGap(size_t offset, size_t bytes) {
  size_t old_used = used();
  Reserve(old_used + bytes);
  char* at = mutable_begin() + offset;
  std::memmove(at + bytes, at, old_used - offset);
  header()->used = static_cast<uint32_t>(old_used + bytes);
  header()->count += 1;
  return at;
}

void CompactList::Erase(size_t offset, size_t bytes, uint32_t records) {
  size_t old_used = used();
  char* at = mutable_begin() + offset;
  std::memmove(at, at + bytes, old_used - offset - bytes);
  header()->used = static_cast<uint32_t>(old_used - bytes);
  header()->count -= records;
  if (header()->count == 0) {
    Clear();
    return;
  }
  size_t need = sizeof(Header) + header()->used;
  // Give memory back when a quarter or more of the buffer is unused.
  if (malloc_usable_size(buffer_) >= need + need / 3 + 32) {
    if (char* shrunk = static_cast<char*>(std::realloc(buffer_, need))) buffer_ = shrunk;
  }
}

char* CompactList::Resize(size_t offset, size_t old_bytes, size_t new_bytes) {
  size_t old_used = used();
  if (new_bytes > old_bytes) Reserve(old_used + new_bytes - old_bytes);
  char* at = mutable_begin() + offset;
  std::memmove(at + new_bytes, at + old_bytes, old_used - offset - old_bytes);
  header()->used = static_cast<uint32_t>(old_used + new_bytes - old_bytes);
  return at;
}

void CompactList::Clear() {
  std::free(buffer_);
  buffer_ = nullptr;
}

size_t CompactList::MemoryUsage() const { return buffer_ ? malloc_usable_size(buffer_) : 0; }

}  // namespace emberkv::storage::detail
