// The byte layout of one key-value entry inside the slab arena.
//
//   [flags:1][access:1][varint key_len][varint value_len][expiry:6|8]? key value
//
// flags: bits 0-2 the value type, bit 3 an expiry is present, bit 4 the key
// lives outside the entry (an 8-byte pointer takes its place), bit 5 the value
// does (strings too large to inline, and every collection object), bit 6 the
// expiry takes 8 bytes instead of 6. `access` holds the eviction policy's
// state (an LRU clock or an LFU counter). The expiry is the deadline in Unix
// milliseconds: 6 bytes reach the year 10889, and only a deadline beyond
// that (Redis accepts any 64-bit one, and reports it back exactly) pays for
// the other two.
//
// A 14-byte key with a 16-byte value takes 34 bytes (36 in the arena), with a
// TTL 40: the per-key overhead is 4 or 10 bytes plus the table slot.
//
// Free chunks start with kFreeChunkMarker, which no live entry's flags equal.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace emberkv::storage {

enum class ValueType : uint8_t { kString = 0, kList = 1, kSet = 2, kZSet = 3, kHash = 4 };

// The latest deadline that fits the short, 6-byte expiry field.
inline constexpr int64_t kMaxShortExpiryMs = (int64_t{1} << 48) - 1;

// Where the parts of an entry go, computed before it is written.
struct EntryShape {
  uint32_t key_len = 0;
  uint32_t value_len = 0;  // string bytes; 0 for collection objects
  bool has_expiry = false;
  bool long_expiry = false;  // the expiry takes 8 bytes
  bool key_external = false;
  bool value_external = false;

  // Decides what is inlined so that the entry fits the arena's largest
  // chunk. deadline_ms: the entry's expiry, 0 for none.
  static EntryShape For(size_t key_len, size_t value_len, int64_t deadline_ms,
                        bool value_is_object);
  // Whether entries of both shapes keep their expiry the same way.
  bool SameExpiryField(const EntryShape& other) const {
    return has_expiry == other.has_expiry && long_expiry == other.long_expiry;
  }
  size_t HeaderSize() const;
  size_t Size() const;
};

// A view of an encoded entry. Cheap to copy; valid while the chunk is.
class Entry {
 public:
  static constexpr uint8_t kTypeMask = 0x07;
  static constexpr uint8_t kHasExpiry = 0x08;
  static constexpr uint8_t kKeyExternal = 0x10;
  static constexpr uint8_t kValueExternal = 0x20;
  static constexpr uint8_t kLongExpiry = 0x40;

  Entry() = default;  // an empty view; assign before use
  explicit Entry(char* data) : data_(data) { Decode(); }

  // Writes the header and the key at `data`; the value's place is returned
  // by value_data() (or set with set_object()). External key bytes must
  // already be in `external_key`.
  static Entry Init(char* data, const EntryShape& shape, ValueType type, std::string_view key,
                    char* external_key, int64_t expiry_ms, uint8_t access);

  ValueType type() const { return static_cast<ValueType>(data_[0] & kTypeMask); }
  bool has_expiry() const { return data_[0] & kHasExpiry; }
  bool key_external() const { return data_[0] & kKeyExternal; }
  bool value_external() const { return data_[0] & kValueExternal; }
  bool long_expiry() const { return data_[0] & kLongExpiry; }
  uint8_t access() const { return static_cast<uint8_t>(data_[1]); }
  void set_access(uint8_t value) { data_[1] = static_cast<char>(value); }

  int64_t expiry_ms() const;  // 0 when there is none
  // Only when has_expiry(), and with a deadline the field can hold (an entry
  // whose shape EntryShape::For gave for it).
  void set_expiry_ms(int64_t ms);

  std::string_view key() const;
  // A string's bytes.
  std::string_view string_value() const;
  // Inline value bytes, writable (strings only, !value_external()).
  char* value_data() const { return data_ + value_offset_; }
  // The external pointer of the value (strings) or the collection object.
  void* value_pointer() const;
  void set_value_pointer(void* pointer);
  void* key_pointer() const;

  uint32_t key_len() const { return key_len_; }
  uint32_t value_len() const { return value_len_; }
  EntryShape shape() const;
  size_t size() const { return shape().Size(); }
  char* data() const { return data_; }

 private:
  void Decode();

  char* data_ = nullptr;
  uint32_t key_len_ = 0;
  uint32_t value_len_ = 0;
  uint16_t key_offset_ = 0;
  uint16_t value_offset_ = 0;
};

}  // namespace emberkv::storage
