#include "scripting/lua_engine.h"

#include <cstdlib>
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

namespace emberkv::scripting {

using internal::EngineOf;

// Every allocation of the state goes through here. Growth past the limit
// fails (Lua raises "not enough memory" in the script); shrinking and freeing
// never fail, as Lua requires.
struct LuaEngine::Heap {
  size_t used = 0;   // bytes Lua holds, as it counts them
  size_t limit = 0;  // 0: none

  // Freed small blocks kept for reuse, by 16-byte size class, in lists
  // threaded through the blocks: every call of a script allocates and
  // frees a few small objects (its KEYS and ARGV tables, strings), and
  // malloc, realloc and free of them were 6% of a rate-limiter script's
  // instructions. A small block always holds at least its class's bytes;
  // each list keeps at most kKeptPerClass blocks (about 150 KB in all).
  static constexpr size_t kClassBytes = 16;
  static constexpr size_t kClasses = 8;  // blocks of up to 128 bytes
  static constexpr size_t kSmallBytes = kClassBytes * kClasses;
  static constexpr size_t kKeptPerClass = 256;
  void* free_blocks[kClasses] = {};
  size_t free_counts[kClasses] = {};

  ~Heap() {
    for (void* block : free_blocks) {
      while (block) {
        void* next = *static_cast<void**>(block);
        std::free(block);
        block = next;
      }
    }
  }

  static size_t ClassOf(size_t bytes) { return (bytes - 1) / kClassBytes; }

  void* TakeSmall(size_t bytes) {
    size_t c = ClassOf(bytes);
    if (void* block = free_blocks[c]) {
      free_blocks[c] = *static_cast<void**>(block);
      --free_counts[c];
      return block;
    }
    return std::malloc((c + 1) * kClassBytes);
  }
  void GiveSmall(void* block, size_t bytes) {
    size_t c = ClassOf(bytes);
    if (free_counts[c] == kKeptPerClass) return std::free(block);
    *static_cast<void**>(block) = free_blocks[c];
    free_blocks[c] = block;
    ++free_counts[c];
  }

