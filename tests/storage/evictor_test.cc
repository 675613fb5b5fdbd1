#include "storage/evictor.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstring>
#include <random>
#include <set>
#include <string>

#include "storage/shard_store.h"
#include "storage/string_ops.h"

using namespace emberkv::storage;

namespace {

constexpr size_t kMiB = 1024 * 1024;

// Writes as a command would: the shard makes room first.
Evictor::Result Put(ShardStore& store, const std::string& key, size_t value_size,
                    int64_t deadline = 0, int db_index = 0) {
  Evictor::Result result = store.ReclaimMemory();
  Database& db = store.db(db_index);
  Database::Slot slot;
  db.Find(key, &slot, LookupMode::kWrite);
  ExpiryChange expiry = deadline ? ExpiryChange::At(deadline) : ExpiryChange::Clear();
  char* dest = db.WriteString(key, &slot, value_size, expiry);
  REQUIRE(dest != nullptr);
  std::memset(dest, 'v', value_size);
  return result;
}

bool Has(ShardStore& store, const std::string& key, int db_index = 0) {
  Database::Slot slot;
  return store.db(db_index).Find(key, &slot, LookupMode::kReadNoTouch);
}

bool Read(ShardStore& store, const std::string& key) {
  Database::Slot slot;
  return store.db(0).Find(key, &slot, LookupMode::kRead);
}

MemoryPolicy Limit(size_t bytes, EvictionPolicy policy) {
  MemoryPolicy p;
  p.limit = bytes;
  p.policy = policy;
  return p;
}

// The overshoot the evictor allows between two commands: a fresh arena page
// and an entry's worth.
constexpr size_t kMargin = 2 * SlabArena::kPageSize;

}  // namespace

TEST_CASE("memory accounting follows the arena, external bytes and the tables") {
  ShardStore store(2);
  store.set_now_ms(1000);
  const ShardContext& c = store.context();
  CHECK(store.UsedMemory() == 0);
  for (int i = 0; i < 20000; ++i) Put(store, "key:" + std::to_string(i), 20, i % 2 ? 5000 + i : 0);
  Put(store, "big", 100000, 0, 1);
  size_t overhead = store.db(0).overhead_bytes() + store.db(1).overhead_bytes();
  CHECK(c.table_bytes == overhead);
  CHECK(c.external_bytes >= 100000);
  CHECK(store.UsedMemory() == c.arena.resident_bytes() + c.external_bytes + c.table_bytes);
  CHECK(store.LiveMemory() <= store.UsedMemory());
  MemoryFigures figures = store.Memory();
  CHECK(figures.used() == store.UsedMemory());
  store.context().client_bytes = 4096;
  CHECK(store.UsedMemory() == figures.used() + 4096);
  store.context().client_bytes = 0;
  store.FlushAll();
  // Empty tables are released; only the wheels' few spare blocks remain.
  CHECK(c.arena.resident_bytes() == 0);
  CHECK(c.external_bytes == 0);
  CHECK(c.table_bytes == store.db(0).overhead_bytes() + store.db(1).overhead_bytes());
  CHECK(c.table_bytes < 16 * 1024);
}

TEST_CASE("allkeys-lru stays under the limit at every command and keeps the keys in use") {
  ShardStore store(1);
  store.set_now_ms(1000);
  const size_t limit = 2 * kMiB;
  store.SetMemoryPolicy(Limit(limit, EvictionPolicy::kAllKeysLru));
  // A hot set read between writes; cold keys written once.
  std::vector<std::string> hot;
  for (int i = 0; i < 1000; ++i) {
    hot.push_back("hot:" + std::to_string(i));
    Put(store, hot.back(), 100);
  }
  size_t peak = 0;
  for (int i = 0; i < 200000; ++i) {
    REQUIRE(Put(store, "cold:" + std::to_string(i), 100) != Evictor::Result::kOutOfMemory);
    if (i % 4 == 0) Read(store, hot[(i / 4) % hot.size()]);
    peak = std::max(peak, store.UsedMemory());
  }
  CHECK(peak <= limit + kMargin);
  CHECK(store.context().counters.evicted_keys > 150000);
  size_t kept = 0;
  for (const std::string& key : hot) kept += Has(store, key);
  // Each hot key is read once per 4,000 writes, well within the ~15,000 it
  // takes to turn the shard's keys over, so LRU keeps them.
  CHECK(kept >= 990);
}

