// Hostile scripts (issue 15, item 6): each gets an error or a kill, never a
// crash, and the memory limit holds.
#include <catch2/catch.hpp>

#include "scripting/lua_engine.h"
#include "test_host.h"

using namespace emberkv::scripting;
using namespace emberkv::scripting::testing;
using namespace std::chrono_literals;

namespace {

constexpr size_t kLimit = 16 << 20;

EngineOptions Limited() {
  EngineOptions options;
  options.memory_limit = kLimit;
  options.busy_threshold = 200ms;
  options.hook_instructions = 10000;
  return options;
}

// A host that kills whatever runs past the busy threshold.
struct KillingHost : FakeHost {
  KillingHost() {
    on_busy = [](auto) { return BusyAction::kKill; };
  }
};

bool IsError(const std::string& reply) { return !reply.empty() && reply[0] == '-'; }

}  // namespace

TEST_CASE("Memory bombs fail with 'not enough memory' and the limit holds") {
  LuaEngine engine(Limited());
  KillingHost host;
  for (std::string body : {
           "return string.rep('x', 1024 * 1024 * 1024)",
           "local s = 'x' while true do s = s .. s end",
           "local t = {} local i = 0 while true do i = i + 1 t[i] = i end",
           "local t = {} for i = 1, 1e9 do t[i] = {} end",
           "local t = {} local i = 0 while true do i = i + 1 t['k' .. i] = i end",
           "return table.concat({string.rep('x', 8 * 1024 * 1024), string.rep('y', 8 * 1024 * "
           "1024)})",
           "local t = {} for i = 1, 64 do t[i] = string.rep(string.char(i), 1024 * 1024) end",
           "return cjson.encode(string.rep('\"', 4 * 1024 * 1024))",
           "local s = string.rep('x', 1024 * 1024) local t = {} for i = 1, 1000 do t[i] = s end "
           "return cjson.encode(t)",
           "local s = string.rep('x', 1024 * 1024) local t = {} for i = 1, 1000 do t[i] = s end "
           "return cmsgpack.pack(t)",
           "return struct.pack(string.rep('x', 8 * 1024 * 1024))",
           "return {unpack({}, 1, 1e8)}",
           "local s = string.rep('a', 1000) return string.gsub(string.rep(s, 10000), 'a', 'bb')",
           "local co = {} for i = 1, 1e7 do co[i] = coroutine.create(function() end) end",
           "return loadstring(string.rep('local a = 1 ', 1e7))",
       }) {
    INFO(body);
    std::string reply = Eval(engine, host, body);
    CHECK(IsError(reply));
    CHECK(engine.lua_memory() <= kLimit);
  }
  // The engine still works, and its garbage is collected.
  CHECK(Eval(engine, host, "return 1 + 1") == ":2\r\n");
  CHECK(Eval(engine, host, "collectgarbage() return collectgarbage('count') < 4096") == ":1\r\n");
}

TEST_CASE("An allocation refused while setting up a run is an error reply") {
  EngineOptions options;
  options.memory_limit = 1 << 20;
  LuaEngine engine(options);
  FakeHost host;
  std::vector<std::string> big;
  for (int i = 0; i < 2000; i++) big.push_back(std::to_string(i) + std::string(1000, 'k'));
  std::vector<std::string_view> keys(big.begin(), big.end());
  std::string reply = Eval(engine, host, "return #KEYS", keys);
  INFO(reply);
  CHECK(reply.find("not enough memory") != std::string::npos);
  CHECK(Eval(engine, host, "return #KEYS", {"a"}) == ":1\r\n");
}

TEST_CASE("Deep recursion through pcall ends at the C stack limit, as in Redis") {
  LuaEngine engine(Limited());
  FakeHost host;
  std::string reply = Eval(engine, host, "local function f() return pcall(f) end return {f()}");
  CHECK(reply.find("$16\r\nC stack overflow\r\n") != std::string::npos);
}

