#include "storage/entry.h"

#include "storage/slab_arena.h"

namespace emberkv::storage {
namespace {

constexpr size_t kPointerSize = sizeof(void*);
constexpr size_t kShortExpirySize = 6;
constexpr size_t kLongExpirySize = 8;

size_t VarintSize(uint32_t value) {
  size_t n = 1;
  while (value >= 0x80) {
    value >>= 7;
    ++n;
  }
  return n;
}

char* PutVarint(char* p, uint32_t value) {
  while (value >= 0x80) {
    *p++ = static_cast<char>((value & 0x7F) | 0x80);
    value >>= 7;
  }
  *p++ = static_cast<char>(value);
  return p;
}

const char* GetVarint(const char* p, uint32_t* value) {
  uint32_t result = 0;
  for (int shift = 0;; shift += 7) {
    uint8_t byte = static_cast<uint8_t>(*p++);
    result |= static_cast<uint32_t>(byte & 0x7F) << shift;
    if (!(byte & 0x80)) break;
  }
  *value = result;
  return p;
}

}  // namespace

size_t EntryShape::HeaderSize() const {
  size_t expiry = !has_expiry ? 0 : long_expiry ? kLongExpirySize : kShortExpirySize;
  return 2 + VarintSize(key_len) + VarintSize(value_len) + expiry;
}

size_t EntryShape::Size() const {
  return HeaderSize() + (key_external ? kPointerSize : key_len) +
         (value_external ? kPointerSize : value_len);
}

EntryShape EntryShape::For(size_t key_len, size_t value_len, int64_t deadline_ms,
                           bool value_is_object) {
  EntryShape shape;
  shape.key_len = static_cast<uint32_t>(key_len);
  shape.value_len = value_is_object ? 0 : static_cast<uint32_t>(value_len);
  shape.has_expiry = deadline_ms != 0;
  shape.long_expiry = deadline_ms > kMaxShortExpiryMs || deadline_ms < 0;
  shape.value_external = value_is_object;
  if (shape.Size() <= SlabArena::kMaxAllocation) return shape;
  shape.value_external = true;
  if (shape.Size() <= SlabArena::kMaxAllocation) return shape;
  shape.key_external = true;
  return shape;
}

Entry Entry::Init(char* data, const EntryShape& shape, ValueType type, std::string_view key,
                  char* external_key, int64_t expiry_ms, uint8_t access) {
  uint8_t flags = static_cast<uint8_t>(type);
  if (shape.has_expiry) flags |= kHasExpiry;
  if (shape.has_expiry && shape.long_expiry) flags |= kLongExpiry;
  if (shape.key_external) flags |= kKeyExternal;
  if (shape.value_external) flags |= kValueExternal;
  char* p = data;
  *p++ = static_cast<char>(flags);
  *p++ = static_cast<char>(access);
  p = PutVarint(p, shape.key_len);
  p = PutVarint(p, shape.value_len);
  if (shape.has_expiry) p += shape.long_expiry ? kLongExpirySize : kShortExpirySize;
  if (shape.key_external) {
    std::memcpy(p, &external_key, kPointerSize);
  } else {
    std::memcpy(p, key.data(), key.size());
  }
  Entry entry(data);
  if (shape.has_expiry) entry.set_expiry_ms(expiry_ms);
  return entry;
}

void Entry::Decode() {
  const char* p = data_ + 2;
  p = GetVarint(p, &key_len_);
  p = GetVarint(p, &value_len_);
  if (has_expiry()) p += long_expiry() ? kLongExpirySize : kShortExpirySize;
  key_offset_ = static_cast<uint16_t>(p - data_);
  value_offset_ = static_cast<uint16_t>(key_offset_ + (key_external() ? kPointerSize : key_len_));
}

int64_t Entry::expiry_ms() const {
  if (!has_expiry()) return 0;
  size_t size = long_expiry() ? kLongExpirySize : kShortExpirySize;
  uint64_t value = 0;
  std::memcpy(&value, data_ + key_offset_ - size, size);  // little endian
  return static_cast<int64_t>(value);
}

void Entry::set_expiry_ms(int64_t ms) {
  size_t size = long_expiry() ? kLongExpirySize : kShortExpirySize;
  uint64_t value = static_cast<uint64_t>(ms);
  std::memcpy(data_ + key_offset_ - size, &value, size);
}

void* Entry::key_pointer() const {
  void* pointer;
  std::memcpy(&pointer, data_ + key_offset_, kPointerSize);
  return pointer;
}

std::string_view Entry::key() const {
  if (key_external()) return {static_cast<const char*>(key_pointer()), key_len_};
  return {data_ + key_offset_, key_len_};
}

void* Entry::value_pointer() const {
  void* pointer;
  std::memcpy(&pointer, data_ + value_offset_, kPointerSize);
  return pointer;
}

void Entry::set_value_pointer(void* pointer) {
  std::memcpy(data_ + value_offset_, &pointer, kPointerSize);
}

std::string_view Entry::string_value() const {
  if (value_external()) return {static_cast<const char*>(value_pointer()), value_len_};
  return {data_ + value_offset_, value_len_};
}

EntryShape Entry::shape() const {
  EntryShape shape;
  shape.key_len = key_len_;
  shape.value_len = value_len_;
  shape.has_expiry = has_expiry();
  shape.long_expiry = long_expiry();
  shape.key_external = key_external();
  shape.value_external = value_external();
  return shape;
}

}  // namespace emberkv::storage
