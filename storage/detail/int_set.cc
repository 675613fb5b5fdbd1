#include "storage/detail/int_set.h"

#include <malloc.h>

#include <cstdlib>
#include <cstring>
#include <new>

namespace emberkv::storage::detail {
namespace {

uint32_t WidthFor(int64_t value) {
  if (value >= INT16_MIN && value <= INT16_MAX) return 2;
  if (value >= INT32_MIN && value <= INT32_MAX) return 4;
  return 8;
}

int64_t Load(const char* at, uint32_t width) {
  switch (width) {
    case 2: {
      int16_t v;
      std::memcpy(&v, at, 2);
      return v;
    }
    case 4: {
      int32_t v;
      std::memcpy(&v, at, 4);
      return v;
    }
    default: {
      int64_t v;
      std::memcpy(&v, at, 8);
      return v;
    }
  }
}

void Store(char* at, uint32_t width, int64_t value) {
  switch (width) {
    case 2: {
      int16_t v = static_cast<int16_t>(value);
      std::memcpy(at, &v, 2);
      break;
    }
    case 4: {
      int32_t v = static_cast<int32_t>(value);
      std::memcpy(at, &v, 4);
      break;
    }
    default:
      std::memcpy(at, &value, 8);
  }
}

}  // namespace

IntSet::~IntSet() { std::free(buffer_); }

IntSet::IntSet(const IntSet& other) {
  if (!other.buffer_) return;
  size_t bytes = sizeof(Header) + size_t{other.header()->count} * other.header()->width;
  buffer_ = static_cast<char*>(std::malloc(bytes));
  if (!buffer_) throw std::bad_alloc();
  std::memcpy(buffer_, other.buffer_, bytes);
}

int64_t IntSet::At(uint32_t index) const {
  return Load(data() + size_t{index} * header()->width, header()->width);
}

void IntSet::Set(uint32_t index, int64_t value) {
  Store(data() + size_t{index} * header()->width, header()->width, value);
}

uint32_t IntSet::Search(int64_t value, bool* found) const {
  *found = false;
  uint32_t lo = 0, hi = size();
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    int64_t at = At(mid);
    if (at == value) {
      *found = true;
      return mid;
    }
    if (at < value) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

bool IntSet::Contains(int64_t value) const {
  if (!buffer_ || WidthFor(value) > header()->width) return false;
  bool found;
  Search(value, &found);
  return found;
}

void IntSet::Resize(uint32_t count, uint32_t width) {
  size_t bytes = sizeof(Header) + size_t{count} * width;
  if (buffer_ && malloc_usable_size(buffer_) >= bytes &&
      malloc_usable_size(buffer_) < bytes + bytes / 2 + 32) {
    return;
  }
  char* resized = static_cast<char*>(std::realloc(buffer_, bytes));
  if (!resized) throw std::bad_alloc();
  if (!buffer_) *reinterpret_cast<Header*>(resized) = Header{0, 2};
  buffer_ = resized;
}

bool IntSet::Insert(int64_t value) {
  uint32_t width = WidthFor(value);
  uint32_t count = size();
  if (buffer_ && width <= header()->width) {
    bool found;
    uint32_t at = Search(value, &found);
    if (found) return false;
    Resize(count + 1, header()->width);
    uint32_t w = header()->width;
    std::memmove(data() + size_t{at + 1} * w, data() + size_t{at} * w, size_t{count - at} * w);
    header()->count = count + 1;
    Set(at, value);
    return true;
  }
  // A wider element (or the first): widen every element, back to front. The
  // new value is either below or above all others.
  uint32_t old_width = buffer_ ? header()->width : 2;
  uint32_t new_width = width > old_width ? width : old_width;
  Resize(count + 1, new_width);
  bool prepend = value < 0;
  for (uint32_t i = count; i-- > 0;) {
    int64_t v = Load(data() + size_t{i} * old_width, old_width);
    Store(data() + size_t{i + (prepend ? 1 : 0)} * new_width, new_width, v);
  }
  header()->width = new_width;
  header()->count = count + 1;
  Set(prepend ? 0 : count, value);
  return true;
}

void IntSet::RemoveAt(uint32_t index) {
  uint32_t count = size();
  uint32_t w = header()->width;
  std::memmove(data() + size_t{index} * w, data() + size_t{index + 1} * w,
               size_t{count - index - 1} * w);
  header()->count = count - 1;
  if (count == 1) {
    Clear();
    return;
  }
  Resize(count - 1, w);
}

bool IntSet::Remove(int64_t value) {
  if (!buffer_ || WidthFor(value) > header()->width) return false;
  bool found;
  uint32_t at = Search(value, &found);
  if (!found) return false;
  RemoveAt(at);
  return true;
}

void IntSet::Clear() {
  std::free(buffer_);
  buffer_ = nullptr;
}

size_t IntSet::MemoryUsage() const { return buffer_ ? malloc_usable_size(buffer_) : 0; }

}  // namespace emberkv::storage::detail
