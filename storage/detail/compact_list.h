// A compact contiguous list of records, in the spirit of Redis's listpack:
// one malloc'd buffer holding a small header and the records back to back.
// Small hashes, sets and sorted sets keep all their elements in one of these
// (a hash of 100 short fields is one allocation of about 2 KB).
//
// The list knows bytes and a record count only; each value type decides what
// a record is (see compact_record.h for the common pieces: varint-prefixed
// strings and raw doubles). Offsets are byte positions in the payload and are
// invalidated by any change.
//
// Thread safety: none (an object belongs to one shard's thread).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace emberkv::storage::detail {

// Length prefix: 7 bits per byte, low bits first (LEB128).
inline size_t VarintSize(size_t value) {
  size_t n = 1;
  while (value >= 0x80) {
    value >>= 7;
    ++n;
  }
  return n;
}
inline char* PutVarint(char* out, size_t value) {
  while (value >= 0x80) {
    *out++ = static_cast<char>((value & 0x7F) | 0x80);
    value >>= 7;
  }
  *out++ = static_cast<char>(value);
  return out;
}
inline const char* GetVarint(const char* in, size_t* value) {
  size_t result = 0;
  int shift = 0;
  while (true) {
    uint8_t byte = static_cast<uint8_t>(*in++);
    result |= static_cast<size_t>(byte & 0x7F) << shift;
    if (!(byte & 0x80)) break;
    shift += 7;
  }
  *value = result;
  return in;
}

// A varint-prefixed string: its encoded size, writer and reader.
inline size_t StringRecordSize(std::string_view s) { return VarintSize(s.size()) + s.size(); }
inline char* PutString(char* out, std::string_view s) {
  out = PutVarint(out, s.size());
  std::memcpy(out, s.data(), s.size());
  return out + s.size();
}
inline const char* GetString(const char* in, std::string_view* s) {
  size_t length;
  in = GetVarint(in, &length);
  *s = std::string_view(in, length);
  return in + length;
}
inline double GetDouble(const char* in) {
  double value;
  std::memcpy(&value, in, sizeof(value));
  return value;
}
inline void PutDouble(char* out, double value) { std::memcpy(out, &value, sizeof(value)); }

class CompactList {
 public:
  CompactList() = default;
  ~CompactList();
  CompactList(const CompactList& other);
  CompactList& operator=(const CompactList&) = delete;
  CompactList(CompactList&& other) noexcept : buffer_(other.buffer_) { other.buffer_ = nullptr; }
  CompactList& operator=(CompactList&& other) noexcept;

  uint32_t count() const { return buffer_ ? header()->count : 0; }
  size_t used() const { return buffer_ ? header()->used : 0; }
  // The payload: records from offset 0 to used().
  const char* begin() const { return buffer_ ? buffer_ + sizeof(Header) : nullptr; }
  const char* end() const { return begin() + used(); }
  char* mutable_begin() { return buffer_ ? buffer_ + sizeof(Header) : nullptr; }

  // Opens a gap of `bytes` at `offset` for a new record and returns it
  // (count + 1). The caller writes the record there.
  char* InsertGap(size_t offset, size_t bytes);
  // Removes `bytes` at `offset`, which held `records` records.
  void Erase(size_t offset, size_t bytes, uint32_t records = 1);
  // Replaces `old_bytes` at `offset` by a gap of `new_bytes` (same count).
  char* Resize(size_t offset, size_t old_bytes, size_t new_bytes);
  void Clear();

  // Bytes allocated (as malloc counts them).
  size_t MemoryUsage() const;

 private:
  struct Header {
    uint32_t used;
    uint32_t count;
  };
  Header* header() const { return reinterpret_cast<Header*>(buffer_); }
  void Reserve(size_t payload);

  char* buffer_ = nullptr;
};

}  // namespace emberkv::storage::detail
