// What every loop's scripting shares: the bodies of EVAL scripts by SHA, the
// code of FUNCTION libraries by name, and the script that is running past
// the busy threshold, if any.
//
// Compiled code is not shared: each loop has its own Lua state
// (loop_scripts.h) and compiles what it runs from here, lazily. A change
// here (SCRIPT FLUSH, FUNCTION LOAD/DELETE/FLUSH/RESTORE) bumps a generation
// counter; a loop that sees a generation other than the one it compiled
// brings its state in step before it runs anything.
//
// Thread safety: every method may be called from any loop. Bodies and
// libraries are guarded by their own mutexes, taken for a map lookup or
// update (and, for libraries, by FUNCTION LOAD for the time it compiles the
// library on its own loop, so that two loads cannot both pass the checks).
// The busy state is guarded by busy_mutex_, and its shard set is mirrored in
// an atomic that every command reads (one relaxed load) to decide whether
// it must answer -BUSY.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/engine/shard_set.h"

namespace emberkv::scripting {
class LuaEngine;
}

namespace emberkv::server {

class ScriptRegistry {
 public:
  // ---- EVAL bodies ----
  // Keeps `body` under `sha` (the SHA-1 of body) unless it is there already.
  void AddScript(std::string_view sha, std::string_view body);
  std::optional<std::string> FindScript(std::string_view sha) const;
  bool HasScript(std::string_view sha) const;
  // SCRIPT FLUSH: every loop drops its compiled scripts before its next run.
  void FlushScripts();
  uint64_t scripts_generation() const {
    return scripts_generation_.load(std::memory_order_acquire);
  }
  size_t script_count() const;
  size_t scripts_memory() const;  // the bodies' bytes (INFO used_memory_scripts_eval)

  // ---- FUNCTION libraries ----
  // Held while a library is checked and compiled, and while a loop reloads
  // the libraries; the accessors below expect it held.
  std::mutex& libraries_mutex() { return libraries_mutex_; }
  const std::map<std::string, std::string, std::less<>>& libraries() const { return libraries_; }
  void PutLibrary(std::string name, std::string code);
  bool DeleteLibrary(std::string_view name);
  void FlushLibraries();
  uint64_t libraries_generation() const {
    return libraries_generation_.load(std::memory_order_acquire);
  }

  // ---- The busy script (busy-reply-threshold) ----
  struct Busy {
    int worker = -1;
    scripting::LuaEngine* engine = nullptr;  // valid until ClearBusy
    bool is_function = false;
    std::string name;                          // SHA or function name (FUNCTION STATS)
    std::vector<std::string> command;          // the command that runs it, for FUNCTION STATS
    int64_t start_ms = 0;                      // when it started (unix ms)
    const std::atomic<bool>* wrote = nullptr;  // whether it ran a write command
  };
  // From the script's loop, when it passes the threshold; until ClearBusy,
  // commands of other loops that need `shards` get -BUSY.
  void SetBusy(Busy busy, ShardSet shards);
  // From the script's loop, before its run ends (nothing else may point to
  // its engine afterwards).
  void ClearBusy(int worker);
  // The shards of the busy script (empty when none): every command checks.
  ShardSet busy_shards() const {
    return ShardSet::FromBits(busy_shards_.load(std::memory_order_acquire));
  }
  int busy_worker() const { return busy_worker_.load(std::memory_order_acquire); }
  // Whether the busy script is a function (which BUSY text to send).
  bool busy_is_function() const;
  std::optional<Busy> busy() const;

  // SCRIPT KILL (is_eval) and FUNCTION KILL: the reply, "+OK" when the kill
  // was requested, else Redis's error (NOTBUSY, UNKILLABLE, BUSY).
  std::string_view Kill(bool is_eval);

 private:
  mutable std::mutex scripts_mutex_;
  absl::flat_hash_map<std::string, std::string> scripts_;
  size_t scripts_memory_ = 0;
  std::atomic<uint64_t> scripts_generation_{0};

  std::mutex libraries_mutex_;
  std::map<std::string, std::string, std::less<>> libraries_;
  std::atomic<uint64_t> libraries_generation_{0};

  mutable std::mutex busy_mutex_;
  Busy busy_;
  std::atomic<uint64_t> busy_shards_{0};
  std::atomic<int> busy_worker_{-1};
};

}  // namespace emberkv::server
