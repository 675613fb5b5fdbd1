#include "server/dispatch/op_runner.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <string>
#include <string_view>
#include <vector>

#include "server/command_table.h"
#include "server/engine/engine.h"
#include "storage/string_ops.h"

using namespace emberkv;
using namespace emberkv::server;

TEST_CASE("CLIENT NO-TOUCH: reads leave the access clock alone, except TOUCH's") {
  ServerConfig config;
  config.threads = 1;
  const CommandTable& table = CommandTable::Get();
  Engine engine(config);
  engine.Start();
  struct Seen {
    int after_get = -1;
    int after_touch = -1;
    int before = -1;
  };
  std::promise<Seen> done;
  engine.worker(0).PostFromAnyThread(MakeMessage([&] {
    Worker& worker = *Worker::Current();
    storage::ShardStore& store = worker.store();
    store.context().access.set_lfu(true, 0);  // LFU with factor 0: every counted read counts
    storage::Database& db = store.db(0);
    REQUIRE(storage::strings::Set(db, "k", "v", {}).status == storage::OpStatus::kOk);
    auto access = [&db] {
      storage::Database::Slot slot;
      REQUIRE(db.Find("k", &slot, storage::LookupMode::kReadNoTouch));
      return static_cast<int>(db.EntryAt(slot).access());
    };
    auto run = [&](std::string_view name) {
      std::vector<std::string_view> args = {name, "k"};
      std::string out;
      RunOpNow(worker, *table.Find(name), args, 0, protocol::RespVersion::kResp2,
               ClientFlags{.no_touch = true}, &out);
    };
    Seen seen;
    seen.before = access();
    run("get");
    seen.after_get = access();
    run("touch");
    seen.after_touch = access();
    done.set_value(seen);
  }));
  auto future = done.get_future();
  REQUIRE(future.wait_for(std::chrono::seconds(30)) == std::future_status::ready);
  Seen seen = future.get();
  engine.Stop();
  engine.Join();
  CHECK(seen.after_get == seen.before);
  CHECK(seen.after_touch == seen.before + 1);
}
