#include "storage/key_index.h"

#include <catch2/catch.hpp>
#include <random>
#include <set>
#include <unordered_map>

using emberkv::storage::Handle;
using emberkv::storage::KeyIndex;

namespace {

// Handles stand for themselves; their "hash" is a fixed scramble, with
// deliberate collisions in the low bits (tags) to exercise probing.
uint64_t Scramble(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}
uint64_t HashOf(const void*, Handle h) { return Scramble(h) & ~uint64_t{0xF0}; }

struct Fixture {
  KeyIndex index{&HashOf, nullptr};
  bool Find(Handle h, KeyIndex::Position* pos = nullptr) {
    KeyIndex::Position p;
    bool found = index.Find(
        HashOf(nullptr, h), [&](Handle x) { return x == h; }, &p);
    if (pos) *pos = p;
    return found;
  }
  void Insert(Handle h) { index.Insert(HashOf(nullptr, h), h); }
  bool Erase(Handle h) {
    KeyIndex::Position p;
    if (!Find(h, &p)) return false;
    index.Erase(p, HashOf(nullptr, h));
    return true;
  }
};

}  // namespace

TEST_CASE("index: insert, find, erase, grow and shrink with a million keys") {
  Fixture f;
  const Handle n = 1000000;
  for (Handle h = 1; h <= n; ++h) f.Insert(h);
  CHECK(f.index.size() == n);
  for (Handle h = 1; h <= n; ++h) REQUIRE(f.Find(h));
  CHECK_FALSE(f.Find(n + 1));
  // Load stays between the resize thresholds.
  while (f.index.Migrate(1000)) {
  }
  double load = static_cast<double>(f.index.size()) / f.index.capacity();
  CHECK(load > 0.5);
  CHECK(load <= 0.86);
  for (Handle h = 1; h <= n; h += 2) REQUIRE(f.Erase(h));
  for (Handle h = 1; h <= n; ++h) REQUIRE(f.Find(h) == (h % 2 == 0));
  for (Handle h = 2; h <= n; h += 2) REQUIRE(f.Erase(h));
  CHECK(f.index.size() == 0);
  CHECK(f.index.memory_bytes() < 64 * 1024);
}

TEST_CASE("index: random operations agree with a reference set, across migrations") {
  Fixture f;
  std::set<Handle> model;
  std::mt19937 rng(42);
  for (int i = 0; i < 300000; ++i) {
    Handle h = 1 + rng() % 20000;
    if (rng() % 2) {
      if (!model.count(h)) {
        f.Insert(h);
        model.insert(h);
      }
    } else {
      REQUIRE(f.Erase(h) == (model.erase(h) == 1));
    }
    if (i % 997 == 0) {
      for (Handle x : model) REQUIRE(f.Find(x));
    }
  }
  size_t seen = 0;
  f.index.ForEach([&](Handle h) {
    REQUIRE(model.count(h));
    ++seen;
  });
  CHECK(seen == model.size());
}

TEST_CASE("index: a scan sees every key present throughout, even while the table resizes") {
  Fixture f;
  for (Handle h = 1; h <= 5000; ++h) f.Insert(h);
  std::unordered_map<Handle, int> seen;
  uint64_t cursor = 0;
  Handle next = 5001;
  int steps = 0;
  do {
    cursor = f.index.Scan(cursor, 10, [&](Handle h) { ++seen[h]; });
    // Grow the table between steps: keys 1..5000 must all still be seen.
    for (int k = 0; k < 40; ++k) f.Insert(next++);
    ++steps;
  } while (cursor != 0 && steps < 100000);
  REQUIRE(cursor == 0);
  for (Handle h = 1; h <= 5000; ++h) REQUIRE(seen.count(h));
}

TEST_CASE("index: the visit that prefetching makes of a home chunk reports the keys living there") {
  KeyIndex empty{&HashOf, nullptr};
  int visited = 0;
  empty.PrefetchHome(HashOf(nullptr, 1));  // no chunks yet: nothing to read
  empty.VisitHomeMatches(HashOf(nullptr, 1), [&](Handle) { ++visited; });
  CHECK(visited == 0);

  // Grown step by step, so that some of these visits happen while a table
  // is being drained; a key sits in its home chunk unless that chunk was
  // full when it came, which at this table's load few are.
  Fixture f;
  constexpr Handle kKeys = 100000;
  size_t reported_keys = 0;
  for (Handle h = 1; h <= kKeys; ++h) {
    f.Insert(h);
    uint64_t hash = HashOf(nullptr, h);
    f.index.PrefetchHome(hash);
    bool reported = false;
    f.index.VisitHomeMatches(hash, [&](Handle x) {
      REQUIRE(x >= 1);
      REQUIRE(x <= h);  // only handles in the index
      reported |= x == h;
    });
    reported_keys += reported;
  }
  CHECK(reported_keys > kKeys * 8 / 10);
}
