// The parts of a LuaEngine that its Lua-facing C functions (the redis API,
// the hook, the sandbox's wrappers) reach while a script runs.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "scripting/lua_engine.h"

extern "C" {
#include <lua.h>
}

namespace emberkv::scripting {

struct LuaEngine::Run {
  ScriptHost* host = nullptr;
  std::string name;  // the SHA, or the function's name
  bool is_function = false;
  protocol::RespVersion lua_resp = protocol::RespVersion::kResp2;  // redis.setresp
  std::chrono::steady_clock::time_point start;
  bool killed = false;
  std::string reply;                   // redis.call's reply, buffer reused
  std::vector<std::string_view> args;  // redis.call's arguments, vector reused
};

struct LuaEngine::Loading {
  std::string library;
  std::vector<Function> functions;  // registered so far; refs owned until committed
  ScriptHost* host = nullptr;
  std::chrono::steady_clock::time_point deadline;
  bool timed_out = false;
};

// Access to the engine's private state for the C functions in internal/.
struct EngineAccess {
  static LuaEngine::Run* run(LuaEngine* e) { return e->run_; }
  static LuaEngine::Loading* loading(LuaEngine* e) { return e->loading_; }
  static bool kill_requested(LuaEngine* e) {
    return e->kill_requested_.load(std::memory_order_relaxed);
  }
  static const EngineOptions& options(LuaEngine* e) { return e->options_; }
  static const std::unordered_map<std::string, Function>& functions(LuaEngine* e) {
    return e->functions_;
  }
};

namespace internal {

// The engine that owns L (kept in the registry).
LuaEngine* EngineOf(lua_State* L);
void SetEngine(lua_State* L, LuaEngine* engine);

// Raises {err=message} (message gets "ERR " when it has no code), as Redis's
// API functions raise their errors. Never returns.
int RaiseError(lua_State* L, std::string_view message);

}  // namespace internal
}  // namespace emberkv::scripting
