// The value of a hash key. Two encodings, as in Redis:
//   listpack   field, value, field, value ... back to back in one allocation,
//              while there are at most hash-max-listpack-entries fields and
//              no field or value is longer than hash-max-listpack-value
//              bytes (storage/encoding_limits.h);
//   hashtable  an OrderedTable of records, each field and value in one
//              allocation.
// Conversion goes one way (listpack to hashtable), as in Redis.
//
// Thread safety: none (a value belongs to one shard's thread).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "storage/detail/compact_list.h"
#include "storage/detail/string_table.h"
#include "storage/value_object.h"

namespace emberkv::storage {

class HashValue : public ValueObject {
 public:
  enum class Encoding : uint8_t { kListpack, kHashTable };

  HashValue() = default;
  ~HashValue() override;

  size_t size() const;
  Encoding encoding() const { return encoding_; }
  // The value of `field`; the view is valid until the next change.
  std::optional<std::string_view> Get(std::string_view field) const;
  // Sets a field; true when the field is new.
  bool Set(std::string_view field, std::string_view value);
  // True when the field was there.
  bool Remove(std::string_view field);
  // The field and value of the pair picked with `random`.
  std::pair<std::string_view, std::string_view> Random(uint64_t random) const;

  // fn(field, value) for every pair.
  template <class Fn>
  void ForEach(Fn&& fn) const;
  // One HSCAN step; returns the next cursor.
  template <class Fn>
  uint64_t Scan(uint64_t cursor, size_t count, Fn&& fn) const;

  size_t MemoryUsage() const override;
  std::unique_ptr<ValueObject> Clone() const override;
  std::string_view EncodingName() const override;
  bool CostlyToDelete() const override;
  size_t ReleaseSome(size_t budget) override;

 private:
  // A record: [varint field length][field][varint value length][value].
  struct PairLayout {
    static std::string_view Key(const char* record) {
      std::string_view field;
      detail::GetString(record, &field);
      return field;
    }
    static std::string_view Value(const char* record) {
      std::string_view field, value;
      detail::GetString(detail::GetString(record, &field), &value);
      return value;
    }
  };
  using Table = detail::StringTable<PairLayout>;

  // Byte offset of the pair with this field in the listpack, or SIZE_MAX.
  size_t ListpackFind(std::string_view field, std::string_view* value) const;
  void ConvertToTable();
  void TableSet(std::string_view field, std::string_view value, size_t existing);

  Encoding encoding_ = Encoding::kListpack;
  detail::CompactList listpack_;
  std::unique_ptr<Table> table_;
};

template <class Fn>
void HashValue::ForEach(Fn&& fn) const {
  if (encoding_ == Encoding::kListpack) {
    for (const char* p = listpack_.begin(); p != listpack_.end();) {
      std::string_view field, value;
      p = detail::GetString(detail::GetString(p, &field), &value);
      fn(field, value);
    }
    return;
  }
  table_->ForEach(
      [&](const char* record) { fn(PairLayout::Key(record), PairLayout::Value(record)); });
}

template <class Fn>
uint64_t HashValue::Scan(uint64_t cursor, size_t count, Fn&& fn) const {
  if (encoding_ == Encoding::kListpack) {
    ForEach(fn);
    return 0;
  }
  return table_->Scan(cursor, count, [&](const char* record) {
    fn(PairLayout::Key(record), PairLayout::Value(record));
  });
}

}  // namespace emberkv::storage
