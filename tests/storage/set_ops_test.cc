#include "storage/set_ops.h"

#include <algorithm>
#include <catch2/catch.hpp>

#include "storage/shard_store.h"
#include "storage/string_ops.h"
#include "store_fixture.h"

using namespace emberkv::storage;

namespace {
std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}
}  // namespace

TEST_CASE("SADD, SREM, SPOP and SMOVE") {
  StoreFixture f;
  std::mt19937_64 rng(1);
  auto m = Args({"1", "2", "3", "x"});
  CHECK(sets::Add(f.db, "s", m).value == 4);
  CHECK(sets::Card(f.db, "s").value == 4);
  CHECK(sets::IsMember(f.db, "s", "x").value);
  auto gone = Args({"1", "9"});
  CHECK(sets::Remove(f.db, "s", gone).value == 1);
  CHECK(sets::Move(f.db, "s", f.db, "t", "2").value);
  CHECK(!sets::Move(f.db, "s", f.db, "t", "2").value);
  CHECK(sets::Card(f.db, "t").value == 1);
  auto popped = sets::Pop(f.db, "s", 10, rng);
  CHECK(Sorted(popped.value) == std::vector<std::string>{"3", "x"});
  Database::Slot slot;
  CHECK(!f.db.Find("s", &slot));
  strings::Set(f.db, "str", "v", {});
  CHECK(sets::Move(f.db, "t", f.db, "str", "2").status == OpStatus::kWrongType);
}

// SMOVE between keys of two shards: the member leaves one shard's database
// and enters the other's; type errors leave both sets as they were.
TEST_CASE("SMOVE between the databases of two shards") {
  StoreFixture from;
  StoreFixture to;
  auto m = Args({"a", "b"});
  REQUIRE(Succeeded(sets::Add(from.db, "src", m)));
  CHECK(sets::Move(from.db, "src", to.db, "dst", "a").value);
  CHECK(sets::IsMember(to.db, "dst", "a").value);
  CHECK_FALSE(sets::IsMember(from.db, "src", "a").value);
  CHECK_FALSE(sets::Move(from.db, "src", to.db, "dst", "zz").value);
  CHECK_FALSE(sets::Move(from.db, "missing", to.db, "dst", "a").value);
  strings::Set(to.db, "str", "v", {});
  CHECK(sets::Move(from.db, "src", to.db, "str", "b").status == OpStatus::kWrongType);
  CHECK(sets::IsMember(from.db, "src", "b").value);
  CHECK(sets::Move(from.db, "src", to.db, "dst", "b").value);
  Database::Slot slot;
  CHECK_FALSE(from.db.Find("src", &slot));  // emptied, so deleted
  CHECK(sets::Card(to.db, "dst").value == 2);
  CHECK_FALSE(to.db.Find("src", &slot));
  CHECK_FALSE(from.db.Find("dst", &slot));
}

TEST_CASE("SRANDMEMBER counts") {
  StoreFixture f;
  std::mt19937_64 rng(2);
  auto m = Args({"a", "b", "c", "d", "e"});
  REQUIRE(Succeeded(sets::Add(f.db, "s", m)));
  auto distinct = sets::RandomMembers(f.db, "s", 3, rng).value;
  CHECK(distinct.size() == 3);
  std::sort(distinct.begin(), distinct.end());
  CHECK(std::unique(distinct.begin(), distinct.end()) == distinct.end());
  CHECK(sets::RandomMembers(f.db, "s", 10, rng).value.size() == 5);
  CHECK(sets::RandomMembers(f.db, "s", -10, rng).value.size() == 10);
}

TEST_CASE("Set algebra and STORE") {
  StoreFixture f;
  std::vector<std::vector<std::string>> in = {{"a", "b", "c"}, {"b", "c", "d"}, {"c", "b"}};
  CHECK(Sorted(sets::Intersect(in)) == std::vector<std::string>{"b", "c"});
  CHECK(sets::Intersect(in, 1).size() == 1);
  CHECK(Sorted(sets::Union(in)) == std::vector<std::string>{"a", "b", "c", "d"});
  CHECK(Sorted(sets::Difference(in)) == std::vector<std::string>{"a"});
  CHECK(sets::Store(f.db, "d", {"1", "2", "3"}).value == 3);
  const SetValue* set;
  REQUIRE(sets::Read(f.db, "d", &set) == OpStatus::kOk);
  CHECK(set->EncodingName() == "intset");
  CHECK(sets::Store(f.db, "d", {}).value == 0);
  Database::Slot slot;
  CHECK(!f.db.Find("d", &slot));
}

TEST_CASE("Deleting a big set goes through the lazy-free list") {
  StoreFixture f;
  for (int i = 0; i < 20000; ++i) {
    std::string m = "member:" + std::to_string(i);
    auto one = Args({m});
    REQUIRE(Succeeded(sets::Add(f.db, "big", one)));
  }
  size_t used = f.store.context().external_bytes;
  CHECK(used > 20000 * 16);
  Database::Slot slot;
  REQUIRE(f.db.Find("big", &slot));
  f.db.Erase("big", slot);
  CHECK(f.store.lazy_free_pending() == 1);
  CHECK(f.store.context().external_bytes > 0);
  while (f.store.lazy_free_pending() > 0) f.store.ReleaseLazyFree(1000);
  CHECK(f.store.context().external_bytes == 0);
}
