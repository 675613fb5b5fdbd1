#include "storage/hash_ops.h"

#include <catch2/catch.hpp>

#include "storage/shard_store.h"
#include "storage/string_ops.h"
#include "store_fixture.h"

using namespace emberkv::storage;

TEST_CASE("HSET, HGET, HDEL and the key going away with its last field") {
  StoreFixture f;
  auto fv = Args({"a", "1", "b", "2"});
  CHECK(hashes::Set(f.db, "h", fv).value == 2);
  auto again = Args({"a", "3"});
  CHECK(hashes::Set(f.db, "h", again).value == 0);
  std::string_view value;
  REQUIRE(hashes::Get(f.db, "h", "a", &value) == OpStatus::kOk);
  CHECK(value == "3");
  CHECK(hashes::Get(f.db, "h", "zz", &value) == OpStatus::kNotFound);
  CHECK(hashes::Len(f.db, "h").value == 2);
  auto both = Args({"a", "b", "c"});
  CHECK(hashes::Del(f.db, "h", both).value == 2);
  Database::Slot slot;
  CHECK(!f.db.Find("h", &slot));
  CHECK(f.store.context().external_bytes == 0);
}

TEST_CASE("HINCRBY and HINCRBYFLOAT follow Redis's rules") {
  StoreFixture f;
  CHECK(hashes::IncrBy(f.db, "h", "n", 5).value == 5);
  CHECK(hashes::IncrBy(f.db, "h", "n", INT64_MAX).status == OpStatus::kIncrOverflow);
  CHECK(hashes::IncrByFloat(f.db, "h", "n", 0.5L).value == "5.5");
  CHECK(hashes::IncrBy(f.db, "h", "n", 1).status == OpStatus::kNotInteger);
  auto fv = Args({"s", "abc"});
  REQUIRE(Succeeded(hashes::Set(f.db, "h", fv)));
  CHECK(hashes::IncrByFloat(f.db, "h", "s", 1).status == OpStatus::kNotFloat);
  strings::Set(f.db, "str", "x", {});
  CHECK(hashes::IncrBy(f.db, "str", "n", 1).status == OpStatus::kWrongType);
  CHECK(hashes::Len(f.db, "str").status == OpStatus::kWrongType);
}

TEST_CASE("Memory accounting follows a hash as it grows, converts and shrinks") {
  StoreFixture f;
  for (int i = 0; i < 1000; ++i) {
    std::string field = "field" + std::to_string(i);
    auto fv = Args({field, "value"});
    REQUIRE(Succeeded(hashes::Set(f.db, "h", fv)));
  }
  const HashValue* hash;
  REQUIRE(hashes::Read(f.db, "h", &hash) == OpStatus::kOk);
  CHECK(f.store.context().external_bytes == hash->MemoryUsage());
  for (int i = 0; i < 1000; ++i) {
    std::string field = "field" + std::to_string(i);
    auto one = Args({field});
    REQUIRE(Succeeded(hashes::Del(f.db, "h", one)));
  }
  CHECK(f.store.context().external_bytes == 0);
}
