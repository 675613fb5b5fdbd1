#include "storage/database.h"

#include <catch2/catch.hpp>
#include <cstring>
#include <map>
#include <random>
#include <string>

#include "storage/hash_value.h"
#include "storage/key_ops.h"
#include "storage/shard_store.h"
#include "storage/string_ops.h"

using namespace emberkv::storage;

namespace {

void Put(Database& db, const std::string& key, const std::string& value, int64_t deadline = 0) {
  Database::Slot slot;
  db.Find(key, &slot, LookupMode::kWrite);
  ExpiryChange expiry = deadline ? ExpiryChange::At(deadline) : ExpiryChange::Clear();
  char* dest = db.WriteString(key, &slot, value.size(), expiry);
  REQUIRE(dest != nullptr);
  std::memcpy(dest, value.data(), value.size());
}

std::string GetOr(Database& db, const std::string& key, const std::string& missing = "<none>") {
  std::string_view value;
  return strings::Get(db, key, &value) == OpStatus::kOk ? std::string(value) : missing;
}

}  // namespace

TEST_CASE("database stores binary-safe keys and values of every size") {
  ShardStore store(16);
  store.set_now_ms(1000);
  Database& db = store.db(0);
  std::vector<std::pair<std::string, std::string>> samples = {
      {"", "empty key"},
      {"k", ""},
      {std::string("a\0b", 3), std::string("\0\r\n", 3)},
      {"small", std::string(100, 'x')},
      {"medium", std::string(4000, 'y')},
      {"large", std::string(1 << 20, 'z')},
      {std::string(5000, 'K'), "long key"},
      {std::string(5000, 'L'), std::string(10000, 'v')},
  };
  for (auto& [k, v] : samples) Put(db, k, v);
  for (auto& [k, v] : samples) REQUIRE(GetOr(db, k) == v);
  CHECK(db.size() == samples.size());
  // Rewrites across the inline / external boundary keep contents right.
  for (auto& [k, v] : samples) {
    std::string w = v.size() > 2000 ? "now small" : std::string(9000, 'w');
    Put(db, k, w);
    REQUIRE(GetOr(db, k) == w);
  }
  db.Clear();
  CHECK(db.size() == 0);
  CHECK(store.context().external_bytes == 0);
  CHECK(store.context().arena.allocated_bytes() == 0);
}

TEST_CASE("database agrees with a reference map under random writes with deadlines") {
  ShardStore store(1);
  int64_t now = 1'000'000;
  store.set_now_ms(now);
  Database& db = store.db(0);
  std::map<std::string, std::pair<std::string, int64_t>> model;
  std::mt19937 rng(11);
  for (int i = 0; i < 100000; ++i) {
    std::string key = "key:" + std::to_string(rng() % 3000);
    int op = rng() % 10;
    if (op < 5) {
      std::string value(rng() % 300, static_cast<char>('a' + rng() % 26));
      int64_t deadline = rng() % 3 == 0 ? now + 1 + rng() % 5000 : 0;
      Put(db, key, value, deadline);
      model[key] = {value, deadline};
    } else if (op < 7) {
      Database::Slot slot;
      if (db.Find(key, &slot, LookupMode::kWrite)) db.Erase(key, slot);
      model.erase(key);
    } else if (op < 8) {
      now += rng() % 50;
      store.set_now_ms(now);
      store.ExpireDue(SIZE_MAX);
    } else {
      auto it = model.find(key);
      bool live = it != model.end() && (it->second.second == 0 || it->second.second > now);
      REQUIRE(GetOr(db, key) == (live ? it->second.first : "<none>"));
    }
  }
  // Everything past its deadline is reclaimed by the wheel without lookups.
  now += 10000;
  store.set_now_ms(now);
  store.ExpireDue(SIZE_MAX);
  size_t persistent = 0;
  for (auto& [k, v] : model) persistent += v.second == 0;
  CHECK(db.size() == persistent);
  CHECK(db.expires() == 0);
}

TEST_CASE("expired keys are reclaimed by the wheel and counted") {
  ShardStore store(1);
  store.set_now_ms(5000);
  Database& db = store.db(0);
  for (int i = 0; i < 10000; ++i) Put(db, "k" + std::to_string(i), "v", 6000 + i % 1000);
  CHECK(db.expires() == 10000);
  CHECK(db.NextExpiryTime() <= 6000);
  store.set_now_ms(6500);
  store.ExpireDue(SIZE_MAX);
  CHECK(db.size() == 10000 - 5010);
  store.set_now_ms(7000);
  store.ExpireDue(SIZE_MAX);
  CHECK(db.size() == 0);
  CHECK(store.context().counters.expired_keys == 10000);
  CHECK(store.context().arena.pages_in_use() == 0);
}

TEST_CASE("reads leave access bytes alone while reads_touch is off (CLIENT NO-TOUCH)") {
  ShardStore store(16);
  store.set_now_ms(1000);
  store.context().access.set_lfu(true, 0);  // LFU with factor 0: every read counts
  Database& db = store.db(0);
  Put(db, "k", "v");
  Database::Slot slot;
  auto access = [&] {
    REQUIRE(db.Find("k", &slot, LookupMode::kReadNoTouch));
    return db.EntryAt(slot).access();
  };
  const uint8_t before = access();
  store.context().reads_touch = false;
  REQUIRE(db.Find("k", &slot, LookupMode::kRead));
  CHECK(access() == before);
  store.context().reads_touch = true;
  REQUIRE(db.Find("k", &slot, LookupMode::kRead));
  CHECK(access() == before + 1);
}

TEST_CASE("deadlines past 48 bits are kept exactly, and every change of field size holds") {
  // Redis accepts any 64-bit deadline and reports it back; entries keep one
  // in 8 bytes only when 6 do not reach it.
  ShardStore store(1);
  store.set_now_ms(1000);
  Database& db = store.db(0);
  const int64_t far = INT64_MAX;
  const int64_t near = kMaxShortExpiryMs;
  Put(db, "s", "value", far);
  CHECK(keys::TimeToLive(db, "s", true) == far);
  CHECK(GetOr(db, "s") == "value");
  CHECK(keys::Expire(db, "s", near, {}));
  CHECK(keys::TimeToLive(db, "s", true) == near);
  CHECK(keys::Expire(db, "s", near + 1, {}));
  CHECK(keys::TimeToLive(db, "s", true) == near + 1);
  CHECK(GetOr(db, "s") == "value");
  CHECK(db.expires() == 1);
  CHECK(keys::Persist(db, "s"));
  CHECK(keys::TimeToLive(db, "s", true) == -1);
  CHECK(db.expires() == 0);

  // A collection's entry is rebuilt around its object the same way.
  Database::Slot slot;
  REQUIRE(db.CreateObject("h", ValueType::kHash, new HashValue(), far, &slot));
  CHECK(keys::TimeToLive(db, "h", true) == far);
  CHECK(keys::Expire(db, "h", 5000, {}));
  CHECK(keys::TimeToLive(db, "h", true) == 5000);
  CHECK(keys::Expire(db, "h", far - 1, {}));
  CHECK(keys::TimeToLive(db, "h", true) == far - 1);
  CHECK(db.expires() == 1);
  store.set_now_ms(6000);
  store.ExpireDue(SIZE_MAX);
  CHECK(db.size() == 2);
}