TEST_CASE("Deep recursion is an error") {
  LuaEngine engine(Limited());
  KillingHost host;
  for (std::string body : {
           "local function f(n) return 1 + f(n + 1) end return f(1)",
           "local function f() local ok, e = pcall(f) error(e) end f()",
           "local t = setmetatable({}, {}) getmetatable(t).__index = function(t, k) return t[k] "
           "end "
           "return t.x",
           "local function f() return tostring(setmetatable({}, {__tostring = f})) end return f()",
           "local function f() local co = coroutine.wrap(f) return co() end return f()",
           "local function f() return table.sort({3, 2, 1}, function(a, b) f() return a < b end) "
           "end "
           "return f()",
           "local function f() return string.gsub('x', 'x', f) end return f()",
           "local function f() return loadstring('return 1')(f()) end return f()",
       }) {
    INFO(body);
    CHECK(IsError(Eval(engine, host, body)));
  }
}

TEST_CASE("Infinite loops are killed") {
  LuaEngine engine(Limited());
  KillingHost host;
  for (std::string body : {
           "while true do end",
           "local function f() return f() end return f()",
           "repeat until false",
           "for i = 1, math.huge do end",
           "local t = {} while true do t[1] = (t[1] or 0) + 1 end",
           "while true do string.rep('x', 10) end",
       }) {
    INFO(body);
    CHECK(Eval(engine, host, body).rfind("-ERR Script killed by user with SCRIPT KILL...", 0) == 0);
  }
}

TEST_CASE("Self-referencing and deep return values are cut, not followed forever") {
  LuaEngine engine(Limited());
  FakeHost host;
  std::string reply = Eval(engine, host, "local t = {} t[1] = t return t");
  CHECK(reply.find("-ERR reached lua stack limit\r\n") != std::string::npos);
  reply = Eval(engine, host, "local m = {} m.map = {x = m} return m");
  CHECK(reply.find("-ERR reached lua stack limit\r\n") != std::string::npos);
  // An error table without a message (Redis 7.0.15 crashes on this one).
  CHECK(Eval(engine, host, "error({x=1})").rfind("-ERR table: 0x", 0) == 0);
  CHECK(Eval(engine, host, "error(setmetatable({}, {__tostring = function() error('x') end}))")
            .rfind("-ERR table: 0x", 0) == 0);
  CHECK(Eval(engine, host, "error(_G)").rfind("-ERR table: 0x", 0) == 0);
  CHECK(Eval(engine, host, "return rawget(_G, 'source')") == "$-1\r\n");
}

TEST_CASE("The sandbox has no way out") {
  LuaEngine engine(Limited());
  FakeHost host;
  auto nonexistent = [](std::string name) {
    return "Script attempted to access nonexistent global variable '" + name + "'";
  };
  for (std::string name :
       {"os", "io", "require", "package", "module", "dofile", "loadfile", "print", "debug",
        "setfenv", "getfenv", "newproxy", "jit", "ffi", "_ENV", "getregistry"}) {
    INFO(name);
    CHECK(Eval(engine, host, "return " + name).find(nonexistent(name)) != std::string::npos);
  }
  // Bytecode is never loaded, however it is handed over.
  CHECK(Eval(engine, host, "return {loadstring(string.dump(function() return 1 end))}") ==
        "*0\r\n");
  CHECK(Eval(engine, host,
             "local s = string.dump(function() return 1 end) local done = false "
             "return {load(function() if done then return nil end done = true return s end)}") ==
        "*0\r\n");
  CHECK(Eval(engine, host, "return {loadstring('\\27Lua\\81\\0')}") == "*0\r\n");
  // Chunks loaded by scripts see the same read-only globals.
  CHECK(Eval(engine, host, "return loadstring('x = 1')()").find("readonly") != std::string::npos);
  CHECK(Eval(engine, host, "return loadstring('return os')()").find(nonexistent("os")) !=
        std::string::npos);
  // Metatables of basic types and of the library tables stay as they are.
  CHECK(IsError(Eval(engine, host, "getmetatable('').__index = {upper = function() end}")));
  CHECK(IsError(Eval(engine, host, "debug.setmetatable(1, {})")));
  CHECK(IsError(Eval(engine, host, "setmetatable(getmetatable(''), {})")));
  CHECK(IsError(Eval(engine, host, "rawset(getmetatable(''), '__index', {})")));
  CHECK(IsError(Eval(engine, host, "rawset(getmetatable(_G), 'x', 1)")));
  CHECK(Eval(engine, host, "return ('abc'):upper()") == "$3\r\nABC\r\n");
  // Proxies' hidden tables cannot be reached through iteration either.
  CHECK(Eval(engine, host, "local f, s = pairs(_G) return s == _G") == ":1\r\n");
  CHECK(Eval(engine, host,
             "for k, v in pairs(_G) do if type(v) == 'table' then "
             "pcall(rawset, v, 'evil', 1) end end return rawget(string, 'evil')") == "$-1\r\n");
  CHECK(Eval(engine, host, "return string.evil") == "$-1\r\n");
  // collectgarbage is allowed, as in Redis, and harmless.
  CHECK(Eval(engine, host,
             "collectgarbage('stop') collectgarbage('restart') "
             "collectgarbage('step') return collectgarbage('count') > 0") == ":1\r\n");
  // coroutine.running and friends do not expose the main state's globals.
  CHECK(IsError(Eval(engine, host,
                     "local co = coroutine.create(function() x = 1 end) "
                     "local ok, e = coroutine.resume(co) error(e)")));
}

