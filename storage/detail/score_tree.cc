#include "storage/detail/score_tree.h"

#include <malloc.h>

#include <cstdlib>
#include <cstring>
#include <new>

namespace emberkv::storage::detail {

ScoreTree::~ScoreTree() { Clear(); }

ScoreTree::Node* ScoreTree::NewLeaf() {
  Leaf* leaf = static_cast<Leaf*>(std::malloc(sizeof(Leaf)));
  if (!leaf) throw std::bad_alloc();
  node_bytes_ += malloc_usable_size(leaf);
  leaf->is_leaf = true;
  leaf->n = 0;
  leaf->prev = leaf->next = nullptr;
  return leaf;
}

ScoreTree::Node* ScoreTree::NewInner() {
  Inner* inner = static_cast<Inner*>(std::malloc(sizeof(Inner)));
  if (!inner) throw std::bad_alloc();
  node_bytes_ += malloc_usable_size(inner);
  inner->is_leaf = false;
  inner->n = 0;
  return inner;
}

void ScoreTree::FreeNode(Node* node) {
  node_bytes_ -= malloc_usable_size(node);
  std::free(node);
}

void ScoreTree::FreeTree(Node* node) {
  if (!node->is_leaf) {
    Inner* inner = static_cast<Inner*>(node);
    for (int i = 0; i < inner->n; ++i) FreeTree(inner->children[i]);
  }
  FreeNode(node);
}

void ScoreTree::Clear() {
  if (root_) FreeTree(root_);
  root_ = nullptr;
  size_ = 0;
}

ScoreEntry ScoreTree::MinEntry(const Node* node) {
  return node->is_leaf ? static_cast<const Leaf*>(node)->entries[0]
                       : static_cast<const Inner*>(node)->keys[0];
}

size_t ScoreTree::CountOf(const Node* node) {
  if (node->is_leaf) return node->n;
  const Inner* inner = static_cast<const Inner*>(node);
  size_t total = 0;
  for (int i = 0; i < inner->n; ++i) total += inner->counts[i];
  return total;
}

void ScoreTree::Insert(double score, const char* record) {
  if (!root_) root_ = NewLeaf();
  Node* split = InsertInto(root_, score, record);
  if (split) {
    Inner* root = static_cast<Inner*>(NewInner());
    root->n = 2;
    root->children[0] = root_;
    root->children[1] = split;
    root->keys[0] = MinEntry(root_);
    root->keys[1] = MinEntry(split);
    root->counts[0] = CountOf(root_);
    root->counts[1] = CountOf(split);
    root_ = root;
  }
  ++size_;
}

ScoreTree::Node* ScoreTree::InsertInto(Node* node, double score, const char* record) {
  std::string_view member = RecordMember(record);
  auto before = [&](double s, std::string_view m) { return EntryLess(s, m, score, member); };
  if (node->is_leaf) {
    Leaf* leaf = static_cast<Leaf*>(node);
    Leaf* right = nullptr;
    if (leaf->n == kLeafCapacity) {
      right = static_cast<Leaf*>(NewLeaf());
      int half = kLeafCapacity / 2;
      right->n = static_cast<uint16_t>(kLeafCapacity - half);
      std::memcpy(right->entries, leaf->entries + half, sizeof(ScoreEntry) * right->n);
      leaf->n = static_cast<uint16_t>(half);
      right->next = leaf->next;
      right->prev = leaf;
      if (leaf->next) leaf->next->prev = right;
      leaf->next = right;
    }
    Leaf* target = right && !before(right->entries[0].score, right->entries[0].member()) ? leaf
                   : right                                                               ? right
                                                                                         : leaf;
    int lo = 0, hi = target->n;
    while (lo < hi) {
      int mid = (lo + hi) / 2;
      if (before(target->entries[mid].score, target->entries[mid].member())) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    std::memmove(target->entries + lo + 1, target->entries + lo,
                 sizeof(ScoreEntry) * (target->n - lo));
    target->entries[lo] = ScoreEntry{score, record};
    ++target->n;
    return right;
  }
  Inner* inner = static_cast<Inner*>(node);
  int child = LastChildBefore(inner, before);
  if (child < 0) child = 0;
  Node* split = InsertInto(inner->children[child], score, record);
  inner->keys[child] = MinEntry(inner->children[child]);
  inner->counts[child] = CountOf(inner->children[child]);
  if (!split) return nullptr;
  Inner* right = nullptr;
  Inner* target = inner;
  int at = child + 1;
  if (inner->n == kInnerCapacity) {
    right = static_cast<Inner*>(NewInner());
    int half = kInnerCapacity / 2;
    right->n = static_cast<uint16_t>(kInnerCapacity - half);
    std::memcpy(right->children, inner->children + half, sizeof(Node*) * right->n);
    std::memcpy(right->keys, inner->keys + half, sizeof(ScoreEntry) * right->n);
    std::memcpy(right->counts, inner->counts + half, sizeof(size_t) * right->n);
    inner->n = static_cast<uint16_t>(half);
    if (at > half) {
      target = right;
      at -= half;
    }
  }
  int n = target->n;
  std::memmove(target->children + at + 1, target->children + at, sizeof(Node*) * (n - at));
  std::memmove(target->keys + at + 1, target->keys + at, sizeof(ScoreEntry) * (n - at));
  std::memmove(target->counts + at + 1, target->counts + at, sizeof(size_t) * (n - at));
  target->children[at] = split;
  target->keys[at] = MinEntry(split);
  target->counts[at] = CountOf(split);
  ++target->n;
  return right;
}

bool ScoreTree::Erase(double score, std::string_view member) {
  if (!root_ || !EraseFrom(root_, score, member)) return false;
  --size_;
  if (root_->is_leaf) {
    if (root_->n == 0) {
      FreeNode(root_);
      root_ = nullptr;
    }
  } else if (root_->n == 1) {
    Node* only = static_cast<Inner*>(root_)->children[0];
    FreeNode(root_);
    root_ = only;
  }
  return true;
}

bool ScoreTree::EraseFrom(Node* node, double score, std::string_view member) {
  if (node->is_leaf) {
    Leaf* leaf = static_cast<Leaf*>(node);
    int lo = 0, hi = leaf->n;
    while (lo < hi) {
      int mid = (lo + hi) / 2;
      if (EntryLess(leaf->entries[mid].score, leaf->entries[mid].member(), score, member)) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    if (lo == leaf->n || leaf->entries[lo].score != score || leaf->entries[lo].member() != member)
      return false;
    std::memmove(leaf->entries + lo, leaf->entries + lo + 1,
                 sizeof(ScoreEntry) * (leaf->n - lo - 1));
    --leaf->n;
    return true;
  }
  Inner* inner = static_cast<Inner*>(node);
  auto at_or_before = [&](double s, std::string_view m) { return !EntryLess(score, member, s, m); };
  int child = LastChildBefore(inner, at_or_before);
  if (child < 0) return false;
  Node* below = inner->children[child];
  if (!EraseFrom(below, score, member)) return false;
  --inner->counts[child];
  if (below->n == 0) {
    if (below->is_leaf) {
      Leaf* leaf = static_cast<Leaf*>(below);
      if (leaf->prev) leaf->prev->next = leaf->next;
      if (leaf->next) leaf->next->prev = leaf->prev;
    }
    FreeNode(below);
    int n = inner->n;
    std::memmove(inner->children + child, inner->children + child + 1,
                 sizeof(Node*) * (n - child - 1));
    std::memmove(inner->keys + child, inner->keys + child + 1,
                 sizeof(ScoreEntry) * (n - child - 1));
    std::memmove(inner->counts + child, inner->counts + child + 1,
                 sizeof(size_t) * (n - child - 1));
    --inner->n;
    return true;
  }
  inner->keys[child] = MinEntry(below);
  int capacity = below->is_leaf ? kLeafCapacity : kInnerCapacity;
  if (below->n < capacity / 4) {
    if (child + 1 < inner->n && below->n + inner->children[child + 1]->n <= capacity * 3 / 4) {
      MergeChildren(inner, child);
    } else if (child > 0 && below->n + inner->children[child - 1]->n <= capacity * 3 / 4) {
      MergeChildren(inner, child - 1);
    }
  }
  return true;
}

void ScoreTree::MergeChildren(Inner* parent, int left_index) {
  Node* left = parent->children[left_index];
  Node* right = parent->children[left_index + 1];
  if (left->is_leaf) {
    Leaf* l = static_cast<Leaf*>(left);
    Leaf* r = static_cast<Leaf*>(right);
    std::memcpy(l->entries + l->n, r->entries, sizeof(ScoreEntry) * r->n);
    l->n = static_cast<uint16_t>(l->n + r->n);
    l->next = r->next;
    if (r->next) r->next->prev = l;
  } else {
    Inner* l = static_cast<Inner*>(left);
    Inner* r = static_cast<Inner*>(right);
    std::memcpy(l->children + l->n, r->children, sizeof(Node*) * r->n);
    std::memcpy(l->keys + l->n, r->keys, sizeof(ScoreEntry) * r->n);
    std::memcpy(l->counts + l->n, r->counts, sizeof(size_t) * r->n);
    l->n = static_cast<uint16_t>(l->n + r->n);
  }
  FreeNode(right);
  parent->counts[left_index] += parent->counts[left_index + 1];
  int n = parent->n;
  int gone = left_index + 1;
  std::memmove(parent->children + gone, parent->children + gone + 1,
               sizeof(Node*) * (n - gone - 1));
  std::memmove(parent->keys + gone, parent->keys + gone + 1, sizeof(ScoreEntry) * (n - gone - 1));
  std::memmove(parent->counts + gone, parent->counts + gone + 1, sizeof(size_t) * (n - gone - 1));
  --parent->n;
}

size_t ScoreTree::Rank(double score, std::string_view member) const {
  return CountBefore([&](double s, std::string_view m) { return EntryLess(s, m, score, member); });
}

ScoreTree::Cursor ScoreTree::Seek(size_t rank) const {
  if (rank >= size_) return Cursor{};
  const Node* node = root_;
  while (!node->is_leaf) {
    const Inner* inner = static_cast<const Inner*>(node);
    int i = 0;
    while (rank >= inner->counts[i]) rank -= inner->counts[i++];
    node = inner->children[i];
  }
  return Cursor{node, static_cast<int>(rank)};
}

ScoreEntry ScoreTree::At(const Cursor& cursor) const {
  return static_cast<const Leaf*>(cursor.leaf)->entries[cursor.index];
}

void ScoreTree::Next(Cursor* cursor) const {
  const Leaf* leaf = static_cast<const Leaf*>(cursor->leaf);
  if (++cursor->index < leaf->n) return;
  cursor->leaf = leaf->next;
  cursor->index = 0;
}

void ScoreTree::Prev(Cursor* cursor) const {
  const Leaf* leaf = static_cast<const Leaf*>(cursor->leaf);
  if (--cursor->index >= 0) return;
  leaf = leaf->prev;
  cursor->leaf = leaf;
  cursor->index = leaf ? leaf->n - 1 : 0;
}

}  // namespace emberkv::storage::detail