TEST_CASE("eviction work per command is bounded") {
  ShardStore store(1);
  store.set_now_ms(1000);
  for (int i = 0; i < 100000; ++i) Put(store, "k" + std::to_string(i), 64);
  size_t keys = store.KeyCount();
  // Lowering the limit far below what is stored: one command evicts a few
  // chunks' worth, not megabytes; the timer's bigger budget continues.
  store.SetMemoryPolicy(Limit(kMiB, EvictionPolicy::kAllKeysLru));
  CHECK(store.ReclaimMemory() == Evictor::Result::kInProgress);
  CHECK(keys - store.KeyCount() <= Evictor::kCommandBudget * KeyIndex::kSlotsPerChunk);
  int calls = 0;
  while (store.ReclaimMemory(1024) != Evictor::Result::kOk) ++calls;
  CHECK(calls > 1);
  CHECK(store.UsedMemory() <= kMiB);
}

TEST_CASE("eviction of big values frees about what is needed, not a chunk's worth") {
  // Every qualifying entry of a swept chunk goes, but no more than the
  // reserve's worth beyond what was wanted: with 64 KiB values a chunk's
  // worth would be most of a small shard.
  ShardStore store(1);
  store.set_now_ms(1000);
  const size_t limit = 4 * kMiB;
  store.SetMemoryPolicy(Limit(limit, EvictionPolicy::kAllKeysLru));
  uint64_t most = 0;
  int more_than_three = 0;
  for (int i = 0; i < 2000; ++i) {
    uint64_t before = store.context().counters.evicted_keys;
    Put(store, "big:" + std::to_string(i), 64 * 1024);
    uint64_t evicted = store.context().counters.evicted_keys - before;
    most = std::max(most, evicted);
    more_than_three += evicted > 3;
  }
  CHECK(store.context().counters.evicted_keys > 1000);
  // A write needs about 64 KiB and the reserve is 64 KiB: a step stops
  // after two or three values (a command may take a second step). Without
  // the bound, commands evicted up to 12, and more than 3 in one of ten.
  CHECK(most <= 5);
  CHECK(more_than_three <= 40);
  CHECK(store.KeyCount() >= 50);
}

TEST_CASE("noeviction refuses to make room and reports out of memory") {
  ShardStore store(1);
  store.set_now_ms(1000);
  store.SetMemoryPolicy(Limit(kMiB, EvictionPolicy::kNoEviction));
  int i = 0;
  while (store.ReclaimMemory() != Evictor::Result::kOutOfMemory)
    Put(store, "k" + std::to_string(i++), 100);
  CHECK(store.context().counters.evicted_keys == 0);
  CHECK(store.UsedMemory() > kMiB);
  CHECK(store.UsedMemory() <= kMiB + kMargin);
  // Deleting brings it back under.
  for (int k = 0; k < i / 2; ++k) {
    Database::Slot slot;
    std::string key = "k" + std::to_string(k);
    if (store.db(0).Find(key, &slot, LookupMode::kWrite)) store.db(0).Erase(key, slot);
  }
  CHECK(store.ReclaimMemory() == Evictor::Result::kOk);
}

