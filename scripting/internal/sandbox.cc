#include "scripting/internal/sandbox.h"

#include <climits>
#include <cmath>
#include <cstdint>
#include <cstring>

extern "C" {
#include <lauxlib.h>
#include <lualib.h>
}

#include "scripting/internal/engine_state.h"

namespace emberkv::scripting::internal {

const char kGlobalsKey = 0;
const char kRuntimeRedisKey = 0;
const char kLoadRedisKey = 0;

namespace {

const char kReadonlyKey = 0;  // registry: proxy -> the table it protects
const char kEngineKey = 0;    // registry: the LuaEngine

constexpr char kReadonlyError[] = "Attempt to modify a readonly table";

// ---- Read-only proxies ----

// Pushes the table the proxy at `index` protects; false (nothing pushed) when
// the value is not a proxy.
bool PushTarget(lua_State* L, int index) {
  if (!lua_istable(L, index)) return false;
  index = index < 0 ? lua_gettop(L) + index + 1 : index;
  lua_pushlightuserdata(L, const_cast<char*>(&kReadonlyKey));
  lua_rawget(L, LUA_REGISTRYINDEX);
  lua_pushvalue(L, index);
  lua_rawget(L, -2);
  lua_remove(L, -2);
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    return false;
  }
  return true;
}

bool IsReadonly(lua_State* L, int index) {
  if (!PushTarget(L, index)) return false;
  lua_pop(L, 1);
  return true;
}

// The proxies' __newindex: a write from Lua code, reported at its line.
int ReadonlyNewIndex(lua_State* L) { return luaL_error(L, kReadonlyError); }

// A write through a raw function: reported without a position, as Redis's
// patched lua_rawset does.
int RaiseReadonly(lua_State* L) {
  lua_pushstring(L, kReadonlyError);
  return lua_error(L);
}

// The real globals' __index: reading an undefined global is an error.
int NonexistentGlobal(lua_State* L) {
  const char* name =
      lua_type(L, 2) == LUA_TSTRING || lua_type(L, 2) == LUA_TNUMBER ? lua_tostring(L, 2) : "?";
  return luaL_error(L, "Script attempted to access nonexistent global variable '%s'", name);
}

// A frozen, empty table: what getmetatable returns for a proxy.
void PushFrozenEmpty(lua_State* L) {
  lua_newtable(L);
  PushReadonlyProxy(L, -1);
  lua_remove(L, -2);
}

// ---- Wrapped builtins ----

int Rawset(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_checkany(L, 2);
  luaL_checkany(L, 3);
  if (IsReadonly(L, 1)) return RaiseReadonly(L);
  lua_settop(L, 3);
  lua_rawset(L, 1);
  return 1;
}

int Rawget(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_checkany(L, 2);
  if (PushTarget(L, 1)) lua_replace(L, 1);
  lua_settop(L, 2);
  lua_rawget(L, 1);
  return 1;
}

int Next(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  if (PushTarget(L, 1)) lua_replace(L, 1);
  lua_settop(L, 2);
  if (lua_next(L, 1)) return 2;
  lua_pushnil(L);
  return 1;
}

// pairs(t): Lua's own next for ordinary tables (no cost per step), a next
// that reads through for proxies. Upvalue 1: the original next.
int Pairs(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  if (IsReadonly(L, 1)) {
    lua_pushcfunction(L, Next);
  } else {
    lua_pushvalue(L, lua_upvalueindex(1));
  }
  lua_pushvalue(L, 1);
  lua_pushnil(L);
  return 3;
}

// The original (upvalue 1), unless argument 1 is read-only: setmetatable,
// table.insert, table.remove, table.sort.
int GuardedWrite(lua_State* L) {
  if (IsReadonly(L, 1)) return RaiseReadonly(L);
  return OriginalAt(L, 1)(L);
}

// pcall as Redis 7 has it: an error raised as {err=...} (redis.call's) is
// returned as its message, the way scripts written for Redis 6 expect.
int Redis7Pcall(lua_State* L) {
  luaL_checkany(L, 1);
  int argc = lua_gettop(L);
  lua_pushboolean(L, 1);
  lua_insert(L, 1);
  if (lua_pcall(L, argc - 1, LUA_MULTRET, 0) != 0) {
    lua_remove(L, 1);
    if (lua_istable(L, -1) && !IsReadonly(L, -1)) {
      lua_getfield(L, -1, "err");
      if (lua_isstring(L, -1)) {
        lua_replace(L, -2);
      } else {
        lua_pop(L, 1);
      }
    }
    lua_pushboolean(L, 0);
    lua_insert(L, 1);
  }
  return lua_gettop(L);
}

// loadstring/load: nil and the message when the text does not compile.
int LoadOrNil(lua_State* L, const char* code, size_t length, const char* chunk_name) {
  if (LoadText(L, code, length, chunk_name) == 0) return 1;
  lua_pushnil(L);
  lua_insert(L, -2);
  return 2;
}

int Loadstring(lua_State* L) {
  size_t length;
  const char* code = luaL_checklstring(L, 1, &length);
  const char* chunk_name = luaL_optstring(L, 2, code);
  return LoadOrNil(L, code, length, chunk_name);
}

// load(f [, chunkname]): Lua 5.1's, which takes a reader function only.
int Load(lua_State* L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  const char* chunk_name = luaL_optstring(L, 2, "=(load)");
  lua_settop(L, 2);
  luaL_Buffer buffer;
  luaL_buffinit(L, &buffer);  // the buffer uses stack slots above 2
  while (true) {
    lua_pushvalue(L, 1);
    lua_call(L, 0, 1);
    if (lua_isnil(L, -1)) {
      lua_pop(L, 1);
      break;
    }
    if (!lua_isstring(L, -1)) return luaL_error(L, "reader function must return a string");
    size_t piece_length;
    lua_tolstring(L, -1, &piece_length);
    if (piece_length == 0) {
      lua_pop(L, 1);
      break;
    }
    luaL_addvalue(&buffer);
  }
  luaL_pushresult(&buffer);
  size_t length;
  const char* code = lua_tolstring(L, -1, &length);
  return LoadOrNil(L, code, length, chunk_name);
}

// unpack(t [, i [, j]]): Lua 5.1's computes j - i + 1 in int, which
// overflows (undefined behaviour the compiler may use to drop the check that
// follows) for extreme bounds (CVE-2025-46817). Counted in unsigned here.
int Unpack(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  int first = luaL_optint(L, 2, 1);
  int last = luaL_opt(L, luaL_checkint, 3, static_cast<int>(lua_objlen(L, 1)));
  if (first > last) return 0;
  unsigned count = static_cast<unsigned>(last) - static_cast<unsigned>(first);
  if (count >= INT_MAX || !lua_checkstack(L, static_cast<int>(count) + 1)) {
    return luaL_error(L, "too many results to unpack");
  }
  for (unsigned i = 0; i <= count; i++) lua_rawgeti(L, 1, static_cast<int>(first + i));
  return static_cast<int>(count) + 1;
}

// ---- math.random as Redis's (rand.c): a 48-bit linear congruential
// generator whose sequence does not depend on the platform's libc. ----

struct Random {
  uint64_t state = 0x1234ABCD330EULL;
  uint32_t Next() {
    state = (0x5DEECE66DULL * state + 0xB) & ((1ULL << 48) - 1);
    return static_cast<uint32_t>(state >> 17);
  }
};

Random* RandomOf(lua_State* L) {
  return static_cast<Random*>(lua_touserdata(L, lua_upvalueindex(1)));
}

int MathRandom(lua_State* L) {
  constexpr uint32_t kMax = 2147483647;
  lua_Number r = static_cast<lua_Number>(RandomOf(L)->Next() % kMax) / kMax;
  switch (lua_gettop(L)) {
    case 0:
      lua_pushnumber(L, r);
      break;
    case 1: {
      int upper = luaL_checkint(L, 1);
      luaL_argcheck(L, 1 <= upper, 1, "interval is empty");
      lua_pushnumber(L, std::floor(r * upper) + 1);
      break;
    }
    case 2: {
      int lower = luaL_checkint(L, 1);
      int upper = luaL_checkint(L, 2);
      luaL_argcheck(L, lower <= upper, 2, "interval is empty");
      lua_pushnumber(L, std::floor(r * (static_cast<lua_Number>(upper) - lower + 1)) + lower);
      break;
    }
    default:
      return luaL_error(L, "wrong number of arguments");
  }
  return 1;
}

int MathRandomseed(lua_State* L) {
  auto seed = static_cast<uint32_t>(luaL_checkint(L, 1));
  RandomOf(L)->state = (uint64_t{seed} << 16) | 0x330E;
  return 0;
}

// ---- Building ----

// Calls a library's luaopen_ function; leaves its table on the stack.
void Open(lua_State* L, lua_CFunction open, const char* name) {
  lua_pushcfunction(L, open);
  lua_pushstring(L, name);
  lua_call(L, 1, 1);
}

// real[name] = value on top (popped).
void SetRaw(lua_State* L, int table, const char* name) {
  lua_pushstring(L, name);
  lua_insert(L, -2);
  lua_rawset(L, table);
}

// Replaces the C function table[name] (table at `table`) with `wrapper`,
// which calls it directly (upvalue 1).
void Wrap(lua_State* L, int table, const char* name, lua_CFunction wrapper) {
  lua_getfield(L, table, name);
  PushCFunctionPointer(L, -1);
  lua_remove(L, -2);
  lua_pushcclosure(L, wrapper, 1);
  SetRaw(L, table, name);
}

}  // namespace

