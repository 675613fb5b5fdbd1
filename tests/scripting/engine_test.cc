// LuaEngine: the script cache, what a run gives the host, and the RESP3
// replies the host may send (those redis-server's differential corpus
// cannot produce from commands).
#include <catch2/catch.hpp>

#include "scripting/lua_engine.h"
#include "scripting/script_source.h"
#include "scripting/sha1.h"
#include "test_host.h"

using namespace emberkv::scripting;
using namespace emberkv::scripting::testing;
using emberkv::protocol::RespVersion;

TEST_CASE("The script cache: one compile per body, by SHA, with its flags") {
  LuaEngine engine;
  auto first = engine.LoadScript("#!lua flags=no-writes\nreturn 1");
  REQUIRE(first.ok());
  CHECK(first.value()->sha == Sha1Hex("#!lua flags=no-writes\nreturn 1"));
  CHECK(first.value()->flags == kFlagNoWrites);
  CHECK(first.value()->has_shebang);
  auto again = engine.LoadScript("#!lua flags=no-writes\nreturn 1");
  REQUIRE(again.ok());
  CHECK(again.value() == first.value());
  CHECK(engine.script_count() == 1);
  CHECK(engine.FindScript(first.value()->sha) == first.value());
  CHECK(engine.FindScript("0000000000000000000000000000000000000000") == nullptr);

  size_t heap = engine.lua_memory();
  size_t cache = engine.scripts_memory();
  REQUIRE(engine.LoadScript("return 2").ok());
  CHECK(engine.lua_memory() > heap);
  CHECK(engine.scripts_memory() > cache);

  auto bad = engine.LoadScript("return x(");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error() ==
        "ERR Error compiling script (new function): user_script:1: unexpected symbol near '<eof>'");
  CHECK(engine.script_count() == 2);

  std::string sha = first.value()->sha;  // the Script goes with the flush
  engine.FlushScripts();
  CHECK(engine.script_count() == 0);
  CHECK(engine.scripts_memory() == 0);
  CHECK(engine.FindScript(sha) == nullptr);
}

TEST_CASE("Bytecode is refused as a script body") {
  LuaEngine engine;
  auto bad = engine.LoadScript(std::string("\x1bLua\x51", 5));
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().find("binary chunk") != std::string::npos);
}

TEST_CASE("redis.call reaches the host with the script's arguments") {
  LuaEngine engine;
  FakeHost host;
  CHECK(Eval(engine, host, "return redis.call('SET', KEYS[1], ARGV[1])", {"k"}, {"v"}) ==
        "+OK\r\n");
  CHECK(host.data["k"] == "v");
  CHECK(Eval(engine, host, "return redis.call('GET', KEYS[1])", {"k"}) == "$1\r\nv\r\n");
  // Numbers travel as "%.17g", not Lua's "%.14g".
  Eval(engine, host, "return redis.pcall('ECHO', 0.1, 3, -2.5e300)");
  REQUIRE(host.calls.back().size() == 4);
  CHECK(host.calls.back()[1] == "0.10000000000000001");
  CHECK(host.calls.back()[2] == "3");
  CHECK(host.calls.back()[3] == "-2.5000000000000001e+300");
  // A rate limiter, as clients write it.
  std::string limiter =
      "local c = redis.call('INCR', KEYS[1]) "
      "if c == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1], 'NX') end return c";
  CHECK(Eval(engine, host, limiter, {"rate"}, {"60"}) == ":1\r\n");
  CHECK(Eval(engine, host, limiter, {"rate"}, {"60"}) == ":2\r\n");
  CHECK(host.calls.size() == 6);
}

TEST_CASE("redis.setresp chooses the protocol of the host's replies") {
  LuaEngine engine;
  struct VersionHost : FakeHost {
    std::vector<RespVersion> versions;
    void Call(std::span<const std::string_view> args, RespVersion version,
              std::string* reply) override {
      versions.push_back(version);
      FakeHost::Call(args, version, reply);
    }
  } host;
  Eval(engine, host, "redis.call('PING') redis.setresp(3) redis.call('PING') return 1");
  Eval(engine, host, "return redis.call('PING')");  // back to RESP2 on the next run
  CHECK(host.versions ==
        std::vector<RespVersion>{RespVersion::kResp2, RespVersion::kResp3, RespVersion::kResp2});
}

