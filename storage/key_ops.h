// Shard-local operations on keys regardless of their type (DEL, EXISTS, TTL,
// EXPIRE, RENAME, COPY, MOVE, SCAN, ...), with Redis 7.0 semantics. The
// server calls them on the shard that owns the key(s); operations that span
// two shards use Detach/Attach to carry a value across.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/database.h"
#include "storage/op_status.h"

namespace emberkv::storage::keys {

bool Delete(Database& db, const Key& key);
bool Exists(Database& db, const Key& key);
bool Touch(Database& db, const Key& key);
// "none", "string", "list", "set", "zset" or "hash".
std::string_view Type(Database& db, const Key& key);
std::string_view TypeName(ValueType type);

// TTL family: -2 when the key does not exist, -1 when it has no deadline,
// otherwise the milliseconds left (or the deadline itself when `absolute`).
int64_t TimeToLive(Database& db, const Key& key, bool absolute);

struct ExpireFlags {
  bool nx = false, xx = false, gt = false, lt = false;
};
// EXPIRE family with a deadline in ms. Returns whether the deadline was set
// (or the key deleted because the deadline has passed).
bool Expire(Database& db, const Key& key, int64_t deadline_ms, ExpireFlags flags);
bool Persist(Database& db, const Key& key);

// A value taken out of one place to be put into another (RENAME or COPY
// across shards, MOVE, COPY). Collections travel as their object.
struct DetachedValue {
  ValueType type = ValueType::kString;
  std::string bytes;                    // strings
  std::unique_ptr<ValueObject> object;  // collections
  int64_t expiry_ms = 0;
};
// Removes `key` and returns its value; false when absent.
bool Detach(Database& db, const Key& key, DetachedValue* value);
// Copies the value of `key`; false when absent.
bool Snapshot(Database& db, const Key& key, DetachedValue* value);
// Stores `value` at `key`, replacing what is there. kOutOfMemory on failure.
OpStatus Attach(Database& db, const Key& key, DetachedValue value);

// RENAME / RENAMENX: kNotFound, kConditionNotMet (NX and the destination
// exists) or kOk. `from_db` and `to_db` are the same numbered database in
// the shards that own the two keys (one object when they share a shard).
OpStatus Rename(Database& from_db, const Key& from, Database& to_db, const Key& to,
                bool only_if_absent);
// MOVE within one shard: whether the key moved.
bool Move(Database& from, Database& to, const Key& key);
// COPY, from the database of the source's shard to that of the
// destination's (any shards, any numbered databases): whether the copy was
// made.
OpResult<bool> Copy(Database& from, Database& to, const Key& source, const Key& destination,
                    bool replace);

// MEMORY USAGE: the bytes `key` costs (Database::KeyMemory), nullopt when
// it is missing. Exact for collections of any size, so SAMPLES changes
// nothing: collection objects keep a running count of their bytes.
std::optional<size_t> MemoryUsage(Database& db, const Key& key);

// KEYS: appends matching live keys to *out.
void CollectKeys(Database& db, std::string_view pattern, std::vector<std::string>* out);

// One step of SCAN within this database (cursor is a position in hash space).
struct ScanFilter {
  // nullopt: any key. MATCH "" is a pattern that only the empty key matches.
  std::optional<std::string_view> pattern;
  bool has_type = false;
  ValueType type = ValueType::kString;
};
uint64_t Scan(Database& db, uint64_t cursor, size_t count, const ScanFilter& filter,
              std::vector<std::string>* out);

}  // namespace emberkv::storage::keys
