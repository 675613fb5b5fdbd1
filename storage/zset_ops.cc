#include "storage/zset_ops.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>
#include <unordered_set>

#include "base/numbers.h"
#include "storage/collection_access.h"
#include "storage/set_value.h"

namespace emberkv::storage::zsets {
namespace {

OpStatus FindForWrite(Database& db, const Key& key, ZSetValue** zset, Database::Slot* slot) {
  return FindCollection(db, key, ValueType::kZSet, LookupMode::kWrite, zset, slot);
}

// The ascending ranks [*lo, *hi) that a range covers.
void ResolveRanks(const ZSetValue& zset, const RangeSpec& spec, size_t* lo, size_t* hi) {
  size_t n = zset.size();
  *lo = *hi = 0;
  switch (spec.kind) {
    case RangeSpec::kByRank: {
      int64_t start = spec.start, stop = spec.stop, size = static_cast<int64_t>(n);
      if (start < 0) start += size;
      if (stop < 0) stop += size;
      if (start < 0) start = 0;
      if (start > stop || start >= size) return;
      if (stop >= size) stop = size - 1;
      if (spec.reverse) {
        *lo = static_cast<size_t>(size - 1 - stop);
        *hi = static_cast<size_t>(size - start);
      } else {
        *lo = static_cast<size_t>(start);
        *hi = static_cast<size_t>(stop + 1);
      }
      return;
    }
    case RangeSpec::kByScore: {
      const ScoreBound& min = spec.min_score;
      const ScoreBound& max = spec.max_score;
      *lo = zset.CountBefore([&](double s, std::string_view) {
        return min.exclusive ? s <= min.value : s < min.value;
      });
      *hi = zset.CountBefore([&](double s, std::string_view) {
        return max.exclusive ? s < max.value : s <= max.value;
      });
      break;
    }
    case RangeSpec::kByLex: {
      const LexBound& min = spec.min_lex;
      const LexBound& max = spec.max_lex;
      auto count_before = [&](const LexBound& bound, bool upper) -> size_t {
        switch (bound.kind) {
          case LexBound::kMinusInfinity:
            return 0;
          case LexBound::kPlusInfinity:
            return n;
          case LexBound::kInclusive:
            return zset.CountBefore([&](double, std::string_view m) {
              return upper ? m <= bound.value : m < bound.value;
            });
          case LexBound::kExclusive:
            return zset.CountBefore([&](double, std::string_view m) {
              return upper ? m < bound.value : m <= bound.value;
            });
        }
        return 0;
      };
      *lo = count_before(min, false);
      *hi = count_before(max, true);
      break;
    }
  }
  if (*hi < *lo) *hi = *lo;
}

// Applies LIMIT to [lo, hi) in visiting order; returns ascending first/last
// (inclusive) or false when nothing is left.
bool ApplyLimit(size_t lo, size_t hi, const RangeSpec& spec, size_t* first, size_t* last) {
  if (lo >= hi || spec.offset < 0) return false;
  size_t length = hi - lo;
  size_t offset = static_cast<size_t>(spec.offset);
  if (offset >= length) return false;
  size_t take = length - offset;
  if (spec.count >= 0) take = std::min<size_t>(take, static_cast<size_t>(spec.count));
  if (take == 0) return false;
  if (spec.reverse) {
    *last = hi - 1 - offset;
    *first = *last + 1 - take;
  } else {
    *first = lo + offset;
    *last = *first + take - 1;
  }
  return true;
}

}  // namespace

OpStatus Read(Database& db, const Key& key, const ZSetValue** zset) {
  ZSetValue* found;
  OpStatus status = FindCollection(db, key, ValueType::kZSet, LookupMode::kRead, &found);
  if (status == OpStatus::kOk) *zset = found;
  return status;
}

bool ParseScoreBound(std::string_view text, ScoreBound* bound) {
  bound->exclusive = false;
  if (!text.empty() && text[0] == '(') {
    bound->exclusive = true;
    text.remove_prefix(1);
  }
  double value;
  if (!base::ParseDouble(text, &value)) return false;
  bound->value = value;
  return true;
}

bool ParseLexBound(std::string_view text, LexBound* bound) {
  if (text.empty()) return false;
  switch (text[0]) {
    case '-':
      if (text.size() != 1) return false;
      bound->kind = LexBound::kMinusInfinity;
      return true;
    case '+':
      if (text.size() != 1) return false;
      bound->kind = LexBound::kPlusInfinity;
      return true;
    case '[':
      bound->kind = LexBound::kInclusive;
      bound->value.assign(text.substr(1));
      return true;
    case '(':
      bound->kind = LexBound::kExclusive;
      bound->value.assign(text.substr(1));
      return true;
  }
  return false;
}

OpResult<AddOutcome> Add(Database& db, const Key& key, const AddOptions& options,
                         std::span<const AddInput> inputs) {
  ZSetValue* zset;
  Database::Slot slot;
  OpStatus status = FindForWrite(db, key, &zset, &slot);
  if (status == OpStatus::kWrongType) return status;
  AddOutcome outcome;
  if (status == OpStatus::kNotFound) {
    if (options.xx) return outcome;  // nothing to update, no key to create
    status = FindOrCreateCollection(db, key, ValueType::kZSet, &zset, &slot);
    if (status != OpStatus::kOk) return status;
  }
  CollectionEdit edit(db, key, zset, slot);
  int64_t added = 0, changed = 0;
  for (const AddInput& input : inputs) {
    double score = input.score;
    std::optional<double> current = zset->Score(input.member);
    if (current) {
      if (options.nx) continue;
      if (options.incr) {
        score += *current;
        if (std::isnan(score)) {
          edit.Finish(added + changed > 0);
          return OpStatus::kNanOrInfinity;
        }
      }
      if ((options.gt && score <= *current) || (options.lt && score >= *current)) continue;
      if (score != *current) {
        zset->Set(input.member, score);
        ++changed;
      }
      if (options.incr) outcome.new_score = score;
    } else {
      if (options.xx) continue;
      zset->Set(input.member, score);
      ++added;
      if (options.incr) outcome.new_score = score;
    }
  }
  edit.Finish(added + changed > 0);
  outcome.count = options.ch ? added + changed : added;
  return outcome;
}

OpResult<int64_t> Remove(Database& db, const Key& key, std::span<const std::string_view> members) {
  ZSetValue* zset;
  Database::Slot slot;
  OpStatus status = FindForWrite(db, key, &zset, &slot);
  if (status == OpStatus::kNotFound) return int64_t{0};
  if (status != OpStatus::kOk) return status;
  CollectionEdit edit(db, key, zset, slot);
  int64_t removed = 0;
  for (std::string_view member : members) {
    removed += zset->Remove(member);
    if (zset->size() == 0) break;
  }
  edit.Finish(removed > 0);
  return removed;
}

OpResult<int64_t> Card(Database& db, const Key& key) {
  const ZSetValue* zset;
  OpStatus status = Read(db, key, &zset);
  if (status == OpStatus::kNotFound) return int64_t{0};
  if (status != OpStatus::kOk) return status;
  return static_cast<int64_t>(zset->size());
}

OpResult<int64_t> Rank(Database& db, const Key& key, std::string_view member, bool reverse) {
  const ZSetValue* zset;
  OpStatus status = Read(db, key, &zset);
  if (status != OpStatus::kOk) return status;
  std::optional<size_t> rank = zset->Rank(member);
  if (!rank) return OpStatus::kNotFound;
  return static_cast<int64_t>(reverse ? zset->size() - 1 - *rank : *rank);
}

OpStatus Range(Database& db, const Key& key, const RangeSpec& spec,
               std::vector<ScoredMember>* out) {
  const ZSetValue* zset;
  OpStatus status = Read(db, key, &zset);
  if (status == OpStatus::kNotFound) return OpStatus::kOk;
  if (status != OpStatus::kOk) return status;
  size_t lo, hi, first, last;
  ResolveRanks(*zset, spec, &lo, &hi);
  if (!ApplyLimit(lo, hi, spec, &first, &last)) return OpStatus::kOk;
  out->reserve(last - first + 1);
  zset->VisitRanks(first, last, spec.reverse, [&](std::string_view m, double s) {
    out->push_back(ScoredMember{std::string(m), s});
  });
  return OpStatus::kOk;
}

OpResult<int64_t> Count(Database& db, const Key& key, const RangeSpec& spec) {
  const ZSetValue* zset;
  OpStatus status = Read(db, key, &zset);
  if (status == OpStatus::kNotFound) return int64_t{0};
  if (status != OpStatus::kOk) return status;
  size_t lo, hi;
  ResolveRanks(*zset, spec, &lo, &hi);
  return static_cast<int64_t>(hi - lo);
}

OpResult<int64_t> RemoveRange(Database& db, const Key& key, const RangeSpec& spec) {
  ZSetValue* zset;
  Database::Slot slot;
  OpStatus status = FindForWrite(db, key, &zset, &slot);
  if (status == OpStatus::kNotFound) return int64_t{0};
  if (status != OpStatus::kOk) return status;
  size_t lo, hi;
  ResolveRanks(*zset, spec, &lo, &hi);
  if (lo >= hi) return int64_t{0};
  CollectionEdit edit(db, key, zset, slot);
  zset->RemoveRanks(lo, hi - 1);
  edit.Finish(true);
  return static_cast<int64_t>(hi - lo);
}

OpResult<std::vector<ScoredMember>> Pop(Database& db, const Key& key, uint64_t count, bool max) {
  ZSetValue* zset;
  Database::Slot slot;
  OpStatus status = FindForWrite(db, key, &zset, &slot);
  std::vector<ScoredMember> popped;
  if (status == OpStatus::kNotFound) return popped;
  if (status != OpStatus::kOk) return status;
  size_t n = zset->size();
  size_t take = static_cast<size_t>(std::min<uint64_t>(count, n));
  if (take == 0) return popped;
  popped.reserve(take);
  size_t first = max ? n - take : 0;
  size_t last = max ? n - 1 : take - 1;
  zset->VisitRanks(first, last, max, [&](std::string_view m, double s) {
    popped.push_back(ScoredMember{std::string(m), s});
  });
  CollectionEdit edit(db, key, zset, slot);
  zset->RemoveRanks(first, last);
  edit.Finish(true);
  return popped;
}

OpResult<std::vector<ScoredMember>> RandomMembers(Database& db, const Key& key, int64_t count,
                                                  std::mt19937_64& rng) {
  const ZSetValue* zset;
  OpStatus status = Read(db, key, &zset);
  std::vector<ScoredMember> out;
  if (status == OpStatus::kNotFound) return out;
  if (status != OpStatus::kOk) return status;
  size_t n = zset->size();
  auto at = [&](size_t rank) {
    zset->VisitRanks(rank, rank, false, [&](std::string_view m, double s) {
      out.push_back(ScoredMember{std::string(m), s});
    });
  };
  if (count < 0) {
    uint64_t k = static_cast<uint64_t>(-(count + 1)) + 1;
    out.reserve(k);
    for (uint64_t i = 0; i < k; ++i) at(rng() % n);
    return out;
  }
  size_t k = static_cast<size_t>(count);
  if (k >= n) {
    out.reserve(n);
    zset->VisitRanks(0, n - 1, false, [&](std::string_view m, double s) {
      out.push_back(ScoredMember{std::string(m), s});
    });
    return out;
  }
  // Distinct ranks: a partial shuffle of a few, or a sample of many.
  std::unordered_set<size_t> ranks;
  if (k * 3 > n) {
    std::vector<size_t> all(n);
    for (size_t i = 0; i < n; ++i) all[i] = i;
    std::shuffle(all.begin(), all.end(), rng);
    all.resize(k);
    for (size_t r : all) at(r);
    return out;
  }
  while (ranks.size() < k) {
    size_t r = rng() % n;
    if (ranks.insert(r).second) at(r);
  }
  return out;
}

OpStatus Members(Database& db, const Key& key, std::vector<ScoredMember>* out) {
  Database::Slot slot;
  if (!db.Find(key, &slot, LookupMode::kRead)) return OpStatus::kNotFound;
  ValueType type = db.EntryAt(slot).type();
  if (type == ValueType::kZSet) {
    const ZSetValue* zset = static_cast<const ZSetValue*>(db.ObjectAt(slot));
    out->reserve(zset->size());
    zset->ForEach([&](std::string_view m, double s) {
      out->push_back(ScoredMember{std::string(m), s});
    });
    return OpStatus::kOk;
  }
  if (type == ValueType::kSet) {
    const SetValue* set = static_cast<const SetValue*>(db.ObjectAt(slot));
    out->reserve(set->size());
    set->ForEach([&](std::string_view m) { out->push_back(ScoredMember{std::string(m), 1.0}); });
    return OpStatus::kOk;
  }
  return OpStatus::kWrongType;
}

OpResult<int64_t> Store(Database& db, const Key& key, std::vector<ScoredMember> members) {
  Database::Slot slot;
  if (db.Find(key, &slot, LookupMode::kWrite)) db.Erase(key, slot);
  if (members.empty()) return int64_t{0};
  size_t longest = 0;
  for (const ScoredMember& m : members) longest = std::max(longest, m.member.size());
  std::unique_ptr<ZSetValue> zset = ZSetValue::ForMembers(members.size(), longest);
  for (const ScoredMember& m : members) zset->Set(m.member, m.score);
  int64_t size = static_cast<int64_t>(zset->size());
  if (!db.CreateObject(key, ValueType::kZSet, zset.release(), 0)) return OpStatus::kOutOfMemory;
  return size;
}

std::vector<ScoredMember> Combine(std::vector<std::vector<ScoredMember>> inputs,
                                  std::span<const double> weights, Aggregate aggregate, SetOp op) {
  auto weight = [&](size_t i) { return i < weights.size() ? weights[i] : 1.0; };
  auto fold = [&](double acc, double value) {
    double result;
    switch (aggregate) {
      case Aggregate::kSum:
        result = acc + value;
        return std::isnan(result) ? 0.0 : result;  // inf + -inf is 0, as in Redis
      case Aggregate::kMin:
        return std::min(acc, value);
      case Aggregate::kMax:
        return std::max(acc, value);
    }
    return acc;
  };
  auto weighted = [](double score, double w) {
    double result = score * w;
    return std::isnan(result) ? 0.0 : result;  // 0 * inf
  };
  std::vector<ScoredMember> out;
  if (inputs.empty()) return out;
  // Redis folds the inputs from the smallest to the largest; with SUM the
  // order can change the last bit of a score, so it is kept here.
  std::vector<size_t> order(inputs.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  if (op != SetOp::kDiff) {
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return inputs[a].size() < inputs[b].size(); });
  }
  if (op == SetOp::kUnion) {
    std::unordered_map<std::string_view, size_t> at;
    for (size_t i : order) {
      for (ScoredMember& m : inputs[i]) {
        double score = weighted(m.score, weight(i));
        auto [it, fresh] = at.emplace(m.member, out.size());
        if (fresh) {
          out.push_back(ScoredMember{m.member, score});
        } else {
          out[it->second].score = fold(out[it->second].score, score);
        }
      }
    }
  } else if (op == SetOp::kInter) {
    size_t smallest = order[0];
    std::vector<std::unordered_map<std::string_view, double>> maps(inputs.size());
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (i == smallest) continue;
      maps[i].reserve(inputs[i].size());
      for (const ScoredMember& m : inputs[i]) maps[i].emplace(m.member, m.score);
    }
    for (const ScoredMember& m : inputs[smallest]) {
      bool everywhere = true;
      double score = weighted(m.score, weight(smallest));
      for (size_t k = 1; k < order.size(); ++k) {
        size_t i = order[k];
        auto it = maps[i].find(m.member);
        if (it == maps[i].end()) {
          everywhere = false;
          break;
        }
        score = fold(score, weighted(it->second, weight(i)));
      }
      if (everywhere) out.push_back(ScoredMember{m.member, score});
    }
  } else {
    std::unordered_set<std::string_view> removed;
    for (size_t i = 1; i < inputs.size(); ++i) {
      for (const ScoredMember& m : inputs[i]) removed.insert(m.member);
    }
    for (ScoredMember& m : inputs[0]) {
      if (!removed.count(m.member)) out.push_back(ScoredMember{m.member, m.score});
    }
  }
  std::sort(out.begin(), out.end(), [](const ScoredMember& a, const ScoredMember& b) {
    return detail::EntryLess(a.score, a.member, b.score, b.member);
  });
  return out;
}

}  // namespace emberkv::storage::zsets