TEST_CASE("volatile policies never evict a key without a deadline") {
  for (EvictionPolicy policy : {EvictionPolicy::kVolatileLru, EvictionPolicy::kVolatileLfu,
                                EvictionPolicy::kVolatileRandom, EvictionPolicy::kVolatileTtl}) {
    DYNAMIC_SECTION(EvictionPolicyName(policy)) {
      ShardStore store(2);
      store.set_now_ms(1000);
      store.SetMemoryPolicy(Limit(2 * kMiB, policy));
      std::mt19937 rng(5);
      std::vector<std::string> protected_keys;
      // Two databases, a third of the keys without a deadline.
      for (int i = 0; i < 30000; ++i) {
        std::string key = "k" + std::to_string(i);
        int db = i % 2;
        if (i % 3 == 0) {
          Put(store, key, 60, 0, db);
          protected_keys.push_back(key);
        } else {
          Put(store, key, 60, 1000 + 3600 * 1000 + rng() % 100000, db);
        }
      }
      CHECK(store.context().counters.evicted_keys > 0);
      for (size_t i = 0; i < protected_keys.size(); ++i) {
        REQUIRE(Has(store, protected_keys[i], (i * 3) % 2));
      }
      // Once no volatile key is left, writes of persistent keys run out.
      Evictor::Result result = Evictor::Result::kOk;
      for (int i = 0; i < 40000 && result != Evictor::Result::kOutOfMemory; ++i) {
        result = Put(store, "p" + std::to_string(i), 60);
      }
      CHECK(result == Evictor::Result::kOutOfMemory);
      CHECK(store.ExpiresCount() == 0);
      for (size_t i = 0; i < protected_keys.size(); ++i) {
        REQUIRE(Has(store, protected_keys[i], (i * 3) % 2));
      }
    }
  }
}

TEST_CASE("volatile-ttl evicts the soonest deadlines first") {
  ShardStore store(1);
  const int64_t now = 1'000'000;
  store.set_now_ms(now);
  // Deadlines from 10 s to 10,000 s away, written in random order; then a
  // limit that holds about half of them.
  std::vector<int> order(20000);
  for (int i = 0; i < 20000; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), std::mt19937(9));
  for (int i : order) Put(store, "k" + std::to_string(i), 40, now + 10000 + int64_t{i} * 500);
  store.SetMemoryPolicy(Limit(store.UsedMemory() / 2, EvictionPolicy::kVolatileTtl));
  while (store.ReclaimMemory(1024) != Evictor::Result::kOk) {
  }
  REQUIRE(store.context().counters.evicted_keys > 1000);
  // What is gone is a prefix of the deadline order, up to the wheel's
  // granularity: references to deadlines between 262 s and 4.6 h away sit in
  // slots of 262 s, which fire in order but hold their keys unordered.
  int64_t latest_gone = 0, earliest_kept = INT64_MAX;
  for (int i = 0; i < 20000; ++i) {
    int64_t deadline = now + 10000 + int64_t{i} * 500;
    if (Has(store, "k" + std::to_string(i))) {
      earliest_kept = std::min(earliest_kept, deadline);
    } else {
      latest_gone = std::max(latest_gone, deadline);
    }
  }
  CHECK(latest_gone - earliest_kept <= 262144);
}

TEST_CASE("allkeys-random and allkeys-lfu evict under the limit") {
  for (EvictionPolicy policy : {EvictionPolicy::kAllKeysRandom, EvictionPolicy::kAllKeysLfu}) {
    DYNAMIC_SECTION(EvictionPolicyName(policy)) {
      ShardStore store(1);
      store.set_now_ms(1000);
      store.SetMemoryPolicy(Limit(kMiB, policy));
      size_t peak = 0;
      for (int i = 0; i < 100000; ++i) {
        REQUIRE(Put(store, "k" + std::to_string(i), 50) != Evictor::Result::kOutOfMemory);
        peak = std::max(peak, store.UsedMemory());
      }
      CHECK(peak <= kMiB + kMargin);
      CHECK(store.context().counters.evicted_keys > 50000);
    }
  }
}

