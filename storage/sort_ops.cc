#include "storage/sort_ops.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "storage/hash_ops.h"
#include "storage/key_ops.h"
#include "storage/list_ops.h"
#include "storage/set_value.h"
#include "storage/zset_value.h"

namespace emberkv::storage::sorting {
namespace {

// Redis reads patterns as C strings: what follows a NUL byte is not searched.
std::string_view AsCString(std::string_view text) { return text.substr(0, text.find('\0')); }

struct Item {
  std::string element;
  double score = 0;               // numeric sorts
  std::optional<std::string> by;  // ALPHA sorts BY a pattern
};

// Redis's strtod rule: the whole (C) string is a number, not NaN, and not
// out of range. An empty string is 0.
bool ParseScore(const std::string& text, double* score) {
  char* end;
  errno = 0;
  *score = std::strtod(text.c_str(), &end);
  return *end == '\0' && errno != ERANGE && !std::isnan(*score);
}

int CompareBytes(std::string_view a, std::string_view b) {
  return a.compare(b) < 0 ? -1 : a == b ? 0 : 1;
}

}  // namespace

PatternKind ExpandPattern(std::string_view pattern, std::string_view element,
                          PatternTarget* target) {
  if (!pattern.empty() && pattern[0] == '#' && (pattern.size() == 1 || pattern[1] == '\0')) {
    return PatternKind::kElement;
  }
  std::string_view searched = AsCString(pattern);
  size_t star = searched.find('*');
  if (star == std::string_view::npos) return PatternKind::kNothing;
  size_t arrow = searched.find("->", star + 1);
  // "->" names a field only when something follows it.
  bool has_field = arrow != std::string_view::npos && arrow + 2 < searched.size();
  size_t field_length = has_field ? pattern.size() - arrow - 2 : 0;
  size_t postfix = pattern.size() - (star + 1) - (has_field ? field_length + 2 : 0);
  target->key.assign(pattern.substr(0, star));
  target->key.append(element);
  target->key.append(pattern.substr(star + 1, postfix));
  if (has_field) {
    target->field.emplace(pattern.substr(arrow + 2));
  } else {
    target->field.reset();
  }
  return PatternKind::kKey;
}

std::optional<std::string> LookupPatternValue(Database& db, const Key& key,
                                              const std::optional<std::string>& field) {
  Database::Slot slot;
  if (!db.Find(key, &slot)) return std::nullopt;
  Entry entry = db.EntryAt(slot);
  if (field) {
    if (entry.type() != ValueType::kHash) return std::nullopt;
    std::string_view value;
    if (hashes::Get(db, key, *field, &value) != OpStatus::kOk) return std::nullopt;
    return std::string(value);
  }
  if (entry.type() != ValueType::kString) return std::nullopt;
  return std::string(entry.string_value());
}

OpResult<std::vector<std::optional<std::string>>> Sort(Database& db, const Key& key,
                                                       const SortSpec& spec,
                                                       const PatternLookup& lookup) {
  Database::Slot slot;
  ValueType type = ValueType::kList;  // a missing key sorts as an empty list
  const ValueObject* object = nullptr;
  if (db.Find(key, &slot)) {
    type = db.EntryAt(slot).type();
    if (type != ValueType::kList && type != ValueType::kSet && type != ValueType::kZSet) {
      return OpStatus::kWrongType;
    }
    object = db.ObjectAt(slot);
  }
  bool dont_sort = spec.by && AsCString(*spec.by).find('*') == std::string_view::npos;
  bool alpha = spec.alpha;
  std::optional<std::string> by = spec.by;
  if (dont_sort && type == ValueType::kSet && spec.store) {
    // A set has no order of its own: what is stored must not depend on it.
    dont_sort = false;
    alpha = true;
    by.reset();
  }

  // The elements, copied (looking up patterns may expire keys of this
  // database, which would invalidate views).
  std::vector<std::string> elements;
  if (object && type == ValueType::kList) {
    std::vector<std::string_view> views;
    OpStatus status = lists::Range(db, key, 0, -1, &views);
    if (status != OpStatus::kOk) return status;
    elements.assign(views.begin(), views.end());
  } else if (object && type == ValueType::kSet) {
    static_cast<const SetValue*>(object)->ForEach(
        [&](std::string_view m) { elements.emplace_back(m); });
  } else if (object && type == ValueType::kZSet) {
    const auto* zset = static_cast<const ZSetValue*>(object);
    if (dont_sort) {
      // The sorted set's own order, reversed by DESC.
      if (zset->size()) {
        zset->VisitRanks(0, zset->size() - 1, spec.desc,
                         [&](std::string_view m, double) { elements.emplace_back(m); });
      }
    } else {
      zset->ForEach([&](std::string_view m, double) { elements.emplace_back(m); });
    }
  }
  if (dont_sort && type == ValueType::kList && spec.desc)
    std::reverse(elements.begin(), elements.end());

  // LIMIT, as Redis clamps it.
  const int64_t length = static_cast<int64_t>(elements.size());
  int64_t start = std::min(std::max<int64_t>(spec.offset, 0), length);
  int64_t count = std::min(std::max<int64_t>(spec.count, -1), length);
  int64_t end = count < 0 ? length - 1 : start + count - 1;
  if (start >= length) {
    start = length - 1;
    end = length - 2;
  }
  if (end >= length) end = length - 1;

  std::vector<Item> items(elements.size());
  for (size_t i = 0; i < elements.size(); ++i) items[i].element = std::move(elements[i]);
  if (!dont_sort) {
    bool not_numeric = false;
    for (Item& item : items) {
      std::optional<std::string> value;
      if (by) {
        PatternTarget target;
        if (ExpandPattern(*by, item.element, &target) != PatternKind::kKey) continue;
        value = lookup(target);
        if (!value) continue;  // scores 0, sorts first in ALPHA
      }
      if (alpha) {
        if (by) item.by = std::move(value);
      } else if (!ParseScore(by ? *value : item.element, &item.score)) {
        not_numeric = true;
      }
    }
    if (not_numeric) return OpStatus::kNotSortable;
    const bool desc = spec.desc;
    auto compare = [&](const Item& a, const Item& b) {
      int cmp;
      if (!alpha) {
        cmp = a.score > b.score ? 1 : a.score < b.score ? -1 : CompareBytes(a.element, b.element);
      } else if (by) {
        cmp = (!a.by || !b.by) ? (a.by.has_value() == b.by.has_value() ? 0
                                  : !a.by                              ? -1
                                                                       : 1)
                               : CompareBytes(*a.by, *b.by);
      } else {
        cmp = CompareBytes(a.element, b.element);
      }
      return desc ? cmp > 0 : cmp < 0;
    };
    std::stable_sort(items.begin(), items.end(), compare);
  }

  std::vector<std::optional<std::string>> out;
  if (end < start) return out;
  out.reserve(static_cast<size_t>(end - start + 1) * std::max<size_t>(1, spec.get.size()));
  for (int64_t j = start; j <= end; ++j) {
    const std::string& element = items[static_cast<size_t>(j)].element;
    if (spec.get.empty()) {
      out.emplace_back(element);
      continue;
    }
    for (const std::string& pattern : spec.get) {
      PatternTarget target;
      switch (ExpandPattern(pattern, element, &target)) {
        case PatternKind::kElement:
          out.emplace_back(element);
          break;
        case PatternKind::kNothing:
          out.emplace_back(std::nullopt);
          break;
        case PatternKind::kKey:
          out.push_back(lookup(target));
          break;
      }
    }
  }
  return out;
}

OpResult<int64_t> StoreList(Database& db, const Key& key,
                            const std::vector<std::optional<std::string>>& values) {
  keys::Delete(db, key);
  if (values.empty()) return int64_t{0};
  std::vector<std::string_view> views;
  views.reserve(values.size());
  // A missing value is stored as an empty element, as Redis does.
  for (const auto& v : values) views.push_back(v ? std::string_view(*v) : std::string_view(""));
  return lists::Push(db, key, ListEnd::kTail, views);
}

}  // namespace emberkv::storage::sorting
