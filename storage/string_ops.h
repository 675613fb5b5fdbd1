// Shard-local string operations with Redis 7.0 semantics: plain functions on
// a Database that return a status or a result, testable without a socket.
// Views returned point into an entry and are valid until the next write to
// the same database.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "storage/database.h"
#include "storage/op_status.h"

namespace emberkv::storage::strings {

// proto-max-bulk-len: no string may grow beyond it.
inline constexpr int64_t kMaxStringLength = 512LL * 1024 * 1024;

// Writes `value` as the whole string at `key` (the entry at *slot, or a new
// key when *slot is empty), keeping the deadline. False when memory is
// exhausted.
bool WriteValue(Database& db, const Key& key, Database::Slot* slot, std::string_view value);

// GET: kNotFound, kWrongType, or kOk with *value.
OpStatus Get(Database& db, const Key& key, std::string_view* value);

struct SetOptions {
  enum class Condition : uint8_t { kAlways, kIfAbsent, kIfPresent } condition = Condition::kAlways;
  ExpiryChange expiry = ExpiryChange::Clear();  // Keep() for KEEPTTL
  bool get_old = false;                         // SET ... GET
};
struct SetOutcome {
  OpStatus status =
      OpStatus::kOk;  // kOk, kConditionNotMet, kWrongType (GET on a non-string), kOutOfMemory
  std::optional<std::string> old;  // with get_old: the previous value, if there was one
};
SetOutcome Set(Database& db, const Key& key, std::string_view value, const SetOptions& options);

// GETDEL: kNotFound, kWrongType, or kOk with the value (the key is gone).
OpStatus GetDel(Database& db, const Key& key, std::string* value);

// GETEX: reads the value and applies `expiry` (kKeep leaves the deadline;
// a deadline already past deletes the key).
OpStatus GetEx(Database& db, const Key& key, ExpiryChange expiry, std::string* value);

// INCRBY and friends; the deadline is kept.
OpResult<int64_t> IncrBy(Database& db, const Key& key, int64_t delta);
// INCRBYFLOAT: the new value as Redis prints it.
OpResult<std::string> IncrByFloat(Database& db, const Key& key, long double delta);

// APPEND: the new length.
OpResult<int64_t> Append(Database& db, const Key& key, std::string_view suffix);
// STRLEN: 0 for a missing key.
OpResult<int64_t> StrLen(Database& db, const Key& key);
// GETRANGE with Redis's index rules; an empty view when nothing is selected.
OpStatus GetRange(Database& db, const Key& key, int64_t start, int64_t end, std::string_view* out);
// SETRANGE (offset >= 0, checked by the caller): the new length.
OpResult<int64_t> SetRange(Database& db, const Key& key, int64_t offset, std::string_view value);

}  // namespace emberkv::storage::strings
