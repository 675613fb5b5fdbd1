// Lua 5.1 against LuaJIT 2.1 for emberkv's scripts (scripting/README.md has
// the figures and the choice). Built twice by ./run, once per Lua, from
// Debian's packages; not part of the CMake build (LuaJIT is not a
// dependency of emberkv).
//
// For each of issue 15's scripts: the cost per call of a cached function
// with KEYS and ARGV set up, redis.call a C function that returns at once,
// and the count hook the engine keeps set (every 100,000 instructions, as
// Redis) — best of 5 rounds. Then the heap bytes of 1,000 loaded scripts,
// and where an error raised by a C function in 'return f()' is reported.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

extern "C" {
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
int luaopen_cjson(lua_State* L);
int luaopen_bit(lua_State* L);
#ifdef LUAJIT
#include <luajit.h>
#endif
}

namespace {

size_t heap_bytes = 0;

void* Allocate(void*, void* block, size_t old_size, size_t new_size) {
  size_t old_bytes = block ? old_size : 0;
  if (new_size == 0) {
    heap_bytes -= old_bytes;
    free(block);
    return nullptr;
  }
  void* grown = realloc(block, new_size);
  if (grown) heap_bytes = heap_bytes - old_bytes + new_size;
  return grown;
}

long long counter = 0;

int Call(lua_State* L) {
  size_t n;
  const char* command = lua_tolstring(L, 1, &n);
  if (n == 4 && std::memcmp(command, "INCR", 4) == 0) {
    lua_pushnumber(L, ++counter);
  } else if (n == 3 && std::memcmp(command, "GET", 3) == 0) {
    lua_pushlstring(L, "token-123", 9);
  } else if (n == 4 && std::memcmp(command, "FAIL", 4) == 0) {
    return luaL_error(L, "failed");
  } else {
    lua_pushnumber(L, 1);
  }
  return 1;
}

void Open(lua_State* L, lua_CFunction open, const char* name) {
  lua_pushcfunction(L, open);
  lua_pushstring(L, name);
  lua_call(L, 1, 1);
  if (*name && lua_istable(L, -1)) {
    lua_setglobal(L, name);
  } else {
    lua_pop(L, 1);
  }
}

void SetStrings(lua_State* L, const char* name, const char* value) {
  lua_createtable(L, 1, 0);
  lua_pushstring(L, value);
  lua_rawseti(L, -2, 1);
  lua_setglobal(L, name);
}

}  // namespace

int main() {
  lua_State* L = lua_newstate(Allocate, nullptr);
  if (L == nullptr) {
    std::printf("lua_newstate with our allocator failed\n");
    return 1;
  }
  Open(L, luaopen_base, "");
  Open(L, luaopen_table, "table");
  Open(L, luaopen_string, "string");
  Open(L, luaopen_math, "math");
  Open(L, luaopen_cjson, "cjson");
  Open(L, luaopen_bit, "bit");
  lua_newtable(L);
  lua_pushcfunction(L, Call);
  lua_setfield(L, -2, "call");
  lua_setglobal(L, "redis");
  lua_sethook(
      L, [](lua_State*, lua_Debug*) {}, LUA_MASKCOUNT, 100000);

  const char* scripts[][3] = {
      {"rate limiter",
       "local c = redis.call('INCR', KEYS[1]) "
       "if c == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1], 'NX') end return c",
       "60"},
      {"lock release",
       "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) "
       "else return 0 end",
       "token-123"},
      {"table of 100", "local t = {} for i = 1, 100 do t[i] = i * 2 end return t", ""},
      {"cjson round trip",
       "local o = cjson.decode(ARGV[1]) o.count = o.count + 1 return cjson.encode(o)",
       R"({"name":"job","count":3,"tags":["a","b"]})"},
  };
  constexpr int kCalls = 200000;
  for (auto& s : scripts) {
    luaL_loadbuffer(L, s[1], std::strlen(s[1]), "@user_script");
    int ref = luaL_ref(L, LUA_REGISTRYINDEX);
    auto run = [&] {
      SetStrings(L, "KEYS", "key:1234");
      SetStrings(L, "ARGV", s[2]);
      lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
      if (lua_pcall(L, 0, 1, 0) != 0) {
        std::printf("error: %s\n", lua_tostring(L, -1));
        std::exit(1);
      }
      lua_settop(L, 0);
    };
    for (int i = 0; i < 10000; i++) run();
    double best = 1e18;
    for (int round = 0; round < 5; round++) {
      auto start = std::chrono::steady_clock::now();
      for (int i = 0; i < kCalls; i++) run();
      std::chrono::duration<double, std::nano> took = std::chrono::steady_clock::now() - start;
      best = std::min(best, took.count() / kCalls);
    }
    std::printf("%-18s %7.0f ns per call\n", s[0], best);
  }

  lua_gc(L, LUA_GCCOLLECT, 0);
  size_t before = heap_bytes;
  for (int i = 0; i < 1000; i++) {
    std::string body =
        "local c = redis.call('INCR', KEYS[1]) "
        "if c == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1], 'NX') end return c -- " +
        std::to_string(i);
    luaL_loadbuffer(L, body.data(), body.size(), "@user_script");
    luaL_ref(L, LUA_REGISTRYINDEX);
  }
  lua_gc(L, LUA_GCCOLLECT, 0);
  std::printf("1,000 scripts       %7zu bytes of heap (%zu per script)\n", heap_bytes - before,
              (heap_bytes - before) / 1000);

  const char* tail = "return redis.call('FAIL')";
  luaL_loadbuffer(L, tail, std::strlen(tail), "@user_script");
  lua_pcall(L, 0, 1, 0);
  std::printf("error in 'return redis.call(...)': \"%s\"\n", lua_tostring(L, -1));
  lua_close(L);
}
