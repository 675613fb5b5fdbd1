#include "server/scripting/loop_scripts.h"

namespace emberkv::server {

LoopScripts::LoopScripts(ScriptRegistry& registry, scripting::EngineOptions options)
    : registry_(registry), engine_(options) {
  scripts_generation_ = registry_.scripts_generation();
  SyncLibraries();
}

int64_t LoopScripts::TakeHeapChange() {
  const size_t heap = engine_.lua_memory();
  const int64_t change = static_cast<int64_t>(heap) - static_cast<int64_t>(counted_heap_);
  counted_heap_ = heap;
  return change;
}

void LoopScripts::SyncScripts() {
  uint64_t generation = registry_.scripts_generation();
  if (generation == scripts_generation_) return;
  engine_.FlushScripts();
  lock_all_.clear();
  scripts_generation_ = generation;
}

void LoopScripts::SyncLibraries() {
  if (registry_.libraries_generation() == libraries_generation_) return;
  std::lock_guard lock(registry_.libraries_mutex());
  ReloadLibrariesLocked();
}

void LoopScripts::ReloadLibrariesLocked() {
  uint64_t generation = registry_.libraries_generation();
  if (generation == libraries_generation_) return;
  engine_.FlushLibraries();
  for (const auto& [name, code] : registry_.libraries()) {
    // Each library loaded on some loop with the same checks, so it loads
    // here too; a failure (the memory limit) leaves it out of this loop,
    // whose FCALLs then answer "Function not found".
    (void)engine_.LoadLibrary(code, /*replace=*/false);
  }
  libraries_generation_ = generation;
}

const scripting::Script* LoopScripts::FindScript(std::string_view sha) {
  SyncScripts();
  if (const scripting::Script* script = engine_.FindScript(sha)) return script;
  std::optional<std::string> body = registry_.FindScript(sha);
  if (!body) return nullptr;
  scripting::Result<const scripting::Script*> loaded = engine_.LoadScript(*body);
  return loaded.ok() ? loaded.value() : nullptr;
}

}  // namespace emberkv::server
