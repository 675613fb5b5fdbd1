#include "storage/set_value.h"

#include <malloc.h>

#include <vector>

#include "base/numbers.h"
#include "storage/encoding_limits.h"

namespace emberkv::storage {
namespace {

bool AsInteger(std::string_view member, int64_t* value) { return base::ParseInt64(member, value); }

std::string IntText(int64_t value) { return base::FormatInt64(value); }

}  // namespace

SetValue::~SetValue() = default;

std::unique_ptr<SetValue> SetValue::ForMembers(size_t expected, bool all_integers) {
  auto set = std::make_unique<SetValue>();
  const EncodingLimits& limits = encoding_limits();
  if (all_integers) {
    if (expected > Limit(limits.set_max_intset_entries))
      set->ConvertTo(Encoding::kIntTable, expected);
  } else if (expected > Limit(limits.set_max_listpack_entries)) {
    set->ConvertTo(Encoding::kStringTable, expected);
  } else {
    set->encoding_ = Encoding::kListpack;
  }
  return set;
}

size_t SetValue::size() const {
  switch (encoding_) {
    case Encoding::kIntset:
      return intset_.size();
    case Encoding::kListpack:
      return listpack_.count();
    case Encoding::kIntTable:
      return ints_->size() + (has_int64_min_ ? 1 : 0);
    case Encoding::kStringTable:
      return strings_->size();
  }
  return 0;
}

size_t SetValue::ListpackFind(std::string_view member) const {
  const char* base = listpack_.begin();
  for (const char* p = base; p != listpack_.end();) {
    const char* at = p;
    std::string_view candidate;
    p = detail::GetString(p, &candidate);
    if (candidate == member) return static_cast<size_t>(at - base);
  }
  return SIZE_MAX;
}

bool SetValue::IntTableContains(int64_t value) const {
  if (value == INT64_MIN) return has_int64_min_;
  uint64_t slot = static_cast<uint64_t>(value);
  return ints_->Find(detail::HashInteger(value), [&](uint64_t s) { return s == slot; }) !=
         IntTable::kNotFound;
}

bool SetValue::IntTableAdd(int64_t value) {
  if (value == INT64_MIN) {
    if (has_int64_min_) return false;
    has_int64_min_ = true;
    return true;
  }
  if (IntTableContains(value)) return false;
  ints_->Insert(detail::HashInteger(value), static_cast<uint64_t>(value));
  return true;
}

bool SetValue::IntTableRemove(int64_t value) {
  if (value == INT64_MIN) {
    bool had = has_int64_min_;
    has_int64_min_ = false;
    return had;
  }
  uint64_t slot = static_cast<uint64_t>(value);
  size_t index = ints_->Find(detail::HashInteger(value), [&](uint64_t s) { return s == slot; });
  if (index == IntTable::kNotFound) return false;
  ints_->EraseAt(index);
  return true;
}

void SetValue::StringTableAdd(std::string_view member) {
  char* record = strings_->NewRecord(detail::StringRecordSize(member));
  detail::PutString(record, member);
  strings_->Insert(record);
}

bool SetValue::Contains(std::string_view member) const {
  int64_t value;
  switch (encoding_) {
    case Encoding::kIntset:
      return AsInteger(member, &value) && intset_.Contains(value);
    case Encoding::kListpack:
      return ListpackFind(member) != SIZE_MAX;
    case Encoding::kIntTable:
      return AsInteger(member, &value) && IntTableContains(value);
    case Encoding::kStringTable:
      return strings_->FindIndex(member) != StringSet::kNotFound;
  }
  return false;
}

void SetValue::ConvertTo(Encoding target, size_t expected) {
  if (target == encoding_) return;
  // Members leave the old encoding as text (or integers) and enter the new.
  std::vector<std::string> members;
  if (size() > 0) {
    members.reserve(size());
    ForEach([&](std::string_view m) { members.emplace_back(m); });
  }
  intset_.Clear();
  listpack_.Clear();
  ints_.reset();
  has_int64_min_ = false;
  strings_.reset();
  encoding_ = target;
  switch (target) {
    case Encoding::kIntset:
      break;
    case Encoding::kListpack:
      break;
    case Encoding::kIntTable:
      ints_ = std::make_unique<IntTable>();
      ints_->Reserve(std::max(expected, members.size()));
      break;
    case Encoding::kStringTable:
      strings_ = std::make_unique<StringSet>();
      strings_->Reserve(std::max(expected, members.size()));
      break;
  }
  for (const std::string& m : members) Add(m);
}

bool SetValue::Add(std::string_view member) {
  int64_t value;
  const EncodingLimits& limits = encoding_limits();
  // Whether the set, with `count` members, may hold `member` in a listpack.
  auto fits_listpack = [&](size_t count) {
    return count <= Limit(limits.set_max_listpack_entries) &&
           member.size() <= Limit(limits.set_max_listpack_value);
  };
  switch (encoding_) {
    case Encoding::kIntset:
      if (AsInteger(member, &value)) {
        if (intset_.Contains(value)) return false;
        if (intset_.size() + 1 > Limit(limits.set_max_intset_entries)) {
          ConvertTo(Encoding::kIntTable, intset_.size() + 1);
          return IntTableAdd(value);
        }
        return intset_.Insert(value);
      }
      // A first non-integer member: compact strings if everything fits, the
      // 1 GiB bound too (an integer's text takes at most 21 bytes there).
      ConvertTo(fits_listpack(intset_.size() + 1) &&
                        CompactMayGrow(intset_.size() * 21, detail::StringRecordSize(member))
                    ? Encoding::kListpack
                    : Encoding::kStringTable,
                intset_.size() + 1);
      return Add(member);
    case Encoding::kListpack: {
      if (ListpackFind(member) != SIZE_MAX) return false;
      if (!fits_listpack(listpack_.count() + 1) ||
          !CompactMayGrow(listpack_.used(), detail::StringRecordSize(member))) {
        ConvertTo(Encoding::kStringTable, listpack_.count() + 1);
        StringTableAdd(member);
        return true;
      }
      char* at = listpack_.InsertGap(listpack_.used(), detail::StringRecordSize(member));
      detail::PutString(at, member);
      return true;
    }
    case Encoding::kIntTable:
      if (AsInteger(member, &value)) return IntTableAdd(value);
      ConvertTo(Encoding::kStringTable, size() + 1);
      return Add(member);
    case Encoding::kStringTable:
      if (strings_->FindIndex(member) != StringSet::kNotFound) return false;
      StringTableAdd(member);
      return true;
  }
  return false;
}

bool SetValue::Remove(std::string_view member) {
  int64_t value;
  switch (encoding_) {
    case Encoding::kIntset:
      return AsInteger(member, &value) && intset_.Remove(value);
    case Encoding::kListpack: {
      size_t at = ListpackFind(member);
      if (at == SIZE_MAX) return false;
      listpack_.Erase(at, detail::StringRecordSize(member));
      return true;
    }
    case Encoding::kIntTable:
      return AsInteger(member, &value) && IntTableRemove(value);
    case Encoding::kStringTable: {
      size_t index = strings_->FindIndex(member);
      if (index == StringSet::kNotFound) return false;
      strings_->EraseAt(index);
      return true;
    }
  }
  return false;
}

std::string SetValue::Random(uint64_t random) const {
  switch (encoding_) {
    case Encoding::kIntset:
      return IntText(intset_.At(static_cast<uint32_t>(random % intset_.size())));
    case Encoding::kListpack: {
      size_t target = random % listpack_.count();
      const char* p = listpack_.begin();
      std::string_view member;
      for (size_t i = 0; i <= target; ++i) p = detail::GetString(p, &member);
      return std::string(member);
    }
    case Encoding::kIntTable:
      if (has_int64_min_ && (ints_->size() == 0 || random % size() == 0)) return IntText(INT64_MIN);
      return IntText(static_cast<int64_t>(ints_->slot(ints_->RandomIndex(random >> 1))));
    case Encoding::kStringTable:
      return std::string(MemberLayout::Key(strings_->RecordAt(strings_->RandomIndex(random))));
  }
  return {};
}

std::string SetValue::PopRandom(uint64_t random) {
  std::string member = Random(random);
  Remove(member);
  return member;
}

size_t SetValue::MemoryUsage() const {
  size_t bytes = sizeof(SetValue) + 16 + intset_.MemoryUsage() + listpack_.MemoryUsage();
  if (ints_) bytes += sizeof(IntTable) + ints_->MemoryUsage();
  if (strings_) bytes += sizeof(StringSet) + strings_->MemoryUsage();
  return bytes;
}

std::unique_ptr<ValueObject> SetValue::Clone() const {
  auto copy = std::make_unique<SetValue>();
  copy->encoding_ = encoding_;
  switch (encoding_) {
    case Encoding::kIntset:
      copy->intset_ = detail::IntSet(intset_);
      break;
    case Encoding::kListpack:
      copy->listpack_ = detail::CompactList(listpack_);
      break;
    case Encoding::kIntTable:
      copy->ints_ = std::make_unique<IntTable>();
      copy->ints_->Reserve(ints_->size());
      ints_->ForEach([&](uint64_t slot) {
        copy->ints_->Insert(detail::HashInteger(static_cast<int64_t>(slot)), slot);
      });
      copy->has_int64_min_ = has_int64_min_;
      break;
    case Encoding::kStringTable:
      copy->strings_ = std::make_unique<StringSet>();
      copy->strings_->Reserve(strings_->size());
      strings_->ForEach(
          [&](const char* record) { copy->StringTableAdd(MemberLayout::Key(record)); });
      break;
  }
  return copy;
}

std::string_view SetValue::EncodingName() const {
  switch (encoding_) {
    case Encoding::kIntset:
      return "intset";
    case Encoding::kListpack:
      return "listpack";
    case Encoding::kIntTable:
    case Encoding::kStringTable:
      return "hashtable";
  }
  return "hashtable";
}

bool SetValue::CostlyToDelete() const {
  return encoding_ == Encoding::kStringTable && strings_->size() > 4096;
}

size_t SetValue::ReleaseSome(size_t budget) { return strings_ ? strings_->ReleaseSome(budget) : 0; }

}  // namespace emberkv::storage