  // lua_Alloc: Lua passes every block's size back (old_size), which is
  // what lets small blocks go back to their class.
  static void* Allocate(void* self, void* block, size_t old_size, size_t new_size) {
    auto* heap = static_cast<Heap*>(self);
    size_t old_bytes = block ? old_size : 0;
    if (new_size == 0) {
      if (block) old_bytes <= kSmallBytes ? heap->GiveSmall(block, old_bytes) : std::free(block);
      heap->used -= old_bytes;
      return nullptr;
    }
    if (new_size > old_bytes && heap->limit != 0 &&
        heap->used + (new_size - old_bytes) > heap->limit) {
      return nullptr;
    }
    void* result;
    if (block && old_bytes > kSmallBytes && new_size > kSmallBytes) {
      result = std::realloc(block, new_size);
    } else if (block && old_bytes <= kSmallBytes && new_size <= kSmallBytes &&
               ClassOf(new_size) <= ClassOf(old_bytes)) {
      result = block;  // it still fits its class's bytes
    } else {
      result = new_size <= kSmallBytes ? heap->TakeSmall(new_size) : std::malloc(new_size);
      if (result && block) {
        std::memcpy(result, block, old_bytes < new_size ? old_bytes : new_size);
        old_bytes <= kSmallBytes ? heap->GiveSmall(block, old_bytes) : std::free(block);
      }
    }
    if (result == nullptr) return nullptr;
    heap->used = heap->used - old_bytes + new_size;
    return result;
  }
};

namespace {

// Redis steps the collector every 50 calls (LUA_GC_CYCLE_PERIOD).
constexpr int kGcPeriod = 50;
// Bookkeeping of a cached script besides its body (hash node, strings, ref).
constexpr size_t kScriptOverhead = 160;

constexpr char kKilledError[] = "Script killed by user with SCRIPT KILL...";

// Registry keys of the C functions every call uses, made once: in Lua 5.1
// pushing a C function (and lua_cpcall) allocates a closure each time.
const char kErrorHandlerKey = 0;
const char kProtectedCallKey = 0;

void PushRegistered(lua_State* L, const char* key) {
  lua_pushlightuserdata(L, const_cast<char*>(key));
  lua_rawget(L, LUA_REGISTRYINDEX);
}

void Register(lua_State* L, const char* key, lua_CFunction function) {
  lua_pushlightuserdata(L, const_cast<char*>(key));
  lua_pushcfunction(L, function);
  lua_rawset(L, LUA_REGISTRYINDEX);
}
constexpr char kLoadTimeoutError[] = "FUNCTION LOAD timeout";

// Pushes a table of strings (KEYS, ARGV, or a function's keys and args).
void PushStrings(lua_State* L, std::span<const std::string_view> values) {
  lua_createtable(L, static_cast<int>(values.size()), 0);
  for (size_t i = 0; i < values.size(); i++) {
    lua_pushlstring(L, values[i].data(), values[i].size());
    lua_rawseti(L, -2, static_cast<int>(i + 1));
  }
}

void SetGlobal(lua_State* L, const char* name) {  // value on top, popped
  lua_pushlightuserdata(L, const_cast<char*>(&internal::kGlobalsKey));
  lua_rawget(L, LUA_REGISTRYINDEX);
  lua_pushstring(L, name);
  lua_pushvalue(L, -3);
  lua_rawset(L, -3);
  lua_pop(L, 2);
}

// The error reply of a failed call, from what the error handler made of it:
// "<err> script: <name>, on <source>:<line>." as Redis 7.0 words it.
void AppendError(lua_State* L, protocol::ReplyBuilder& out, const std::string& name) {
  if (lua_istable(L, -1)) {
    lua_getfield(L, -1, "err");
    lua_getfield(L, -2, "source");
    lua_getfield(L, -3, "line");
    if (lua_type(L, -3) == LUA_TSTRING) {
      std::string text = lua_tostring(L, -3);
      if (lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TNUMBER) {
        text += " script: " + name + ", on " + lua_tostring(L, -2) + ":" +
                std::to_string(static_cast<long long>(lua_tonumber(L, -1))) + ".";
      }
      out.Error(text);
      lua_pop(L, 4);
      return;
    }
    lua_pop(L, 3);
  }
  // Errors the handler never saw (memory errors) are plain strings.
  const char* what = lua_tostring(L, -1);
  std::string detail = what ? std::string(what).substr(0, 100) : "unknown error";
  out.Error("ERR Error running script " + name + ", " + detail);
  lua_pop(L, 1);
}

// One call, run in protected mode so that even a memory error while setting
// up or converting becomes an error reply. Argument: the Frame.
struct Frame {
  LuaEngine* engine;
  int ref;
  const std::string* name;
  bool is_function;
  const CallArgs* call;
  std::string* reply;
  protocol::RespVersion* lua_resp;
  bool collect;
};

int ProtectedCall(lua_State* L) {
  auto* frame = static_cast<Frame*>(lua_touserdata(L, 1));
  lua_settop(L, 0);
  PushRegistered(L, &kErrorHandlerKey);
  lua_rawgeti(L, LUA_REGISTRYINDEX, frame->ref);
  int argc = 0;
  if (frame->is_function) {
    PushStrings(L, frame->call->keys);
    PushStrings(L, frame->call->args);
    argc = 2;
  } else {
    PushStrings(L, frame->call->keys);
    SetGlobal(L, "KEYS");
    PushStrings(L, frame->call->args);
    SetGlobal(L, "ARGV");
  }
  int status = lua_pcall(L, argc, 1, 1);
  protocol::ReplyBuilder out(frame->reply, frame->call->client_version);
  if (status == 0) {
    internal::AppendReply(L, out, *frame->lua_resp);
  } else {
    AppendError(L, out, *frame->name);
  }
  if (!frame->is_function) {
    lua_pushnil(L);
    SetGlobal(L, "KEYS");
    lua_pushnil(L);
    SetGlobal(L, "ARGV");
  }
  if (frame->collect) lua_gc(L, LUA_GCSTEP, kGcPeriod);
  return 0;
}

// Compiles a chunk and keeps it in the registry. Argument: the Compile.
struct Compile {
  std::string_view code;
  const char* chunk_name;
  int ref = 0;
  std::string error;
};

int ProtectedCompile(lua_State* L) {
  auto* compile = static_cast<Compile*>(lua_touserdata(L, 1));
  if (internal::LoadText(L, compile->code.data(), compile->code.size(), compile->chunk_name) != 0) {
    compile->error = lua_tostring(L, -1);
    return 0;
  }
  compile->ref = luaL_ref(L, LUA_REGISTRYINDEX);
  return 0;
}

// Runs a library's top-level code. Argument: the Compile (ref: the chunk).
int ProtectedLoad(lua_State* L) {
  auto* compile = static_cast<Compile*>(lua_touserdata(L, 1));
  lua_settop(L, 0);
  PushRegistered(L, &kErrorHandlerKey);
  lua_rawgeti(L, LUA_REGISTRYINDEX, compile->ref);
  if (lua_pcall(L, 0, 0, 1) != 0) {
    if (lua_istable(L, -1)) lua_getfield(L, -1, "err");
    const char* what = lua_tostring(L, -1);
    compile->error = what ? what : "unknown error";
  }
  return 0;
}

// lua_gc in protected mode: a collection may allocate (Lua 5.1 resizes its
// string table), and an allocation refused outside a protected call would
// end the process. Argument: {what, data}.
int ProtectedGc(lua_State* L) {
  auto* request = static_cast<int*>(lua_touserdata(L, 1));
  lua_gc(L, request[0], request[1]);
  return 0;
}

void Collect(lua_State* L, int what, int data) {
  int request[2] = {what, data};
  if (lua_cpcall(L, ProtectedGc, request) != 0) lua_pop(L, 1);
}

void Raise(lua_State* L, const char* message) {
  internal::PushErrorTable(L, message);
  lua_error(L);
}

// The instruction hook: SCRIPT KILL, the busy threshold, FUNCTION LOAD's timeout.
void Hook(lua_State* L, lua_Debug*) {
  LuaEngine* engine = EngineOf(L);
  if (LuaEngine::Loading* loading = EngineAccess::loading(engine)) {
    if (std::chrono::steady_clock::now() > loading->deadline) {
      loading->timed_out = true;
      Raise(L, kLoadTimeoutError);
    }
    return;
  }
  LuaEngine::Run* run = EngineAccess::run(engine);
  if (run == nullptr) return;
  if (!run->killed) {
    bool kill = EngineAccess::kill_requested(engine);
    if (!kill) {
      auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - run->start);
      kill = elapsed >= EngineAccess::options(engine).busy_threshold &&
             run->host->OnBusy(elapsed) == BusyAction::kKill;
    }
    if (!kill) return;
    // From now on every line raises again, so that a pcall in the script
    // cannot swallow the kill.
    run->killed = true;
    lua_sethook(L, Hook, LUA_MASKCOUNT | LUA_MASKLINE, 1);
  }
  Raise(L, kKilledError);
}

}  // namespace

