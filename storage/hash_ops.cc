#include "storage/hash_ops.h"

#include <cmath>

#include "base/numbers.h"
#include "storage/collection_access.h"

namespace emberkv::storage::hashes {
namespace {

OpStatus FindForWrite(Database& db, const Key& key, HashValue** hash, Database::Slot* slot) {
  return FindCollection(db, key, ValueType::kHash, LookupMode::kWrite, hash, slot);
}

}  // namespace

OpStatus Read(Database& db, const Key& key, const HashValue** hash) {
  HashValue* found;
  OpStatus status = FindCollection(db, key, ValueType::kHash, LookupMode::kRead, &found);
  if (status == OpStatus::kOk) *hash = found;
  return status;
}

OpResult<int64_t> Set(Database& db, const Key& key,
                      std::span<const std::string_view> field_values) {
  HashValue* hash;
  Database::Slot slot;
  OpStatus status = FindOrCreateCollection(db, key, ValueType::kHash, &hash, &slot);
  if (status != OpStatus::kOk) return status;
  CollectionEdit edit(db, key, hash, slot);
  int64_t created = 0;
  for (size_t i = 0; i + 1 < field_values.size(); i += 2) {
    created += hash->Set(field_values[i], field_values[i + 1]);
  }
  edit.Finish(true);
  return created;
}

OpResult<bool> SetNx(Database& db, const Key& key, std::string_view field, std::string_view value) {
  HashValue* hash;
  Database::Slot slot;
  OpStatus status = FindOrCreateCollection(db, key, ValueType::kHash, &hash, &slot);
  if (status != OpStatus::kOk) return status;
  if (hash->Get(field)) return false;
  CollectionEdit edit(db, key, hash, slot);
  hash->Set(field, value);
  edit.Finish(true);
  return true;
}

OpStatus Get(Database& db, const Key& key, std::string_view field, std::string_view* value) {
  const HashValue* hash;
  OpStatus status = Read(db, key, &hash);
  if (status != OpStatus::kOk) return status;
  std::optional<std::string_view> found = hash->Get(field);
  if (!found) return OpStatus::kNotFound;
  *value = *found;
  return OpStatus::kOk;
}

OpStatus MGet(Database& db, const Key& key, std::span<const std::string_view> fields,
              std::vector<std::optional<std::string_view>>* values) {
  values->assign(fields.size(), std::nullopt);
  const HashValue* hash;
  OpStatus status = Read(db, key, &hash);
  if (status == OpStatus::kNotFound) return OpStatus::kOk;
  if (status != OpStatus::kOk) return status;
  for (size_t i = 0; i < fields.size(); ++i) (*values)[i] = hash->Get(fields[i]);
  return OpStatus::kOk;
}

OpResult<int64_t> Del(Database& db, const Key& key, std::span<const std::string_view> fields) {
  HashValue* hash;
  Database::Slot slot;
  OpStatus status = FindForWrite(db, key, &hash, &slot);
  if (status == OpStatus::kNotFound) return int64_t{0};
  if (status != OpStatus::kOk) return status;
  CollectionEdit edit(db, key, hash, slot);
  int64_t removed = 0;
  for (std::string_view field : fields) {
    removed += hash->Remove(field);
    if (hash->size() == 0) break;
  }
  edit.Finish(removed > 0);
  return removed;
}

OpResult<int64_t> Len(Database& db, const Key& key) {
  const HashValue* hash;
  OpStatus status = Read(db, key, &hash);
  if (status == OpStatus::kNotFound) return int64_t{0};
  if (status != OpStatus::kOk) return status;
  return static_cast<int64_t>(hash->size());
}

OpResult<int64_t> StrLen(Database& db, const Key& key, std::string_view field) {
  std::string_view value;
  OpStatus status = Get(db, key, field, &value);
  if (status == OpStatus::kNotFound) return int64_t{0};
  if (status != OpStatus::kOk) return status;
  return static_cast<int64_t>(value.size());
}

OpResult<bool> Exists(Database& db, const Key& key, std::string_view field) {
  std::string_view value;
  OpStatus status = Get(db, key, field, &value);
  if (status == OpStatus::kNotFound) return false;
  if (status != OpStatus::kOk) return status;
  return true;
}

OpResult<int64_t> IncrBy(Database& db, const Key& key, std::string_view field, int64_t delta) {
  HashValue* hash;
  Database::Slot slot;
  OpStatus status = FindForWrite(db, key, &hash, &slot);
  if (status == OpStatus::kWrongType) return status;
  int64_t value = 0;
  if (status == OpStatus::kOk) {
    if (std::optional<std::string_view> old = hash->Get(field)) {
      if (!base::ParseInt64(*old, &value)) return OpStatus::kNotInteger;
    }
  }
  if ((delta < 0 && value < 0 && delta < INT64_MIN - value) ||
      (delta > 0 && value > 0 && delta > INT64_MAX - value)) {
    return OpStatus::kIncrOverflow;
  }
  value += delta;
  if (status == OpStatus::kNotFound) {
    status = FindOrCreateCollection(db, key, ValueType::kHash, &hash, &slot);
    if (status != OpStatus::kOk) return status;
  }
  CollectionEdit edit(db, key, hash, slot);
  hash->Set(field, base::FormatInt64(value));
  edit.Finish(true);
  return value;
}

OpResult<std::string> IncrByFloat(Database& db, const Key& key, std::string_view field,
                                  long double delta) {
  HashValue* hash;
  Database::Slot slot;
  OpStatus status = FindForWrite(db, key, &hash, &slot);
  if (status == OpStatus::kWrongType) return status;
  long double value = 0;
  if (status == OpStatus::kOk) {
    if (std::optional<std::string_view> old = hash->Get(field)) {
      if (!base::ParseLongDouble(*old, &value)) return OpStatus::kNotFloat;
    }
  }
  value += delta;
  if (std::isnan(value) || std::isinf(value)) return OpStatus::kNanOrInfinity;
  std::string text = base::FormatLongDoubleHuman(value);
  if (status == OpStatus::kNotFound) {
    status = FindOrCreateCollection(db, key, ValueType::kHash, &hash, &slot);
    if (status != OpStatus::kOk) return status;
  }
  CollectionEdit edit(db, key, hash, slot);
  hash->Set(field, text);
  edit.Finish(true);
  return text;
}

}  // namespace emberkv::storage::hashes