LuaEngine* EngineOf(lua_State* L) {
  lua_pushlightuserdata(L, const_cast<char*>(&kEngineKey));
  lua_rawget(L, LUA_REGISTRYINDEX);
  auto* engine = static_cast<LuaEngine*>(lua_touserdata(L, -1));
  lua_pop(L, 1);
  return engine;
}

void SetEngine(lua_State* L, LuaEngine* engine) {
  lua_pushlightuserdata(L, const_cast<char*>(&kEngineKey));
  lua_pushlightuserdata(L, engine);
  lua_rawset(L, LUA_REGISTRYINDEX);
}

void PushCFunctionPointer(lua_State* L, int index) {
  lua_pushlightuserdata(L, reinterpret_cast<void*>(lua_tocfunction(L, index)));
}

int LoadText(lua_State* L, const char* code, size_t length, const char* chunk_name) {
  if (length > 0 && code[0] == LUA_SIGNATURE[0]) {
    lua_pushstring(L, "attempt to load a binary chunk");
    return LUA_ERRSYNTAX;
  }
  lua_pushstring(L, chunk_name);  // the anchor: the parser interns the same string
  int status = luaL_loadbuffer(L, code, length, chunk_name);
  lua_remove(L, -2);
  return status;
}

void PushReadonlyProxy(lua_State* L, int index) {
  index = index < 0 ? lua_gettop(L) + index + 1 : index;
  lua_newtable(L);  // the proxy
  lua_createtable(L, 0, 3);
  lua_pushvalue(L, index);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, ReadonlyNewIndex);
  lua_setfield(L, -2, "__newindex");
  lua_setmetatable(L, -2);
  // Registered before __metatable is set: the frozen table is a proxy too.
  lua_pushlightuserdata(L, const_cast<char*>(&kReadonlyKey));
  lua_rawget(L, LUA_REGISTRYINDEX);
  lua_pushvalue(L, -2);
  lua_pushvalue(L, index);
  lua_rawset(L, -3);
  lua_pop(L, 1);
}

