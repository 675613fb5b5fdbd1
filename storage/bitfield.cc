#include "storage/bitfield.h"

#include <algorithm>
#include <cstring>

#include "base/numbers.h"

namespace emberkv::storage::bits {
namespace {

using Int128 = __int128;

// The `width` bits at bit `offset` of p[0..length), most significant first;
// bytes past the end read as zero.
uint64_t ReadField(const uint8_t* p, size_t length, uint64_t offset, int width) {
  const uint64_t byte = offset >> 3;
  const int shift = static_cast<int>(offset & 7);
  // A field spans at most 9 bytes: gather them into one 72-bit window.
  unsigned __int128 window = 0;
  for (uint64_t i = 0; i < 9; ++i) {
    uint8_t b = byte + i < length ? p[byte + i] : 0;
    window = (window << 8) | b;
  }
  window >>= 72 - shift - width;
  const uint64_t mask = width == 64 ? ~uint64_t{0} : (uint64_t{1} << width) - 1;
  return static_cast<uint64_t>(window) & mask;
}

// Writes the low `width` bits of `value` at bit `offset` (the bytes touched
// must exist).
void WriteField(uint8_t* p, uint64_t offset, int width, uint64_t value) {
  const uint64_t byte = offset >> 3;
  const int shift = static_cast<int>(offset & 7);
  const int bytes = (shift + width + 7) / 8;
  unsigned __int128 window = 0;
  for (int i = 0; i < bytes; ++i) window = (window << 8) | p[byte + static_cast<uint64_t>(i)];
  const int low = bytes * 8 - shift - width;  // bits after the field in the window
  const unsigned __int128 mask = (width == 64 ? ~uint64_t{0} : (uint64_t{1} << width) - 1);
  window = (window & ~(mask << low)) | ((static_cast<unsigned __int128>(value) & mask) << low);
  for (int i = bytes - 1; i >= 0; --i) {
    p[byte + static_cast<uint64_t>(i)] = static_cast<uint8_t>(window);
    window >>= 8;
  }
}

int64_t SignExtend(uint64_t raw, int width) {
  if (width < 64 && (raw & (uint64_t{1} << (width - 1)))) raw |= ~uint64_t{0} << width;
  return static_cast<int64_t>(raw);
}

// What the field holds, as Redis reports it (unsigned fields are at most 63
// bits wide, so they fit).
int64_t FieldValue(uint64_t raw, bool is_signed, int width) {
  return is_signed ? SignExtend(raw, width) : static_cast<int64_t>(raw);
}

}  // namespace

bool ParseBitfieldType(std::string_view text, bool* is_signed, uint8_t* width) {
  if (text.empty() || (text[0] != 'i' && text[0] != 'u')) return false;
  int64_t bits;
  if (!base::ParseInt64(text.substr(1), &bits)) return false;  // "i08" is no type either
  *is_signed = text[0] == 'i';
  if (bits < 1 || bits > (*is_signed ? 64 : 63)) return false;
  *width = static_cast<uint8_t>(bits);
  return true;
}

std::optional<int64_t> FitField(bool is_signed, int width, int64_t value, int64_t increment,
                                Overflow overflow) {
  // Unsigned fields take their argument as Redis does, as the same 64 bits
  // read unsigned (SET u8 -1 is 2^64-1, too big, not -1).
  Int128 base = is_signed ? Int128{value} : Int128{static_cast<uint64_t>(value)};
  Int128 sum = base + increment;
  Int128 max = is_signed ? (Int128{1} << (width - 1)) - 1 : (Int128{1} << width) - 1;
  Int128 min = is_signed ? -(Int128{1} << (width - 1)) : 0;
  if (sum >= min && sum <= max) return static_cast<int64_t>(sum);
  switch (overflow) {
    case Overflow::kFail:
      return std::nullopt;
    case Overflow::kSat:
      return static_cast<int64_t>(sum > max ? max : min);
    case Overflow::kWrap:
      break;
  }
  uint64_t raw = static_cast<uint64_t>(sum);  // the low 64 bits of the sum
  if (width < 64) raw &= (uint64_t{1} << width) - 1;
  return is_signed ? SignExtend(raw, width) : static_cast<int64_t>(raw);
}

OpStatus Bitfield(Database& db, const Key& key, std::span<const BitfieldOp> ops,
                  int64_t max_bulk_len, std::vector<std::optional<int64_t>>* results) {
  // The furthest bit any write reaches decides how long the string must be.
  bool writes = false;
  uint64_t furthest = 0;
  for (const BitfieldOp& op : ops) {
    if (op.kind == BitfieldOp::Kind::kGet) continue;
    writes = true;
    furthest = std::max(furthest, op.offset + op.width - 1);
  }
  Database::Slot slot;
  bool found = db.Find(key, &slot, writes ? LookupMode::kWrite : LookupMode::kRead);
  if (found && db.EntryAt(slot).type() != ValueType::kString) return OpStatus::kWrongType;

  const uint8_t* bytes = nullptr;
  size_t length = 0;
  uint8_t* writable = nullptr;
  if (found) {
    std::string_view value = db.EntryAt(slot).string_value();
    bytes = reinterpret_cast<const uint8_t*>(value.data());
    length = value.size();
  }
  if (writes) {
    const uint64_t needed = (furthest >> 3) + 1;
    // Offsets were checked against the limit; the width may add a byte.
    if (max_bulk_len <= 0 || needed > static_cast<uint64_t>(max_bulk_len) + 8) {
      return OpStatus::kStringTooLong;
    }
    const size_t new_length = std::max<size_t>(length, needed);
    char* data = db.WriteString(key, &slot, new_length, ExpiryChange::Keep(), /*preserve=*/true,
                                /*greedy=*/found && new_length > length);
    if (!data) return OpStatus::kOutOfMemory;
    if (new_length > length) std::memset(data + length, 0, new_length - length);
    writable = reinterpret_cast<uint8_t*>(data);
    bytes = writable;
    length = new_length;
  }

  results->reserve(results->size() + ops.size());
  for (const BitfieldOp& op : ops) {
    const int64_t current = FieldValue(bytes ? ReadField(bytes, length, op.offset, op.width) : 0,
                                       op.is_signed, op.width);
    if (op.kind == BitfieldOp::Kind::kGet) {
      results->push_back(current);
      continue;
    }
    const bool incr = op.kind == BitfieldOp::Kind::kIncrBy;
    std::optional<int64_t> stored =
        incr ? FitField(op.is_signed, op.width, current, op.value, op.overflow)
             : FitField(op.is_signed, op.width, op.value, 0, op.overflow);
    if (!stored) {
      results->push_back(std::nullopt);
      continue;
    }
    WriteField(writable, op.offset, op.width, static_cast<uint64_t>(*stored));
    results->push_back(incr ? *stored : current);
  }
  return OpStatus::kOk;
}

}  // namespace emberkv::storage::bits
