// Scripting: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO, SCRIPT ..., FUNCTION ...,
// FCALL and FCALL_RO, over the scripting library (scripting/README.md).
//
// Each loop runs scripts in its own Lua state (scripting/loop_scripts.h);
// SCRIPT LOAD, EVAL and FUNCTION LOAD put the code in the server-wide
// ScriptRegistry, from which every loop compiles it when it first needs it.
//
// Atomicity: the executor has locked the shards of the declared keys (EVAL's
// and FCALL's key specs name them) before the handler starts; the handler
// pins them for the run, so every redis.call runs under them. A script that
// reaches a key on a shard it does not hold is handled by the host
// (server_script_host.h): it starts over with every shard locked if it has
// not written yet, else takes the shard if the lock order allows or fails
// the call; and from then on that script runs with every shard locked on
// this loop. Inside MULTI the EXEC holds every shard (kCmdVisitsShards).
#include <string>
#include <vector>

#include "base/numbers.h"
#include "scripting/lua_engine.h"
#include "scripting/script_source.h"
#include "scripting/sha1.h"
#include "server/command_table.h"
#include "server/commands/help.h"
#include "server/engine/engine.h"
#include "server/engine/memory_limit.h"
#include "server/engine/worker.h"
#include "server/errors.h"
#include "server/scripting/function_dump.h"
#include "server/scripting/loop_scripts.h"
#include "server/scripting/server_script_host.h"
#include "server/util/ascii.h"
#include "storage/glob.h"

