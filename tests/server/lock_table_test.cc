#include "server/transaction/lock_table.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using emberkv::server::LockMode;
using emberkv::server::LockRequest;
using emberkv::server::LockTable;

namespace {
struct Recorder {
  std::vector<std::string> granted;
  LockRequest Make(std::string name, std::vector<std::string> keys, LockMode mode, bool whole = false) {
    LockRequest r;
    r.keys = std::move(keys);
    r.mode = mode;
    r.whole_shard = whole;
    r.on_granted = [this, name] { granted.push_back(name); };
    return r;
  }
};
}  // namespace

TEST_CASE("exclusive requests on one key are granted in arrival order") {
  LockTable table;
  Recorder log;
  LockRequest a = log.Make("a", {"k"}, LockMode::kExclusive);
  LockRequest b = log.Make("b", {"k", "j"}, LockMode::kExclusive);
  LockRequest c = log.Make("c", {"j"}, LockMode::kExclusive);
  table.Acquire(&a);
  table.Acquire(&b);
  table.Acquire(&c);
  CHECK(log.granted == std::vector<std::string>{"a"});
  CHECK_FALSE(table.CanRunNow({"k"}, LockMode::kShared));
  CHECK(table.CanRunNow({"other"}, LockMode::kExclusive));
  table.Release(&a);
  CHECK(log.granted == std::vector<std::string>{"a", "b"});
  table.Release(&b);
  CHECK(log.granted == std::vector<std::string>{"a", "b", "c"});
  table.Release(&c);
  CHECK(table.empty());
}

TEST_CASE("shared requests share; an exclusive one waits for all of them") {
  LockTable table;
  Recorder log;
  LockRequest r1 = log.Make("r1", {"k"}, LockMode::kShared);
  LockRequest r2 = log.Make("r2", {"k"}, LockMode::kShared);
  LockRequest w = log.Make("w", {"k"}, LockMode::kExclusive);
  LockRequest r3 = log.Make("r3", {"k"}, LockMode::kShared);
  table.Acquire(&r1);
  table.Acquire(&r2);
  CHECK(table.CanRunNow({"k"}, LockMode::kShared));
  table.Acquire(&w);
  table.Acquire(&r3);
  CHECK(log.granted == std::vector<std::string>{"r1", "r2"});
  CHECK_FALSE(table.CanRunNow({"k"}, LockMode::kShared));  // behind a waiting writer
  table.Release(&r1);
  table.Release(&r2);
  CHECK(log.granted == std::vector<std::string>{"r1", "r2", "w"});
  table.Release(&w);
  CHECK(log.granted.back() == "r3");
  table.Release(&r3);
  CHECK(table.empty());
}

TEST_CASE("a whole-shard request waits for earlier requests and holds back later ones") {
  LockTable table;
  Recorder log;
  LockRequest a = log.Make("a", {"k"}, LockMode::kExclusive);
  LockRequest all = log.Make("all", {}, LockMode::kExclusive, true);
  LockRequest b = log.Make("b", {"x"}, LockMode::kShared);
  table.Acquire(&a);
  table.Acquire(&all);
  table.Acquire(&b);
  CHECK(log.granted == std::vector<std::string>{"a"});
  CHECK_FALSE(table.CanRunNow({"unrelated"}, LockMode::kShared));
  table.Release(&a);
  CHECK(log.granted == std::vector<std::string>{"a", "all"});
  table.Release(&all);
  CHECK(log.granted == std::vector<std::string>{"a", "all", "b"});
  table.Release(&b);
  CHECK(table.empty());
}

TEST_CASE("a request released from its own grant callback lets the next one in") {
  LockTable table;
  std::vector<std::string> order;
  LockRequest holder;
  holder.keys = {"k"};
  holder.on_granted = [&] { order.push_back("holder"); };
  table.Acquire(&holder);
  LockRequest quick;
  quick.keys = {"k"};
  quick.on_granted = [&] {
    order.push_back("quick");
    table.Release(&quick);
  };
  LockRequest after;
  after.keys = {"k"};
  after.on_granted = [&] { order.push_back("after"); };
  table.Acquire(&quick);
  table.Acquire(&after);
  table.Release(&holder);
  CHECK(order == std::vector<std::string>{"holder", "quick", "after"});
  table.Release(&after);
  CHECK(table.empty());
}
