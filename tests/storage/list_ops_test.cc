#include "storage/list_ops.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "storage/key_ops.h"
#include "storage/shard_store.h"
#include "storage/string_ops.h"
#include "store_fixture.h"

using namespace emberkv::storage;

namespace {

// Records the keys the database reports as changed.
class Recorder : public KeyObserver {
 public:
  void KeyChanged(int, std::string_view key) override { changed.emplace_back(key); }
  void DatabaseCleared(Database&, Database*) override {}
  std::vector<std::string> changed;
};

struct ListFixture : StoreFixture {
  Recorder recorder;
  ListFixture() { store.context().observer = &recorder; }
  ~ListFixture() { store.context().observer = nullptr; }

  int64_t Push(const std::string& key, std::vector<std::string_view> values,
               ListEnd end = ListEnd::kTail) {
    return lists::Push(db, key, end, values).value;
  }
  std::vector<std::string> All(const std::string& key) {
    std::vector<std::string_view> views;
    REQUIRE(lists::Range(db, key, 0, -1, &views) == OpStatus::kOk);
    return std::vector<std::string>(views.begin(), views.end());
  }
  // external_bytes holds nothing but list objects in these tests.
  size_t ListBytes(const std::string& key) {
    Database::Slot slot;
    if (!db.Find(key, &slot, LookupMode::kWrite)) return 0;
    return db.ObjectAt(slot)->MemoryUsage();
  }
};

using Strings = std::vector<std::string>;

}  // namespace

TEST_CASE("pushes create the list, pops delete it when it empties") {
  ListFixture f;
  CHECK(f.Push("l", {"a", "b"}) == 2);
  CHECK(f.Push("l", {"z"}, ListEnd::kHead) == 3);
  CHECK(f.All("l") == Strings{"z", "a", "b"});
  CHECK(keys::Type(f.db, "l") == "list");
  std::vector<std::string> out;
  CHECK(lists::Pop(f.db, "l", ListEnd::kTail, 2, &out) == OpStatus::kOk);
  CHECK(out == Strings{"b", "a"});
  out.clear();
  CHECK(lists::Pop(f.db, "l", ListEnd::kHead, 10, &out) == OpStatus::kOk);
  CHECK(out == Strings{"z"});
  CHECK_FALSE(keys::Exists(f.db, "l"));
  CHECK(lists::Pop(f.db, "l", ListEnd::kHead, 1, &out) == OpStatus::kNotFound);
  CHECK(f.store.context().external_bytes == 0);
}

TEST_CASE("PUSHX leaves a missing key alone") {
  ListFixture f;
  std::string_view a = "a";
  CHECK(lists::Push(f.db, "l", ListEnd::kHead, {&a, 1}, true).value == 0);
  CHECK_FALSE(keys::Exists(f.db, "l"));
  f.Push("l", {"b"});
  CHECK(lists::Push(f.db, "l", ListEnd::kHead, {&a, 1}, true).value == 2);
}

TEST_CASE("wrong types are refused without changes") {
  ListFixture f;
  strings::Set(f.db, "s", "x", {});
  std::string_view a = "a";
  std::vector<std::string> out;
  std::vector<std::string_view> views;
  std::string_view value;
  std::vector<int64_t> positions;
  std::string moved;
  CHECK(lists::Push(f.db, "s", ListEnd::kHead, {&a, 1}).status == OpStatus::kWrongType);
  CHECK(lists::Pop(f.db, "s", ListEnd::kHead, 1, &out) == OpStatus::kWrongType);
  CHECK(lists::Length(f.db, "s").status == OpStatus::kWrongType);
  CHECK(lists::Range(f.db, "s", 0, -1, &views) == OpStatus::kWrongType);
  CHECK(lists::Index(f.db, "s", 0, &value) == OpStatus::kWrongType);
  CHECK(lists::Set(f.db, "s", 0, "x").status == OpStatus::kWrongType);
  CHECK(lists::Insert(f.db, "s", true, "a", "b").status == OpStatus::kWrongType);
  CHECK(lists::Remove(f.db, "s", 0, "a").status == OpStatus::kWrongType);
  CHECK(lists::Trim(f.db, "s", 0, 1) == OpStatus::kWrongType);
  CHECK(lists::Pos(f.db, "s", "a", {}, &positions) == OpStatus::kWrongType);
  f.Push("l", {"1", "2"});
  CHECK(lists::Move(f.db, "l", f.db, "s", ListEnd::kHead, ListEnd::kTail, &moved) ==
        OpStatus::kWrongType);
  CHECK(lists::Move(f.db, "s", f.db, "l", ListEnd::kHead, ListEnd::kTail, &moved) ==
        OpStatus::kWrongType);
  CHECK(f.All("l") == Strings{"1", "2"});
}