TEST_CASE("Malformed cjson, cmsgpack and struct input is an error") {
  LuaEngine engine(Limited());
  FakeHost host;
  for (std::string body : {
           "return cjson.decode('')",
           "return cjson.decode('{')",
           "return cjson.decode('[1,')",
           "return cjson.decode('\"\\\\u12')",
           "return cjson.decode('\"\\\\ud800\"')",
           "return cjson.decode('{\"a\" 1}')",
           "return cjson.decode(string.rep('[', 100000))",
           "return cjson.decode(string.rep('{\"a\":', 100000))",
           "cjson.decode_max_depth(100000) return cjson.decode(string.rep('[', 100000))",
           "cjson.encode_max_depth(100000) local t = {} local c = t "
           "for i = 1, 100000 do c[1] = {} c = c[1] end return cjson.encode(t)",
           "return cmsgpack.unpack('\\220\\255\\255')",
           "return cmsgpack.unpack('\\223\\255\\255\\255\\255')",
           "return cmsgpack.unpack('\\219\\255\\255\\255\\255x')",
           "return cmsgpack.unpack(string.rep('\\145', 100000))",
           "return cmsgpack.unpack('\\129\\192\\1')",
           "return cmsgpack.unpack('\\199\\1\\1x')",
           "return struct.unpack('i4', 'ab')",
           "return struct.unpack('c2147483647', 'ab')",
           "return struct.unpack('b c0', '\\127')",
           "return struct.unpack('s', 'no zero')",
           "return struct.pack('i99999999999999', 1)",
           "return struct.pack('!3 i', 1)",
           "return struct.size('s')",
           "return bit.tohex(1, -2147483648) .. bit.tohex(1, 2^31)",
       }) {
    INFO(body);
    std::string reply = Eval(engine, host, body);
    if (body.rfind("return bit", 0) == 0) {
      CHECK(reply == "$16\r\n0000000100000001\r\n");
    } else {
      CHECK(IsError(reply));
    }
  }
}

TEST_CASE("cjson refuses an encoding bigger than the memory left (CVE-2022-24834)") {
  LuaEngine engine(Limited());
  FakeHost host;
  std::string reply = Eval(
      engine, host, "local s = string.rep('\\1', 2 * 1024 * 1024) return cjson.encode({s, s})");
  CHECK(reply.find("Cannot serialise: the encoded value could exceed") != std::string::npos);
  // Ordinary encodings are untouched.
  CHECK(Eval(engine, host, "return cjson.encode({a = {1, 2, 'x'}})") ==
        "$15\r\n{\"a\":[1,2,\"x\"]}\r\n");
  CHECK(Eval(engine, host, "return cjson.new().encode({1})") == "$3\r\n[1]\r\n");
  CHECK(Eval(engine, host,
             "local s = string.rep('\\1', 2 * 1024 * 1024) "
             "return cjson.new().encode({s, s})")
            .find("Cannot serialise") != std::string::npos);
}
