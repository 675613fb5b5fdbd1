#include "storage/zset_value.h"

#include <string>
#include <utility>
#include <vector>

#include "storage/encoding_limits.h"

namespace emberkv::storage {

ZSetValue::~ZSetValue() {
  tree_.reset();  // references the index's records
  index_.reset();
}

std::unique_ptr<ZSetValue> ZSetValue::ForMembers(size_t expected, size_t longest_member) {
  auto zset = std::make_unique<ZSetValue>();
  const EncodingLimits& limits = encoding_limits();
  if (expected > Limit(limits.zset_max_listpack_entries) ||
      longest_member > Limit(limits.zset_max_listpack_value))
    zset->ConvertToSkipList(expected);
  return zset;
}

size_t ZSetValue::size() const {
  return encoding_ == Encoding::kListpack ? listpack_.count() : index_->size();
}

size_t ZSetValue::ListpackFind(std::string_view member, double* score, size_t* rank) const {
  const char* base = listpack_.begin();
  size_t i = 0;
  for (const char* p = base; p != listpack_.end(); ++i) {
    const char* at = p;
    std::string_view candidate;
    p = detail::GetString(p, &candidate);
    if (candidate == member) {
      if (score) *score = detail::GetDouble(p);
      if (rank) *rank = i;
      return static_cast<size_t>(at - base);
    }
    p += sizeof(double);
  }
  return SIZE_MAX;
}

void ZSetValue::ListpackInsert(std::string_view member, double score) {
  // Redis keeps listpack scores as text, where -0 reads back as 0.
  if (score == 0) score = 0;
  const char* base = listpack_.begin();
  const char* p = base;
  while (p != listpack_.end()) {
    std::string_view m;
    const char* next = detail::GetString(p, &m);
    double s = detail::GetDouble(next);
    if (detail::EntryLess(score, member, s, m)) break;
    p = next + sizeof(double);
  }
  size_t offset = static_cast<size_t>(p - base);
  char* at = listpack_.InsertGap(offset, ListpackRecordSize(member));
  detail::PutDouble(detail::PutString(at, member), score);
}

void ZSetValue::SkipListInsert(std::string_view member, double score) {
  char* record = index_->NewRecord(sizeof(double) + detail::StringRecordSize(member));
  detail::PutDouble(record, score);
  detail::PutString(record + sizeof(double), member);
  index_->Insert(record);
  tree_->Insert(score, record);
}

void ZSetValue::ConvertToSkipList(size_t expected) {
  auto index = std::make_unique<Index>();
  index->Reserve(std::max(expected, size_t{listpack_.count()}));
  index_ = std::move(index);
  tree_ = std::make_unique<detail::ScoreTree>();
  encoding_ = Encoding::kSkipList;
  detail::CompactList old = std::move(listpack_);
  for (const char* p = old.begin(); p != old.end();) {
    std::string_view member;
    p = detail::GetString(p, &member);
    double score = detail::GetDouble(p);
    p += sizeof(double);
    SkipListInsert(member, score);
  }
}

std::optional<double> ZSetValue::Score(std::string_view member) const {
  if (encoding_ == Encoding::kListpack) {
    double score;
    if (ListpackFind(member, &score, nullptr) == SIZE_MAX) return std::nullopt;
    return score;
  }
  const char* record = index_->Find(member);
  if (!record) return std::nullopt;
  return detail::RecordScore(record);
}

bool ZSetValue::Set(std::string_view member, double score) {
  if (encoding_ == Encoding::kListpack) {
    double old;
    size_t at = ListpackFind(member, &old, nullptr);
    if (at != SIZE_MAX) {
      if (old == score) return false;
      listpack_.Erase(at, ListpackRecordSize(member));
      ListpackInsert(member, score);
      return false;
    }
    const EncodingLimits& limits = encoding_limits();
    if (listpack_.count() + 1 <= Limit(limits.zset_max_listpack_entries) &&
        member.size() <= Limit(limits.zset_max_listpack_value) &&
        CompactMayGrow(listpack_.used(), ListpackRecordSize(member))) {
      ListpackInsert(member, score);
      return true;
    }
    ConvertToSkipList(listpack_.count() + 1);
  }
  size_t index = index_->FindIndex(member);
  if (index == Index::kNotFound) {
    SkipListInsert(member, score);
    return true;
  }
  char* record = index_->RecordAt(index);
  double old = detail::RecordScore(record);
  if (old == score) return false;
  tree_->Erase(old, member);
  detail::PutDouble(record, score);
  tree_->Insert(score, record);
  return false;
}

bool ZSetValue::Remove(std::string_view member) {
  if (encoding_ == Encoding::kListpack) {
    size_t at = ListpackFind(member, nullptr, nullptr);
    if (at == SIZE_MAX) return false;
    listpack_.Erase(at, ListpackRecordSize(member));
    return true;
  }
  size_t index = index_->FindIndex(member);
  if (index == Index::kNotFound) return false;
  const char* record = index_->RecordAt(index);
  tree_->Erase(detail::RecordScore(record), member);
  index_->EraseAt(index);  // frees the record (and the bytes `member` may point into)
  return true;
}

std::optional<size_t> ZSetValue::Rank(std::string_view member) const {
  if (encoding_ == Encoding::kListpack) {
    size_t rank;
    if (ListpackFind(member, nullptr, &rank) == SIZE_MAX) return std::nullopt;
    return rank;
  }
  const char* record = index_->Find(member);
  if (!record) return std::nullopt;
  return tree_->Rank(detail::RecordScore(record), member);
}

void ZSetValue::RemoveRanks(size_t first, size_t last) {
  if (first > last || first >= size()) return;
  if (last >= size()) last = size() - 1;
  if (encoding_ == Encoding::kListpack) {
    size_t rank = 0, begin = 0, end = 0;
    const char* base = listpack_.begin();
    for (const char* p = base; p != listpack_.end() && rank <= last; ++rank) {
      if (rank == first) begin = static_cast<size_t>(p - base);
      std::string_view member;
      p = detail::GetString(p, &member) + sizeof(double);
      end = static_cast<size_t>(p - base);
    }
    listpack_.Erase(begin, end - begin, static_cast<uint32_t>(last - first + 1));
    return;
  }
  // Collect the members first: erasing shifts ranks and frees records.
  std::vector<std::string> members;
  members.reserve(last - first + 1);
  VisitRanks(first, last, false, [&](std::string_view m, double) { members.emplace_back(m); });
  for (const std::string& m : members) Remove(m);
}

size_t ZSetValue::MemoryUsage() const {
  size_t bytes = sizeof(ZSetValue) + 8 + listpack_.MemoryUsage();
  if (index_)
    bytes +=
        sizeof(Index) + index_->MemoryUsage() + sizeof(detail::ScoreTree) + tree_->MemoryUsage();
  return bytes;
}

std::unique_ptr<ValueObject> ZSetValue::Clone() const {
  auto copy = std::make_unique<ZSetValue>();
  if (encoding_ == Encoding::kListpack) {
    copy->listpack_ = detail::CompactList(listpack_);
    return copy;
  }
  copy->ConvertToSkipList(size());
  VisitRanks(0, size() - 1, false,
             [&](std::string_view m, double s) { copy->SkipListInsert(m, s); });
  return copy;
}

std::string_view ZSetValue::EncodingName() const {
  return encoding_ == Encoding::kListpack ? "listpack" : "skiplist";
}

bool ZSetValue::CostlyToDelete() const { return index_ && index_->size() > 4096; }

size_t ZSetValue::ReleaseSome(size_t budget) {
  if (!index_) return 0;
  if (tree_->size() > 0) {
    tree_->Clear();  // nodes only: about one per 45 members
    return 1 + index_->size() / 45;
  }
  return index_->ReleaseSome(budget);
}

}  // namespace emberkv::storage