namespace emberkv::server {
namespace {

// numkeys of EVAL and FCALL, with Redis's errors; `not_integer` differs
// (EVAL: the generic text, FCALL: "Bad number of keys provided").
bool ParseNumKeys(CommandContext& c, std::string_view not_integer, size_t* numkeys) {
  int64_t n = 0;
  if (!base::ParseInt64(c.args[2], &n)) {
    c.reply.Error(not_integer);
    return false;
  }
  if (n > static_cast<int64_t>(c.args.size()) - 3) {
    c.reply.Error(errors::kNumKeysTooMany);
    return false;
  }
  if (n < 0) {
    c.reply.Error(errors::kNumKeysNegative);
    return false;
  }
  *numkeys = static_cast<size_t>(n);
  return true;
}

// Brings a change of the loop's Lua heap (a script ran, a library loaded)
// into its shard's memory count: scripts' memory is in used_memory and
// under maxmemory, as client buffers are.
void CountLuaHeap(CommandContext& c, LoopScripts& loop) {
  if (int64_t change = loop.TakeHeapChange()) c.engine().AccountLuaBytes(c.worker.id(), change);
}

// Runs `run(host, &reply)` atomically over the declared keys' shards (or
// every shard, for scripts known to reach further), starting over with
// every shard locked when the host asks to. `lock_name` is the name under
// which the loop remembers scripts that need every shard.
template <class Run>
void RunAtomically(CommandContext& c, LoopScripts& loop, const ScriptRunOptions& options,
                   std::string_view lock_name, Run&& run) {
  ShardLocks& locks = c.shards;
  Client& client = *c.client;
  const bool was_pinned = locks.pinned();  // inside EXEC: every shard is held
  if (!was_pinned && loop.locks_all(lock_name)) locks.Acquire(locks.keyspace().all());
  if (!was_pinned) locks.Pin();
  // SELECT inside a script changes the database for the rest of the script
  // only, as in Redis 7.
  const int db = client.db();
  std::string reply;
  for (int attempt = 0; attempt < 2; ++attempt) {
    reply.clear();
    client.set_db(db);
    ServerScriptHost host(c, loop, options);
    run(host, &reply);
    if (host.touched_undeclared()) loop.set_locks_all(lock_name);
    if (!host.restart_requested() || was_pinned) break;
    locks.Unpin();
    locks.Acquire(locks.keyspace().all());
    locks.Pin();
  }
  client.set_db(db);
  if (!was_pinned) locks.Unpin();
  CountLuaHeap(c, loop);
  c.reply.Raw(reply);
}

// The checks Redis makes before a script runs (scriptPrepareForRun), for a
// script with a shebang or a function; `read_only_command`: *_RO. One that
// may write and did not say allow-oom is refused while the shards of its
// keys (any shard, for a keyless one) stay over their limit after eviction,
// with the OOM error of any deny-oom command: Redis counts such a script
// as one (its flags make EVAL's), and refuses it before it starts.
bool AdmitFlags(CommandContext& c, uint32_t flags, bool read_only_command) {
  if (!(flags & scripting::kFlagNoWrites) && read_only_command) {
    c.reply.Error(errors::kWriteFlagWithRo);
    return false;
  }
  if (!(flags & (scripting::kFlagNoWrites | scripting::kFlagAllowOom)) &&
      c.engine().config().maxmemory != 0 && OutOfMemoryAfterEviction(c.shards, c.shards.held())) {
    c.reply.Error(errors::kOutOfMemory);
    return false;
  }
  return true;
}

void RunEval(CommandContext& c, const scripting::Script& script, bool read_only_command) {
  size_t numkeys = 0;
  if (!ParseNumKeys(c, errors::kNotInteger, &numkeys)) return;
  if (script.has_shebang && !AdmitFlags(c, script.flags, read_only_command)) return;
  const bool read_only =
      read_only_command || (script.has_shebang && (script.flags & scripting::kFlagNoWrites));
  ArgList keys = c.args.subspan(3, numkeys);
  ArgList argv = c.args.subspan(3 + numkeys);
  scripting::CallArgs call{keys, argv, c.client->resp()};
  LoopScripts& loop = c.worker.scripts();
  RunAtomically(c, loop, {.read_only = read_only, .is_function = false, .name = script.sha},
                script.sha, [&](ServerScriptHost& host, std::string* reply) {
                  loop.engine().RunScript(script, call, host, reply);
                });
}

template <bool kReadOnly>
void Eval(CommandContext& c) {
  LoopScripts& loop = c.worker.scripts();
  loop.SyncScripts();
  const size_t known = loop.engine().script_count();
  scripting::Result<const scripting::Script*> script = loop.engine().LoadScript(c.args[1]);
  if (!script.ok()) return c.reply.Error(script.error());
  // Redis's EVAL adds the body to the script cache: EVALSHA works after it,
  // on any loop. A body this loop had compiled is there already (a SCRIPT
  // FLUSH since would have emptied this loop's cache too).
  if (loop.engine().script_count() != known) {
    c.engine().scripts().AddScript(script.value()->sha, script.value()->body);
  }
  RunEval(c, *script.value(), kReadOnly);
}

template <bool kReadOnly>
void EvalSha(CommandContext& c) {
  // A SHA of another length cannot match (Redis answers at once too).
  if (c.args[1].size() != 40) return c.reply.Error(errors::kNoScript);
  LoopScripts& loop = c.worker.scripts();
  char sha[40];  // lower case, as the registry keeps them; on the stack: every call does this
  for (size_t i = 0; i < sizeof(sha); ++i) sha[i] = AsciiLower(c.args[1][i]);
  const scripting::Script* script = loop.FindScript(std::string_view(sha, sizeof(sha)));
  if (script == nullptr) return c.reply.Error(errors::kNoScript);
  RunEval(c, *script, kReadOnly);
}

template <bool kReadOnly>
void FCall(CommandContext& c) {
  LoopScripts& loop = c.worker.scripts();
  loop.SyncLibraries();
  const scripting::Function* function = loop.engine().FindFunction(c.args[1]);
  if (function == nullptr) return c.reply.Error(errors::kNoSuchFunction);
  size_t numkeys = 0;
  if (!ParseNumKeys(c, "ERR Bad number of keys provided", &numkeys)) return;
  if (!AdmitFlags(c, function->flags, kReadOnly)) return;
  const bool read_only = kReadOnly || (function->flags & scripting::kFlagNoWrites);
  ArgList keys = c.args.subspan(3, numkeys);
  ArgList argv = c.args.subspan(3 + numkeys);
  scripting::CallArgs call{keys, argv, c.client->resp()};
  // Functions are remembered by name: a library replaced by another of the
  // same name keeps the memory, which costs only locking.
  std::string lock_name = "function:" + function->name;
  RunAtomically(c, loop, {.read_only = read_only, .is_function = true, .name = function->name},
                lock_name, [&](ServerScriptHost& host, std::string* reply) {
                  loop.engine().RunFunction(*function, call, host, reply);
                });
}

// ---- SCRIPT ----

void ScriptLoad(CommandContext& c) {
  LoopScripts& loop = c.worker.scripts();
  loop.SyncScripts();
  scripting::Result<const scripting::Script*> script = loop.engine().LoadScript(c.args[2]);
  if (!script.ok()) return c.reply.Error(script.error());
  c.engine().scripts().AddScript(script.value()->sha, script.value()->body);
  CountLuaHeap(c, loop);
  c.reply.Bulk(script.value()->sha);
}

void ScriptExists(CommandContext& c) {
  ScriptRegistry& registry = c.engine().scripts();
  c.reply.ArrayHeader(c.args.size() - 2);
  for (size_t i = 2; i < c.args.size(); ++i)
    c.reply.Integer(registry.HasScript(AsciiLowered(c.args[i])));
}

// FLUSH's optional mode, with the texts of SCRIPT and FUNCTION (which
// differ by one letter). Both flush at once: bodies are small.
bool FlushModeOk(CommandContext& c, std::string_view error) {
  if (c.args.size() == 2) return true;
  if (c.args.size() == 3 &&
      (EqualsIgnoreCase(c.args[2], "sync") || EqualsIgnoreCase(c.args[2], "async"))) {
    return true;
  }
  c.reply.Error(error);
  return false;
}

void ScriptFlush(CommandContext& c) {
  if (!FlushModeOk(c, "ERR SCRIPT FLUSH only support SYNC|ASYNC option")) return;
  c.engine().scripts().FlushScripts();
  c.worker.scripts().SyncScripts();
  CountLuaHeap(c, c.worker.scripts());
  c.reply.Ok();
}

void ScriptKill(CommandContext& c) {
  std::string_view result = c.engine().scripts().Kill(/*is_eval=*/true);
  if (result == "OK") return c.reply.Ok();
  c.reply.Error(result);
}

void ScriptHelp(CommandContext& c) {
  ReplyHelp(
      c.reply, "SCRIPT",
      {"EXISTS <sha1> [<sha1> ...]",
       "    Return information about the existence of the scripts in the script cache.",
       "FLUSH [ASYNC|SYNC]", "    Flush the Lua scripts cache. Very dangerous on replicas.",
       "    When called without the optional mode argument, the behavior is determined by the",
       "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
       "    * ASYNC: Asynchronously flush the scripts cache.",
       "    * SYNC: Synchronously flush the scripts cache.", "KILL",
       "    Kill the currently executing Lua script.", "LOAD <script>",
       "    Load a script into the scripts cache without executing it."});
}

// ---- FUNCTION ----

void FunctionLoad(CommandContext& c) {
  bool replace = false;
  size_t pos = 2;
  for (; pos + 1 < c.args.size(); ++pos) {
    if (!EqualsIgnoreCase(c.args[pos], "replace")) {
      return c.reply.Error("ERR Unknown option given: " + std::string(c.args[pos]));
    }
    replace = true;
  }
  if (pos >= c.args.size()) return c.reply.Error("ERR Function code is missing");
  std::string_view code = c.args[pos];
  ScriptRegistry& registry = c.engine().scripts();
  LoopScripts& loop = c.worker.scripts();
  // Checked and compiled here, under the registry's lock, against the
  // libraries every loop will have: two loads cannot both pass.
  std::lock_guard lock(registry.libraries_mutex());
  loop.ReloadLibrariesLocked();
  scripting::Result<std::string> name = loop.engine().LoadLibrary(code, replace);
  if (!name.ok()) return c.reply.Error(name.error());
  registry.PutLibrary(name.value(), std::string(code));
  loop.ReloadLibrariesLocked();
  // What the load left behind is garbage: the heap counted against
  // maxmemory is what the libraries keep.
  loop.engine().CollectGarbage();
  CountLuaHeap(c, loop);
  c.reply.Bulk(name.value());
}

void FunctionDelete(CommandContext& c) {
  ScriptRegistry& registry = c.engine().scripts();
  std::lock_guard lock(registry.libraries_mutex());
  if (!registry.DeleteLibrary(c.args[2])) return c.reply.Error(errors::kNoSuchLibrary);
  c.reply.Ok();
}

void FunctionFlush(CommandContext& c) {
  if (c.args.size() > 3) return c.reply.Error(errors::SubcommandSyntax(c.args[1], "function"));
  if (!FlushModeOk(c, "ERR FUNCTION FLUSH only supports SYNC|ASYNC option")) return;
  ScriptRegistry& registry = c.engine().scripts();
  std::lock_guard lock(registry.libraries_mutex());
  registry.FlushLibraries();
  c.reply.Ok();
}

void FunctionList(CommandContext& c) {
  bool with_code = false;
  std::optional<std::string_view> pattern;
  for (size_t i = 2; i < c.args.size(); ++i) {
    if (!with_code && EqualsIgnoreCase(c.args[i], "withcode")) {
      with_code = true;
      continue;
    }
    if (!pattern && EqualsIgnoreCase(c.args[i], "libraryname")) {
      if (i + 1 >= c.args.size()) return c.reply.Error("ERR library name argument was not given");
      pattern = c.args[++i];
      continue;
    }
    return c.reply.Error("ERR Unknown argument " + std::string(c.args[i]));
  }
  LoopScripts& loop = c.worker.scripts();
  loop.SyncLibraries();
  const scripting::LuaEngine& engine = loop.engine();
  std::vector<const scripting::Library*> listed;
  for (const auto& [name, library] : engine.libraries()) {
    if (!pattern || storage::GlobMatch(*pattern, name, /*nocase=*/true)) listed.push_back(&library);
  }
  c.reply.ArrayHeader(listed.size());
  for (const scripting::Library* library : listed) {
    c.reply.MapHeader(with_code ? 4 : 3);
    c.reply.Bulk("library_name");
    c.reply.Bulk(library->name);
    c.reply.Bulk("engine");
    c.reply.Bulk("LUA");
    c.reply.Bulk("functions");
    c.reply.ArrayHeader(library->functions.size());
    for (const std::string& function_name : library->functions) {
      const scripting::Function* function = engine.FindFunction(function_name);
      c.reply.MapHeader(3);
      c.reply.Bulk("name");
      c.reply.Bulk(function_name);
      c.reply.Bulk("description");
      if (function && function->has_description) {
        c.reply.Bulk(function->description);
      } else {
        c.reply.Null();
      }
      c.reply.Bulk("flags");
      uint32_t flags = function ? function->flags : 0;
      std::vector<std::string_view> names;
      std::string joined = scripting::ScriptFlagNames(flags, ' ');
      for (size_t start = 0; start < joined.size();) {
        size_t end = joined.find(' ', start);
        if (end == std::string::npos) end = joined.size();
        if (end > start) names.push_back(std::string_view(joined).substr(start, end - start));
        start = end + 1;
      }
      c.reply.SetHeader(names.size());
      for (std::string_view flag : names) c.reply.SimpleString(flag);
    }
    if (with_code) {
      c.reply.Bulk("library_code");
      c.reply.Bulk(library->code);
    }
  }
}

void FunctionStats(CommandContext& c) {
  LoopScripts& loop = c.worker.scripts();
  loop.SyncLibraries();
  c.reply.MapHeader(2);
  c.reply.Bulk("running_script");
  std::optional<ScriptRegistry::Busy> busy = c.engine().scripts().busy();
  if (!busy) {
    c.reply.Null();
  } else {
    c.reply.MapHeader(3);
    c.reply.Bulk("name");
    c.reply.Bulk(busy->name);
    c.reply.Bulk("command");
    c.reply.ArrayHeader(busy->command.size());
    for (const std::string& arg : busy->command) c.reply.Bulk(arg);
    c.reply.Bulk("duration_ms");
    c.reply.Integer(c.worker.now_ms() - busy->start_ms);
  }
  size_t functions = 0;
  for (const auto& [name, library] : loop.engine().libraries())
    functions += library.functions.size();
  c.reply.Bulk("engines");
  c.reply.MapHeader(1);
  c.reply.Bulk("LUA");
  c.reply.MapHeader(2);
  c.reply.Bulk("libraries_count");
  c.reply.Integer(static_cast<int64_t>(loop.engine().libraries().size()));
  c.reply.Bulk("functions_count");
  c.reply.Integer(static_cast<int64_t>(functions));
}

void FunctionKill(CommandContext& c) {
  std::string_view result = c.engine().scripts().Kill(/*is_eval=*/false);
  if (result == "OK") return c.reply.Ok();
  c.reply.Error(result);
}

void FunctionDump(CommandContext& c) {
  ScriptRegistry& registry = c.engine().scripts();
  std::lock_guard lock(registry.libraries_mutex());
  c.reply.Bulk(DumpFunctions(registry.libraries()));
}

// FUNCTION RESTORE payload [FLUSH|APPEND|REPLACE]: all or nothing, checked
// on this loop's engine against what the libraries would become.
void FunctionRestore(CommandContext& c) {
  enum class Policy { kAppend, kReplace, kFlush } policy = Policy::kAppend;
  if (c.args.size() > 4) return c.reply.Error(errors::kSyntax);
  if (c.args.size() == 4) {
    if (EqualsIgnoreCase(c.args[3], "append")) {
      policy = Policy::kAppend;
    } else if (EqualsIgnoreCase(c.args[3], "replace")) {
      policy = Policy::kReplace;
    } else if (EqualsIgnoreCase(c.args[3], "flush")) {
      policy = Policy::kFlush;
    } else {
      return c.reply.Error(
          "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.");
    }
  }
  std::vector<std::string> codes;
  if (std::optional<std::string> error = ParseFunctionDump(c.args[2], &codes)) {
    return c.reply.Error(*error);
  }
  ScriptRegistry& registry = c.engine().scripts();
  LoopScripts& loop = c.worker.scripts();
  std::lock_guard lock(registry.libraries_mutex());
  // Try the result on a scratch engine first, so that a failure changes
  // nothing anywhere.
  scripting::LuaEngine scratch(loop.engine().options());
  std::map<std::string, std::string, std::less<>> result;
  if (policy != Policy::kFlush) {
    for (const auto& [name, code] : registry.libraries()) {
      (void)scratch.LoadLibrary(code, false);
      result[name] = code;
    }
  }
  for (const std::string& code : codes) {
    // Redis's text for a collision here has no quotes (FUNCTION LOAD's has).
    scripting::Result<scripting::LibrarySource> source = scripting::ParseLibrarySource(code);
    if (policy == Policy::kAppend && source.ok() && result.contains(source.value().name)) {
      return c.reply.Error("ERR Library " + source.value().name + " already exists");
    }
    scripting::Result<std::string> name = scratch.LoadLibrary(code, policy == Policy::kReplace);
    if (!name.ok()) return c.reply.Error(name.error());
    result[name.value()] = code;
  }
  registry.FlushLibraries();
  for (auto& [name, code] : result) registry.PutLibrary(name, std::move(code));
  loop.ReloadLibrariesLocked();
  c.reply.Ok();
}

void FunctionHelp(CommandContext& c) {
  ReplyHelp(
      c.reply, "FUNCTION",
      {"LOAD [REPLACE] <FUNCTION CODE>",
       "    Create a new library with the given library name and code.",
       "DELETE <LIBRARY NAME>",
       "    Delete the given library.",
       "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
       "    Return general information on all the libraries:",
       "    * Library name",
       "    * The engine used to run the Library",
       "    * Library description",
       "    * Functions list",
       "    * Library code (if WITHCODE is given)",
       "    It also possible to get only function that matches a pattern using LIBRARYNAME "
       "argument.",
       "STATS",
       "    Return information about the current function running:",
       "    * Function name",
       "    * Command used to run the function",
       "    * Duration in MS that the function is running",
       "    If no function is running, return nil",
       "    In addition, returns a list of available engines.",
       "KILL",
       "    Kill the current running function.",
       "FLUSH [ASYNC|SYNC]",
       "    Delete all the libraries.",
       "    When called without the optional mode argument, the behavior is determined by the",
       "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
       "    * ASYNC: Asynchronously flush the libraries.",
       "    * SYNC: Synchronously flush the libraries.",
       "DUMP",
       "    Return a serialized payload representing the current libraries, can be restored using "
       "FUNCTION RESTORE command",
       "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
       "    Restore the libraries represented by the given payload, it is possible to give a "
       "restore "
       "policy to",
       "    control how to handle existing libraries (default APPEND):",
       "    * FLUSH: delete all existing libraries.",
       "    * APPEND: appends the restored libraries to the existing libraries. On collision, "
       "abort.",
       "    * REPLACE: appends the restored libraries to the existing libraries, On collision, "
       "replace the old",
       "      libraries with the new libraries (notice that even on this option there is a chance "
       "of failure",
       "      in case of functions name collision with another library)."});
}

}  // namespace

void RegisterScriptingCommands(CommandTable& table) {
  // EXEC takes every shard when it queued a script (kCmdVisitsShards): a
  // script may reach keys it did not declare, and inside EXEC it cannot
  // start over with more locks.
  constexpr uint32_t kRunsScript = kCmdVisitsShards;
  table.Register({
      {.name = "eval", .handler = Eval<false>, .flags = kRunsScript},
      {.name = "eval_ro", .handler = Eval<true>, .flags = kRunsScript},
      {.name = "evalsha", .handler = EvalSha<false>, .flags = kRunsScript},
      {.name = "evalsha_ro", .handler = EvalSha<true>, .flags = kRunsScript},
      {.name = "fcall", .handler = FCall<false>, .flags = kRunsScript},
      {.name = "fcall_ro", .handler = FCall<true>, .flags = kRunsScript},
      {.name = "script",
       .subcommands = {{.name = "script|load", .handler = ScriptLoad},
                       {.name = "script|exists", .handler = ScriptExists},
                       {.name = "script|flush", .handler = ScriptFlush},
                       {.name = "script|kill", .handler = ScriptKill},
                       {.name = "script|help", .handler = ScriptHelp}}},
      {.name = "function",
       .subcommands = {{.name = "function|load", .handler = FunctionLoad},
                       {.name = "function|delete", .handler = FunctionDelete},
                       {.name = "function|flush", .handler = FunctionFlush},
                       {.name = "function|list", .handler = FunctionList},
                       {.name = "function|dump", .handler = FunctionDump},
                       {.name = "function|restore", .handler = FunctionRestore},
                       {.name = "function|stats", .handler = FunctionStats},
                       {.name = "function|kill", .handler = FunctionKill},
                       {.name = "function|help", .handler = FunctionHelp}}},
  });
}

}  // namespace emberkv::server
