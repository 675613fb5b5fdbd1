// Runaway scripts: the busy hook, SCRIPT KILL (from the host or from another
// thread) that a pcall cannot swallow, and an engine that goes on after.
#include <atomic>
#include <catch2/catch.hpp>
#include <thread>

#include "scripting/lua_engine.h"
#include "test_host.h"

using namespace emberkv::scripting;
using namespace emberkv::scripting::testing;
using namespace std::chrono_literals;

namespace {
EngineOptions Fast() {
  EngineOptions options;
  options.busy_threshold = 20ms;
  options.hook_instructions = 1000;
  return options;
}
constexpr char kKilled[] = "-ERR Script killed by user with SCRIPT KILL... script: ";
}  // namespace

TEST_CASE("The host hears about a busy script and may kill it") {
  LuaEngine engine(Fast());
  FakeHost host;
  std::chrono::milliseconds seen{0};
  host.on_busy = [&](std::chrono::milliseconds elapsed) {
    seen = elapsed;
    return host.busy_calls >= 3 ? BusyAction::kKill : BusyAction::kContinue;
  };
  std::string reply = Eval(engine, host, "local i = 0 while true do i = i + 1 end");
  CHECK(reply.rfind(kKilled, 0) == 0);
  CHECK(reply.find("on @user_script:1.") != std::string::npos);
  CHECK(host.busy_calls == 3);
  CHECK(seen >= 20ms);
  CHECK_FALSE(engine.running());
  // The next script runs normally.
  host.on_busy = nullptr;
  CHECK(Eval(engine, host, "return 1") == ":1\r\n");
}

TEST_CASE("A killed function's error is Redis's, word for word") {
  LuaEngine engine(Fast());
  FakeHost host;
  host.on_busy = [](auto) { return BusyAction::kKill; };
  REQUIRE(engine
              .LoadLibrary("#!lua name=spin\n"
                           "redis.register_function('spin', function() while true do end end)",
                           false)
              .ok());
  // Recorded from redis-server 7.0.15 (FUNCTION KILL, then SCRIPT KILL of an EVAL).
  CHECK(Fcall(engine, host, "spin") ==
        "-ERR Script killed by user with SCRIPT KILL... script: spin, on @user_function:2.\r\n");
  CHECK(Eval(engine, host, "while true do end") ==
        "-ERR Script killed by user with SCRIPT KILL... script: "
        "694a5fe1ddb97a4c6a1bf299d9537c7d3d0f84e7, on @user_script:1.\r\n");
}

TEST_CASE("A quick script never reaches the host's busy hook") {
  LuaEngine engine(Fast());
  FakeHost host;
  CHECK(Eval(engine, host, "local s = 0 for i = 1, 100000 do s = s + i end return s") ==
        ":5000050000\r\n");
  CHECK(host.busy_calls == 0);
}

TEST_CASE("A kill cannot be caught by pcall, xpcall or coroutines") {
  LuaEngine engine(Fast());
  FakeHost host;
  host.on_busy = [](auto) { return BusyAction::kKill; };
  for (std::string body : {
           "while true do pcall(function() while true do end end) end",
           "local ok repeat ok = pcall(function() while true do end end) until false",
           "while true do xpcall(function() while true do end end, function(e) return e end) end",
           "while true do local co = coroutine.create(function() while true do end end) "
           "coroutine.resume(co) end",
           "while true do pcall(error, 'x') end",
       }) {
    INFO(body);
    CHECK(Eval(engine, host, body).rfind(kKilled, 0) == 0);
  }
}

TEST_CASE("RequestKill from another thread stops the running script") {
  EngineOptions options;
  options.hook_instructions = 1000;  // busy threshold stays at 5 s: only the kill stops it
  LuaEngine engine(options);
  FakeHost host;
  // Only RequestKill is thread-safe: the killer asks until the run is over
  // (a request made before a run starts is dropped by that run).
  std::atomic<bool> done{false};
  std::thread killer([&] {
    while (!done.load()) {
      std::this_thread::sleep_for(10ms);
      engine.RequestKill();
    }
  });
  auto start = std::chrono::steady_clock::now();
  std::string reply = Eval(engine, host, "while true do end");
  done.store(true);
  killer.join();
  CHECK(reply.rfind(kKilled, 0) == 0);
  CHECK(std::chrono::steady_clock::now() - start < 4s);
  // A kill requested between runs does not kill the next run.
  engine.RequestKill();
  CHECK(Eval(engine, host, "local s = 0 for i = 1, 10000 do s = s + 1 end return s") ==
        ":10000\r\n");
}

TEST_CASE("The running script's name is known while it runs") {
  LuaEngine engine(Fast());
  struct NameHost : FakeHost {
    LuaEngine* engine = nullptr;
    std::string name;
    bool function = false;
    void Call(std::span<const std::string_view> args, emberkv::protocol::RespVersion version,
              std::string* reply) override {
      name = engine->running_name();
      function = engine->running_function();
      FakeHost::Call(args, version, reply);
    }
  } host;
  host.engine = &engine;
  auto script = engine.LoadScript("return redis.call('PING')");
  REQUIRE(script.ok());
  Eval(engine, host, "return redis.call('PING')");
  CHECK(host.name == script.value()->sha);
  CHECK_FALSE(host.function);
  REQUIRE(engine
              .LoadLibrary("#!lua name=l\nredis.register_function('fn', function() "
                           "return redis.call('PING') end)",
                           false)
              .ok());
  Fcall(engine, host, "fn");
  CHECK(host.name == "fn");
  CHECK(host.function);
  CHECK(engine.running_name().empty());
}
