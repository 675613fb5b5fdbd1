// SORT and SORT_RO as shard-local building blocks, with Redis 7.0's rules:
// the elements of a list, set or sorted set, sorted numerically or ALPHA
// (byte order), ASC or DESC, by themselves or BY the values a pattern names
// ("weight_*", "hash_*->field"), or not at all ("BY nosort": a pattern
// without '*'), cut by LIMIT, and answered with the elements or the values
// of GET patterns ("#" is the element itself); STORE keeps them as a list.
//
// Patterns name other keys, which may live on other shards: Sort asks the
// server for each value through a PatternLookup, so the server can route
// each key to its shard (and must hold those shards' locks for the whole
// command, for SORT to stay atomic). LookupPatternValue is what that callback
// runs on the key's shard.
//
// Two differences with Redis, both about ties: Redis sorts ALPHA with
// strcoll() unless it stores (emberkv always compares bytes, which is what
// strcoll does in the C locale Redis normally runs in), and with BY and a
// LIMIT it uses an unstable partial sort, so elements with equal BY values
// may come out in another order (here ties keep the order the elements were
// read in).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/database.h"
#include "storage/op_status.h"

namespace emberkv::storage::sorting {

// Where a pattern leads for one element (Redis's lookupKeyByPattern): the
// key with the element in place of the first '*', and the hash field after
// a "->" that follows the '*', if any.
struct PatternTarget {
  std::string key;
  std::optional<std::string> field;
};
enum class PatternKind : uint8_t {
  kElement,  // "#": the element itself
  kNothing,  // no '*': names no key (GET gives nil)
  kKey,      // *target
};
PatternKind ExpandPattern(std::string_view pattern, std::string_view element,
                          PatternTarget* target);

// The value a pattern's target holds: a string key's value, or a hash's
// field; nullopt for a missing key or field, or another type.
std::optional<std::string> LookupPatternValue(Database& db, const Key& key,
                                              const std::optional<std::string>& field);

using PatternLookup = std::function<std::optional<std::string>(const PatternTarget&)>;

struct SortSpec {
  std::optional<std::string> by;  // BY pattern
  std::vector<std::string> get;   // GET patterns, in order
  int64_t offset = 0;             // LIMIT offset count (count < 0: everything)
  int64_t count = -1;
  bool desc = false;
  bool alpha = false;
  bool store = false;  // STORE given: a set with BY nosort is then sorted ALPHA
};

// The reply of SORT: the elements (no GET), or for each element the value of
// each GET pattern in turn (nullopt where the pattern finds nothing); a
// missing key sorts as an empty list. kWrongType for a key that is no list,
// set or sorted set; kNotSortable when a numeric sort meets a value that is
// no double ("One or more scores can't be converted into double").
OpResult<std::vector<std::optional<std::string>>> Sort(Database& db, const Key& key,
                                                       const SortSpec& spec,
                                                       const PatternLookup& lookup);

// SORT ... STORE: replaces whatever is at `key` with a list of `values`
// (nil as the empty string), without a deadline, or deletes the key when
// there are none. Returns the list's length.
OpResult<int64_t> StoreList(Database& db, const Key& key,
                            const std::vector<std::optional<std::string>>& values);

}  // namespace emberkv::storage::sorting
