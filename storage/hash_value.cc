#include "storage/hash_value.h"

#include <string>
#include <vector>

#include "storage/encoding_limits.h"

namespace emberkv::storage {

HashValue::~HashValue() = default;

size_t HashValue::size() const {
  return encoding_ == Encoding::kListpack ? listpack_.count() : table_->size();
}

size_t HashValue::ListpackFind(std::string_view field, std::string_view* value) const {
  const char* base = listpack_.begin();
  for (const char* p = base; p != listpack_.end();) {
    const char* at = p;
    std::string_view f, v;
    p = detail::GetString(detail::GetString(p, &f), &v);
    if (f == field) {
      if (value) *value = v;
      return static_cast<size_t>(at - base);
    }
  }
  return SIZE_MAX;
}

std::optional<std::string_view> HashValue::Get(std::string_view field) const {
  if (encoding_ == Encoding::kListpack) {
    std::string_view value;
    if (ListpackFind(field, &value) == SIZE_MAX) return std::nullopt;
    return value;
  }
  const char* record = table_->Find(field);
  if (!record) return std::nullopt;
  return PairLayout::Value(record);
}

void HashValue::ConvertToTable() {
  auto table = std::make_unique<Table>();
  table->Reserve(listpack_.count() + 1);
  table_ = std::move(table);
  encoding_ = Encoding::kHashTable;
  detail::CompactList old = std::move(listpack_);
  for (const char* p = old.begin(); p != old.end();) {
    std::string_view f, v;
    p = detail::GetString(detail::GetString(p, &f), &v);
    TableSet(f, v, Table::kNotFound);
  }
}

void HashValue::TableSet(std::string_view field, std::string_view value, size_t existing) {
  char* record =
      table_->NewRecord(detail::StringRecordSize(field) + detail::StringRecordSize(value));
  detail::PutString(detail::PutString(record, field), value);
  if (existing == Table::kNotFound) {
    table_->Insert(record);
  } else {
    table_->ReplaceAt(existing, record);
  }
}

bool HashValue::Set(std::string_view field, std::string_view value) {
  if (encoding_ == Encoding::kListpack) {
    const EncodingLimits& limits = encoding_limits();
    const uint64_t max_value = Limit(limits.hash_max_listpack_value);
    const size_t bytes = detail::StringRecordSize(field) + detail::StringRecordSize(value);
    if (field.size() > max_value || value.size() > max_value ||
        !CompactMayGrow(listpack_.used(), bytes)) {
      ConvertToTable();
    } else {
      std::string_view old;
      size_t at = ListpackFind(field, &old);
      // As in Redis, any write converts a hash that is (or would become)
      // longer than the limit, an update too: the limit may have been
      // lowered since the hash grew.
      size_t count_after = listpack_.count() + (at == SIZE_MAX ? 1 : 0);
      if (count_after > Limit(limits.hash_max_listpack_entries)) {
        ConvertToTable();
      } else if (at != SIZE_MAX) {
        size_t value_at = at + detail::StringRecordSize(field);
        char* dest = listpack_.Resize(value_at, detail::StringRecordSize(old),
                                      detail::StringRecordSize(value));
        detail::PutString(dest, value);
        return false;
      } else {
        char* dest = listpack_.InsertGap(listpack_.used(), bytes);
        detail::PutString(detail::PutString(dest, field), value);
        return true;
      }
    }
  }
  size_t existing = table_->FindIndex(field);
  TableSet(field, value, existing);
  return existing == Table::kNotFound;
}

bool HashValue::Remove(std::string_view field) {
  if (encoding_ == Encoding::kListpack) {
    std::string_view value;
    size_t at = ListpackFind(field, &value);
    if (at == SIZE_MAX) return false;
    listpack_.Erase(at, detail::StringRecordSize(field) + detail::StringRecordSize(value));
    return true;
  }
  size_t index = table_->FindIndex(field);
  if (index == Table::kNotFound) return false;
  table_->EraseAt(index);
  return true;
}

std::pair<std::string_view, std::string_view> HashValue::Random(uint64_t random) const {
  if (encoding_ == Encoding::kListpack) {
    size_t target = random % listpack_.count();
    const char* p = listpack_.begin();
    std::string_view f, v;
    for (size_t i = 0; i <= target; ++i) p = detail::GetString(detail::GetString(p, &f), &v);
    return {f, v};
  }
  const char* record = table_->RecordAt(table_->RandomIndex(random));
  return {PairLayout::Key(record), PairLayout::Value(record)};
}

size_t HashValue::MemoryUsage() const {
  size_t bytes = sizeof(HashValue) + 8 + listpack_.MemoryUsage();
  if (table_) bytes += sizeof(Table) + table_->MemoryUsage();
  return bytes;
}

std::unique_ptr<ValueObject> HashValue::Clone() const {
  auto copy = std::make_unique<HashValue>();
  if (encoding_ == Encoding::kListpack) {
    copy->listpack_ = detail::CompactList(listpack_);
    return copy;
  }
  copy->encoding_ = Encoding::kHashTable;
  copy->table_ = std::make_unique<Table>();
  copy->table_->Reserve(table_->size());
  ForEach([&](std::string_view f, std::string_view v) { copy->TableSet(f, v, Table::kNotFound); });
  return copy;
}

std::string_view HashValue::EncodingName() const {
  return encoding_ == Encoding::kListpack ? "listpack" : "hashtable";
}

bool HashValue::CostlyToDelete() const { return table_ && table_->size() > 4096; }

size_t HashValue::ReleaseSome(size_t budget) { return table_ ? table_->ReleaseSome(budget) : 0; }

}  // namespace emberkv::storage
