// The cost of running a cached script through LuaEngine, with KEYS and ARGV
// set up and redis.call answered by a host that does no work (so that the
// figures are the engine's: the sandbox, the conversions, the Lua VM), and
// the memory of loaded scripts.
//
//   build/release/bench/scripting_bench
//
// The scripts are issue 15's: a rate limiter (INCR + EXPIRE NX), a lock
// release (compare and delete), a table of 100 values returned, and a cjson
// round trip of a small object.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "scripting/lua_engine.h"

namespace {

using namespace emberkv::scripting;
using emberkv::protocol::RespVersion;

// INCR counts up, GET returns the lock's token, anything else replies 1.
class MinimalHost : public ScriptHost {
 public:
  int64_t counter = 0;
  void Call(std::span<const std::string_view> args, RespVersion, std::string* reply) override {
    if (args[0] == "INCR") {
      reply->append(":").append(std::to_string(++counter)).append("\r\n");
    } else if (args[0] == "GET") {
      *reply += "$9\r\ntoken-123\r\n";
    } else {
      *reply += ":1\r\n";
    }
  }
};

void Run(benchmark::State& state, const char* body, std::vector<std::string_view> args) {
  LuaEngine engine;
  MinimalHost host;
  auto script = engine.LoadScript(body);
  if (!script.ok()) {
    state.SkipWithError(script.error().c_str());
    return;
  }
  std::vector<std::string_view> keys = {"key:1234"};
  CallArgs call{keys, args, RespVersion::kResp2};
  std::string reply;
  for (auto _ : state) {
    reply.clear();
    engine.RunScript(*script.value(), call, host, &reply);
    benchmark::DoNotOptimize(reply);
  }
  if (reply.empty() || reply[0] == '-') state.SkipWithError(reply.c_str());
  state.SetItemsProcessed(state.iterations());
}

void BM_RateLimiter(benchmark::State& state) {
  Run(state,
      "local c = redis.call('INCR', KEYS[1]) "
      "if c == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1], 'NX') end return c",
      {"60"});
}
BENCHMARK(BM_RateLimiter);

void BM_LockRelease(benchmark::State& state) {
  Run(state,
      "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) "
      "else return 0 end",
      {"token-123"});
}
BENCHMARK(BM_LockRelease);

void BM_Table100(benchmark::State& state) {
  Run(state, "local t = {} for i = 1, 100 do t[i] = i * 2 end return t", {});
}
BENCHMARK(BM_Table100);

void BM_CjsonRoundTrip(benchmark::State& state) {
  Run(state, "local o = cjson.decode(ARGV[1]) o.count = o.count + 1 return cjson.encode(o)",
      {R"({"name":"job","count":3,"tags":["a","b"]})"});
}
BENCHMARK(BM_CjsonRoundTrip);

// Loading 1,000 distinct rate limiters: bytes per script in the Lua heap
// (compiled functions) and in the cache (bodies and bookkeeping).
void BM_Load1000Scripts(benchmark::State& state) {
  size_t lua_bytes = 0, cache_bytes = 0;
  for (auto _ : state) {
    LuaEngine engine;
    engine.CollectGarbage();
    size_t before = engine.lua_memory();
    for (int i = 0; i < 1000; i++) {
      std::string body =
          "local c = redis.call('INCR', KEYS[1]) "
          "if c == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1], 'NX') end return c -- " +
          std::to_string(i);
      benchmark::DoNotOptimize(engine.LoadScript(body));
    }
    engine.CollectGarbage();
    lua_bytes = engine.lua_memory() - before;
    cache_bytes = engine.scripts_memory();
  }
  state.counters["lua_bytes_per_script"] = static_cast<double>(lua_bytes) / 1000;
  state.counters["cache_bytes_per_script"] = static_cast<double>(cache_bytes) / 1000;
  state.SetItemsProcessed(state.iterations() * 1000);
}
BENCHMARK(BM_Load1000Scripts)->Unit(benchmark::kMillisecond);

}  // namespace
