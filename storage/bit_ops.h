// Shard-local bitmap operations on string values, with Redis 7.0 semantics:
// SETBIT, GETBIT, BITCOUNT, BITPOS, the computation of BITOP, and BITFIELD
// (bitfield.h). Bits are numbered as Redis numbers them: bit 0 is the most
// significant bit of the first byte.
//
// Limits: a bit offset is refused by ParseBitOffset unless its byte is below
// proto-max-bulk-len, and the writing functions take that limit again and
// check it before they allocate anything. Strings grow through
// Database::WriteString (zero-filled, with room to grow as Redis's
// sdsgrowzero leaves), so memory accounting stays right.
//
// BITOP spans keys of several shards: the server reads each source with
// strings::Get under its locks, computes the result with Combine, and
// stores it with strings::Set (no deadline), or deletes the destination
// with keys::Delete when the result is empty, as Redis does.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "storage/database.h"
#include "storage/op_status.h"

namespace emberkv::storage::bits {

// Redis's bit offset argument: a non-negative integer whose byte (offset >>
// 3) is below `max_bulk_len`. With `allow_hash` (BITFIELD), "#N" means N
// times `width`. False for anything else ("ERR bit offset is not an integer
// or out of range").
bool ParseBitOffset(std::string_view text, bool allow_hash, int width, int64_t max_bulk_len,
                    uint64_t* offset);

// SETBIT: the bit's previous value. kWrongType; kStringTooLong when the
// offset's byte is not below `max_bulk_len`. A write that changes nothing
// (same bit, no growth) leaves the key untouched.
OpResult<int64_t> SetBit(Database& db, const Key& key, uint64_t offset, bool value,
                         int64_t max_bulk_len);
// GETBIT: 0 past the end or for a missing key.
OpResult<int64_t> GetBit(Database& db, const Key& key, uint64_t offset);

// The optional range of BITCOUNT and BITPOS, as given: negative indices
// count from the end; `bit_unit` for BIT, otherwise BYTE.
struct BitRange {
  int64_t start = 0;
  std::optional<int64_t> end;  // BITCOUNT always gives one; BITPOS may not
  bool bit_unit = false;
};

// BITCOUNT over a string's bytes.
int64_t CountBits(std::string_view value, const std::optional<BitRange>& range);
// BITPOS over a string's bytes (`bit` 0 or 1): the first position of `bit`
// in the range, or -1. Looking for a clear bit with no end given finds the
// bit just past the range when the range is all ones (the string counts as
// padded with zeros on the right); with an end given that is -1.
int64_t FindBit(std::string_view value, bool bit, const std::optional<BitRange>& range);

// BITCOUNT: 0 for a missing key; kWrongType.
OpResult<int64_t> BitCount(Database& db, const Key& key, const std::optional<BitRange>& range);
// BITPOS: for a missing key 0 when looking for a clear bit, -1 for a set
// one; kWrongType.
OpResult<int64_t> BitPos(Database& db, const Key& key, bool bit,
                         const std::optional<BitRange>& range);

enum class BitOp : uint8_t { kAnd, kOr, kXor, kNot };
// BITOP's result over the source strings (a missing key is an empty one):
// as long as the longest, shorter ones padded with zero bytes. NOT takes
// exactly one source.
std::string Combine(BitOp op, std::span<const std::string_view> sources);

}  // namespace emberkv::storage::bits
