// cjson: Debian's lua-cjson 2.1.0 (the version Redis embeds, so its output is
// Redis's byte for byte), with its encoder guarded.
//
// lua-cjson 2.1.0 sizes its output buffer with `int` and reserves 6 bytes per
// input byte before escaping a string (strbuf_ensure_empty_length(json,
// len * 6 + 2)): a long enough string, or a table that holds one string many
// times, overflows that int and the encoder writes past its buffer
// (CVE-2022-24834, fixed in Redis's copy, not in Debian's). The buffer is
// also malloc'd outside the Lua heap, so it escapes the memory limit.
// cjson.encode therefore first walks the value and bounds the buffer the
// encoder could need; past kMaxEncodeBytes (or what is left of the engine's
// memory limit) it refuses. The decoder checks its depth and Lua stack
// (CVE-2021-32626 concerned stack checks it already has), and allocates
// only through Lua and in proportion to its input.
//
// encode_keep_buffer is pinned off: a kept buffer would hold the largest
// output ever encoded for the life of the state, outside the Lua heap.
#include <algorithm>
#include <climits>
#include <cstdint>

extern "C" {
#include <lauxlib.h>
int luaopen_cjson(lua_State* L);
}

#include "scripting/internal/engine_state.h"
#include "scripting/internal/sandbox.h"

namespace emberkv::scripting::internal {
namespace {

// Far below INT_MAX: the encoder's buffer doubles as it grows.
constexpr uint64_t kMaxEncodeBytes = 256u << 20;
// Deeper than cjson can go (its Lua stack checks stop it near 2,700 levels).
constexpr int kMaxWalkDepth = 3000;

// An upper bound of what the encoder reserves for the value on top of the
// stack; stops adding once past `limit` (the caller refuses then).
uint64_t EncodeBound(lua_State* L, int depth, uint64_t limit, uint64_t sum) {
  if (sum > limit) return sum;
  switch (lua_type(L, -1)) {
    case LUA_TSTRING:
      return sum + 6 * lua_objlen(L, -1) + 3;
    case LUA_TNUMBER:
      return sum + 32 + 1;
    case LUA_TTABLE: {
      if (depth > kMaxWalkDepth || !lua_checkstack(L, 3)) return sum;  // cjson refuses first
      uint64_t entries = 0;
      lua_pushnil(L);
      while (lua_next(L, -2)) {
        entries++;
        sum = EncodeBound(L, depth + 1, limit, sum);  // the value
        lua_pop(L, 1);
        lua_pushvalue(L, -1);
        sum = EncodeBound(L, depth + 1, limit, sum + 2);  // the key, quoted
        lua_pop(L, 1);
        if (sum > limit) {
          lua_pop(L, 1);
          return sum;
        }
      }
      // A sparse array is written with "null," for each hole: at most
      // max(10, 2 * entries) slots under cjson's default sparse settings.
      return sum + 2 + 5 * std::max<uint64_t>(10, 2 * entries);
    }
    default:
      return sum + 6;
  }
}

int GuardedEncode(lua_State* L) {
  luaL_argcheck(L, lua_gettop(L) == 1, 1, "expected 1 argument");
  uint64_t limit = kMaxEncodeBytes;
  LuaEngine* engine = EngineOf(L);
  if (engine != nullptr && engine->memory_limit() != 0) {
    size_t used = engine->lua_memory(), cap = engine->memory_limit();
    limit = std::min<uint64_t>(limit, used < cap ? cap - used : 0);
  }
  lua_pushvalue(L, 1);
  uint64_t bound = EncodeBound(L, 0, limit, 0);
  lua_pop(L, 1);
  if (bound > limit) {
    return luaL_error(L, "Cannot serialise: the encoded value could exceed %d bytes",
                      static_cast<int>(limit));
  }
  return OriginalAt(L, 2)(L);
}

int KeepBufferOff(lua_State* L) {
  lua_pushboolean(L, 0);
  return 1;
}

void Guard(lua_State* L);

// cjson.new(): a fresh instance of the module, guarded like the first.
int GuardedNew(lua_State* L) {
  OriginalAt(L, 2)(L);
  Guard(L);
  return 1;
}

// Replaces module[name] (the module on top) with `wrapper`, a closure with
// the same upvalue 1 (cjson's configuration) and the original as upvalue 2,
// which it calls directly.
void Rewrap(lua_State* L, const char* name, lua_CFunction wrapper) {
  lua_getfield(L, -1, name);
  lua_getupvalue(L, -1, 1);
  PushCFunctionPointer(L, -2);
  lua_pushcclosure(L, wrapper, 2);
  lua_setfield(L, -3, name);
  lua_pop(L, 1);
}

// Guards the cjson module table on top of the stack.
void Guard(lua_State* L) {
  lua_getfield(L, -1, "encode_keep_buffer");
  lua_pushboolean(L, 0);
  lua_call(L, 1, 0);
  lua_pushcfunction(L, KeepBufferOff);
  lua_setfield(L, -2, "encode_keep_buffer");
  Rewrap(L, "encode", GuardedEncode);
  Rewrap(L, "new", GuardedNew);
}

}  // namespace

int OpenCjson(lua_State* L) {
  lua_pushcfunction(L, luaopen_cjson);
  lua_call(L, 0, 1);
  Guard(L);
  return 1;
}

}  // namespace emberkv::scripting::internal
