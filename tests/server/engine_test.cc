#include "server/engine/engine.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <vector>

#include "server/command_table.h"

using namespace emberkv::server;

namespace {

ServerConfig Loops(int loops, int shards = 0) {
  ServerConfig config;
  config.threads = loops;
  config.shards = shards;
  return config;
}

}  // namespace

TEST_CASE("messages from one loop to another arrive in the order they were sent") {
  CommandTable::Get();
  Engine engine(Loops(2));
  engine.Start();
  std::promise<void> done;
  // Touched by loop 1 only (Catch2's assertions are not for other threads:
  // what the loops saw is checked here once they are done).
  std::vector<int> order;
  std::atomic<bool> on_wrong_loop{false};
  engine.worker(0).PostFromAnyThread(MakeMessage([&] {
    Worker* home = Worker::Current();
    if (home != &engine.worker(0)) on_wrong_loop = true;
    for (int i = 0; i < 10000; ++i) {
      home->Send(1, MakeMessage([i, &order, &done, &on_wrong_loop] {
                   if (Worker::Current()->id() != 1) on_wrong_loop = true;
                   order.push_back(i);
                   if (i == 9999) done.set_value();
                 }));
    }
  }));
  REQUIRE(done.get_future().wait_for(std::chrono::seconds(30)) == std::future_status::ready);
  engine.Stop();
  engine.Join();
  REQUIRE_FALSE(on_wrong_loop);
  REQUIRE(order.size() == 10000);
  for (int i = 0; i < 10000; ++i) REQUIRE(order[i] == i);
}

TEST_CASE("loops and shards are counted apart") {
  CommandTable::Get();
  Engine engine(Loops(2, 5));
  REQUIRE(engine.worker_count() == 2);
  REQUIRE(engine.shard_count() == 5);
  // Every key maps to one of the shards, and the hash decides which.
  std::vector<int> seen(5, 0);
  for (int i = 0; i < 1000; ++i) {
    int shard = engine.keyspace().ShardOfKey("key:" + std::to_string(i));
    REQUIRE(shard >= 0);
    REQUIRE(shard < 5);
    ++seen[shard];
  }
  for (int count : seen) REQUIRE(count > 100);
}