void SetRedisTable(lua_State* L, const char* key) {
  lua_pushlightuserdata(L, const_cast<char*>(&kGlobalsKey));
  lua_rawget(L, LUA_REGISTRYINDEX);
  lua_pushstring(L, "redis");
  lua_pushlightuserdata(L, const_cast<char*>(key));
  lua_rawget(L, LUA_REGISTRYINDEX);
  lua_rawset(L, -3);
  lua_pop(L, 1);
}

int ErrorHandler(lua_State* L) {
  lua_settop(L, 1);
  lua_Debug where;
  bool located = false;
  if (lua_getstack(L, 1, &where) && lua_getinfo(L, "Sl", &where)) {
    located = std::strcmp(where.what, "C") != 0 ||
              (lua_getstack(L, 2, &where) && lua_getinfo(L, "Sl", &where));
  }
  bool error_table = lua_istable(L, 1) && !IsReadonly(L, 1);
  if (error_table) {
    lua_pushstring(L, "err");
    lua_rawget(L, 1);
    error_table = lua_type(L, -1) == LUA_TSTRING;
    lua_pop(L, 1);
  }
  if (!error_table) {
    // Anything else raised becomes {err="ERR " .. tostring(value)}.
    switch (lua_type(L, 1)) {
      case LUA_TSTRING:
      case LUA_TNUMBER:
        lua_pushfstring(L, "ERR %s", lua_tostring(L, 1));
        break;
      case LUA_TNIL:
        lua_pushliteral(L, "ERR nil");
        break;
      case LUA_TBOOLEAN:
        lua_pushstring(L, lua_toboolean(L, 1) ? "ERR true" : "ERR false");
        break;
      default:
        lua_pushfstring(L, "ERR %s: %p", luaL_typename(L, 1), lua_topointer(L, 1));
    }
    lua_createtable(L, 0, 3);
    lua_insert(L, -2);
    lua_setfield(L, -2, "err");
    lua_replace(L, 1);
  }
  if (located) {
    lua_pushstring(L, "source");
    lua_pushstring(L, where.source);
    lua_rawset(L, 1);
    lua_pushstring(L, "line");
    lua_pushinteger(L, where.currentline);
    lua_rawset(L, 1);
  }
  return 1;
}

