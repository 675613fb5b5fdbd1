#include "storage/key_ops.h"

#include <catch2/catch.hpp>
#include <set>

#include "storage/set_ops.h"
#include "storage/shard_store.h"
#include "storage/string_ops.h"
#include "store_fixture.h"

using namespace emberkv::storage;

TEST_CASE("TTL, EXPIRE flags and PERSIST") {
  ShardStore store(1);
  store.set_now_ms(10'000);
  Database& db = store.db(0);
  strings::Set(db, "k", "v", {});
  CHECK(keys::TimeToLive(db, "k", false) == -1);
  CHECK(keys::TimeToLive(db, "nope", false) == -2);
  CHECK_FALSE(keys::Expire(db, "k", 20'000, {.xx = true}));
  CHECK(keys::Expire(db, "k", 20'000, {.nx = true}));
  CHECK(keys::TimeToLive(db, "k", false) == 10'000);
  CHECK_FALSE(keys::Expire(db, "k", 15'000, {.gt = true}));
  CHECK(keys::Expire(db, "k", 15'000, {.lt = true}));
  CHECK(keys::TimeToLive(db, "k", true) == 15'000);
  CHECK(keys::Persist(db, "k"));
  CHECK_FALSE(keys::Persist(db, "k"));
  CHECK(keys::Expire(db, "k", 5'000, {}));  // in the past: deleted
  CHECK_FALSE(keys::Exists(db, "k"));
}

TEST_CASE("RENAME, MOVE and COPY carry values and deadlines") {
  ShardStore store(2);
  store.set_now_ms(10'000);
  Database& db0 = store.db(0);
  Database& db1 = store.db(1);
  strings::SetOptions ex;
  ex.expiry = ExpiryChange::At(50'000);
  strings::Set(db0, "a", "1", ex);
  CHECK(keys::Rename(db0, "a", db0, "b", false) == OpStatus::kOk);
  CHECK_FALSE(keys::Exists(db0, "a"));
  CHECK(keys::TimeToLive(db0, "b", true) == 50'000);
  CHECK(keys::Rename(db0, "zz", db0, "b", false) == OpStatus::kNotFound);
  strings::Set(db0, "c", "3", {});
  CHECK(keys::Rename(db0, "c", db0, "b", true) == OpStatus::kConditionNotMet);
  CHECK(keys::Move(db0, db1, "b"));
  CHECK_FALSE(keys::Move(db0, db1, "b"));
  CHECK(keys::Copy(db1, db0, "b", "b", false).value);
  CHECK(keys::Copy(db0, db0, "b", "b", false).status == OpStatus::kSameObject);
  CHECK_FALSE(keys::Copy(db0, db0, "b", "c", false).value);
  CHECK(keys::Copy(db0, db0, "b", "c", true).value);
  std::string_view v;
  REQUIRE(Succeeded(strings::Get(db0, "c", &v)));
  CHECK(v == "1");
}

TEST_CASE("KEYS and SCAN with patterns and types") {
  ShardStore store(1);
  Database& db = store.db(0);
  for (int i = 0; i < 1000; ++i) strings::Set(db, "user:" + std::to_string(i), "x", {});
  for (int i = 0; i < 100; ++i) strings::Set(db, "item:" + std::to_string(i), "x", {});
  std::vector<std::string> out;
  keys::CollectKeys(db, "item:*", &out);
  CHECK(out.size() == 100);
  std::set<std::string> seen;
  uint64_t cursor = 0;
  do {
    std::vector<std::string> batch;
    cursor = keys::Scan(db, cursor, 10, {.pattern = "user:1*"}, &batch);
    seen.insert(batch.begin(), batch.end());
  } while (cursor != 0);
  CHECK(seen.size() == 111);  // user:1, user:10-19, user:100-199
  std::vector<std::string> typed;
  keys::Scan(db, 0, 100000, {.pattern = {}, .has_type = true, .type = ValueType::kHash}, &typed);
  CHECK(typed.empty());
}

TEST_CASE("SCAN: MATCH \"\" matches only the empty key, no MATCH matches all") {
  ShardStore store(1);
  Database& db = store.db(0);
  strings::Set(db, "", "empty", {});
  strings::Set(db, "a", "x", {});
  strings::Set(db, "b", "x", {});
  std::vector<std::string> with_empty_pattern;
  keys::Scan(db, 0, 1000, {.pattern = ""}, &with_empty_pattern);
  CHECK(with_empty_pattern == std::vector<std::string>{""});
  std::vector<std::string> without_pattern;
  keys::Scan(db, 0, 1000, {}, &without_pattern);
  CHECK(without_pattern.size() == 3);
  std::vector<std::string> star;
  keys::Scan(db, 0, 1000, {.pattern = "*"}, &star);
  CHECK(star.size() == 3);
}

TEST_CASE("MEMORY USAGE counts the entry, what lies outside it, and the index") {
  ShardStore store(1);
  store.set_now_ms(1'000'000);
  Database& db = store.db(0);
  CHECK_FALSE(keys::MemoryUsage(db, "missing").has_value());
  strings::Set(db, "small", "v", {});
  size_t small = *keys::MemoryUsage(db, "small");
  CHECK(small >= 8);
  CHECK(small < 64);
  // A string past the arena's largest chunk is counted with its allocation.
  strings::Set(db, "big", std::string(100000, 'x'), {});
  size_t big = *keys::MemoryUsage(db, "big");
  CHECK(big >= 100000);
  CHECK(big < 110000);
  // A collection: its object's exact size, whatever its number of members.
  std::vector<std::string> members;
  for (int i = 0; i < 5000; ++i) members.push_back("member:" + std::to_string(i));
  std::vector<std::string_view> views(members.begin(), members.end());
  REQUIRE(Succeeded(sets::Add(db, "set", views)));
  size_t set = *keys::MemoryUsage(db, "set");
  CHECK(set > 5000 * 10);
  // The keys add up to what the shard counts: every entry and external
  // byte, and at most the whole index.
  size_t sum = small + big + set;
  size_t entries = store.context().arena.allocated_bytes() + store.context().external_bytes;
  CHECK(sum >= entries);
  INFO("arena " << store.context().arena.allocated_bytes() << " external "
                << store.context().external_bytes << " overhead " << db.overhead_bytes() << " keys "
                << small << " " << big << " " << set);
  CHECK(sum <= entries + 3 * Database::kMaxIndexShare);
}
