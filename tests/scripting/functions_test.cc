// FUNCTION LOAD's library model and FCALL, with Redis 7.0.15's rules and
// error texts (recorded from redis-server by hand; see the comments).
#include <catch2/catch.hpp>

#include "scripting/lua_engine.h"
#include "scripting/script_source.h"
#include "test_host.h"

using namespace emberkv::scripting;
using namespace emberkv::scripting::testing;

namespace {
std::string LoadError(LuaEngine& engine, std::string_view code, bool replace = false) {
  auto result = engine.LoadLibrary(code, replace);
  return result.ok() ? "OK " + result.value() : result.error();
}
}  // namespace

TEST_CASE("A library registers functions; FCALL runs them with keys and args") {
  LuaEngine engine;
  FakeHost host;
  CHECK(
      LoadError(engine,
                "#!lua name=mylib\n"
                "local function helper(x) return x .. '!' end\n"
                "redis.register_function('echo', function(keys, args) return helper(args[1]) end)\n"
                "redis.register_function{function_name='keys', callback=function(keys, args) "
                "return keys end, flags={'no-writes', 'allow-stale'}, description='the keys'}\n"
                "redis.register_function('ping', function() return redis.call('PING') end)") ==
      "OK mylib");
  CHECK(Fcall(engine, host, "echo", {}, {"hi"}) == "$3\r\nhi!\r\n");
  CHECK(Fcall(engine, host, "keys", {"a", "b"}) == "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
  CHECK(Fcall(engine, host, "ping") == "+PONG\r\n");

  const Function* keys = engine.FindFunction("keys");
  REQUIRE(keys != nullptr);
  CHECK(keys->flags == (kFlagNoWrites | kFlagAllowStale));
  CHECK(keys->description == "the keys");
  CHECK(keys->library == "mylib");
  const Library& library = engine.libraries().at("mylib");
  CHECK(library.functions == std::vector<std::string>{"echo", "keys", "ping"});
  CHECK(library.code.rfind("#!lua name=mylib\n", 0) == 0);
}

TEST_CASE("Library errors as Redis 7.0 words them") {
  LuaEngine engine;
  REQUIRE(LoadError(engine, "#!lua name=l1\nredis.register_function('f1', function() end)") ==
          "OK l1");
  CHECK(LoadError(engine, "#!lua name=l1\nredis.register_function('g', function() end)") ==
        "ERR Library 'l1' already exists");
  CHECK(LoadError(engine, "#!lua name=l6\nredis.register_function('f1', function() end)") ==
        "ERR Function f1 already exists");
  CHECK(LoadError(engine, "#!lua name=l2\nredis.call('ping')") ==
        "ERR Error registering functions: ERR user_function:2: Script attempted to access "
        "nonexistent global variable 'call'");
  CHECK(LoadError(engine, "#!lua name=l4\nlocal x = 1") == "ERR No functions registered");
  CHECK(LoadError(engine, "#!lua name=l7\nredis.register_function('bad name', function() end)") ==
        "ERR Error registering functions: " + std::string(kInvalidNameError));
  CHECK(LoadError(engine,
                  "#!lua name=l8\nredis.register_function{function_name='f8', "
                  "callback=function() end, flags={'bogus'}}") ==
        "ERR Error registering functions: ERR unknown flag given");
  CHECK(LoadError(engine,
                  "#!lua name=l9\nredis.register_function{function_name='f9', "
                  "callback=function() end, foo=1}") ==
        "ERR Error registering functions: ERR unknown argument given to redis.register_function");
  CHECK(LoadError(engine, "#!lua name=l10\nredis.register_function('f10')") ==
        "ERR Error registering functions: ERR calling redis.register_function with a single "
        "argument is only applicable to Lua table (representing named arguments).");
  CHECK(LoadError(engine, "#!lua name=l20\nredis.setresp(3)") ==
        "ERR Error registering functions: ERR user_function:2: Script attempted to access "
        "nonexistent global variable 'setresp'");
  CHECK(LoadError(engine, "#!lua name=l21\nredis.register_function('f21', function() end, 'x')") ==
        "ERR Error registering functions: ERR wrong number of arguments to "
        "redis.register_function");
  CHECK(LoadError(engine, "#!lua name=l23\nredis.register_function('f23', 'notafunction')") ==
        "ERR Error registering functions: ERR second argument to redis.register_function must be "
        "a function");
  CHECK(LoadError(engine,
                  "#!lua name=l24\nredis.register_function{function_name='f24', "
                  "callback=function() end, flags='no-writes'}") ==
        "ERR Error registering functions: ERR flags argument to redis.register_function must be "
        "a table representing function flags");
  CHECK(LoadError(engine, "#!lua name=l26\nredis.register_function{callback=function() end}") ==
        "ERR Error registering functions: ERR redis.register_function must get a function name "
        "argument");
  CHECK(LoadError(engine, "#!lua name=l27\nredis.register_function{function_name='x'}") ==
        "ERR Error registering functions: ERR redis.register_function must get a callback "
        "argument");
  CHECK(LoadError(engine,
                  "#!lua name=l28\nredis.register_function('d', function() end)\n"
                  "redis.register_function('d', function() end)") ==
        "ERR Error registering functions: ERR Function already exists in the library");
  CHECK(LoadError(engine, "#!lua name=l29\nreturn (") ==
        "ERR Error compiling function: user_function:2: unexpected symbol near '<eof>'");
  CHECK(LoadError(engine, "#!python name=l14\nx") == "ERR Engine 'python' not found");
  // A description may be a number: Lua reads it as a string.
  CHECK(LoadError(engine,
                  "#!lua name=l25\nredis.register_function{function_name='f25', "
                  "callback=function() return 1 end, description=5}") == "OK l25");
  CHECK(engine.FindFunction("f25")->description == "5");
  // Nothing of a failed load remains.
  CHECK(engine.FindFunction("f8") == nullptr);
  CHECK(engine.FindFunction("d") == nullptr);
  CHECK(engine.libraries().size() == 2);
}

TEST_CASE("FCALL errors name the function") {
  LuaEngine engine;
  FakeHost host;
  REQUIRE(
      LoadError(
          engine,
          "#!lua name=l16\n"
          "redis.register_function('f16', function() error('boom') end)\n"
          "redis.register_function('f17', function() return {err='x'} end)\n"
          "redis.register_function('f18', function() return redis.call('nosuch') end)\n"
          "redis.register_function('f19', function() x = 1 end)\n"
          "redis.register_function('f3', function() return type(redis.register_function) end)") ==
      "OK l16");
  CHECK(Fcall(engine, host, "f16") ==
        "-ERR user_function:2: boom script: f16, on @user_function:2.\r\n");
  CHECK(Fcall(engine, host, "f17") == "-x\r\n");
  CHECK(Fcall(engine, host, "f18") ==
        "-ERR Unknown Redis command called from script script: f18, on @user_function:4.\r\n");
  CHECK(Fcall(engine, host, "f19") ==
        "-ERR user_function:5: Attempt to modify a readonly table script: f19, on "
        "@user_function:5.\r\n");
  // At run time, the redis table has no register_function (it is nil, not an error).
  CHECK(Fcall(engine, host, "f3") == "$3\r\nnil\r\n");
}

TEST_CASE("register_function outside FUNCTION LOAD is refused") {
  LuaEngine engine;
  FakeHost host;
  REQUIRE(LoadError(engine,
                    "#!lua name=keep\nlocal api = redis\n"
                    "redis.register_function('later', function() "
                    "return api.register_function('x', function() end) end)") == "OK keep");
  CHECK(Fcall(engine, host, "later")
            .find("-ERR redis.register_function can only be called on FUNCTION LOAD command") == 0);
}

TEST_CASE("REPLACE, DELETE and FLUSH") {
  LuaEngine engine;
  FakeHost host;
  REQUIRE(LoadError(engine,
                    "#!lua name=lib\nredis.register_function('a', function() return 1 end)\n"
                    "redis.register_function('b', function() return 2 end)") == "OK lib");
  CHECK(LoadError(engine, "#!lua name=lib\nredis.register_function('a', function() return 10 end)",
                  true) == "OK lib");
  CHECK(Fcall(engine, host, "a") == ":10\r\n");
  CHECK(engine.FindFunction("b") == nullptr);
  // A failed REPLACE keeps the old library.
  CHECK(LoadError(engine, "#!lua name=lib\nerror('no')", true).find("ERR Error registering") == 0);
  CHECK(Fcall(engine, host, "a") == ":10\r\n");
  // A function of another library cannot be taken over.
  REQUIRE(LoadError(engine, "#!lua name=other\nredis.register_function('c', function() end)") ==
          "OK other");
  CHECK(LoadError(engine, "#!lua name=lib\nredis.register_function('c', function() end)", true) ==
        "ERR Function c already exists");
  CHECK(Fcall(engine, host, "a") == ":10\r\n");

  CHECK(engine.DeleteLibrary("lib"));
  CHECK_FALSE(engine.DeleteLibrary("lib"));
  CHECK(engine.FindFunction("a") == nullptr);
  CHECK(engine.FindFunction("c") != nullptr);
  engine.FlushLibraries();
  CHECK(engine.libraries().empty());
  CHECK(engine.FindFunction("c") == nullptr);
}

// Redis 7.0.15 answers the same after its 500 ms.
TEST_CASE("A library's top-level code has a time limit") {
  EngineOptions options;
  options.load_timeout = std::chrono::milliseconds(50);
  options.hook_instructions = 1000;
  LuaEngine engine(options);
  auto start = std::chrono::steady_clock::now();
  CHECK(LoadError(engine, "#!lua name=slow\nwhile true do end") ==
        "ERR Error registering functions: ERR FUNCTION LOAD timeout");
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
  // The engine goes on.
  CHECK(LoadError(engine, "#!lua name=ok\nredis.register_function('f', function() return 1 end)") ==
        "OK ok");
}