TEST_CASE("ranges and indices follow Redis's rules") {
  ListFixture f;
  f.Push("l", {"a", "b", "c", "d", "e"});
  auto range = [&](int64_t start, int64_t stop) {
    std::vector<std::string_view> views;
    REQUIRE(Succeeded(lists::Range(f.db, "l", start, stop, &views)));
    return Strings(views.begin(), views.end());
  };
  CHECK(range(0, -1) == Strings{"a", "b", "c", "d", "e"});
  CHECK(range(-2, -1) == Strings{"d", "e"});
  CHECK(range(-100, 1) == Strings{"a", "b"});
  CHECK(range(3, 100) == Strings{"d", "e"});
  CHECK(range(4, 2).empty());
  CHECK(range(5, 10).empty());
  CHECK(range(INT64_MIN, INT64_MAX) == range(0, -1));
  std::string_view value;
  CHECK(lists::Index(f.db, "l", -1, &value) == OpStatus::kOk);
  CHECK(value == "e");
  CHECK(lists::Index(f.db, "l", 5, &value) == OpStatus::kNotFound);
  CHECK(lists::Index(f.db, "l", INT64_MIN, &value) == OpStatus::kNotFound);
  CHECK(lists::Set(f.db, "l", -5, "A").value);
  CHECK_FALSE(lists::Set(f.db, "l", 5, "x").value);
  CHECK(lists::Set(f.db, "nope", 0, "x").status == OpStatus::kNotFound);
  CHECK(lists::Trim(f.db, "l", 1, -2) == OpStatus::kOk);
  CHECK(f.All("l") == Strings{"b", "c", "d"});
  CHECK(lists::Trim(f.db, "l", 2, 1) == OpStatus::kOk);
  CHECK_FALSE(keys::Exists(f.db, "l"));
}

TEST_CASE("LINSERT, LREM and LPOS") {
  ListFixture f;
  f.Push("l", {"a", "b", "a", "c", "a"});
  CHECK(lists::Insert(f.db, "l", false, "b", "x").value == 6);
  CHECK(lists::Insert(f.db, "l", true, "c", "y").value == 7);
  CHECK(lists::Insert(f.db, "l", true, "zz", "y").value == -1);
  CHECK(lists::Insert(f.db, "nope", true, "a", "y").value == 0);
  CHECK(f.All("l") == Strings{"a", "x", "b", "a", "c", "y", "a"});
  auto pos = [&](int64_t rank, int64_t count, int64_t maxlen) {
    std::vector<int64_t> out;
    REQUIRE(Succeeded(lists::Pos(f.db, "l", "a", {rank, count, maxlen}, &out)));
    return out;
  };
  CHECK(pos(1, 1, 0) == std::vector<int64_t>{0});
  CHECK(pos(2, 1, 0) == std::vector<int64_t>{3});
  CHECK(pos(-1, 1, 0) == std::vector<int64_t>{6});
  CHECK(pos(1, 0, 0) == std::vector<int64_t>{0, 3, 6});
  CHECK(pos(-2, 0, 0) == std::vector<int64_t>{3, 0});
  CHECK(pos(1, 0, 4) == std::vector<int64_t>{0, 3});
  CHECK(pos(INT64_MIN, 1, 0) == std::vector<int64_t>{6, 3, 0});
  CHECK(lists::Remove(f.db, "l", -1, "a").value == 1);
  CHECK(f.All("l") == Strings{"a", "x", "b", "a", "c", "y"});
  CHECK(lists::Remove(f.db, "l", 1, "a").value == 1);
  CHECK(lists::Remove(f.db, "l", 0, "x").value == 1);
  CHECK(f.All("l") == Strings{"b", "a", "c", "y"});
  CHECK(lists::Remove(f.db, "l", INT64_MIN, "a").value == 1);
}

