// Results of shard-local operations. Storage reports what happened; the
// server maps each status to Redis's error text in one place.
//
// Both are [[nodiscard]]: a status dropped on the floor is how MSET once
// answered OK after a write had failed for lack of memory.
#pragma once

#include <cstdint>
#include <utility>

namespace emberkv::storage {

enum class [[nodiscard]] OpStatus : uint8_t{
    kOk,
    kNotFound,            // the key does not exist (what that means is the command's business)
    kWrongType,           // WRONGTYPE Operation against a key holding the wrong kind of value
    kNotInteger,          // value is not an integer or out of range
    kNotFloat,            // value is not a valid float
    kIncrOverflow,        // increment or decrement would overflow
    kNanOrInfinity,       // increment would produce NaN or Infinity
    kStringTooLong,       // string exceeds maximum allowed size (proto-max-bulk-len)
    kOutOfMemory,         // the arena cannot hold more
    kConditionNotMet,     // NX / XX / GT / LT prevented the write
    kSameObject,          // source and destination objects are the same
    kNotHyperLogLog,      // WRONGTYPE Key is not a valid HyperLogLog string value.
    kCorruptHyperLogLog,  // INVALIDOBJ Corrupted HLL object detected
    kNotSortable,         // One or more scores can't be converted into double (SORT)
    kTooLarge,            // transient memory would exceed proto-max-bulk-len (LCS)
    kNoSuchMember,        // the member a command starts from is not there (GEOSEARCH FROMMEMBER)
};

template <class T>
struct [[nodiscard]] OpResult {
  OpResult(OpStatus s) : status(s), value() {}                   // NOLINT: a status converts
  OpResult(T v) : status(OpStatus::kOk), value(std::move(v)) {}  // NOLINT: so does a value
  bool ok() const { return status == OpStatus::kOk; }
  OpStatus status;
  T value;
};

}  // namespace emberkv::storage
