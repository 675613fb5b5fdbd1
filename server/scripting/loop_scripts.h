// One loop's scripting: its own Lua state (scripting::LuaEngine) with the
// scripts and libraries it has compiled, kept in step with the server-wide
// ScriptRegistry, and the scripts it has learnt to run with every shard
// locked.
//
// Created on the loop's thread the first time the loop runs a script, and
// used only there (Worker::scripts()).
#pragma once

#include <absl/container/flat_hash_set.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "scripting/lua_engine.h"
#include "server/scripting/script_registry.h"
#include "server/util/ascii.h"

namespace emberkv::server {

class LoopScripts {
 public:
  LoopScripts(ScriptRegistry& registry, scripting::EngineOptions options);

  scripting::LuaEngine& engine() { return engine_; }

  // Drops compiled scripts after a SCRIPT FLUSH, recompiles the libraries
  // after a FUNCTION change on any loop.
  void SyncScripts();
  void SyncLibraries();
  // The libraries as the registry has them; the caller holds
  // registry.libraries_mutex().
  void ReloadLibrariesLocked();

  // The compiled script of `sha`, compiling the body the registry has;
  // nullptr when no loop knows it (NOSCRIPT). Errors of compilation are
  // impossible there: the body compiled when it was added.
  const scripting::Script* FindScript(std::string_view sha);

  // Scripts that reached a key outside the shards of their declared keys:
  // from then on they run with every shard locked (scripting_commands.cc).
  // How much the Lua heap grew (or shrank, < 0) since the last call: the
  // caller adds it to the loop's shard's memory count.
  int64_t TakeHeapChange();

  bool locks_all(std::string_view sha) const { return lock_all_.contains(ToAbsl(sha)); }
  void set_locks_all(std::string_view sha) { lock_all_.emplace(std::string(sha)); }

 private:
  ScriptRegistry& registry_;
  scripting::LuaEngine engine_;
  uint64_t scripts_generation_ = 0;
  uint64_t libraries_generation_ = 0;
  size_t counted_heap_ = 0;  // the heap's size at the last TakeHeapChange
  absl::flat_hash_set<std::string> lock_all_;
};

}  // namespace emberkv::server
