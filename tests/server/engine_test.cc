#include "server/engine/engine.h"

#include <catch2/catch.hpp>
#include <atomic>
#include <chrono>
#include <future>
#include <thread>
#include <vector>

#include "server/command_table.h"

using namespace emberkv::server;

namespace {

ServerConfig TwoThreads() {
  ServerConfig config;
  config.threads = 2;
  return config;
}

Task<void> PingPong(Worker& home, int rounds, std::vector<int>* seen) {
  for (int i = 0; i < rounds; ++i) {
    int here = co_await home.RunOn(1 - home.id(), [i](Worker& other) { return other.id() * 1000000 + i; });
    seen->push_back(here);
  }
}

}  // namespace

TEST_CASE("coroutine hops run on the target worker and resume at home, in order") {
  CommandTable::Get();
  Engine engine(TwoThreads());
  engine.Start();
  std::promise<std::vector<int>> done;
  std::vector<int> seen;
  engine.worker(0).PostFromAnyThread(MakeMessage([&] {
    Worker* home = Worker::Current();
    REQUIRE(home == &engine.worker(0));
    Spawn(PingPong(*home, 2000, &seen), [&] { done.set_value(seen); });
  }));
  auto future = done.get_future();
  REQUIRE(future.wait_for(std::chrono::seconds(30)) == std::future_status::ready);
  std::vector<int> result = future.get();
  REQUIRE(result.size() == 2000);
  for (int i = 0; i < 2000; ++i) REQUIRE(result[i] == 1000000 + i);
  engine.Stop();
  engine.Join();
}

TEST_CASE("messages between two workers keep their order, and Call returns results home") {
  CommandTable::Get();
  Engine engine(TwoThreads());
  engine.Start();
  std::promise<void> done;
  std::atomic<int> replies{0};
  std::vector<int> order;  // touched by worker 1 only
  engine.worker(0).PostFromAnyThread(MakeMessage([&] {
    Worker* home = Worker::Current();
    for (int i = 0; i < 10000; ++i) {
      home->Call(
          1,
          [i, &order](Worker& target) {
            order.push_back(i);
            return target.id();
          },
          [&](int id) {
            REQUIRE(id == 1);
            REQUIRE(Worker::Current() == &engine.worker(0));
            if (++replies == 10000) done.set_value();
          });
    }
  }));
  REQUIRE(done.get_future().wait_for(std::chrono::seconds(30)) == std::future_status::ready);
  engine.Stop();
  engine.Join();
  REQUIRE(order.size() == 10000);
  for (int i = 0; i < 10000; ++i) REQUIRE(order[i] == i);
}