TEST_CASE("RESP3 replies become Redis's Lua values") {
  LuaEngine engine;
  FakeHost host;
  auto eval = [&](std::string body, std::string raw) {
    return Eval(engine, host, "redis.setresp(3) " + body, {}, {raw}, RespVersion::kResp3);
  };
  CHECK(eval("return redis.call('RAW', ARGV[1])", "%1\r\n$1\r\na\r\n:1\r\n") ==
        "%1\r\n$1\r\na\r\n:1\r\n");
  CHECK(eval("return redis.call('RAW', ARGV[1]).map.a", "%1\r\n$1\r\na\r\n:1\r\n") == ":1\r\n");
  CHECK(eval("return redis.call('RAW', ARGV[1]).set.x", "~1\r\n$1\r\nx\r\n") == "#t\r\n");
  CHECK(eval("return redis.call('RAW', ARGV[1])", "~1\r\n$1\r\nx\r\n") == "~1\r\n$1\r\nx\r\n");
  CHECK(eval("return redis.call('RAW', ARGV[1]).double", ",2.5\r\n") == ":2\r\n");
  CHECK(eval("return redis.call('RAW', ARGV[1])", ",2.5\r\n") == ",2.5\r\n");
  CHECK(eval("return redis.call('RAW', ARGV[1])", "#t\r\n") == "#t\r\n");
  CHECK(eval("return type(redis.call('RAW', ARGV[1]))", "#f\r\n") == "$7\r\nboolean\r\n");
  CHECK(eval("return type(redis.call('RAW', ARGV[1]))", "_\r\n") == "$3\r\nnil\r\n");
  CHECK(eval("return type(redis.call('RAW', ARGV[1]))", "*-1\r\n") == "$7\r\nboolean\r\n");
  CHECK(eval("return redis.call('RAW', ARGV[1]).big_number", "(12345678901234567890\r\n") ==
        "$20\r\n12345678901234567890\r\n");
  CHECK(eval("return redis.call('RAW', ARGV[1])", "(123\r\n") == "(123\r\n");
  CHECK(eval("local v = redis.call('RAW', ARGV[1]).verbatim_string return v.format .. v.string",
             "=8\r\ntxt:abcd\r\n") == "$7\r\ntxtabcd\r\n");
  CHECK(eval("return redis.call('RAW', ARGV[1])", "=8\r\ntxt:abcd\r\n") == "=8\r\ntxt:abcd\r\n");
  // Attributes are dropped; the reply they annotate stays.
  CHECK(eval("return redis.call('RAW', ARGV[1])", "|1\r\n$1\r\nk\r\n$1\r\nv\r\n:7\r\n") ==
        ":7\r\n");
  CHECK(eval("return redis.call('RAW', ARGV[1])", ">2\r\n$1\r\na\r\n:1\r\n") ==
        "*2\r\n$1\r\na\r\n:1\r\n");
  // Errors become {err=...} and raise in redis.call.
  CHECK(eval("return redis.pcall('RAW', ARGV[1]).err", "-WRONGTYPE bad\r\n") ==
        "$13\r\nWRONGTYPE bad\r\n");
  CHECK(eval("return redis.pcall('RAW', ARGV[1]).err", "-NOCODE\r\n") == "$10\r\nERR NOCODE\r\n");
  CHECK(eval("return redis.pcall('RAW', ARGV[1]).err", "!9\r\nSYNTAX no\r\n") ==
        "$9\r\nSYNTAX no\r\n");
}

TEST_CASE("A map with several entries keeps every pair") {
  LuaEngine engine;
  FakeHost host;
  std::string reply =
      Eval(engine, host, "return {map={a=1, b=2, c=3}}", {}, {}, RespVersion::kResp3);
  CHECK(reply.substr(0, 4) == "%3\r\n");
  for (std::string pair : {"$1\r\na\r\n:1\r\n", "$1\r\nb\r\n:2\r\n", "$1\r\nc\r\n:3\r\n"}) {
    CHECK(reply.find(pair) != std::string::npos);
  }
  reply = Eval(engine, host, "return {set={x=true, y=true}}");
  CHECK(reply.substr(0, 4) == "*2\r\n");
}

