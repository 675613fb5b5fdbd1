// Shard-local set operations with Redis 7.0 semantics (SADD, SREM, SPOP,
// SMOVE, the algebra of SINTER/SUNION/SDIFF and their STORE forms): plain
// functions on a Database. A set that loses its last member is deleted.
//
// The algebra itself (Intersect, Union, Difference) works on member lists:
// multi-key commands gather them with Members() from each key's shard and
// write the result with Store() in the destination's.
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "storage/database.h"
#include "storage/op_status.h"
#include "storage/set_value.h"

namespace emberkv::storage::sets {

// The set at `key` for reading: kNotFound, kWrongType or kOk.
OpStatus Read(Database& db, const Key& key, const SetValue** set);

OpResult<int64_t> Add(Database& db, const Key& key, std::span<const std::string_view> members);
OpResult<int64_t> Remove(Database& db, const Key& key, std::span<const std::string_view> members);
OpResult<bool> IsMember(Database& db, const Key& key, std::string_view member);
OpResult<int64_t> Card(Database& db, const Key& key);
// SPOP: up to `count` random members, removed (the key goes when emptied).
OpResult<std::vector<std::string>> Pop(Database& db, const Key& key, uint64_t count,
                                       std::mt19937_64& rng);
// SRANDMEMBER with a count: count >= 0 distinct members, count < 0 |count|
// members that may repeat.
OpResult<std::vector<std::string>> RandomMembers(Database& db, const Key& key, int64_t count,
                                                 std::mt19937_64& rng);
// SMOVE: whether the member moved (false when the source is missing or
// lacks it); kWrongType when either key holds another type. `from_db` and
// `to_db` are the same numbered database in the shards that own the two
// keys (one object when they share a shard).
OpResult<bool> Move(Database& from_db, const Key& source, Database& to_db, const Key& destination,
                    std::string_view member);

// The members of the set at `key` (kNotFound leaves *out empty).
OpStatus Members(Database& db, const Key& key, std::vector<std::string>* out);
// Replaces whatever is at `key` with a set of `members` (distinct), or
// deletes the key when there are none. Returns the set's size.
OpResult<int64_t> Store(Database& db, const Key& key, std::vector<std::string> members);

// The algebra, on member lists (each list distinct). `limit` > 0 stops an
// intersection at that many members (SINTERCARD).
std::vector<std::string> Intersect(std::vector<std::vector<std::string>> inputs, size_t limit = 0);
std::vector<std::string> Union(std::vector<std::vector<std::string>> inputs);
std::vector<std::string> Difference(std::vector<std::vector<std::string>> inputs);

}  // namespace emberkv::storage::sets
