#include "server/dispatch/executor.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <string>
#include <string_view>
#include <vector>

#include "server/client/client.h"
#include "server/command_table.h"
#include "server/engine/engine.h"

using namespace emberkv;
using namespace emberkv::server;

namespace {

// Runs `commands` one after the other for one client on loop 0 (as its
// pipeline would) and returns their replies.
std::vector<std::string> RunOnLoop(Engine& engine, Client& client,
                                   std::vector<std::vector<std::string>> commands) {
  std::promise<std::vector<std::string>> done;
  engine.worker(0).PostFromAnyThread(MakeMessage([&] {
    Worker& worker = *Worker::Current();
    std::vector<std::string> replies;
    for (const auto& command : commands) {
      std::vector<std::string_view> args(command.begin(), command.end());
      const CommandSpec* spec = CommandTable::Get().Find(args[0]);
      if (!spec->subcommands.empty()) spec = CommandTable::FindSubcommand(*spec, args[1]);
      std::string out;
      worker.locks().set_now_ms(worker.now_ms());
      RunCommand(CommandRun{worker, worker.locks(), client, *spec, args}, &out);
      worker.locks().ReleaseAll();
      replies.push_back(out);
    }
    done.set_value(replies);
  }));
  auto future = done.get_future();
  REQUIRE(future.wait_for(std::chrono::seconds(30)) == std::future_status::ready);
  return future.get();
}

ServerConfig Loops(int loops) {
  ServerConfig config;
  config.threads = loops;
  return config;
}

}  // namespace

TEST_CASE("a multi-key command reaches keys of every shard and sees them as one") {
  CommandTable::Get();
  Engine engine(Loops(2));
  engine.Start();
  Client client(1, ClientOrigin{}, nullptr, nullptr);
  // Enough keys that both shards hold some.
  std::vector<std::string> mset = {"mset"};
  std::vector<std::string> mget = {"mget"};
  for (int i = 0; i < 16; ++i) {
    mset.push_back("k" + std::to_string(i));
    mset.push_back(std::to_string(i));
    mget.push_back("k" + std::to_string(i));
  }
  std::vector<std::string> replies = RunOnLoop(engine, client, {mset, mget, {"dbsize"}});
  REQUIRE(replies[0] == "+OK\r\n");
  std::string expected = "*16\r\n";
  for (int i = 0; i < 16; ++i)
    expected +=
        "$" + std::to_string(std::to_string(i).size()) + "\r\n" + std::to_string(i) + "\r\n";
  REQUIRE(replies[1] == expected);
  REQUIRE(replies[2] == ":16\r\n");
  int shards_with_keys = 0;
  for (int s = 0; s < engine.shard_count(); ++s) {
    std::lock_guard lock(engine.keyspace().shard(s).mutex());
    if (engine.keyspace().shard(s).store().KeyCount() > 0) ++shards_with_keys;
  }
  REQUIRE(shards_with_keys == 2);
  engine.Stop();
  engine.Join();
}

TEST_CASE("CLIENT NO-TOUCH: reads leave the access clock alone, except TOUCH's") {
  CommandTable::Get();
  Engine engine(Loops(1));
  {
    Shard& shard = engine.keyspace().shard(0);
    std::lock_guard lock(shard.mutex());
    shard.store().context().access.set_lfu(true,
                                           0);  // LFU with factor 0: every counted read counts
  }
  engine.Start();
  Client client(1, ClientOrigin{}, nullptr, nullptr);
  RunOnLoop(engine, client, {{"set", "k", "v"}});
  auto access = [&engine] {
    Shard& shard = engine.keyspace().shard(0);
    std::lock_guard lock(shard.mutex());
    storage::Database& db = shard.store().db(0);
    storage::Database::Slot slot;
    REQUIRE(db.Find(storage::Key("k", storage::HashKey("k")), &slot,
                    storage::LookupMode::kReadNoTouch));
    return static_cast<int>(db.EntryAt(slot).access());
  };
  client.set_flags(ClientFlags{.no_touch = true});
  int before = access();
  RunOnLoop(engine, client, {{"get", "k"}});
  CHECK(access() == before);
  RunOnLoop(engine, client, {{"touch", "k"}});
  CHECK(access() == before + 1);
  client.set_flags(ClientFlags{});
  RunOnLoop(engine, client, {{"get", "k"}});
  CHECK(access() == before + 2);
  engine.Stop();
  engine.Join();
}
