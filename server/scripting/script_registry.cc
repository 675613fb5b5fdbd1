#include "server/scripting/script_registry.h"

#include "scripting/lua_engine.h"
#include "server/errors.h"
#include "server/util/ascii.h"

namespace emberkv::server {

void ScriptRegistry::AddScript(std::string_view sha, std::string_view body) {
  std::lock_guard lock(scripts_mutex_);
  auto [it, inserted] = scripts_.try_emplace(std::string(sha), std::string(body));
  if (inserted) scripts_memory_ += sha.size() + body.size();
}

std::optional<std::string> ScriptRegistry::FindScript(std::string_view sha) const {
  std::lock_guard lock(scripts_mutex_);
  auto it = scripts_.find(ToAbsl(sha));
  if (it == scripts_.end()) return std::nullopt;
  return it->second;
}

bool ScriptRegistry::HasScript(std::string_view sha) const {
  std::lock_guard lock(scripts_mutex_);
  return scripts_.contains(ToAbsl(sha));
}

void ScriptRegistry::FlushScripts() {
  std::lock_guard lock(scripts_mutex_);
  scripts_.clear();
  scripts_memory_ = 0;
  scripts_generation_.fetch_add(1, std::memory_order_acq_rel);
}

size_t ScriptRegistry::script_count() const {
  std::lock_guard lock(scripts_mutex_);
  return scripts_.size();
}

size_t ScriptRegistry::scripts_memory() const {
  std::lock_guard lock(scripts_mutex_);
  return scripts_memory_;
}

void ScriptRegistry::PutLibrary(std::string name, std::string code) {
  libraries_[std::move(name)] = std::move(code);
  libraries_generation_.fetch_add(1, std::memory_order_acq_rel);
}

bool ScriptRegistry::DeleteLibrary(std::string_view name) {
  auto it = libraries_.find(name);
  if (it == libraries_.end()) return false;
  libraries_.erase(it);
  libraries_generation_.fetch_add(1, std::memory_order_acq_rel);
  return true;
}

void ScriptRegistry::FlushLibraries() {
  libraries_.clear();
  libraries_generation_.fetch_add(1, std::memory_order_acq_rel);
}

void ScriptRegistry::SetBusy(Busy busy, ShardSet shards) {
  std::lock_guard lock(busy_mutex_);
  busy_worker_.store(busy.worker, std::memory_order_release);
  busy_ = std::move(busy);
  busy_shards_.store(shards.bits(), std::memory_order_release);
}

void ScriptRegistry::ClearBusy(int worker) {
  std::lock_guard lock(busy_mutex_);
  if (busy_.worker != worker) return;
  busy_ = Busy();
  busy_shards_.store(0, std::memory_order_release);
  busy_worker_.store(-1, std::memory_order_release);
}

bool ScriptRegistry::busy_is_function() const {
  std::lock_guard lock(busy_mutex_);
  return busy_.is_function;
}

std::optional<ScriptRegistry::Busy> ScriptRegistry::busy() const {
  std::lock_guard lock(busy_mutex_);
  if (busy_.engine == nullptr) return std::nullopt;
  return busy_;
}

std::string_view ScriptRegistry::Kill(bool is_eval) {
  // Redis's order of checks (script.c, scriptKill).
  std::lock_guard lock(busy_mutex_);
  if (busy_.engine == nullptr) return errors::kNotBusy;
  if (busy_.wrote->load(std::memory_order_acquire)) return errors::kUnkillable;
  if (is_eval && busy_.is_function) return errors::kBusyFunction;
  if (!is_eval && !busy_.is_function) return errors::kBusyScript;
  // The engine stays valid while busy_mutex_ is held: its loop clears the
  // busy state under the same mutex before the run ends.
  busy_.engine->RequestKill();
  return "OK";
}

}  // namespace emberkv::server
