// The value of a set key. Four encodings, chosen as members arrive and never
// going back (as in Redis):
//   intset     sorted integers in one allocation, while every member is an
//              integer and there are at most set-max-intset-entries;
//   listpack   members back to back in one allocation, while there are at
//              most set-max-listpack-entries of at most
//              set-max-listpack-value bytes (storage/encoding_limits.h);
//   hashtable  an OrderedTable: of raw int64s while every member is an
//              integer (8 bytes a slot, about 12 bytes a member; Redis spends
//              about 50), otherwise of separately allocated members.
// OBJECT ENCODING reports Redis's names. Redis 7.0 keeps small non-integer
// sets in a hashtable; the listpack form is Redis 7.2's, for memory.
//
// Thread safety: none (a value belongs to one shard's thread).
#pragma once

#include <charconv>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "storage/detail/compact_list.h"
#include "storage/detail/int_set.h"
#include "storage/detail/string_table.h"
#include "storage/value_object.h"

namespace emberkv::storage {

class SetValue : public ValueObject {
 public:
  enum class Encoding : uint8_t { kIntset, kListpack, kIntTable, kStringTable };

  SetValue() = default;
  ~SetValue() override;
  // An empty set ready for about `expected` members, in the encoding they
  // will need (SINTERSTORE and friends know their result's size).
  static std::unique_ptr<SetValue> ForMembers(size_t expected, bool all_integers);

  size_t size() const;
  Encoding encoding() const { return encoding_; }
  bool Contains(std::string_view member) const;
  // True when the member was not there.
  bool Add(std::string_view member);
  // True when the member was there.
  bool Remove(std::string_view member);
  // A member chosen with `random`, as text. The set must not be empty.
  std::string Random(uint64_t random) const;
  // Removes and returns a member chosen with `random`.
  std::string PopRandom(uint64_t random);

  // Calls fn(std::string_view member) for every member.
  template <class Fn>
  void ForEach(Fn&& fn) const;
  // One SSCAN step: fn(member) for some members; returns the next cursor.
  template <class Fn>
  uint64_t Scan(uint64_t cursor, size_t count, Fn&& fn) const;

  size_t MemoryUsage() const override;
  std::unique_ptr<ValueObject> Clone() const override;
  std::string_view EncodingName() const override;
  bool CostlyToDelete() const override;
  size_t ReleaseSome(size_t budget) override;

 private:
  struct MemberLayout {
    static std::string_view Key(const char* record) {
      std::string_view member;
      detail::GetString(record, &member);
      return member;
    }
  };
  using StringSet = detail::StringTable<MemberLayout>;
  struct IntTraits {
    static constexpr uint64_t kEmpty = uint64_t{1} << 63;  // INT64_MIN, kept apart
    static uint64_t Hash(uint64_t slot) { return detail::HashInteger(static_cast<int64_t>(slot)); }
  };
  using IntTable = detail::OrderedTable<IntTraits>;

  // Where `member` sits in the listpack, or SIZE_MAX.
  size_t ListpackFind(std::string_view member) const;
  bool IntTableContains(int64_t value) const;
  bool IntTableAdd(int64_t value);
  bool IntTableRemove(int64_t value);
  void StringTableAdd(std::string_view member);
  void ConvertTo(Encoding target, size_t expected);

  Encoding encoding_ = Encoding::kIntset;
  detail::IntSet intset_;
  detail::CompactList listpack_;
  std::unique_ptr<IntTable> ints_;
  bool has_int64_min_ = false;  // IntTable's empty marker as a member
  std::unique_ptr<StringSet> strings_;
};

template <class Fn>
void SetValue::ForEach(Fn&& fn) const {
  char buf[24];
  auto int_text = [&](int64_t v) {
    char* end = std::to_chars(buf, buf + sizeof(buf), v).ptr;
    return std::string_view(buf, end - buf);
  };
  switch (encoding_) {
    case Encoding::kIntset:
      for (uint32_t i = 0; i < intset_.size(); ++i) fn(int_text(intset_.At(i)));
      break;
    case Encoding::kListpack:
      for (const char* p = listpack_.begin(); p != listpack_.end();) {
        std::string_view member;
        p = detail::GetString(p, &member);
        fn(member);
      }
      break;
    case Encoding::kIntTable:
      if (has_int64_min_) fn(int_text(INT64_MIN));
      ints_->ForEach([&](uint64_t slot) { fn(int_text(static_cast<int64_t>(slot))); });
      break;
    case Encoding::kStringTable:
      strings_->ForEach([&](const char* record) { fn(MemberLayout::Key(record)); });
      break;
  }
}

template <class Fn>
uint64_t SetValue::Scan(uint64_t cursor, size_t count, Fn&& fn) const {
  char buf[24];
  switch (encoding_) {
    case Encoding::kIntset:
    case Encoding::kListpack:
      ForEach(fn);  // compact: everything at once, as Redis does
      return 0;
    case Encoding::kIntTable:
      if (cursor == 0 && has_int64_min_) fn(std::string_view("-9223372036854775808"));
      return ints_->Scan(cursor, count, [&](uint64_t slot) {
        char* end = std::to_chars(buf, buf + sizeof(buf), static_cast<int64_t>(slot)).ptr;
        fn(std::string_view(buf, end - buf));
      });
    case Encoding::kStringTable:
      return strings_->Scan(cursor, count,
                            [&](const char* record) { fn(MemberLayout::Key(record)); });
  }
  return 0;
}

}  // namespace emberkv::storage
