// LuaEngine: one sandboxed Lua state, the scripts and function libraries
// compiled into it, and the running of them. The server makes one per event
// loop; nothing here is shared between threads except RequestKill().
//
// The Lua is Debian's Lua 5.1, the version Redis 7.0 embeds (scripting/README.md
// says why not LuaJIT), so scripts see Redis's semantics. The sandbox
// is Redis 7.0.15's: the globals, the library tables and the string
// metatable are read-only; reading an undefined global raises "Script
// attempted to access nonexistent global variable 'x'"; os, io, require,
// package, loadfile, dofile, print, setfenv, getfenv, newproxy and debug are
// absent; load and loadstring refuse bytecode. Every byte of the state is
// allocated through a counter that refuses to grow past
// EngineOptions::memory_limit: the script gets "not enough memory", the
// server stays up.
//
// A run is EVAL/EVALSHA (RunScript, KEYS and ARGV as globals) or FCALL
// (RunFunction, keys and args as the callback's arguments). Its reply,
// including error replies, is appended in the client's protocol; while it
// runs, redis.call goes to the ScriptHost.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "protocol/reply_builder.h"
#include "scripting/result.h"
#include "scripting/script_host.h"

struct lua_State;

namespace emberkv::scripting {

inline constexpr std::string_view kRedisVersion = "7.0.15";
inline constexpr int kRedisVersionNum = 0x07000f;

struct EngineOptions {
  size_t memory_limit = 0;                         // bytes of Lua heap; 0: unlimited
  std::chrono::milliseconds busy_threshold{5000};  // busy-reply-threshold
  std::chrono::milliseconds load_timeout{500};     // FUNCTION LOAD's top-level code
  int hook_instructions = 100000;                  // how often the hook looks at the clock
};

// An EVAL body in the script cache.
struct Script {
  std::string sha;   // 40 lowercase hex digits
  std::string body;  // as the client sent it
  uint32_t flags = 0;
  bool has_shebang = false;
  int ref = 0;  // the compiled function, in the Lua registry
};

struct Function {
  std::string name;
  std::string description;  // empty when none was given
  bool has_description = false;
  uint32_t flags = 0;
  std::string library;
  int ref = 0;
};

struct Library {
  std::string name;
  std::string code;                    // as loaded (FUNCTION LIST WITHCODE)
  std::vector<std::string> functions;  // in registration order
};

// The arguments of one EVAL or FCALL.
struct CallArgs {
  std::span<const std::string_view> keys;
  std::span<const std::string_view> args;
  protocol::RespVersion client_version = protocol::RespVersion::kResp2;
};

class LuaEngine {
 public:
  explicit LuaEngine(EngineOptions options = {});
  ~LuaEngine();
  LuaEngine(const LuaEngine&) = delete;
  LuaEngine& operator=(const LuaEngine&) = delete;

  // ---- EVAL scripts ----
  // Parses the shebang and compiles `body` (once: a body already cached is
  // returned as it is). Errors: the shebang's, "ERR Error compiling script
  // (new function): user_script:1: ...", or the memory limit's.
  Result<const Script*> LoadScript(std::string_view body);
  const Script* FindScript(std::string_view sha) const;
  void FlushScripts();
  size_t script_count() const { return scripts_.size(); }
  // Bytes the cache holds outside the Lua heap (bodies and bookkeeping).
  size_t scripts_memory() const { return scripts_memory_; }

  // Runs a cached script: KEYS and ARGV are set, and its reply (or error
  // reply) is appended to *reply in call.client_version.
  void RunScript(const Script& script, const CallArgs& call, ScriptHost& host, std::string* reply);

  // ---- FUNCTION libraries ----
  // FUNCTION LOAD [REPLACE]: runs the library's code, which registers its
  // functions with redis.register_function. Returns the library's name.
  // `host` receives the redis.log calls of the library's top-level code.
  Result<std::string> LoadLibrary(std::string_view code, bool replace, ScriptHost* host = nullptr);
  bool DeleteLibrary(std::string_view name);
  void FlushLibraries();
  const std::map<std::string, Library, std::less<>>& libraries() const { return libraries_; }
  const Function* FindFunction(std::string_view name) const;

  void RunFunction(const Function& function, const CallArgs& call, ScriptHost& host,
                   std::string* reply);

  // ---- Runaway scripts ----
  // Any thread: the running script (if any) stops at its next hook with
  // "ERR Script killed by user with SCRIPT KILL...", and cannot catch it.
  // The caller decides whether a kill is allowed (a script that wrote is not).
  void RequestKill() { kill_requested_.store(true, std::memory_order_relaxed); }
  bool running() const { return run_ != nullptr; }
  // The running script's SHA or function name, for SCRIPT KILL / FUNCTION KILL.
  const std::string& running_name() const;
  bool running_function() const;

  // ---- Memory ----
  size_t lua_memory() const;  // used_memory_vm_eval / used_memory_vm_functions
  void CollectGarbage();      // a full collection (SCRIPT FLUSH, tests, benchmarks)
  size_t memory_limit() const;
  const EngineOptions& options() const { return options_; }

  struct Run;      // the state of one call (internal)
  struct Loading;  // the state of one FUNCTION LOAD (internal)
  struct Heap;     // the counting allocator (internal)

 private:
  void Call(int function_ref, const std::string& name, bool is_function, const CallArgs& call,
            ScriptHost& host, std::string* reply);
  Result<std::string> CompileChunk(std::string_view code, const char* chunk_name, int* ref);
  void Unref(int ref);
  void CollectIfCrowded();

  EngineOptions options_;
  std::unique_ptr<Heap> heap_;
  lua_State* lua_ = nullptr;
  std::unordered_map<std::string, Script> scripts_;
  size_t scripts_memory_ = 0;
  std::map<std::string, Library, std::less<>> libraries_;
  std::unordered_map<std::string, Function> functions_;
  Run* run_ = nullptr;                // the call in progress, if any
  std::unique_ptr<Run> run_storage_;  // reused by every call (its buffers keep their capacity)
  Loading* loading_ = nullptr;
  std::atomic<bool> kill_requested_{false};
  int calls_since_gc_ = 0;

  friend struct EngineAccess;
};

}  // namespace emberkv::scripting
