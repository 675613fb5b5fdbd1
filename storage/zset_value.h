// The value of a sorted-set key. Two encodings, as in Redis:
//   listpack   (member, score) records sorted by score then member, back to
//              back in one allocation, while there are at most
//              zset-max-listpack-entries members of at most
//              zset-max-listpack-value bytes (storage/encoding_limits.h);
//   skiplist   (Redis's name) a member index (an OrderedTable of records
//              [score][member], one allocation each) for O(1) ZSCORE, and an
//              order-statistic B+tree of (score, record) for O(log n) ranks
//              and ranges. About 60 bytes a member where Redis's skip list and
//              dict take about 110.
// Conversion goes one way, as in Redis.
//
// Ranks count from 0 in ascending (score, member) order. Range arguments are
// ranks the caller has already clamped.
//
// Thread safety: none (a value belongs to one shard's thread).
#pragma once

#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/detail/compact_list.h"
#include "storage/detail/score_tree.h"
#include "storage/detail/string_table.h"
#include "storage/value_object.h"

namespace emberkv::storage {

class ZSetValue : public ValueObject {
 public:
  enum class Encoding : uint8_t { kListpack, kSkipList };

  ZSetValue() = default;
  ~ZSetValue() override;
  // An empty sorted set in the encoding `expected` members of at most
  // `longest_member` bytes need.
  static std::unique_ptr<ZSetValue> ForMembers(size_t expected, size_t longest_member);

  size_t size() const;
  Encoding encoding() const { return encoding_; }
  std::optional<double> Score(std::string_view member) const;
  // Adds the member or moves it to `score`; true when it is new.
  bool Set(std::string_view member, double score);
  // True when the member was there.
  bool Remove(std::string_view member);
  // Ascending rank of the member.
  std::optional<size_t> Rank(std::string_view member) const;
  // The number of members m for which before(m.score, m.member) holds;
  // `before` must hold for a prefix of the order (a range's lower end).
  template <class Before>
  size_t CountBefore(Before&& before) const;
  // fn(member, score) for ranks first..last (inclusive), ascending, or
  // descending from last to first when `reverse`.
  template <class Fn>
  void VisitRanks(size_t first, size_t last, bool reverse, Fn&& fn) const;
  // Removes ranks first..last (inclusive).
  void RemoveRanks(size_t first, size_t last);
  // fn(member, score) for every member, in no particular order.
  template <class Fn>
  void ForEach(Fn&& fn) const;
  // One ZSCAN step.
  template <class Fn>
  uint64_t Scan(uint64_t cursor, size_t count, Fn&& fn) const;

  size_t MemoryUsage() const override;
  std::unique_ptr<ValueObject> Clone() const override;
  std::string_view EncodingName() const override;
  bool CostlyToDelete() const override;
  size_t ReleaseSome(size_t budget) override;

 private:
  struct RecordLayout {
    static std::string_view Key(const char* record) { return detail::RecordMember(record); }
  };
  using Index = detail::StringTable<RecordLayout>;

  // Listpack records: [varint length][member][double score].
  static size_t ListpackRecordSize(std::string_view member) {
    return detail::StringRecordSize(member) + sizeof(double);
  }
  // Byte offset of `member` in the listpack (SIZE_MAX when absent).
  size_t ListpackFind(std::string_view member, double* score, size_t* rank) const;
  void ListpackInsert(std::string_view member, double score);
  void ConvertToSkipList(size_t expected);
  void SkipListInsert(std::string_view member, double score);

  Encoding encoding_ = Encoding::kListpack;
  detail::CompactList listpack_;
  std::unique_ptr<Index> index_;
  std::unique_ptr<detail::ScoreTree> tree_;
};

template <class Before>
size_t ZSetValue::CountBefore(Before&& before) const {
  if (encoding_ == Encoding::kSkipList) return tree_->CountBefore(before);
  size_t count = 0;
  for (const char* p = listpack_.begin(); p != listpack_.end(); ++count) {
    std::string_view member;
    p = detail::GetString(p, &member);
    double score = detail::GetDouble(p);
    p += sizeof(double);
    if (!before(score, member)) break;
  }
  return count;
}

template <class Fn>
void ZSetValue::VisitRanks(size_t first, size_t last, bool reverse, Fn&& fn) const {
  if (first > last || first >= size()) return;
  if (encoding_ == Encoding::kSkipList) {
    detail::ScoreTree::Cursor cursor = tree_->Seek(reverse ? last : first);
    for (size_t i = first; i <= last && cursor.valid(); ++i) {
      detail::ScoreEntry entry = tree_->At(cursor);
      fn(entry.member(), entry.score);
      if (reverse) {
        tree_->Prev(&cursor);
      } else {
        tree_->Next(&cursor);
      }
    }
    return;
  }
  if (!reverse) {
    size_t rank = 0;
    for (const char* p = listpack_.begin(); p != listpack_.end() && rank <= last; ++rank) {
      std::string_view member;
      p = detail::GetString(p, &member);
      double score = detail::GetDouble(p);
      p += sizeof(double);
      if (rank >= first) fn(member, score);
    }
    return;
  }
  // Backwards: listpack records are only walkable forwards; remember the
  // positions of the range first: on the stack for the default settings'
  // listpacks (128 members), on the heap for larger ones.
  const char* stack_starts[129];
  std::vector<const char*> heap_starts;
  const char** starts = stack_starts;
  if (listpack_.count() > std::size(stack_starts)) {
    heap_starts.resize(listpack_.count());
    starts = heap_starts.data();
  }
  size_t n = 0, rank = 0;
  for (const char* p = listpack_.begin(); p != listpack_.end() && rank <= last; ++rank) {
    if (rank >= first) starts[n++] = p;
    std::string_view member;
    p = detail::GetString(p, &member) + sizeof(double);
  }
  while (n > 0) {
    std::string_view member;
    const char* p = detail::GetString(starts[--n], &member);
    fn(member, detail::GetDouble(p));
  }
}

template <class Fn>
void ZSetValue::ForEach(Fn&& fn) const {
  if (encoding_ == Encoding::kSkipList) {
    index_->ForEach(
        [&](const char* record) { fn(detail::RecordMember(record), detail::RecordScore(record)); });
    return;
  }
  VisitRanks(0, size() ? size() - 1 : 0, false, fn);
}

template <class Fn>
uint64_t ZSetValue::Scan(uint64_t cursor, size_t count, Fn&& fn) const {
  if (encoding_ == Encoding::kListpack) {
    ForEach(fn);
    return 0;
  }
  return index_->Scan(cursor, count, [&](const char* record) {
    fn(detail::RecordMember(record), detail::RecordScore(record));
  });
}

}  // namespace emberkv::storage
