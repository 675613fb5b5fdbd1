// Test doubles for the scripting engine: a ScriptHost that answers a few
// commands from a map of strings, and helpers that run a script in one call.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/reply_builder.h"
#include "scripting/lua_engine.h"

namespace emberkv::scripting::testing {

// PING, ECHO, GET, SET, INCR, DEL and EXPIRE over a std::map, in Redis's
// reply shapes; anything else gets Redis's unknown-command error for scripts.
class FakeHost : public ScriptHost {
 public:
  std::map<std::string, std::string> data;
  std::vector<std::vector<std::string>> calls;  // every command run
  std::vector<std::pair<LogLevel, std::string>> logs;
  std::function<BusyAction(std::chrono::milliseconds)> on_busy;
  int busy_calls = 0;

  void Call(std::span<const std::string_view> args, protocol::RespVersion version,
            std::string* reply) override {
    calls.emplace_back(args.begin(), args.end());
    protocol::ReplyBuilder out(reply, version);
    std::string name(args[0]);
    for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    auto arity = [&](size_t n) {
      if (args.size() == n) return true;
      out.Error("ERR Wrong number of args calling Redis command from script");
      return false;
    };
    if (name == "PING") {
      out.SimpleString("PONG");
    } else if (name == "ECHO" && arity(2)) {
      out.Bulk(args[1]);
    } else if (name == "GET" && arity(2)) {
      auto it = data.find(std::string(args[1]));
      if (it == data.end()) {
        out.Null();
      } else {
        out.Bulk(it->second);
      }
    } else if (name == "SET" && arity(3)) {
      data[std::string(args[1])] = std::string(args[2]);
      out.Ok();
    } else if (name == "INCR" && arity(2)) {
      std::string& value = data[std::string(args[1])];
      long long n = value.empty() ? 0 : std::stoll(value);
      value = std::to_string(n + 1);
      out.Integer(n + 1);
    } else if (name == "DEL") {
      int64_t removed = 0;
      for (size_t i = 1; i < args.size(); i++) removed += data.erase(std::string(args[i]));
      out.Integer(removed);
    } else if (name == "EXPIRE") {
      out.Integer(data.count(std::string(args[1])) ? 1 : 0);
    } else if (name == "RAW" && arity(2)) {
      out.Raw(args[1]);  // the reply is the argument itself (conversion tests)
    } else if (name != "ECHO" && name != "GET" && name != "SET" && name != "INCR" &&
               name != "RAW") {
      out.Error("ERR Unknown Redis command called from script");
    }
  }
  void Log(LogLevel level, std::string_view message) override {
    logs.emplace_back(level, std::string(message));
  }
  BusyAction OnBusy(std::chrono::milliseconds elapsed) override {
    busy_calls++;
    return on_busy ? on_busy(elapsed) : BusyAction::kContinue;
  }
};

// EVAL in one call: loads (or finds) the script and runs it; returns the
// reply bytes (load errors as an error reply).
inline std::string Eval(LuaEngine& engine, ScriptHost& host, std::string_view body,
                        std::vector<std::string_view> keys = {},
                        std::vector<std::string_view> args = {},
                        protocol::RespVersion version = protocol::RespVersion::kResp2) {
  std::string reply;
  auto script = engine.LoadScript(body);
  if (!script.ok()) {
    protocol::ReplyBuilder(&reply, version).Error(script.error());
    return reply;
  }
  engine.RunScript(*script.value(), CallArgs{keys, args, version}, host, &reply);
  return reply;
}

inline std::string Eval(LuaEngine& engine, std::string_view body) {
  FakeHost host;
  return Eval(engine, host, body);
}

inline std::string Fcall(LuaEngine& engine, ScriptHost& host, std::string_view name,
                         std::vector<std::string_view> keys = {},
                         std::vector<std::string_view> args = {},
                         protocol::RespVersion version = protocol::RespVersion::kResp2) {
  std::string reply;
  const Function* function = engine.FindFunction(name);
  if (function == nullptr) return "-ERR Function not found\r\n";
  engine.RunFunction(*function, CallArgs{keys, args, version}, host, &reply);
  return reply;
}

}  // namespace emberkv::scripting::testing