TEST_CASE("LMOVE rotates, moves and deletes an emptied source") {
  ListFixture f;
  f.Push("src", {"1", "2", "3"});
  std::string moved;
  CHECK(lists::Move(f.db, "src", f.db, "src", ListEnd::kHead, ListEnd::kTail, &moved) ==
        OpStatus::kOk);
  CHECK(moved == "1");
  CHECK(f.All("src") == Strings{"2", "3", "1"});
  CHECK(lists::Move(f.db, "src", f.db, "dst", ListEnd::kTail, ListEnd::kHead, &moved) ==
        OpStatus::kOk);
  CHECK(moved == "1");
  CHECK(f.All("dst") == Strings{"1"});
  REQUIRE(Succeeded(lists::Move(f.db, "src", f.db, "dst", ListEnd::kHead, ListEnd::kTail, &moved)));
  REQUIRE(Succeeded(lists::Move(f.db, "src", f.db, "dst", ListEnd::kHead, ListEnd::kTail, &moved)));
  CHECK_FALSE(keys::Exists(f.db, "src"));
  CHECK(f.All("dst") == Strings{"1", "2", "3"});
  CHECK(lists::Move(f.db, "src", f.db, "dst", ListEnd::kHead, ListEnd::kTail, &moved) ==
        OpStatus::kNotFound);
}

TEST_CASE("every change is reported, and only changes") {
  ListFixture f;
  f.Push("l", {"a"});
  CHECK(!f.recorder.changed.empty());
  f.recorder.changed.clear();
  std::vector<std::string_view> views;
  REQUIRE(Succeeded(lists::Range(f.db, "l", 0, -1, &views)));
  std::vector<std::string> out;
  REQUIRE(Succeeded(lists::Pop(f.db, "l", ListEnd::kHead, 0, &out)));
  CHECK(lists::Remove(f.db, "l", 0, "zz").value == 0);
  CHECK(f.recorder.changed.empty());
  f.Push("l", {"b"});
  CHECK(f.recorder.changed == Strings{"l"});
  f.recorder.changed.clear();
  REQUIRE(Succeeded(lists::Pop(f.db, "l", ListEnd::kHead, 5, &out)));  // empties and deletes
  CHECK(!f.recorder.changed.empty());
}

TEST_CASE("the shard's external bytes follow the lists' sizes") {
  ListFixture f;
  for (int i = 0; i < 20000; ++i) f.Push("a", {"element-" + std::to_string(i)});
  for (int i = 0; i < 300; ++i) f.Push("b", {std::string(100, 'x')}, ListEnd::kHead);
  CHECK(f.store.context().external_bytes == f.ListBytes("a") + f.ListBytes("b"));
  std::vector<std::string> out;
  REQUIRE(Succeeded(lists::Pop(f.db, "a", ListEnd::kHead, 15000, &out)));
  REQUIRE(Succeeded(lists::Trim(f.db, "b", 10, 20)));
  REQUIRE(Succeeded(lists::Insert(f.db, "a", true, "element-17000", std::string(20000, 'y'))));
  REQUIRE(Succeeded(lists::Set(f.db, "a", 3, std::string(5000, 'z'))));
  REQUIRE(Succeeded(lists::Remove(f.db, "a", 0, "element-17001")));
  CHECK(f.store.context().external_bytes == f.ListBytes("a") + f.ListBytes("b"));
  keys::Delete(f.db, "b");
  std::string moved;
  REQUIRE(Succeeded(lists::Move(f.db, "a", f.db, "c", ListEnd::kHead, ListEnd::kHead, &moved)));
  CHECK(f.store.context().external_bytes == f.ListBytes("a") + f.ListBytes("c"));
  keys::DetachedValue copy;
  CHECK(keys::Snapshot(f.db, "a", &copy));
  CHECK(keys::Attach(f.db, "d", std::move(copy)) == OpStatus::kOk);
  CHECK(f.All("d") == f.All("a"));
  CHECK(f.store.context().external_bytes == f.ListBytes("a") + f.ListBytes("c") + f.ListBytes("d"));
}
