// The sandbox scripts run in, as Redis 7.0.15 builds it: which globals exist,
// and what makes them read-only.
//
// Debian's Lua has no read-only tables (Redis patches its own copy of Lua for
// them), so read-only-ness is built from what Lua 5.1 offers: every table a
// script can reach that must not change (the globals, string, table, math,
// bit, cjson, cmsgpack, struct, coroutine, redis, the string metatable) is an
// empty *proxy* whose metatable reads through to the real table (__index),
// refuses writes (__newindex: "Attempt to modify a readonly table") and hides
// itself (__metatable). The functions that bypass metatables are wrapped:
// rawset, table.insert/remove/sort and setmetatable refuse proxies; rawget,
// next and pairs read through them. The real tables are referenced only from
// the proxies' hidden metatables and the registry.
#pragma once

extern "C" {
#include <lua.h>
}

namespace emberkv::scripting {
class LuaEngine;
}

namespace emberkv::scripting::internal {

// Registry keys (light userdata addresses) of what the engine reaches.
extern const char kGlobalsKey;       // the real globals table (KEYS and ARGV are set there)
extern const char kRuntimeRedisKey;  // the redis table scripts run with
extern const char kLoadRedisKey;     // the redis table FUNCTION LOAD's code sees

// Opens the libraries and builds the sandboxed globals of a new state.
void BuildSandbox(lua_State* L, LuaEngine* engine);

// Makes `redis` (a global) the table registered under `key`.
void SetRedisTable(lua_State* L, const char* key);

// The error handler passed to lua_pcall: turns any error into
// {err=..., source=..., line=...} as Redis's __redis__err__handler does.
int ErrorHandler(lua_State* L);

// Compiles source text, never bytecode (Redis refuses it since
// CVE-2015-4335), as luaL_loadbuffer does: 0 and the function pushed, or an
// error code and the message pushed. The chunk name is anchored on the stack
// while the parser runs: Lua 5.1's parser does not anchor it, and a
// collection during parsing could free it under the parser (CVE-2025-49844).
int LoadText(lua_State* L, const char* code, size_t length, const char* chunk_name);

// The C function a wrapper closure calls, kept as light userdata in the
// closure's upvalue `index`. Wrappers call the original C function directly,
// in their own frame, rather than through lua_call: that way its errors
// name the function and the script line ("user_script:1: bad argument #1 to
// 'insert'") exactly as when scripts call it unwrapped.
void PushCFunctionPointer(lua_State* L, int index);  // the function at `index`, as light userdata
inline lua_CFunction OriginalAt(lua_State* L, int upvalue) {
  return reinterpret_cast<lua_CFunction>(lua_touserdata(L, lua_upvalueindex(upvalue)));
}

// Pushes a read-only proxy of the table at `index`.
void PushReadonlyProxy(lua_State* L, int index);

// The libraries the sandbox opens besides Lua's and LuaJIT's own.
int OpenCmsgpack(lua_State* L);  // cmsgpack (ours)
int OpenStruct(lua_State* L);    // struct (ours)
int OpenCjson(lua_State* L);     // Debian's lua-cjson, with encode guarded
int OpenBit(lua_State* L);       // Debian's lua-bitop, with tohex guarded
// The redis tables (redis_api.cc).
void PushRuntimeRedisTable(lua_State* L, LuaEngine* engine);
void PushLoadRedisTable(lua_State* L, LuaEngine* engine);

}  // namespace emberkv::scripting::internal
