#include "storage/bit_ops.h"

#include <algorithm>
#include <cstring>

#include "base/bit_count.h"
#include "base/numbers.h"
#include "storage/string_ops.h"

namespace emberkv::storage::bits {
namespace {

// A BITCOUNT/BITPOS range resolved to bit positions [*first, *last] within
// the string; false when it selects nothing.
bool ResolveRange(size_t length, const BitRange& range, int64_t* first, int64_t* last) {
  const int64_t total = static_cast<int64_t>(length) * (range.bit_unit ? 8 : 1);
  int64_t start = range.start;
  int64_t end = range.end ? *range.end : total - 1;
  if (start < 0) start = total + start;
  if (end < 0) end = total + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= total) end = total - 1;
  if (start > end) return false;
  if (range.bit_unit) {
    *first = start;
    *last = end;
  } else {
    *first = start * 8;
    *last = end * 8 + 7;
  }
  return true;
}

// The bits of one byte that lie in [first, last] (bit positions of the
// whole string), as a mask of that byte.
uint8_t ByteMask(int64_t byte, int64_t first, int64_t last) {
  int64_t lo = std::max(first, byte * 8) - byte * 8;
  int64_t hi = std::min(last, byte * 8 + 7) - byte * 8;
  return static_cast<uint8_t>((0xFFu >> lo) & (0xFFu << (7 - hi)));
}

}  // namespace

bool ParseBitOffset(std::string_view text, bool allow_hash, int width, int64_t max_bulk_len,
                    uint64_t* offset) {
  bool hash = allow_hash && width > 0 && !text.empty() && text[0] == '#';
  if (hash) text.remove_prefix(1);
  int64_t value;
  if (!base::ParseInt64(text, &value) || value < 0) return false;
  if (hash) {
    if (value > INT64_MAX / width) return false;
    value *= width;
  }
  if ((value >> 3) >= max_bulk_len) return false;
  *offset = static_cast<uint64_t>(value);
  return true;
}

OpResult<int64_t> SetBit(Database& db, const Key& key, uint64_t offset, bool value,
                         int64_t max_bulk_len) {
  const uint64_t byte = offset >> 3;
  if (max_bulk_len <= 0 || byte >= static_cast<uint64_t>(max_bulk_len)) {
    return OpStatus::kStringTooLong;
  }
  const uint8_t mask = static_cast<uint8_t>(0x80u >> (offset & 7));
  Database::Slot slot;
  size_t old_length = 0;
  if (db.Find(key, &slot, LookupMode::kWrite)) {
    Entry entry = db.EntryAt(slot);
    if (entry.type() != ValueType::kString) return OpStatus::kWrongType;
    std::string_view bytes = entry.string_value();
    old_length = bytes.size();
    if (byte < old_length) {
      bool old = static_cast<uint8_t>(bytes[byte]) & mask;
      if (old == value) return int64_t{old};  // nothing changes: no write, no WATCH
    }
  }
  const size_t length = std::max<size_t>(old_length, byte + 1);
  // As Redis: a new bitmap is exactly long enough, a growing one gets room
  // to grow (sdsgrowzero), so that setting bits in order is not quadratic.
  const bool greedy = slot.handle != kNullHandle && length > old_length;
  char* data = db.WriteString(key, &slot, length, ExpiryChange::Keep(), /*preserve=*/true, greedy);
  if (!data) return OpStatus::kOutOfMemory;
  if (length > old_length) std::memset(data + old_length, 0, length - old_length);
  auto* target = reinterpret_cast<uint8_t*>(data + byte);
  bool old = *target & mask;
  *target = value ? (*target | mask) : (*target & static_cast<uint8_t>(~mask));
  return int64_t{old};
}

OpResult<int64_t> GetBit(Database& db, const Key& key, uint64_t offset) {
  std::string_view value;
  OpStatus status = strings::Get(db, key, &value);
  if (status == OpStatus::kNotFound) return int64_t{0};
  if (status != OpStatus::kOk) return status;
  const uint64_t byte = offset >> 3;
  if (byte >= value.size()) return int64_t{0};
  return int64_t{(static_cast<uint8_t>(value[byte]) & (0x80u >> (offset & 7))) != 0};
}

