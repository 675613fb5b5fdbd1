// Shard-local list operations with Redis 7.0 semantics (LPUSH, LPOP, LRANGE,
// LINSERT, LREM, LPOS, LMOVE, ...): plain functions on a Database returning
// a status or a result. Every change tells the database (NotifyChanged), so
// that WATCH sees it and clients blocked on the key are served; a list that
// loses its last element is deleted. Views returned point into the list and
// are valid until the next write to the database.
//
// Index arguments follow Redis: negative indices count from the tail, and
// ranges are clamped to the list, so no argument ever makes us allocate
// more than the list holds.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "storage/database.h"
#include "storage/list_value.h"
#include "storage/op_status.h"

namespace emberkv::storage::lists {

// LPUSH/RPUSH: the new length. With `only_existing` (LPUSHX/RPUSHX) a
// missing key is left alone and the result is 0.
OpResult<int64_t> Push(Database& db, const Key& key, ListEnd end,
                       std::span<const std::string_view> values, bool only_existing = false);

// LPOP/RPOP and the popping half of LMPOP, BLPOP, ...: appends up to `count`
// elements to *out. kNotFound, kWrongType or kOk.
OpStatus Pop(Database& db, const Key& key, ListEnd end, size_t count,
             std::vector<std::string>* out);

// LLEN (0 for a missing key).
OpResult<int64_t> Length(Database& db, const Key& key);

// LRANGE: appends the elements from `start` to `stop` to *out (none for a
// missing key).
OpStatus Range(Database& db, const Key& key, int64_t start, int64_t stop,
               std::vector<std::string_view>* out);

// LINDEX: kNotFound when the key is missing or the index out of range.
OpStatus Index(Database& db, const Key& key, int64_t index, std::string_view* value);

// LSET: kNotFound for a missing key ("no such key"); false when the index is
// out of range.
OpResult<bool> Set(Database& db, const Key& key, int64_t index, std::string_view value);

// LINSERT: the new length; -1 when the pivot is not there, 0 when the key is
// missing.
OpResult<int64_t> Insert(Database& db, const Key& key, bool after, std::string_view pivot,
                         std::string_view value);

// LREM: removes elements equal to `value`: `count` > 0 of them from the
// head, -`count` from the tail, all of them for 0. Returns how many went.
OpResult<int64_t> Remove(Database& db, const Key& key, int64_t count, std::string_view value);

// LTRIM: keeps the elements from `start` to `stop`.
OpStatus Trim(Database& db, const Key& key, int64_t start, int64_t stop);

// LPOS. `rank` is not 0 (negative: search from the tail); `count` 0 means
// every match; `maxlen` 0 means the whole list. Appends the positions of
// the matches to *out. kNotFound for a missing key.
struct PosOptions {
  int64_t rank = 1;
  int64_t count = 1;
  int64_t maxlen = 0;
};
OpStatus Pos(Database& db, const Key& key, std::string_view element, const PosOptions& options,
             std::vector<int64_t>* out);

// LMOVE/RPOPLPUSH: moves one element from `source` (in `from_db`) to
// `destination` (in `to_db`; the same object when both keys share a shard)
// and returns it in *moved. kNotFound when the source is missing;
// kWrongType when either key holds another type; kOutOfMemory when the
// destination cannot take it (nothing moves then).
OpStatus Move(Database& from_db, const Key& source, Database& to_db, const Key& destination,
              ListEnd from, ListEnd to, std::string* moved);

// Whether a list element may be pushed to `key`: kOk for a list or a missing
// key, kWrongType otherwise (LMOVE checks its destination before popping).
OpStatus CheckPushable(Database& db, const Key& key);

// Whether `key` holds a list with elements to pop: kOk, kNotFound (missing)
// or kWrongType. Does not count as an access.
OpStatus CheckPoppable(Database& db, const Key& key);

}  // namespace emberkv::storage::lists
