// BITFIELD and BITFIELD_RO as a shard-local operation: a list of GET, SET
// and INCRBY sub-operations on signed (i1..i64) and unsigned (u1..u63)
// integers at arbitrary bit offsets of a string, each with its overflow
// policy (WRAP, SAT, FAIL), with Redis 7.0's results.
//
// Integers are stored most significant bit first, starting at the offset's
// bit (bit 0 is the top bit of the first byte), as Redis stores them.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "storage/database.h"
#include "storage/op_status.h"

namespace emberkv::storage::bits {

enum class Overflow : uint8_t { kWrap, kSat, kFail };

struct BitfieldOp {
  enum class Kind : uint8_t { kGet, kSet, kIncrBy } kind = Kind::kGet;
  bool is_signed = true;
  uint8_t width = 8;                    // 1..64 signed, 1..63 unsigned
  uint64_t offset = 0;                  // in bits, "#N" already multiplied out
  int64_t value = 0;                    // SET's value or INCRBY's increment
  Overflow overflow = Overflow::kWrap;  // the OVERFLOW in force for this op
};

// "i8", "u63", ... (lower case only, no leading zeros, as Redis). False for
// anything else ("ERR Invalid bitfield type. Use something like i16 u8.
// Note that u64 is not supported but i64 is.").
bool ParseBitfieldType(std::string_view text, bool* is_signed, uint8_t* width);

// Runs the operations in order and appends one result per operation to
// *results: GET the value, SET the previous value, INCRBY the new one;
// nullopt where OVERFLOW FAIL kept a write from happening. A missing key
// reads as zeros; when any operation writes, the key is created (or grown,
// zero-filled) first to hold the furthest bit written, as in Redis, even if
// every write then fails. kWrongType; kStringTooLong when a written field
// would reach past `max_bulk_len` bytes plus its own width (the offsets
// were checked by ParseBitOffset).
OpStatus Bitfield(Database& db, const Key& key, std::span<const BitfieldOp> ops,
                  int64_t max_bulk_len, std::vector<std::optional<int64_t>>* results);

// The arithmetic, for tests: the value a field of this type ends up holding
// when `value` + `increment` is stored in it, or nullopt when `overflow` is
// kFail and the sum does not fit. `value` is the field's current value (or
// SET's argument with increment 0), as Redis passes it.
std::optional<int64_t> FitField(bool is_signed, int width, int64_t value, int64_t increment,
                                Overflow overflow);

}  // namespace emberkv::storage::bits
