#include "storage/string_ops.h"

#include <cmath>
#include <cstring>

#include "base/numbers.h"

namespace emberkv::storage::strings {
namespace {

bool IsString(Database& db, const Database::Slot& slot) {
  return db.EntryAt(slot).type() == ValueType::kString;
}

}  // namespace

bool WriteValue(Database& db, const Key& key, Database::Slot* slot, std::string_view value) {
  char* dest = db.WriteString(key, slot, value.size(), ExpiryChange::Keep());
  if (!dest) return false;
  std::memcpy(dest, value.data(), value.size());
  return true;
}

OpStatus Get(Database& db, const Key& key, std::string_view* value) {
  Database::Slot slot;
  if (!db.Find(key, &slot)) return OpStatus::kNotFound;
  Entry entry = db.EntryAt(slot);
  if (entry.type() != ValueType::kString) return OpStatus::kWrongType;
  *value = entry.string_value();
  return OpStatus::kOk;
}

SetOutcome Set(Database& db, const Key& key, std::string_view value, const SetOptions& options) {
  SetOutcome outcome;
  Database::Slot slot;
  bool found;
  if (options.get_old) {
    found = db.Find(key, &slot, LookupMode::kRead);
    if (found) {
      if (!IsString(db, slot)) {
        outcome.status = OpStatus::kWrongType;
        return outcome;
      }
      outcome.old.emplace(db.EntryAt(slot).string_value());
    }
  } else {
    found = db.Find(key, &slot, LookupMode::kWrite);
  }
  using Condition = SetOptions::Condition;
  if ((options.condition == Condition::kIfAbsent && found) ||
      (options.condition == Condition::kIfPresent && !found)) {
    outcome.status = OpStatus::kConditionNotMet;
    return outcome;
  }
  ExpiryChange expiry = options.expiry;
  if (found && !IsString(db, slot)) {
    // SET replaces a value of any type; KEEPTTL keeps the old deadline.
    int64_t deadline = db.EntryAt(slot).expiry_ms();
    db.Erase(key, slot);
    slot = Database::Slot{};
    if (expiry.kind == ExpiryChange::kKeep) {
      expiry = deadline ? ExpiryChange::At(deadline) : ExpiryChange::Clear();
    }
  }
  char* dest = db.WriteString(key, &slot, value.size(), expiry);
  if (!dest) {
    outcome.status = OpStatus::kOutOfMemory;
    return outcome;
  }
  std::memcpy(dest, value.data(), value.size());
  return outcome;
}

OpStatus GetDel(Database& db, const Key& key, std::string* value) {
  Database::Slot slot;
  if (!db.Find(key, &slot)) return OpStatus::kNotFound;
  Entry entry = db.EntryAt(slot);
  if (entry.type() != ValueType::kString) return OpStatus::kWrongType;
  value->assign(entry.string_value());
  db.Erase(key, slot);
  return OpStatus::kOk;
}

OpStatus GetEx(Database& db, const Key& key, ExpiryChange expiry, std::string* value) {
  Database::Slot slot;
  if (!db.Find(key, &slot)) return OpStatus::kNotFound;
  Entry entry = db.EntryAt(slot);
  if (entry.type() != ValueType::kString) return OpStatus::kWrongType;
  value->assign(entry.string_value());
  switch (expiry.kind) {
    case ExpiryChange::kKeep:
      break;
    case ExpiryChange::kClear:
      if (entry.has_expiry()) db.SetExpiry(key, &slot, 0);
      break;
    case ExpiryChange::kSet:
      if (expiry.deadline_ms <= db.now_ms()) {
        db.Erase(key, slot);
      } else {
        db.SetExpiry(key, &slot, expiry.deadline_ms);
      }
      break;
  }
  return OpStatus::kOk;
}

OpResult<int64_t> IncrBy(Database& db, const Key& key, int64_t delta) {
  Database::Slot slot;
  int64_t value = 0;
  bool found = db.Find(key, &slot, LookupMode::kWrite);
  if (found) {
    Entry entry = db.EntryAt(slot);
    if (entry.type() != ValueType::kString) return OpStatus::kWrongType;
    if (!base::ParseInt64(entry.string_value(), &value)) return OpStatus::kNotInteger;
  }
  if ((delta < 0 && value < 0 && delta < INT64_MIN - value) ||
      (delta > 0 && value > 0 && delta > INT64_MAX - value)) {
    return OpStatus::kIncrOverflow;
  }
  value += delta;
  if (!WriteValue(db, key, &slot, base::FormatInt64(value))) return OpStatus::kOutOfMemory;
  return value;
}

OpResult<std::string> IncrByFloat(Database& db, const Key& key, long double delta) {
  Database::Slot slot;
  long double value = 0;
  bool found = db.Find(key, &slot, LookupMode::kWrite);
  if (found) {
    Entry entry = db.EntryAt(slot);
    if (entry.type() != ValueType::kString) return OpStatus::kWrongType;
    if (!base::ParseLongDouble(entry.string_value(), &value)) return OpStatus::kNotFloat;
  }
  value += delta;
  if (std::isnan(value) || std::isinf(value)) return OpStatus::kNanOrInfinity;
  std::string text = base::FormatLongDoubleHuman(value);
  if (!WriteValue(db, key, &slot, text)) return OpStatus::kOutOfMemory;
  return text;
}

OpResult<int64_t> Append(Database& db, const Key& key, std::string_view suffix) {
  Database::Slot slot;
  size_t old_length = 0;
  if (db.Find(key, &slot, LookupMode::kWrite)) {
    Entry entry = db.EntryAt(slot);
    if (entry.type() != ValueType::kString) return OpStatus::kWrongType;
    old_length = entry.value_len();
  }
  size_t length = old_length + suffix.size();
  if (static_cast<int64_t>(length) > kMaxStringLength) return OpStatus::kStringTooLong;
  char* dest = db.WriteString(key, &slot, length, ExpiryChange::Keep(), /*preserve=*/true,
                              /*greedy=*/true);
  if (!dest) return OpStatus::kOutOfMemory;
  std::memcpy(dest + old_length, suffix.data(), suffix.size());
  return static_cast<int64_t>(length);
}

OpResult<int64_t> StrLen(Database& db, const Key& key) {
  Database::Slot slot;
  if (!db.Find(key, &slot)) return int64_t{0};
  Entry entry = db.EntryAt(slot);
  if (entry.type() != ValueType::kString) return OpStatus::kWrongType;
  return static_cast<int64_t>(entry.value_len());
}

OpStatus GetRange(Database& db, const Key& key, int64_t start, int64_t end, std::string_view* out) {
  *out = {};
  Database::Slot slot;
  if (!db.Find(key, &slot)) return OpStatus::kOk;  // an empty string
  Entry entry = db.EntryAt(slot);
  if (entry.type() != ValueType::kString) return OpStatus::kWrongType;
  std::string_view value = entry.string_value();
  int64_t length = static_cast<int64_t>(value.size());
  if (start < 0 && end < 0 && start > end) return OpStatus::kOk;
  if (start < 0) start = length + start;
  if (end < 0) end = length + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= length) end = length - 1;
  if (start > end || length == 0) return OpStatus::kOk;
  *out = value.substr(static_cast<size_t>(start), static_cast<size_t>(end - start + 1));
  return OpStatus::kOk;
}

