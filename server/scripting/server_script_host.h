// The server's ScriptHost: what redis.call, redis.log and the busy hook do
// for one EVAL/EVALSHA/FCALL. One lives on the stack of the command's
// handler for the length of the run, on the loop that runs the script.
//
// redis.call runs the command through the executor (dispatch/executor.h),
// the same path as any command, as the script's client, with the locks the
// script holds (pinned). Before that it refuses what Redis refuses from a
// script, with Redis's texts (unknown command, arity, noscript commands,
// writes from a read-only script).
//
// Keys the script did not declare: Redis allows them outside cluster mode,
// and the script must stay atomic. When a call needs a shard the run does
// not hold:
//   * if the script has not run a write command yet, nothing it did is
//     visible: the call fails, the run is stopped (RequestKill, which pcall
//     cannot catch) and restart_requested() tells the handler to discard its
//     reply and run it again with every shard locked;
//   * after a write it cannot start over: the missing shards are taken if
//     they lie above every shard held (the ascending lock order still
//     holds), else the call fails with kScriptUndeclaredAfterWrite.
// Either way touched_undeclared() tells the handler to run this script with
// every shard locked from now on (LoopScripts::set_locks_all), so the second
// case happens at most once per script and loop.
//
// Busy: past busy-reply-threshold, the first OnBusy publishes the run in the
// ScriptRegistry (other loops' commands on its shards get -BUSY, SCRIPT KILL
// and FUNCTION KILL can reach it) until the host goes away.
#pragma once

#include <atomic>
#include <chrono>
#include <span>
#include <string>
#include <string_view>

#include "scripting/script_host.h"
#include "server/command_context.h"

namespace emberkv::server {

class LoopScripts;

struct ScriptRunOptions {
  bool read_only = false;  // EVAL_RO, FCALL_RO, or the no-writes flag
  bool is_function = false;
  std::string_view name;  // SHA or function name
};

class ServerScriptHost : public scripting::ScriptHost {
 public:
  ServerScriptHost(CommandContext& context, LoopScripts& scripts, ScriptRunOptions options);
  ~ServerScriptHost() override;
  ServerScriptHost(const ServerScriptHost&) = delete;
  ServerScriptHost& operator=(const ServerScriptHost&) = delete;

  void Call(std::span<const std::string_view> args, protocol::RespVersion version,
            std::string* reply) override;
  void Log(scripting::LogLevel level, std::string_view message) override;
  scripting::BusyAction OnBusy(std::chrono::milliseconds elapsed) override;

  bool restart_requested() const { return restart_; }
  bool touched_undeclared() const { return touched_undeclared_; }
  bool wrote() const { return wrote_.load(std::memory_order_relaxed); }

 private:
  CommandContext& context_;
  LoopScripts& scripts_;
  ScriptRunOptions options_;
  std::atomic<bool> wrote_{false};  // read by SCRIPT KILL on other loops
  bool restart_ = false;
  bool touched_undeclared_ = false;
  bool busy_published_ = false;
};

}  // namespace emberkv::server