TEST_CASE("A malformed reply from the host is an error, not a crash") {
  LuaEngine engine;
  FakeHost host;
  for (std::string raw :
       {"", "+no end", "$5\r\nab\r\n", "*3\r\n:1\r\n", "?\r\n", ":x\r\n", "*99999999999\r\n",
        "%1\r\n_\r\n:1\r\n", ":1\r\n:2\r\n", "$-2\r\n", ",abc\r\n", "#x\r\n"}) {
    INFO(raw);
    CHECK(Eval(engine, host, "return redis.pcall('RAW', ARGV[1])", {}, {raw}) ==
          "-ERR The command's reply could not be read\r\n");
  }
  std::string deep;
  for (int i = 0; i < 100; i++) deep += "*1\r\n";
  deep += ":1\r\n";
  CHECK(Eval(engine, host, "return redis.pcall('RAW', ARGV[1])", {}, {deep}) ==
        "-ERR The command's reply could not be read\r\n");
}

TEST_CASE("redis.log reaches the host at the script's level") {
  LuaEngine engine;
  FakeHost host;
  Eval(engine, host, "redis.log(redis.LOG_WARNING, 'a', 1, 'b') redis.log(0, 'dbg')");
  REQUIRE(host.logs.size() == 2);
  CHECK(host.logs[0].first == LogLevel::kWarning);
  CHECK(host.logs[0].second == "a 1 b");
  CHECK(host.logs[1].first == LogLevel::kDebug);
}

TEST_CASE("redis.acl_check_cmd asks the host") {
  LuaEngine engine;
  struct AclHost : FakeHost {
    AclVerdict CheckAcl(std::span<const std::string_view> args) override {
      if (args[0] == "nosuch") return AclVerdict::kUnknownCommand;
      return args[0] == "get" ? AclVerdict::kAllowed : AclVerdict::kDenied;
    }
  } host;
  CHECK(Eval(engine, host, "return redis.acl_check_cmd('get', 'k')") == ":1\r\n");
  CHECK(Eval(engine, host, "return redis.acl_check_cmd('set', 'k', 'v')") == "$-1\r\n");
  CHECK(Eval(engine, host, "return redis.acl_check_cmd('nosuch')")
            .find("-ERR Invalid command passed to redis.acl_check_cmd()") == 0);
}

TEST_CASE("KEYS and ARGV are fresh on every run") {
  LuaEngine engine;
  FakeHost host;
  CHECK(Eval(engine, host, "KEYS[2] = 'added' return #KEYS", {"a"}) == ":2\r\n");
  CHECK(Eval(engine, host, "return #KEYS", {"a"}) == ":1\r\n");
  CHECK(Eval(engine, host, "return {#KEYS, #ARGV}") == "*2\r\n:0\r\n:0\r\n");
}

TEST_CASE("A run leaves no state behind for the next one") {
  LuaEngine engine;
  FakeHost host;
  // Every way to write a global fails; the next script sees nothing.
  CHECK(Eval(engine, host, "x = 1").find("Attempt to modify a readonly table") !=
        std::string::npos);
  CHECK(Eval(engine, host, "rawset(_G, 'x', 1)").find("readonly") != std::string::npos);
  CHECK(Eval(engine, host, "table.insert(_G, 1)").find("readonly") != std::string::npos);
  CHECK(Eval(engine, host, "table.insert(string, 1)").find("readonly") != std::string::npos);
  CHECK(Eval(engine, host, "rawset(redis, 'call', 1)").find("readonly") != std::string::npos);
  CHECK(Eval(engine, host, "setmetatable(string, {})").find("readonly") != std::string::npos);
  CHECK(Eval(engine, host, "getmetatable(_G).__index = {}").find("readonly") != std::string::npos);
  CHECK(Eval(engine, host, "getmetatable('').__index.rep = nil").find("readonly") !=
        std::string::npos);
  CHECK(Eval(engine, host, "local mt = getmetatable(''); return rawget(mt, '__metatable')") ==
        "$-1\r\n");
  CHECK(Eval(engine, host, "return rawget(_G, 'x')") == "$-1\r\n");
  CHECK(Eval(engine, host, "return ('ab'):rep(2)") == "$4\r\nabab\r\n");
  CHECK(Eval(engine, host, "return type(string.rep)") == "$8\r\nfunction\r\n");
  CHECK(Eval(engine, host, "return next(_G) ~= nil") == ":1\r\n");
}
