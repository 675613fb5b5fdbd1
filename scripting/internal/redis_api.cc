// The `redis` tables: the one scripts and functions run with, and the one a
// library's top-level code sees during FUNCTION LOAD. Texts and argument
// rules are Redis 7.0.15's (its script_lua.c and function_lua.c).
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

extern "C" {
#include <lauxlib.h>
}

#include "scripting/internal/engine_state.h"
#include "scripting/internal/lua_convert.h"
#include "scripting/internal/sandbox.h"
#include "scripting/script_source.h"
#include "scripting/sha1.h"

namespace emberkv::scripting::internal {

int RaiseError(lua_State* L, std::string_view message) {
  PushErrorTable(L, message);
  return lua_error(L);
}

namespace {

LuaEngine* Engine(lua_State* L) {
  return static_cast<LuaEngine*>(lua_touserdata(L, lua_upvalueindex(1)));
}

// The arguments of redis.call/pcall/acl_check_cmd as strings, numbers
// formatted with "%.17g" (lua_tostring would lose precision). False when one
// is neither; the arguments stay on the stack (so the views stay valid).
bool CommandArgs(lua_State* L, std::vector<std::string_view>* args) {
  int argc = lua_gettop(L);
  args->clear();
  for (int i = 1; i <= argc; i++) {
    if (lua_type(L, i) == LUA_TNUMBER) {
      char text[64];
      const double number = lua_tonumber(L, i);
      size_t length;
      // Redis prints numbers with "%.17g"; integers (counts, TTLs: most
      // numbers scripts pass) print the same digits without printf, which
      // was 5% of a rate-limiter script's instructions.
      if (number == std::trunc(number) && std::fabs(number) < 1e15 &&
          !(number == 0 && std::signbit(number))) {
        length = std::to_chars(text, text + sizeof(text), static_cast<int64_t>(number)).ptr - text;
      } else {
        length = static_cast<size_t>(std::snprintf(text, sizeof(text), "%.17g", number));
      }
      lua_pushlstring(L, text, length);
      lua_replace(L, i);
    } else if (lua_type(L, i) != LUA_TSTRING) {
      return false;
    }
    size_t length;
    const char* s = lua_tolstring(L, i, &length);
    args->emplace_back(s, length);
  }
  return true;
}

// redis.call (raise) and redis.pcall.
int CallCommand(lua_State* L, bool raise) {
  LuaEngine::Run* run = EngineAccess::run(Engine(L));
  if (run == nullptr)
    return RaiseError(L, "redis.call/pcall can only be called inside a script invocation");
  const char* refusal = nullptr;
  if (lua_gettop(L) == 0) {
    refusal = "Please specify at least one argument for this redis lib call";
  } else if (!CommandArgs(L, &run->args)) {
    refusal = "Lua redis lib command arguments must be strings or integers";
  }
  if (refusal != nullptr) {
    PushErrorTable(L, refusal);
    return raise ? lua_error(L) : 1;
  }
  run->reply.clear();
  run->host->Call(run->args, run->lua_resp, &run->reply);
  lua_settop(L, 0);
  if (!PushReply(L, run->reply)) {
    PushErrorTable(L, "The command's reply could not be read");
    return raise ? lua_error(L) : 1;
  }
  if (raise && !run->reply.empty() && run->reply[0] == '-') return lua_error(L);
  return 1;
}

int Call(lua_State* L) { return CallCommand(L, true); }
int Pcall(lua_State* L) { return CallCommand(L, false); }

int Sha1hex(lua_State* L) {
  if (lua_gettop(L) != 1) return RaiseError(L, "wrong number of arguments");
  size_t length = 0;
  const char* s = lua_tolstring(L, 1, &length);
  std::string hex = Sha1Hex(s ? std::string_view(s, length) : std::string_view());
  lua_pushlstring(L, hex.data(), hex.size());
  return 1;
}

// redis.error_reply / redis.status_reply: bad arguments are returned, not raised.
int ErrorReply(lua_State* L) {
  if (lua_gettop(L) != 1 || lua_type(L, -1) != LUA_TSTRING) {
    PushErrorTable(L, "wrong number or type of arguments");
    return 1;
  }
  size_t length;
  const char* s = lua_tolstring(L, 1, &length);
  std::string text;
  if (length == 0 || s[0] != '-') text = "-";
  text.append(s, length);
  PushErrorTable(L, text);
  return 1;
}

int StatusReply(lua_State* L) {
  if (lua_gettop(L) != 1 || lua_type(L, -1) != LUA_TSTRING) {
    PushErrorTable(L, "wrong number or type of arguments");
    return 1;
  }
  lua_createtable(L, 0, 1);
  lua_pushvalue(L, 1);
  lua_setfield(L, -2, "ok");
  return 1;
}

int Log(lua_State* L) {
  int argc = lua_gettop(L);
  if (argc < 2) return RaiseError(L, "redis.log() requires two arguments or more.");
  if (!lua_isnumber(L, 1)) return RaiseError(L, "First argument must be a number (log level).");
  int level = static_cast<int>(lua_tonumber(L, 1));
  if (level < 0 || level > 3) return RaiseError(L, "Invalid debug level.");
  LuaEngine* engine = Engine(L);
  ScriptHost* host = nullptr;
  if (LuaEngine::Run* run = EngineAccess::run(engine)) host = run->host;
  if (LuaEngine::Loading* loading = EngineAccess::loading(engine)) host = loading->host;
  if (host == nullptr) return 0;
  std::string message;
  for (int i = 2; i <= argc; i++) {
    size_t length;
    const char* s = lua_tolstring(L, i, &length);
    if (s == nullptr) continue;
    if (i != 2) message += ' ';
    message.append(s, length);
  }
  host->Log(static_cast<LogLevel>(level), message);
  return 0;
}

int Setresp(lua_State* L) {
  LuaEngine::Run* run = EngineAccess::run(Engine(L));
  if (run == nullptr)
    return RaiseError(L, "redis.setresp can only be called inside a script invocation");
  if (lua_gettop(L) != 1) return RaiseError(L, "redis.setresp() requires one argument.");
  int resp = static_cast<int>(lua_tonumber(L, 1));
  if (resp != 2 && resp != 3) return RaiseError(L, "RESP version must be 2 or 3.");
  run->lua_resp = resp == 3 ? protocol::RespVersion::kResp3 : protocol::RespVersion::kResp2;
  return 0;
}

// redis.set_repl: checked and accepted (emberkv replicates nothing yet).
int SetRepl(lua_State* L) {
  if (EngineAccess::run(Engine(L)) == nullptr) {
    return RaiseError(L, "redis.set_repl can only be called inside a script invocation");
  }
  if (lua_gettop(L) != 1) return RaiseError(L, "redis.set_repl() requires two arguments.");
  int flags = static_cast<int>(lua_tonumber(L, 1));
  if ((flags & ~3) != 0) {
    return RaiseError(
        L, "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.");
  }
  return 0;
}

int ReplicateCommands(lua_State* L) {
  lua_pushboolean(L, 1);
  return 1;
}

// redis.breakpoint and redis.debug do nothing outside the script debugger.
int Breakpoint(lua_State* L) {
  lua_pushboolean(L, 0);
  return 1;
}
int Debug(lua_State* L) { return 0; }

int AclCheckCmd(lua_State* L) {
  LuaEngine::Run* run = EngineAccess::run(Engine(L));
  if (run == nullptr) {
    return RaiseError(L, "redis.acl_check_cmd can only be called inside a script invocation");
  }
  if (lua_gettop(L) == 0) {
    return RaiseError(L, "Please specify at least one argument for this redis lib call");
  }
  if (!CommandArgs(L, &run->args)) {
    return RaiseError(L, "Lua redis lib command arguments must be strings or integers");
  }
  AclVerdict verdict = run->host->CheckAcl(run->args);
  if (verdict == AclVerdict::kUnknownCommand) {
    return RaiseError(L, "Invalid command passed to redis.acl_check_cmd()");
  }
  lua_pushboolean(L, verdict == AclVerdict::kAllowed);
  return 1;
}

// ---- redis.register_function ----

struct Registration {
  std::string name;
  bool named = false;
  std::string description;
  bool has_description = false;
  uint32_t flags = 0;
  int callback = 0;  // stack index of the callback
};

constexpr char kFlagsError[] =
    "flags argument to redis.register_function must be a table representing function flags";

// Raises the error; returns only on success.
void ReadFlags(lua_State* L, int index, uint32_t* flags) {
  if (!lua_istable(L, index)) RaiseError(L, kFlagsError);
  for (int i = 1;; i++) {
    lua_rawgeti(L, index, i);
    if (lua_isnil(L, -1)) {
      lua_pop(L, 1);
      return;
    }
    if (lua_type(L, -1) != LUA_TSTRING) RaiseError(L, kFlagsError);
    uint32_t flag = ScriptFlagByName(lua_tostring(L, -1));
    if (flag == 0) RaiseError(L, "unknown flag given");
    *flags |= flag;
    lua_pop(L, 1);
  }
}

// register_function{function_name=, callback=, flags=, description=}: the
// table at 1; the callback is copied to slot 2.
void ReadNamedArguments(lua_State* L, Registration* r) {
  lua_pushnil(L);
  while (lua_next(L, 1)) {
    if (lua_type(L, -2) != LUA_TSTRING) {
      RaiseError(L, "named argument key given to redis.register_function is not a string");
    }
    const char* key = lua_tostring(L, -2);
    if (std::strcmp(key, "function_name") == 0) {
      if (!lua_isstring(L, -1)) {
        RaiseError(L, "function_name argument given to redis.register_function must be a string");
      }
      r->name = lua_tostring(L, -1);
      r->named = true;
    } else if (std::strcmp(key, "description") == 0) {
      if (!lua_isstring(L, -1)) {
        RaiseError(L, "description argument given to redis.register_function must be a string");
      }
      r->description = lua_tostring(L, -1);
      r->has_description = true;
    } else if (std::strcmp(key, "callback") == 0) {
      if (!lua_isfunction(L, -1)) {
        RaiseError(L, "callback argument given to redis.register_function must be a function");
      }
      lua_pushvalue(L, -1);
      lua_replace(L, 2);
      r->callback = 2;
    } else if (std::strcmp(key, "flags") == 0) {
      ReadFlags(L, lua_gettop(L), &r->flags);
    } else {
      RaiseError(L, "unknown argument given to redis.register_function");
    }
    lua_pop(L, 1);
  }
}

int RegisterFunction(lua_State* L) {
  LuaEngine* engine = Engine(L);
  LuaEngine::Loading* loading = EngineAccess::loading(engine);
  if (loading == nullptr) {
    return RaiseError(L, "redis.register_function can only be called on FUNCTION LOAD command");
  }
  Registration r;
  int argc = lua_gettop(L);
  if (argc == 1) {
    if (!lua_istable(L, 1)) {
      return RaiseError(L,
                        "calling redis.register_function with a single argument is only "
                        "applicable to Lua table (representing named arguments).");
    }
    lua_settop(L, 2);  // slot 2: the callback, once found
    ReadNamedArguments(L, &r);
    if (!r.named) return RaiseError(L, "redis.register_function must get a function name argument");
    if (r.callback == 0)
      return RaiseError(L, "redis.register_function must get a callback argument");
  } else if (argc == 2) {
    if (!lua_isstring(L, 1))
      return RaiseError(L, "first argument to redis.register_function must be a string");
    if (!lua_isfunction(L, 2)) {
      return RaiseError(L, "second argument to redis.register_function must be a function");
    }
    r.name = lua_tostring(L, 1);
    r.callback = 2;
  } else {
    return RaiseError(L, "wrong number of arguments to redis.register_function");
  }
  if (!IsValidFunctionName(r.name))
    return RaiseError(L, std::string("-") + std::string(kInvalidNameError));
  for (const Function& f : loading->functions) {
    if (f.name == r.name) return RaiseError(L, "Function already exists in the library");
  }
  Function function;
  function.name = r.name;
  function.description = r.description;
  function.has_description = r.has_description;
  function.flags = r.flags;
  function.library = loading->library;
  lua_pushvalue(L, r.callback);
  function.ref = luaL_ref(L, LUA_REGISTRYINDEX);
  loading->functions.push_back(std::move(function));
  return 0;
}

void SetFunction(lua_State* L, LuaEngine* engine, const char* name, lua_CFunction f) {
  lua_pushlightuserdata(L, engine);
  lua_pushcclosure(L, f, 1);
  lua_setfield(L, -2, name);
}

void SetNumber(lua_State* L, const char* name, lua_Number value) {
  lua_pushnumber(L, value);
  lua_setfield(L, -2, name);
}

// What both tables have: redis.log, its levels and the version.
void SetCommon(lua_State* L, LuaEngine* engine) {
  SetFunction(L, engine, "log", Log);
  SetNumber(L, "LOG_DEBUG", 0);
  SetNumber(L, "LOG_VERBOSE", 1);
  SetNumber(L, "LOG_NOTICE", 2);
  SetNumber(L, "LOG_WARNING", 3);
  lua_pushlstring(L, kRedisVersion.data(), kRedisVersion.size());
  lua_setfield(L, -2, "REDIS_VERSION");
  SetNumber(L, "REDIS_VERSION_NUM", kRedisVersionNum);
}

}  // namespace

void PushRuntimeRedisTable(lua_State* L, LuaEngine* engine) {
  lua_newtable(L);
  SetFunction(L, engine, "call", Call);
  SetFunction(L, engine, "pcall", Pcall);
  SetFunction(L, engine, "sha1hex", Sha1hex);
  SetFunction(L, engine, "error_reply", ErrorReply);
  SetFunction(L, engine, "status_reply", StatusReply);
  SetFunction(L, engine, "setresp", Setresp);
  SetFunction(L, engine, "set_repl", SetRepl);
  SetFunction(L, engine, "replicate_commands", ReplicateCommands);
  SetFunction(L, engine, "breakpoint", Breakpoint);
  SetFunction(L, engine, "debug", Debug);
  SetFunction(L, engine, "acl_check_cmd", AclCheckCmd);
  SetCommon(L, engine);
  SetNumber(L, "REPL_NONE", 0);
  SetNumber(L, "REPL_AOF", 1);
  SetNumber(L, "REPL_SLAVE", 2);
  SetNumber(L, "REPL_REPLICA", 2);
  SetNumber(L, "REPL_ALL", 3);
}

void PushLoadRedisTable(lua_State* L, LuaEngine* engine) {
  lua_newtable(L);
  SetFunction(L, engine, "register_function", RegisterFunction);
  SetCommon(L, engine);
}

}  // namespace emberkv::scripting::internal