int64_t CountBits(std::string_view value, const std::optional<BitRange>& range) {
  const auto* p = reinterpret_cast<const uint8_t*>(value.data());
  if (!range) return static_cast<int64_t>(base::PopCount(p, value.size()));
  // Redis answers 0 for two negative indices in the wrong order before it
  // looks at anything else.
  if (range->end && range->start < 0 && *range->end < 0 && range->start > *range->end) return 0;
  int64_t first, last;
  if (!ResolveRange(value.size(), *range, &first, &last)) return 0;
  const int64_t first_byte = first >> 3, last_byte = last >> 3;
  int64_t count = static_cast<int64_t>(
      base::PopCount(p + first_byte, static_cast<size_t>(last_byte - first_byte + 1)));
  // Take back the bits of the edge bytes that lie outside the range.
  count -=
      __builtin_popcount(p[first_byte] & static_cast<uint8_t>(~ByteMask(first_byte, first, last)));
  if (last_byte != first_byte) {
    count -=
        __builtin_popcount(p[last_byte] & static_cast<uint8_t>(~ByteMask(last_byte, first, last)));
  }
  return count;
}

int64_t FindBit(std::string_view value, bool bit, const std::optional<BitRange>& range) {
  const auto* p = reinterpret_cast<const uint8_t*>(value.data());
  int64_t first = 0, last = static_cast<int64_t>(value.size()) * 8 - 1;
  bool end_given = false;
  if (range) {
    end_given = range->end.has_value();
    if (!ResolveRange(value.size(), *range, &first, &last)) return -1;
  } else if (value.empty()) {
    return -1;
  }
  const int64_t first_byte = first >> 3, last_byte = last >> 3;
  // The edge bytes are looked at alone, with the bits outside the range set
  // to what is not searched for; whole bytes in between in one scan.
  auto search_byte = [&](int64_t byte) -> int64_t {
    uint8_t mask = ByteMask(byte, first, last);
    uint8_t b = bit ? (p[byte] & mask) : (p[byte] | static_cast<uint8_t>(~mask));
    int64_t at = base::FindFirstBit(&b, 1, bit);
    return at < 0 ? -1 : byte * 8 + at;
  };
  int64_t found = search_byte(first_byte);
  if (found < 0 && last_byte > first_byte) {
    int64_t middle = last_byte - first_byte - 1;
    if (middle > 0) {
      int64_t at = base::FindFirstBit(p + first_byte + 1, static_cast<size_t>(middle), bit);
      if (at >= 0) found = (first_byte + 1) * 8 + at;
    }
    if (found < 0) found = search_byte(last_byte);
  }
  if (found >= 0) return found;
  // Not found: a set bit never is; a clear one is just past the range when
  // the range runs to the end of the string by default.
  return (bit || end_given) ? -1 : last + 1;
}

OpResult<int64_t> BitCount(Database& db, const Key& key, const std::optional<BitRange>& range) {
  std::string_view value;
  OpStatus status = strings::Get(db, key, &value);
  if (status == OpStatus::kNotFound) return int64_t{0};
  if (status != OpStatus::kOk) return status;
  return CountBits(value, range);
}

OpResult<int64_t> BitPos(Database& db, const Key& key, bool bit,
                         const std::optional<BitRange>& range) {
  std::string_view value;
  OpStatus status = strings::Get(db, key, &value);
  if (status == OpStatus::kNotFound) return int64_t{bit ? -1 : 0};
  if (status != OpStatus::kOk) return status;
  return FindBit(value, bit, range);
}

std::string Combine(BitOp op, std::span<const std::string_view> sources) {
  size_t longest = 0;
  for (std::string_view s : sources) longest = std::max(longest, s.size());
  std::string out(longest, '\0');
  if (sources.empty() || longest == 0) return out;
  auto* dest = reinterpret_cast<uint8_t*>(out.data());
  const std::string_view first = sources[0];
  std::memcpy(dest, first.data(), first.size());  // the rest stays zero
  if (op == BitOp::kNot) {
    for (size_t i = 0; i < longest; ++i) dest[i] = static_cast<uint8_t>(~dest[i]);
    return out;
  }
  for (size_t k = 1; k < sources.size(); ++k) {
    const auto* src = reinterpret_cast<const uint8_t*>(sources[k].data());
    const size_t n = sources[k].size();
    switch (op) {
      case BitOp::kAnd:
        for (size_t i = 0; i < n; ++i) dest[i] &= src[i];
        std::memset(dest + n, 0, longest - n);  // a shorter source ANDs zeros
        break;
      case BitOp::kOr:
        for (size_t i = 0; i < n; ++i) dest[i] |= src[i];
        break;
      case BitOp::kXor:
        for (size_t i = 0; i < n; ++i) dest[i] ^= src[i];
        break;
      case BitOp::kNot:
        break;
    }
  }
  return out;
}

}  // namespace emberkv::storage::bits