LuaEngine::LuaEngine(EngineOptions options)
    : options_(options), heap_(std::make_unique<Heap>()), run_storage_(std::make_unique<Run>()) {
  lua_ = lua_newstate(Heap::Allocate, heap_.get());
  if (lua_ == nullptr) std::abort();  // no memory for an empty state: nothing to serve with
  internal::BuildSandbox(lua_, this);
  // luaL_unref keeps its free list in registry[0]: created now, so that
  // releasing a reference later never allocates.
  lua_pushinteger(lua_, 0);
  lua_rawseti(lua_, LUA_REGISTRYINDEX, 0);
  Register(lua_, &kErrorHandlerKey, internal::ErrorHandler);
  Register(lua_, &kProtectedCallKey, ProtectedCall);
  lua_gc(lua_, LUA_GCCOLLECT, 0);
  heap_->limit = options_.memory_limit;
}

LuaEngine::~LuaEngine() {
  heap_->limit = 0;
  lua_close(lua_);
}

size_t LuaEngine::lua_memory() const { return heap_->used; }
size_t LuaEngine::memory_limit() const { return heap_->limit; }

const std::string& LuaEngine::running_name() const {
  static const std::string kNone;
  return run_ ? run_->name : kNone;
}
bool LuaEngine::running_function() const { return run_ && run_->is_function; }

