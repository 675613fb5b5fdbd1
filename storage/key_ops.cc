#include "storage/key_ops.h"

#include <cstring>

#include "storage/glob.h"

namespace emberkv::storage::keys {

std::string_view TypeName(ValueType type) {
  switch (type) {
    case ValueType::kString:
      return "string";
    case ValueType::kList:
      return "list";
    case ValueType::kSet:
      return "set";
    case ValueType::kZSet:
      return "zset";
    case ValueType::kHash:
      return "hash";
  }
  return "none";
}

bool Delete(Database& db, const Key& key) {
  Database::Slot slot;
  if (!db.Find(key, &slot, LookupMode::kWrite)) return false;
  db.Erase(key, slot);
  return true;
}

bool Exists(Database& db, const Key& key) {
  Database::Slot slot;
  return db.Find(key, &slot, LookupMode::kReadNoTouch);
}

bool Touch(Database& db, const Key& key) {
  Database::Slot slot;
  return db.Find(key, &slot, LookupMode::kRead);
}

std::string_view Type(Database& db, const Key& key) {
  Database::Slot slot;
  if (!db.Find(key, &slot, LookupMode::kReadNoTouch)) return "none";
  return TypeName(db.EntryAt(slot).type());
}

int64_t TimeToLive(Database& db, const Key& key, bool absolute) {
  Database::Slot slot;
  if (!db.Find(key, &slot, LookupMode::kReadNoTouch)) return -2;
  Entry entry = db.EntryAt(slot);
  if (!entry.has_expiry()) return -1;
  if (absolute) return entry.expiry_ms();
  int64_t left = entry.expiry_ms() - db.now_ms();
  return left < 0 ? 0 : left;
}

bool Expire(Database& db, const Key& key, int64_t deadline_ms, ExpireFlags flags) {
  Database::Slot slot;
  if (!db.Find(key, &slot, LookupMode::kWrite)) return false;
  Entry entry = db.EntryAt(slot);
  int64_t current = entry.has_expiry() ? entry.expiry_ms() : -1;
  if (flags.nx && current != -1) return false;
  if (flags.xx && current == -1) return false;
  if (flags.gt && (current == -1 || deadline_ms <= current)) return false;
  if (flags.lt && current != -1 && deadline_ms >= current) return false;
  if (deadline_ms <= db.now_ms()) {
    db.Erase(key, slot);
  } else {
    db.SetExpiry(key, &slot, deadline_ms);
  }
  return true;
}

bool Persist(Database& db, const Key& key) {
  Database::Slot slot;
  if (!db.Find(key, &slot, LookupMode::kWrite)) return false;
  if (!db.EntryAt(slot).has_expiry()) return false;
  db.SetExpiry(key, &slot, 0);
  return true;
}

bool Snapshot(Database& db, const Key& key, DetachedValue* value) {
  Database::Slot slot;
  if (!db.Find(key, &slot, LookupMode::kRead)) return false;
  Entry entry = db.EntryAt(slot);
  value->type = entry.type();
  value->expiry_ms = entry.expiry_ms();
  if (entry.type() == ValueType::kString) {
    value->bytes.assign(entry.string_value());
  } else {
    value->object = db.ObjectAt(slot)->Clone();
  }
  return true;
}

bool Detach(Database& db, const Key& key, DetachedValue* value) {
  Database::Slot slot;
  if (!db.Find(key, &slot, LookupMode::kWrite)) return false;
  Entry entry = db.EntryAt(slot);
  value->type = entry.type();
  value->expiry_ms = entry.expiry_ms();
  if (entry.type() == ValueType::kString) {
    value->bytes.assign(entry.string_value());
    db.Erase(key, slot);
  } else {
    value->object.reset(db.EraseKeepingObject(key, slot));
  }
  return true;
}

OpStatus Attach(Database& db, const Key& key, DetachedValue value) {
  Database::Slot slot;
  if (db.Find(key, &slot, LookupMode::kWrite)) {
    db.Erase(key, slot);
    slot = Database::Slot{};
  }
  if (value.type == ValueType::kString) {
    ExpiryChange expiry =
        value.expiry_ms ? ExpiryChange::At(value.expiry_ms) : ExpiryChange::Clear();
    char* dest = db.WriteString(key, &slot, value.bytes.size(), expiry);
    if (!dest) return OpStatus::kOutOfMemory;
    std::memcpy(dest, value.bytes.data(), value.bytes.size());
    return OpStatus::kOk;
  }
  if (!db.CreateObject(key, value.type, value.object.release(), value.expiry_ms)) {
    return OpStatus::kOutOfMemory;
  }
  return OpStatus::kOk;
}

OpStatus Rename(Database& from_db, const Key& from, Database& to_db, const Key& to,
                bool only_if_absent) {
  Database::Slot slot;
  if (!from_db.Find(from, &slot, LookupMode::kWrite)) return OpStatus::kNotFound;
  if (from.bytes == to.bytes) return only_if_absent ? OpStatus::kConditionNotMet : OpStatus::kOk;
  if (only_if_absent) {
    Database::Slot existing;
    if (to_db.Find(to, &existing, LookupMode::kWrite)) return OpStatus::kConditionNotMet;
  }
  DetachedValue value;
  Detach(from_db, from, &value);
  return Attach(to_db, to, std::move(value));
}

bool Move(Database& from, Database& to, const Key& key) {
  Database::Slot slot;
  if (!from.Find(key, &slot, LookupMode::kWrite)) return false;
  Database::Slot existing;
  if (to.Find(key, &existing, LookupMode::kWrite)) return false;
  DetachedValue value;
  Detach(from, key, &value);
  return Attach(to, key, std::move(value)) == OpStatus::kOk;
}

OpResult<bool> Copy(Database& from, Database& to, const Key& source, const Key& destination,
                    bool replace) {
  if (&from == &to && source.bytes == destination.bytes) return OpStatus::kSameObject;
  DetachedValue value;
  if (!Snapshot(from, source, &value)) return false;
  Database::Slot existing;
  if (to.Find(destination, &existing, LookupMode::kWrite) && !replace) return false;
  OpStatus status = Attach(to, destination, std::move(value));
  if (status != OpStatus::kOk) return status;
  return true;
}

void CollectKeys(Database& db, std::string_view pattern, std::vector<std::string>* out) {
  bool all = pattern == "*";
  db.ForEach([&](const Entry& entry) {
    if (all || GlobMatch(pattern, entry.key())) out->emplace_back(entry.key());
  });
}

uint64_t Scan(Database& db, uint64_t cursor, size_t count, const ScanFilter& filter,
              std::vector<std::string>* out) {
  bool any_key = !filter.pattern || *filter.pattern == "*";
  return db.Scan(cursor, count, [&](const Entry& entry) {
    if (filter.has_type && entry.type() != filter.type) return;
    if (!any_key && !GlobMatch(*filter.pattern, entry.key())) return;
    out->emplace_back(entry.key());
  });
}

std::optional<size_t> MemoryUsage(Database& db, const Key& key) {
  Database::Slot slot;
  if (!db.Find(key, &slot, LookupMode::kReadNoTouch)) return std::nullopt;
  return db.KeyMemory(slot);
}

}  // namespace emberkv::storage::keys
