#include "server/engine/shard_locks.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <random>
#include <thread>
#include <vector>

using namespace emberkv::server;

TEST_CASE("ShardSet walks its members in ascending order") {
  ShardSet set;
  set.Add(7);
  set.Add(0);
  set.Add(63);
  set.Add(7);
  std::vector<int> seen;
  set.ForEach([&](int s) { seen.push_back(s); });
  REQUIRE(seen == std::vector<int>{0, 7, 63});
  REQUIRE(set.size() == 3);
  REQUIRE(set.lowest() == 0);
  REQUIRE(set.highest() == 63);
  REQUIRE(set.Contains(ShardSet::Of(7)));
  REQUIRE_FALSE(set.Contains(ShardSet::Of(8)));
  ShardSet one_two = ShardSet::Of(1);
  one_two.Add(2);
  REQUIRE(ShardSet::FirstN(3).Minus(set) == one_two);
  REQUIRE(ShardSet::FirstN(64).size() == 64);
}

TEST_CASE("Acquire takes what is missing, and starts over rather than lock below a held shard") {
  Keyspace keyspace(4, 1);
  ShardLocks locks(keyspace);
  locks.Acquire(ShardSet::Of(2));
  REQUIRE(locks.held() == ShardSet::Of(2));
  // Above what is held: added.
  ShardSet two_three = ShardSet::Of(2);
  two_three.Add(3);
  locks.Acquire(two_three);
  REQUIRE(locks.held() == two_three);
  // Below: everything is let go and the wanted set taken afresh.
  ShardSet zero = ShardSet::Of(0);
  locks.Acquire(zero);
  REQUIRE(locks.held() == zero);
  REQUIRE(keyspace.shard(2).mutex().try_lock());
  keyspace.shard(2).mutex().unlock();
  locks.ReleaseAll();
  REQUIRE(locks.held().empty());
}

TEST_CASE("a pinned set lets nothing go and refuses what it does not hold") {
  Keyspace keyspace(3, 1);
  ShardLocks locks(keyspace);
  ShardSet zero_one = ShardSet::Of(0);
  zero_one.Add(1);
  locks.Acquire(zero_one);
  locks.Pin();
  REQUIRE(locks.Acquire(ShardSet::Of(1)));
  REQUIRE_FALSE(locks.Acquire(ShardSet::Of(2)));
  REQUIRE(locks.AcquireOnly(0));
  REQUIRE(locks.held() == zero_one);
  locks.Unpin();
  locks.ReleaseAll();
}

TEST_CASE("the clock of a shard only moves forward") {
  Keyspace keyspace(1, 1);
  ShardLocks locks(keyspace);
  locks.set_now_ms(1000);
  locks.Acquire(ShardSet::Of(0));
  REQUIRE(keyspace.shard(0).store().context().now_ms == 1000);
  locks.ReleaseAll();
  locks.set_now_ms(900);  // a loop whose clock is behind
  locks.Acquire(ShardSet::Of(0));
  REQUIRE(keyspace.shard(0).store().context().now_ms == 1000);
  locks.ReleaseAll();
}

TEST_CASE("loops taking random sets of shards never deadlock and never overlap") {
  constexpr int kShards = 6;
  constexpr int kThreads = 4;
  constexpr int kRounds = 20000;
  Keyspace keyspace(kShards, 1);
  // Per shard: how many threads are inside it now (must stay at most 1).
  std::vector<std::atomic<int>> inside(kShards);
  std::atomic<bool> overlap{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 random(t);
      ShardLocks locks(keyspace);
      for (int round = 0; round < kRounds; ++round) {
        ShardSet wanted;
        int count = 1 + static_cast<int>(random() % 3);
        for (int i = 0; i < count; ++i) wanted.Add(static_cast<int>(random() % kShards));
        locks.Acquire(wanted);
        locks.held().ForEach([&](int s) {
          if (inside[s].fetch_add(1) != 0) overlap = true;
        });
        locks.held().ForEach([&](int s) { inside[s].fetch_sub(1); });
        // Sometimes keep the locks into the next round, as a pipeline does.
        if (random() % 2) locks.ReleaseAll();
      }
      locks.ReleaseAll();
    });
  }
  for (std::thread& thread : threads) thread.join();
  REQUIRE_FALSE(overlap);
}

TEST_CASE("ExtendPinned takes only shards above every held one") {
  Keyspace keyspace(4, 1);
  ShardLocks locks(keyspace);
  locks.Acquire(ShardSet::Of(1));
  locks.Pin();
  // Below a held shard: refused, nothing taken (a script must not wait on a
  // lower lock while holding a higher one).
  REQUIRE_FALSE(locks.ExtendPinned(ShardSet::Of(0)));
  REQUIRE(locks.held() == ShardSet::Of(1));
  // Above: taken, and kept while pinned.
  REQUIRE(locks.ExtendPinned(ShardSet::Of(3)));
  ShardSet one_three = ShardSet::Of(1);
  one_three.Add(3);
  REQUIRE(locks.held() == one_three);
  // Already held: nothing to do.
  REQUIRE(locks.ExtendPinned(ShardSet::Of(1)));
  // Between two held shards: refused.
  REQUIRE_FALSE(locks.ExtendPinned(ShardSet::Of(2)));
  locks.Unpin();
  locks.ReleaseAll();
  REQUIRE(locks.held().empty());
}