void BuildSandbox(lua_State* L, LuaEngine* engine) {
  SetEngine(L, engine);
  lua_pushlightuserdata(L, const_cast<char*>(&kReadonlyKey));
  lua_newtable(L);
  lua_rawset(L, LUA_REGISTRYINDEX);

  // The libraries, opened the usual way into the state's first globals table,
  // from which the sandbox takes what it keeps.
  Open(L, luaopen_base, "");
  lua_settop(L, 0);
  const int original = LUA_GLOBALSINDEX;
  lua_newtable(L);  // 1: the real globals
  const int real = 1;

  for (const char* name :
       {"assert", "collectgarbage", "error", "gcinfo", "getmetatable", "ipairs", "rawequal",
        "select", "tonumber", "tostring", "type", "xpcall", "_VERSION"}) {
    lua_getfield(L, original, name);
    SetRaw(L, real, name);
  }
  lua_pushcfunction(L, Unpack);
  SetRaw(L, real, "unpack");
  lua_pushcfunction(L, Rawset);
  SetRaw(L, real, "rawset");
  lua_pushcfunction(L, Rawget);
  SetRaw(L, real, "rawget");
  lua_pushcfunction(L, Next);
  SetRaw(L, real, "next");
  lua_getfield(L, original, "next");
  lua_pushcclosure(L, Pairs, 1);
  SetRaw(L, real, "pairs");
  lua_getfield(L, original, "setmetatable");
  PushCFunctionPointer(L, -1);
  lua_remove(L, -2);
  lua_pushcclosure(L, GuardedWrite, 1);
  SetRaw(L, real, "setmetatable");
  lua_pushcfunction(L, Redis7Pcall);
  SetRaw(L, real, "pcall");
  lua_pushcfunction(L, Loadstring);
  SetRaw(L, real, "loadstring");
  lua_pushcfunction(L, Load);
  SetRaw(L, real, "load");
  lua_pushcfunction(L, ErrorHandler);
  SetRaw(L, real, "__redis__err__handler");

  // Library tables, each adjusted, then put behind a proxy.
  auto keep_library = [&](const char* name) {
    PushReadonlyProxy(L, -1);
    lua_remove(L, -2);
    SetRaw(L, real, name);
  };
  lua_getfield(L, original, "coroutine");
  keep_library("coroutine");

  Open(L, luaopen_string, LUA_STRLIBNAME);
  int string_table = lua_gettop(L);
  PushReadonlyProxy(L, string_table);  // kept on the stack for the string metatable
  int string_proxy = lua_gettop(L);
  lua_pushvalue(L, string_proxy);
  SetRaw(L, real, "string");

  Open(L, luaopen_table, LUA_TABLIBNAME);
  for (const char* name : {"insert", "remove", "sort"}) Wrap(L, lua_gettop(L), name, GuardedWrite);
  keep_library("table");

  Open(L, luaopen_math, LUA_MATHLIBNAME);
  new (lua_newuserdata(L, sizeof(Random))) Random();
  lua_pushvalue(L, -1);
  lua_pushcclosure(L, MathRandom, 1);
  lua_setfield(L, -3, "random");
  lua_pushcclosure(L, MathRandomseed, 1);
  lua_setfield(L, -2, "randomseed");
  keep_library("math");

  Open(L, OpenBit, "bit");
  keep_library("bit");
  Open(L, OpenCjson, "cjson");
  keep_library("cjson");
  Open(L, OpenCmsgpack, "cmsgpack");
  keep_library("cmsgpack");
  Open(L, OpenStruct, "struct");
  keep_library("struct");

  // The two redis tables; the runtime one is the global between loads.
  PushRuntimeRedisTable(L, engine);
  PushReadonlyProxy(L, -1);
  lua_remove(L, -2);
  lua_pushlightuserdata(L, const_cast<char*>(&kRuntimeRedisKey));
  lua_insert(L, -2);
  lua_rawset(L, LUA_REGISTRYINDEX);
  PushLoadRedisTable(L, engine);
  lua_createtable(L, 0, 1);
  lua_pushcfunction(L, NonexistentGlobal);
  lua_setfield(L, -2, "__index");
  lua_setmetatable(L, -2);
  PushReadonlyProxy(L, -1);
  lua_remove(L, -2);
  lua_pushlightuserdata(L, const_cast<char*>(&kLoadRedisKey));
  lua_insert(L, -2);
  lua_rawset(L, LUA_REGISTRYINDEX);

  // The string metatable: methods come from the protected string table, and
  // getmetatable("") shows a read-only view.
  lua_pushliteral(L, "");
  lua_getmetatable(L, -1);
  lua_remove(L, -2);
  lua_pushvalue(L, string_proxy);
  lua_setfield(L, -2, "__index");
  lua_createtable(L, 0, 1);
  lua_pushvalue(L, string_proxy);
  lua_setfield(L, -2, "__index");
  PushReadonlyProxy(L, -1);
  lua_remove(L, -2);
  lua_setfield(L, -2, "__metatable");
  lua_pop(L, 1);
  lua_settop(L, real);

  // The globals: undefined names raise; scripts see them through a proxy.
  lua_createtable(L, 0, 1);
  lua_pushcfunction(L, NonexistentGlobal);
  lua_setfield(L, -2, "__index");
  lua_setmetatable(L, real);
  PushReadonlyProxy(L, real);
  lua_pushvalue(L, -1);
  SetRaw(L, real, "_G");
  // Every proxy's getmetatable answer: a frozen empty table (set last, so
  // that the proxies above keep writable metatables until now).
  lua_pushlightuserdata(L, const_cast<char*>(&kReadonlyKey));
  lua_rawget(L, LUA_REGISTRYINDEX);
  int proxies = lua_gettop(L);
  PushFrozenEmpty(L);
  int frozen = lua_gettop(L);
  lua_pushnil(L);
  while (lua_next(L, proxies)) {
    lua_pop(L, 1);
    lua_getmetatable(L, -1);
    lua_pushvalue(L, frozen);
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 1);
  }
  lua_settop(L, proxies - 1);
  lua_replace(L, LUA_GLOBALSINDEX);  // the proxy is the scripts' global table

  lua_pushlightuserdata(L, const_cast<char*>(&kGlobalsKey));
  lua_pushvalue(L, real);
  lua_rawset(L, LUA_REGISTRYINDEX);
  SetRedisTable(L, &kRuntimeRedisKey);
  lua_settop(L, 0);
}

}  // namespace emberkv::scripting::internal