OpResult<int64_t> SetRange(Database& db, const Key& key, int64_t offset, std::string_view value) {
  Database::Slot slot;
  bool found = db.Find(key, &slot, LookupMode::kWrite);
  size_t old_length = 0;
  if (found) {
    Entry entry = db.EntryAt(slot);
    if (entry.type() != ValueType::kString) return OpStatus::kWrongType;
    old_length = entry.value_len();
    if (value.empty()) return static_cast<int64_t>(old_length);
  } else if (value.empty()) {
    return int64_t{0};
  }
  // Written so that a huge offset cannot overflow the sum (Redis's
  // checkStringLength also refuses a total that wraps around).
  if (offset > kMaxStringLength - static_cast<int64_t>(value.size()))
    return OpStatus::kStringTooLong;
  size_t end = static_cast<size_t>(offset) + value.size();
  size_t length = std::max(old_length, end);
  char* dest = db.WriteString(key, &slot, length, ExpiryChange::Keep(), /*preserve=*/true);
  if (!dest) return OpStatus::kOutOfMemory;
  if (static_cast<size_t>(offset) > old_length) {
    std::memset(dest + old_length, 0, static_cast<size_t>(offset) - old_length);
  }
  std::memcpy(dest + offset, value.data(), value.size());
  return static_cast<int64_t>(length);
}

}  // namespace emberkv::storage::strings
