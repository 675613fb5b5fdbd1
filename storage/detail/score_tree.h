// An order-statistic B+tree of sorted-set members, ordered by (score,
// member), for the big sorted-set encoding ("skiplist" in OBJECT ENCODING,
// after Redis's structure for the same job).
//
// Leaves hold (score, record) pairs, 16 bytes each, up to 64 per leaf, and
// are linked both ways for range walks. Inner nodes hold, per child, the
// smallest entry below it and the number of entries below it, so finding a
// rank, the entry at a rank, or the rank of a score or lex bound is O(log n).
// The tree does not own the records (the sorted set's member index does); a
// record must stay alive while it is in the tree. A record is
//   [double score][varint member length][member]
// and the tree compares members through it only when scores tie.
//
// Thread safety: none.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "storage/detail/compact_list.h"

namespace emberkv::storage::detail {

inline std::string_view RecordMember(const char* record) {
  std::string_view member;
  GetString(record + sizeof(double), &member);
  return member;
}
inline double RecordScore(const char* record) { return GetDouble(record); }

struct ScoreEntry {
  double score;
  const char* record;
  std::string_view member() const { return RecordMember(record); }
};

// Orders (score, member) pairs as Redis does: by score, then by member bytes.
inline bool EntryLess(double a_score, std::string_view a_member, double b_score,
                      std::string_view b_member) {
  if (a_score != b_score) return a_score < b_score;
  return a_member < b_member;
}

class ScoreTree {
 public:
  static constexpr int kLeafCapacity = 64;
  static constexpr int kInnerCapacity = 64;

  ScoreTree() = default;
  ~ScoreTree();
  ScoreTree(const ScoreTree&) = delete;
  ScoreTree& operator=(const ScoreTree&) = delete;

  size_t size() const { return size_; }
  size_t MemoryUsage() const { return node_bytes_; }

  void Insert(double score, const char* record);
  // Removes the entry (score, member); false when absent.
  bool Erase(double score, std::string_view member);
  // The number of entries before (score, member).
  size_t Rank(double score, std::string_view member) const;
  // The number of entries e for which before(e.score, e.member()) holds;
  // `before` must hold for a prefix of the order.
  template <class Before>
  size_t CountBefore(Before&& before) const;

  // A position for walking: the entry at a rank, then its neighbours.
  struct Cursor {
    const void* leaf = nullptr;
    int index = 0;
    bool valid() const { return leaf != nullptr; }
  };
  Cursor Seek(size_t rank) const;  // invalid when rank >= size()
  ScoreEntry At(const Cursor& cursor) const;
  void Next(Cursor* cursor) const;
  void Prev(Cursor* cursor) const;

  void Clear();

 private:
  struct Node;
  struct Leaf;
  struct Inner;

  Node* NewLeaf();
  Node* NewInner();
  void FreeNode(Node* node);
  void FreeTree(Node* node);
  static ScoreEntry MinEntry(const Node* node);
  static size_t CountOf(const Node* node);
  // Returns a new right sibling when `node` split.
  Node* InsertInto(Node* node, double score, const char* record);
  bool EraseFrom(Node* node, double score, std::string_view member);
  void MergeChildren(Inner* parent, int left);
  template <class Before>
  static int LastChildBefore(const Inner* inner, Before& before);

  Node* root_ = nullptr;
  size_t size_ = 0;
  size_t node_bytes_ = 0;
};

struct ScoreTree::Node {
  bool is_leaf;
  uint16_t n;  // entries (leaf) or children (inner)
};

struct ScoreTree::Leaf : Node {
  Leaf* prev;
  Leaf* next;
  ScoreEntry entries[kLeafCapacity];
};

struct ScoreTree::Inner : Node {
  Node* children[kInnerCapacity];
  ScoreEntry keys[kInnerCapacity];  // the smallest entry under each child
  size_t counts[kInnerCapacity];    // entries under each child
};

template <class Before>
int ScoreTree::LastChildBefore(const Inner* inner, Before& before) {
  // The boundary lies in the last child whose smallest entry is before it.
  int lo = 0, hi = inner->n;  // children [0, lo) have keys before the bound
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    const ScoreEntry& key = inner->keys[mid];
    if (before(key.score, key.member())) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo == 0 ? -1 : lo - 1;
}

template <class Before>
size_t ScoreTree::CountBefore(Before&& before) const {
  size_t rank = 0;
  const Node* node = root_;
  while (node && !node->is_leaf) {
    const Inner* inner = static_cast<const Inner*>(node);
    int child = LastChildBefore(inner, before);
    if (child < 0) return rank;
    for (int i = 0; i < child; ++i) rank += inner->counts[i];
    node = inner->children[child];
  }
  if (!node) return 0;
  const Leaf* leaf = static_cast<const Leaf*>(node);
  int lo = 0, hi = leaf->n;
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    if (before(leaf->entries[mid].score, leaf->entries[mid].member())) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return rank + static_cast<size_t>(lo);
}

}  // namespace emberkv::storage::detail