void LuaEngine::CollectGarbage() { Collect(lua_, LUA_GCCOLLECT, 0); }

void LuaEngine::CollectIfCrowded() {
  // Lua 5.1 does not collect when an allocation fails: a script that ran
  // into the limit leaves its garbage, and the next one would fail too.
  if (heap_->limit != 0 && heap_->used > heap_->limit / 2) Collect(lua_, LUA_GCCOLLECT, 0);
}

Result<std::string> LuaEngine::CompileChunk(std::string_view code, const char* chunk_name,
                                            int* ref) {
  CollectIfCrowded();
  Compile compile{code, chunk_name, 0, {}};
  if (lua_cpcall(lua_, ProtectedCompile, &compile) != 0) {
    compile.error = lua_tostring(lua_, -1) ? lua_tostring(lua_, -1) : "not enough memory";
    lua_pop(lua_, 1);
  }
  if (!compile.error.empty()) return Result<std::string>::Error(compile.error);
  *ref = compile.ref;
  return std::string();
}

void LuaEngine::Unref(int ref) { luaL_unref(lua_, LUA_REGISTRYINDEX, ref); }

Result<const Script*> LuaEngine::LoadScript(std::string_view body) {
  using R = Result<const Script*>;
  std::string sha = Sha1Hex(body);
  if (auto it = scripts_.find(sha); it != scripts_.end()) return &it->second;
  Result<EvalSource> source = ParseEvalSource(body);
  if (!source.ok()) return R::Error(source.error());
  int ref = 0;
  Result<std::string> compiled = CompileChunk(source.value().code, "@user_script", &ref);
  if (!compiled.ok())
    return R::Error("ERR Error compiling script (new function): " + compiled.error());
  Script script;
  script.sha = sha;
  script.body = std::string(body);
  script.flags = source.value().flags;
  script.has_shebang = source.value().has_shebang;
  script.ref = ref;
  scripts_memory_ += body.size() + kScriptOverhead;
  auto [it, inserted] = scripts_.emplace(std::move(sha), std::move(script));
  return &it->second;
}

const Script* LuaEngine::FindScript(std::string_view sha) const {
  auto it = scripts_.find(std::string(sha));
  return it == scripts_.end() ? nullptr : &it->second;
}

void LuaEngine::FlushScripts() {
  for (auto& [sha, script] : scripts_) Unref(script.ref);
  scripts_.clear();
  scripts_memory_ = 0;
  Collect(lua_, LUA_GCCOLLECT, 0);
}

void LuaEngine::RunScript(const Script& script, const CallArgs& call, ScriptHost& host,
                          std::string* reply) {
  Call(script.ref, script.sha, false, call, host, reply);
}

void LuaEngine::RunFunction(const Function& function, const CallArgs& call, ScriptHost& host,
                            std::string* reply) {
  Call(function.ref, function.name, true, call, host, reply);
}

void LuaEngine::Call(int function_ref, const std::string& name, bool is_function,
                     const CallArgs& call, ScriptHost& host, std::string* reply) {
  protocol::ReplyBuilder out(reply, call.client_version);
  if (run_ != nullptr || loading_ != nullptr) {
    out.Error("ERR a script cannot run while another runs on the same engine");
    return;
  }
  CollectIfCrowded();
  Run& run = *run_storage_;
  run.host = &host;
  run.name = name;
  run.is_function = is_function;
  run.lua_resp = protocol::RespVersion::kResp2;
  run.killed = false;
  run.start = std::chrono::steady_clock::now();
  kill_requested_.store(false, std::memory_order_relaxed);
  run_ = &run;
  lua_sethook(lua_, Hook, LUA_MASKCOUNT, options_.hook_instructions);
  bool collect = ++calls_since_gc_ >= kGcPeriod;
  if (collect) calls_since_gc_ = 0;
  size_t start = reply->size();
  Frame frame{this, function_ref, &run.name, is_function, &call, reply, &run.lua_resp, collect};
  // lua_cpcall without its closure: the function is made once, and pushing
  // it and a light userdata does not allocate.
  PushRegistered(lua_, &kProtectedCallKey);
  lua_pushlightuserdata(lua_, &frame);
  if (lua_pcall(lua_, 1, 0, 0) != 0) {
    // Out of memory even for the error reply: say so plainly.
    reply->resize(start);
    out.Error("ERR Error running script " + name + ", not enough memory");
    lua_settop(lua_, 0);
  }
  lua_sethook(lua_, nullptr, 0, 0);
  run_ = nullptr;
  CollectIfCrowded();
}