TEST_CASE("an LRU stamp's idle time counts from the latest access it was given") {
  AccessTracker tracker;
  const uint8_t first = tracker.OnCreate(1000, 10'000);
  // Until the clock ticks, accesses share the stamp and move its time on.
  CHECK(tracker.OnAccess(first, 14'500) == first);
  CHECK(tracker.IdleSeconds(first, 20'000) == 5);
  CHECK(tracker.IdleSeconds(first, 14'000) == 0);  // never negative
  // Creations tick the clock (every 16 here): a new stamp, its own time.
  uint8_t later = first;
  int created = 0;
  while (later == first && ++created <= 16) later = tracker.OnCreate(1000, 30'000);
  REQUIRE(later != first);
  CHECK(tracker.OnAccess(later, 40'000) == later);
  CHECK(tracker.IdleSeconds(first, 41'000) == 11);  // its last sharer came at 30 s
  CHECK(tracker.IdleSeconds(later, 41'000) == 1);
}

TEST_CASE("the LFU counter grows logarithmically and new keys start at 5") {
  AccessTracker tracker;
  tracker.set_lfu(true, 10);
  CHECK(tracker.OnCreate(1000, 0) == AccessTracker::kLfuInitial);
  auto after = [&](int hits) {
    uint8_t counter = AccessTracker::kLfuInitial;
    for (int i = 0; i < hits; ++i) counter = tracker.OnAccess(counter, 0);
    return int{counter};
  };
  // Redis's table for lfu-log-factor 10: 100 hits ~10, 1K ~18, 100K ~142,
  // 1M 255.
  CHECK(after(100) >= 8);
  CHECK(after(100) <= 13);
  CHECK(after(1000) >= 15);
  CHECK(after(1000) <= 22);
  CHECK(after(100000) >= 120);
  CHECK(after(100000) <= 165);
  CHECK(after(1000000) == 255);
}

TEST_CASE("allkeys-lfu keeps frequently used keys and decays counters over time") {
  ShardStore store(1);
  int64_t now = 1'000'000;
  store.set_now_ms(now);
  MemoryPolicy policy = Limit(kMiB, EvictionPolicy::kAllKeysLfu);
  store.SetMemoryPolicy(policy);
  std::vector<std::string> frequent;
  for (int i = 0; i < 500; ++i) {
    frequent.push_back("f" + std::to_string(i));
    Put(store, frequent.back(), 50);
    for (int r = 0; r < 1000; ++r) Read(store, frequent.back());
  }
  for (int i = 0; i < 60000; ++i) Put(store, "once" + std::to_string(i), 50);
  size_t kept = 0;
  for (const std::string& key : frequent) kept += Has(store, key);
  CHECK(kept >= 490);

  // Ten minutes of idle timer ticks: the sweep decays the counters by about
  // one a minute (lfu-decay-time 1), as Redis does on access.
  std::erase_if(frequent, [&](const std::string& key) { return !Has(store, key); });
  auto counter = [&](const std::string& key) {
    Database::Slot slot;
    REQUIRE(store.db(0).Find(key, &slot, LookupMode::kReadNoTouch));
    return int{store.db(0).EntryAt(slot).access()};
  };
  int before = 0, after = 0;
  for (const std::string& key : frequent) before += counter(key);
  for (int tick = 0; tick < 6000; ++tick) {
    now += 100;
    store.set_now_ms(now);
    store.Maintain();
  }
  for (const std::string& key : frequent) after += counter(key);
  double decay = double(before - after) / frequent.size();
  CHECK(before / frequent.size() >= 15);
  CHECK(decay >= 8);
  CHECK(decay <= 11);
}

TEST_CASE("the LRU clock ticks with creations and never wraps an age") {
  ShardStore store(1);
  store.set_now_ms(1000);
  store.SetMemoryPolicy(Limit(64 * kMiB, EvictionPolicy::kAllKeysLru));
  Put(store, "old", 10);
  for (int i = 0; i < 200000; ++i) {
    Put(store, "k" + std::to_string(i), 10);
    if (i % 1000 == 0) store.Maintain();  // the timer, now and then
  }
  Database::Slot slot;
  REQUIRE(store.db(0).Find("old", &slot, LookupMode::kReadNoTouch));
  const AccessTracker& access = store.context().access;
  // Far more than 256 ticks went by; "old" still looks the oldest.
  CHECK(store.context().access.clock() != 0);
  CHECK(access.Age(store.db(0).EntryAt(slot).access()) >= AccessTracker::kMaxLruAge);
}

TEST_CASE("compaction evacuates sparse pages, keeping every entry reachable and expiring") {
  ShardStore store(1);
  int64_t now = 1000;
  store.set_now_ms(now);
  // Phase one: small entries, half with deadlines.
  for (int i = 0; i < 40000; ++i) Put(store, "a" + std::to_string(i), 20, i % 2 ? now + 60000 : 0);
  // Delete 80% of them, spread over every page.
  for (int i = 0; i < 40000; ++i) {
    if (i % 5 == 0) continue;
    Database::Slot slot;
    std::string key = "a" + std::to_string(i);
    REQUIRE(store.db(0).Find(key, &slot, LookupMode::kWrite));
    store.db(0).Erase(key, slot);
  }
  const SlabArena& arena = store.context().arena;
  size_t pages_before = arena.pages_in_use();
  REQUIRE(pages_before > 10);
  // A limit below what the pages take, above what the entries need: the
  // evictor compacts instead of evicting.
  size_t limit = store.LiveMemory() + store.evictor().reserve() + 2 * SlabArena::kPageSize;
  store.SetMemoryPolicy(Limit(limit, EvictionPolicy::kAllKeysLru));
  for (int i = 0; i < 200 && store.ReclaimMemory() != Evictor::Result::kOk; ++i) {
  }
  CHECK(store.evictor().stats().pages_compacted > 0);
  CHECK(arena.pages_in_use() <= pages_before / 2);
  CHECK(store.UsedMemory() <= limit);
  CHECK(store.context().counters.evicted_keys == 0);
  for (int i = 0; i < 40000; i += 5) {
    std::string_view value;
    REQUIRE(strings::Get(store.db(0), "a" + std::to_string(i), &value) == OpStatus::kOk);
    REQUIRE(value == std::string(20, 'v'));
  }
  // Moved entries with deadlines are still reclaimed by the wheel.
  now += 61000;
  store.set_now_ms(now);
  store.ExpireDue(SIZE_MAX);
  CHECK(store.db(0).size() == 4000);
  CHECK(store.db(0).expires() == 0);
}

TEST_CASE("stale wheel references are compacted when keys with deadlines are rewritten") {
  ShardStore store(1);
  int64_t now = 1000;
  store.set_now_ms(now);
  Database& db = store.db(0);
  // 1000 keys with day-long deadlines rewritten 200 times each, alternating
  // between two sizes so that every rewrite moves the entry to another chunk
  // and leaves a reference behind.
  for (int round = 0; round < 200; ++round) {
    for (int i = 0; i < 1000; ++i)
      Put(store, "k" + std::to_string(i), round % 2 ? 10 : 200, now + 86400000);
    store.Maintain();  // the timer, every 1000 writes
  }
  CHECK(db.expires() == 1000);
  CHECK(db.wheel_references() <= 2 * 1000 + 4096 + 64);
  // Shortened deadlines leave the older references redundant; they go too.
  for (int round = 0; round < 100; ++round) {
    for (int i = 0; i < 1000; ++i) {
      Database::Slot slot;
      REQUIRE(db.Find("k" + std::to_string(i), &slot, LookupMode::kWrite));
      db.SetExpiry("k" + std::to_string(i), &slot, now + 86400000 - round * 1000);
    }
  }
  for (int tick = 0; tick < 100; ++tick) store.Maintain();
  CHECK(db.wheel_references() <= 2 * 1000 + 4096 + 64);
  // Every key still expires.
  now += 86400000;
  store.set_now_ms(now);
  store.ExpireDue(SIZE_MAX);
  CHECK(db.size() == 0);
}
