// Shard-local hash operations with Redis 7.0 semantics (HSET, HGET, HDEL,
// HINCRBY, ...): plain functions on a Database returning a status or a
// result. A hash that loses its last field is deleted. Views returned point
// into the value and are valid until the next write to the database.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "storage/database.h"
#include "storage/hash_value.h"
#include "storage/op_status.h"

namespace emberkv::storage::hashes {

// The hash at `key` for reading (HGETALL, HSCAN, HRANDFIELD, ... iterate
// it): kNotFound, kWrongType or kOk.
OpStatus Read(Database& db, const Key& key, const HashValue** hash);

// HSET/HMSET: `field_values` alternates fields and values (an even, non-zero
// count). Returns the number of new fields.
OpResult<int64_t> Set(Database& db, const Key& key, std::span<const std::string_view> field_values);
// HSETNX: whether the field was set.
OpResult<bool> SetNx(Database& db, const Key& key, std::string_view field, std::string_view value);
// HGET: kNotFound when the key or the field is missing.
OpStatus Get(Database& db, const Key& key, std::string_view field, std::string_view* value);
// HMGET: one entry per field (nullopt: missing). A missing key gives all
// nullopt; kWrongType for another type.
OpStatus MGet(Database& db, const Key& key, std::span<const std::string_view> fields,
              std::vector<std::optional<std::string_view>>* values);
// HDEL: the number of fields removed.
OpResult<int64_t> Del(Database& db, const Key& key, std::span<const std::string_view> fields);
// HLEN (0 for a missing key).
OpResult<int64_t> Len(Database& db, const Key& key);
// HSTRLEN (0 for a missing key or field).
OpResult<int64_t> StrLen(Database& db, const Key& key, std::string_view field);
// HEXISTS.
OpResult<bool> Exists(Database& db, const Key& key, std::string_view field);
// HINCRBY: kNotInteger when the field's value is not an integer (Redis says
// "hash value is not an integer"), kIncrOverflow.
OpResult<int64_t> IncrBy(Database& db, const Key& key, std::string_view field, int64_t delta);
// HINCRBYFLOAT: the new value as Redis prints it; kNotFloat when the field's
// value is not a number ("hash value is not a float"), kNanOrInfinity.
OpResult<std::string> IncrByFloat(Database& db, const Key& key, std::string_view field,
                                  long double delta);

}  // namespace emberkv::storage::hashes