Result<std::string> LuaEngine::LoadLibrary(std::string_view code, bool replace, ScriptHost* host) {
  using R = Result<std::string>;
  Result<LibrarySource> source = ParseLibrarySource(code);
  if (!source.ok()) return R::Error(source.error());
  const std::string& name = source.value().name;
  if (!replace && libraries_.count(name))
    return R::Error("ERR Library '" + name + "' already exists");
  if (run_ != nullptr || loading_ != nullptr)
    return R::Error("ERR FUNCTION LOAD while a script runs");

  int chunk = 0;
  Result<std::string> compiled = CompileChunk(source.value().code, "@user_function", &chunk);
  if (!compiled.ok()) return R::Error("ERR Error compiling function: " + compiled.error());

  Loading loading;
  loading.library = name;
  loading.host = host;
  loading.deadline = std::chrono::steady_clock::now() + options_.load_timeout;
  loading_ = &loading;
  internal::SetRedisTable(lua_, &internal::kLoadRedisKey);
  lua_sethook(lua_, Hook, LUA_MASKCOUNT, options_.hook_instructions);
  Compile run_chunk{{}, nullptr, chunk, {}};
  if (lua_cpcall(lua_, ProtectedLoad, &run_chunk) != 0) {
    run_chunk.error = "not enough memory";
    lua_settop(lua_, 0);
  }
  lua_sethook(lua_, nullptr, 0, 0);
  internal::SetRedisTable(lua_, &internal::kRuntimeRedisKey);
  loading_ = nullptr;
  Unref(chunk);

  auto discard = [&] {
    for (const Function& f : loading.functions) Unref(f.ref);
  };
  if (!run_chunk.error.empty()) {
    discard();
    return R::Error("ERR Error registering functions: " + run_chunk.error);
  }
  if (loading.functions.empty()) return R::Error("ERR No functions registered");
  for (const Function& f : loading.functions) {
    auto it = functions_.find(f.name);
    if (it != functions_.end() && it->second.library != name) {
      discard();
      return R::Error("ERR Function " + f.name + " already exists");
    }
  }
  DeleteLibrary(name);
  Library library;
  library.name = name;
  library.code = std::string(code);
  for (Function& f : loading.functions) {
    library.functions.push_back(f.name);
    std::string key = f.name;
    functions_.emplace(std::move(key), std::move(f));
  }
  libraries_.emplace(name, std::move(library));
  return name;
}

bool LuaEngine::DeleteLibrary(std::string_view name) {
  auto it = libraries_.find(name);
  if (it == libraries_.end()) return false;
  for (const std::string& function : it->second.functions) {
    auto f = functions_.find(function);
    if (f == functions_.end()) continue;
    Unref(f->second.ref);
    functions_.erase(f);
  }
  libraries_.erase(it);
  return true;
}

void LuaEngine::FlushLibraries() {
  for (auto& [name, f] : functions_) Unref(f.ref);
  functions_.clear();
  libraries_.clear();
  Collect(lua_, LUA_GCCOLLECT, 0);
}

const Function* LuaEngine::FindFunction(std::string_view name) const {
  auto it = functions_.find(std::string(name));
  return it == functions_.end() ? nullptr : &it->second;
}

}  // namespace emberkv::scripting
