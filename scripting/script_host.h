// ScriptHost: what a running script asks of the server. The scripting engine
// knows nothing of commands, keys, shards or clients; the server implements
// this interface (phase 2: one host per EVAL/FCALL, living for that call) and
// the tests implement it with fakes.
//
// Every method is called on the thread running the script, while the script
// runs, with the engine's Lua state in the middle of a call: a host must not
// call back into the same LuaEngine.
#pragma once

#include <chrono>
#include <span>
#include <string>
#include <string_view>

#include "protocol/reply_builder.h"

namespace emberkv::scripting {

// redis.log levels, with Redis's values (redis.LOG_DEBUG ... redis.LOG_WARNING).
enum class LogLevel : int { kDebug = 0, kVerbose = 1, kNotice = 2, kWarning = 3 };

// What the host wants after a script ran past the busy threshold.
enum class BusyAction { kContinue, kKill };

// redis.acl_check_cmd's answer.
enum class AclVerdict { kAllowed, kDenied, kUnknownCommand };

class ScriptHost {
 public:
  virtual ~ScriptHost() = default;

  // redis.call and redis.pcall: runs `args` (args[0] is the command's name, as
  // the script wrote it) as the script's client, and appends the command's
  // reply to *reply, encoded in `version` (RESP2 unless the script called
  // redis.setresp(3)). A refusal is an error reply like any other:
  //   "-ERR Unknown Redis command called from script\r\n"
  //   "-ERR Wrong number of args calling Redis command from script\r\n"
  //   "-ERR Write commands are not allowed from read-only scripts.\r\n" ...
  // The engine turns the reply into Lua values (and raises it for redis.call
  // when it is an error). `args` stay valid for the duration of the call.
  virtual void Call(std::span<const std::string_view> args, protocol::RespVersion version,
                    std::string* reply) = 0;

  // redis.log: the host filters by its verbosity and writes the log.
  virtual void Log(LogLevel level, std::string_view message) {}

  // redis.acl_check_cmd(args...).
  virtual AclVerdict CheckAcl(std::span<const std::string_view> args) {
    return AclVerdict::kAllowed;
  }

  // Called from the engine's instruction hook (every
  // EngineOptions::hook_instructions instructions) once the script has run
  // longer than EngineOptions::busy_threshold. The host may answer other
  // clients BUSY, poll for SCRIPT KILL or SHUTDOWN NOSAVE, and returns kKill to
  // stop the script (only if it has not written: the host knows, the engine
  // does not). A killed script's caller gets
  // "ERR Script killed by user with SCRIPT KILL...".
  virtual BusyAction OnBusy(std::chrono::milliseconds elapsed) { return BusyAction::kContinue; }
};

}  // namespace emberkv::scripting
