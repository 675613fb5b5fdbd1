#include "storage/string_ops.h"

#include <catch2/catch.hpp>
#include <cstdint>

#include "storage/shard_store.h"
#include "store_fixture.h"

using namespace emberkv::storage;

namespace {
struct StringFixture : StoreFixture {
  std::string Get(const std::string& key) {
    std::string_view v;
    OpStatus s = strings::Get(db, key, &v);
    return s == OpStatus::kOk ? std::string(v) : s == OpStatus::kNotFound ? "<nil>" : "<err>";
  }
};
}  // namespace

TEST_CASE("SET conditions, GET option and KEEPTTL") {
  StringFixture f;
  strings::SetOptions nx;
  nx.condition = strings::SetOptions::Condition::kIfAbsent;
  CHECK(strings::Set(f.db, "a", "1", nx).status == OpStatus::kOk);
  CHECK(strings::Set(f.db, "a", "2", nx).status == OpStatus::kConditionNotMet);
  CHECK(f.Get("a") == "1");
  strings::SetOptions xx;
  xx.condition = strings::SetOptions::Condition::kIfPresent;
  CHECK(strings::Set(f.db, "b", "1", xx).status == OpStatus::kConditionNotMet);
  strings::SetOptions get;
  get.get_old = true;
  auto outcome = strings::Set(f.db, "a", "3", get);
  REQUIRE(outcome.old.has_value());
  CHECK(*outcome.old == "1");
  strings::SetOptions ex;
  ex.expiry = ExpiryChange::At(2'000'000);
  strings::Set(f.db, "t", "v", ex);
  strings::SetOptions keep;
  keep.expiry = ExpiryChange::Keep();
  strings::Set(f.db, "t", "w", keep);
  CHECK(f.db.size() == 2);  // "b" was never created
  Database::Slot slot;
  REQUIRE(f.db.Find("t", &slot));
  CHECK(f.db.EntryAt(slot).expiry_ms() == 2'000'000);
  strings::Set(f.db, "t", "x", strings::SetOptions{});
  REQUIRE(f.db.Find("t", &slot));
  CHECK_FALSE(f.db.EntryAt(slot).has_expiry());
  CHECK(f.db.expires() == 0);
}

TEST_CASE("INCR family: parsing, overflow and kept deadlines") {
  StringFixture f;
  CHECK(strings::IncrBy(f.db, "n", 5).value == 5);
  CHECK(strings::IncrBy(f.db, "n", -7).value == -2);
  strings::Set(f.db, "big", "9223372036854775807", {});
  CHECK(strings::IncrBy(f.db, "big", 1).status == OpStatus::kIncrOverflow);
  strings::Set(f.db, "s", "01", {});
  CHECK(strings::IncrBy(f.db, "s", 1).status == OpStatus::kNotInteger);
  CHECK(strings::IncrByFloat(f.db, "f", 10.5L).value == "10.5");
  CHECK(strings::IncrByFloat(f.db, "f", 0.1L).value == "10.6");
  strings::Set(f.db, "s2", "abc", {});
  CHECK(strings::IncrByFloat(f.db, "s2", 1).status == OpStatus::kNotFloat);
}

TEST_CASE("APPEND, SETRANGE and GETRANGE") {
  StringFixture f;
  CHECK(strings::Append(f.db, "a", "hello").value == 5);
  CHECK(strings::Append(f.db, "a", " world").value == 11);
  for (int i = 0; i < 2000; ++i) REQUIRE(Succeeded(strings::Append(f.db, "grow", "0123456789")));
  CHECK(f.Get("grow").size() == 20000);
  CHECK(f.Get("grow").substr(19990) == "0123456789");
  CHECK(strings::SetRange(f.db, "r", 5, "x").value == 6);
  CHECK(f.Get("r") == std::string("\0\0\0\0\0x", 6));
  CHECK(strings::SetRange(f.db, "missing", 3, "").value == 0);
  CHECK(f.db.size() == 3);
  std::string_view out;
  REQUIRE(Succeeded(strings::GetRange(f.db, "a", 0, 4, &out)));
  CHECK(out == "hello");
  REQUIRE(Succeeded(strings::GetRange(f.db, "a", -5, -1, &out)));
  CHECK(out == "world");
  REQUIRE(Succeeded(strings::GetRange(f.db, "a", 5, 3, &out)));
  CHECK(out.empty());
  REQUIRE(Succeeded(strings::GetRange(f.db, "a", -1, -5, &out)));
  CHECK(out.empty());
  REQUIRE(Succeeded(strings::GetRange(f.db, "a", 0, 1000, &out)));
  CHECK(out == "hello world");
}

TEST_CASE("SETRANGE refuses offsets past 512 MB, even where offset + length overflows") {
  StringFixture f;
  CHECK(strings::SetRange(f.db, "r", strings::kMaxStringLength, "a").status ==
        OpStatus::kStringTooLong);
  CHECK(strings::SetRange(f.db, "r", strings::kMaxStringLength - 1, "ab").status ==
        OpStatus::kStringTooLong);
  CHECK(strings::SetRange(f.db, "r", INT64_MAX, "a").status == OpStatus::kStringTooLong);
  CHECK(strings::SetRange(f.db, "r", INT64_MAX - 1, "abc").status == OpStatus::kStringTooLong);
  strings::Set(f.db, "s", "v", {});
  CHECK(strings::SetRange(f.db, "s", INT64_MAX, "a").status == OpStatus::kStringTooLong);
  CHECK(f.Get("s") == "v");
  CHECK(f.db.size() == 1);
}
