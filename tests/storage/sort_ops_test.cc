#include "storage/sort_ops.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "storage/hash_ops.h"
#include "storage/list_ops.h"
#include "storage/set_ops.h"
#include "storage/shard_store.h"
#include "storage/string_ops.h"
#include "storage/zset_ops.h"
#include "store_fixture.h"

using namespace emberkv::storage;
using sorting::PatternKind;
using sorting::PatternTarget;
using Rows = std::vector<std::optional<std::string>>;

namespace {
struct SortFixture : StoreFixture {
  sorting::PatternLookup lookup = [this](const PatternTarget& t) {
    return sorting::LookupPatternValue(db, t.key, t.field);
  };
  void List(const std::string& key, std::vector<std::string_view> values) {
    REQUIRE(Succeeded(lists::Push(db, key, ListEnd::kTail, values)));
  }
  Rows Sort(const std::string& key, const sorting::SortSpec& spec) {
    auto r = sorting::Sort(db, key, spec, lookup);
    REQUIRE(r.ok());
    return r.value;
  }
};
Rows R(std::initializer_list<const char*> values) {
  Rows out;
  for (const char* v : values) out.push_back(v ? std::optional<std::string>(v) : std::nullopt);
  return out;
}
}  // namespace

TEST_CASE("SORT patterns expand as Redis's lookupKeyByPattern") {
  PatternTarget t;
  CHECK(sorting::ExpandPattern("#", "x", &t) == PatternKind::kElement);
  CHECK(sorting::ExpandPattern("nosort", "x", &t) == PatternKind::kNothing);
  REQUIRE(sorting::ExpandPattern("w_*", "x", &t) == PatternKind::kKey);
  CHECK(t.key == "w_x");
  CHECK_FALSE(t.field);
  REQUIRE(sorting::ExpandPattern("h_*_s->f", "x", &t) == PatternKind::kKey);
  CHECK(t.key == "h_x_s");
  CHECK(*t.field == "f");
  REQUIRE(sorting::ExpandPattern("h_*->", "x", &t) == PatternKind::kKey);
  CHECK(t.key == "h_x->");  // "->" with nothing after it names no field
  CHECK_FALSE(t.field);
  REQUIRE(sorting::ExpandPattern("a->b*c", "x", &t) == PatternKind::kKey);
  CHECK(t.key == "a->bxc");  // only a "->" after the '*' counts
  CHECK(sorting::ExpandPattern(std::string_view("ab\0*", 4), "x", &t) == PatternKind::kNothing);
}

TEST_CASE("SORT: numeric, ALPHA, DESC, LIMIT, and the numeric error") {
  SortFixture f;
  f.List("l", {"3", "1", "2", "10", "-1.5", "1e1"});
  CHECK(f.Sort("l", {}) == R({"-1.5", "1", "2", "3", "10", "1e1"}));  // equal scores: byte order
  sorting::SortSpec desc;
  desc.desc = true;
  CHECK(f.Sort("l", desc) == R({"1e1", "10", "3", "2", "1", "-1.5"}));
  sorting::SortSpec alpha;
  alpha.alpha = true;
  CHECK(f.Sort("l", alpha) == R({"-1.5", "1", "10", "1e1", "2", "3"}));
  sorting::SortSpec limit;
  limit.offset = 1;
  limit.count = 2;
  CHECK(f.Sort("l", limit) == R({"1", "2"}));
  limit.offset = 10;
  CHECK(f.Sort("l", limit).empty());
  limit.offset = -5;
  limit.count = 1;
  CHECK(f.Sort("l", limit) == R({"-1.5"}));
  f.List("bad", {"1", "x"});
  CHECK(sorting::Sort(f.db, "bad", {}, f.lookup).status == OpStatus::kNotSortable);
  f.List("nan", {"nan"});
  CHECK(sorting::Sort(f.db, "nan", {}, f.lookup).status == OpStatus::kNotSortable);
  f.List("range", {"1e400"});
  CHECK(sorting::Sort(f.db, "range", {}, f.lookup).status == OpStatus::kNotSortable);
  f.List("blank", {"", " 2", "1"});
  CHECK(f.Sort("blank", {}) == R({"", "1", " 2"}));  // strtod: "" is 0, leading blanks pass
  CHECK(f.Sort("missing", {}).empty());
  strings::Set(f.db, "str", "x", {});
  CHECK(sorting::Sort(f.db, "str", {}, f.lookup).status == OpStatus::kWrongType);
}

TEST_CASE("SORT BY and GET patterns, hash fields, nosort") {
  SortFixture f;
  f.List("l", {"a", "b", "c"});
  strings::Set(f.db, "w_a", "3", {});
  strings::Set(f.db, "w_b", "1", {});
  // w_c missing: it scores 0.
  std::vector<std::string_view> ha = {"name", "Alice"}, hb = {"name", "Bob"};
  REQUIRE(Succeeded(hashes::Set(f.db, "h_a", ha)));
  REQUIRE(Succeeded(hashes::Set(f.db, "h_b", hb)));
  sorting::SortSpec by;
  by.by = "w_*";
  CHECK(f.Sort("l", by) == R({"c", "b", "a"}));
  by.get = {"#", "h_*->name", "w_*", "nopattern"};
  CHECK(f.Sort("l", by) ==
        R({"c", nullptr, nullptr, nullptr, "b", "Bob", "1", nullptr, "a", "Alice", "3", nullptr}));
  sorting::SortSpec by_alpha;
  by_alpha.by = "h_*->name";
  by_alpha.alpha = true;
  by_alpha.desc = true;
  CHECK(f.Sort("l", by_alpha) ==
        R({"b", "a", "c"}));  // a missing value sorts first, so last in DESC
  sorting::SortSpec nosort;
  nosort.by = "nosort";
  CHECK(f.Sort("l", nosort) == R({"a", "b", "c"}));
  nosort.desc = true;
  nosort.offset = 1;
  nosort.count = 5;
  CHECK(f.Sort("l", nosort) == R({"b", "a"}));
  // A sorted set keeps its own order with nosort.
  std::vector<zsets::AddInput> zi = {{3, "x"}, {1, "y"}, {2, "z"}};
  REQUIRE(Succeeded(zsets::Add(f.db, "z", {}, zi)));
  sorting::SortSpec zsort;
  zsort.by = "nosort";
  CHECK(f.Sort("z", zsort) == R({"y", "z", "x"}));
  zsort.desc = true;
  CHECK(f.Sort("z", zsort) == R({"x", "z", "y"}));
  // A set with nosort and STORE is sorted ALPHA so what is stored is stable.
  std::vector<std::string_view> members = {"b", "c", "a"};
  REQUIRE(Succeeded(sets::Add(f.db, "s", members)));
  sorting::SortSpec store;
  store.by = "nosort";
  store.store = true;
  CHECK(f.Sort("s", store) == R({"a", "b", "c"}));
}

TEST_CASE("SORT STORE writes a list or deletes the destination") {
  SortFixture f;
  auto n = sorting::StoreList(f.db, "dst", R({"x", nullptr, "z"}));
  CHECK(n.value == 3);
  std::vector<std::string_view> got;
  REQUIRE(lists::Range(f.db, "dst", 0, -1, &got) == OpStatus::kOk);
  CHECK(got == std::vector<std::string_view>{"x", "", "z"});
  strings::Set(f.db, "dst2", "old", {});
  CHECK(sorting::StoreList(f.db, "dst2", R({"a"})).value == 1);
  CHECK(sorting::StoreList(f.db, "dst", {}).value == 0);
  CHECK(lists::Length(f.db, "dst").value == 0);
}
