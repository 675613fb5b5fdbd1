// libFuzzer harness for scripts: each input is a Lua script body run in a
// fresh sandboxed engine (16 MiB heap limit, killed after 50 ms) against a
// host that answers redis.call with a reply of every RESP type. The first
// byte picks how: EVAL in RESP2, EVAL in RESP3, or FUNCTION LOAD of the rest
// as a library followed by an FCALL of each function it registered. A run
// may end in any error reply; it must not crash, trip a sanitizer, or leave
// the heap above its limit.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "scripting/lua_engine.h"

namespace {

using namespace emberkv::scripting;
using emberkv::protocol::RespVersion;

constexpr size_t kLimit = 16 << 20;

// Replies of every shape, chosen by the command's first letter.
class AnyReplyHost : public ScriptHost {
 public:
  void Call(std::span<const std::string_view> args, RespVersion version,
            std::string* reply) override {
    static const char* const kResp2[] = {"+OK\r\n",
                                         ":42\r\n",
                                         "$5\r\nhello\r\n",
                                         "$-1\r\n",
                                         "*2\r\n$1\r\na\r\n:1\r\n",
                                         "*-1\r\n",
                                         "-ERR failed\r\n",
                                         "-WRONGTYPE wrong\r\n",
                                         "*3\r\n*1\r\n:1\r\n$0\r\n\r\n+s\r\n"};
    static const char* const kResp3[] = {"%1\r\n$1\r\nk\r\n:1\r\n",
                                         "~2\r\n$1\r\na\r\n$1\r\nb\r\n",
                                         ",3.25\r\n",
                                         "#t\r\n",
                                         "_\r\n",
                                         "(123456789012345678901234567890\r\n",
                                         "=7\r\ntxt:abc\r\n",
                                         "|1\r\n$1\r\na\r\n$1\r\nb\r\n:1\r\n",
                                         ">2\r\n$1\r\nx\r\n:2\r\n"};
    unsigned char first = args.empty() || args[0].empty() ? 0 : args[0][0];
    if (version == RespVersion::kResp3 && (first & 1)) {
      *reply += kResp3[first % std::size(kResp3)];
    } else {
      *reply += kResp2[first % std::size(kResp2)];
    }
  }
  BusyAction OnBusy(std::chrono::milliseconds) override { return BusyAction::kKill; }
};

void CheckLimit(const LuaEngine& engine) {
  if (engine.lua_memory() > kLimit) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  EngineOptions options;
  options.memory_limit = kLimit;
  options.busy_threshold = std::chrono::milliseconds(50);
  options.load_timeout = std::chrono::milliseconds(50);
  options.hook_instructions = 10000;
  LuaEngine engine(options);
  AnyReplyHost host;
  uint8_t mode = data[0] % 3;
  std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::vector<std::string_view> keys = {"key:1", "key:2"};
  std::vector<std::string_view> args = {"60", "value", ""};
  std::string reply;
  if (mode < 2) {
    auto version = mode == 0 ? RespVersion::kResp2 : RespVersion::kResp3;
    auto script = engine.LoadScript(body);
    if (script.ok()) engine.RunScript(*script.value(), CallArgs{keys, args, version}, host, &reply);
  } else {
    std::string code = "#!lua name=fuzz\n";
    code.append(body);
    auto library = engine.LoadLibrary(code, false, &host);
    if (library.ok()) {
      for (const std::string& name : engine.libraries().at("fuzz").functions) {
        engine.RunFunction(*engine.FindFunction(name), CallArgs{keys, args, RespVersion::kResp3},
                           host, &reply);
        CheckLimit(engine);
      }
    }
  }
  CheckLimit(engine);
  return 0;
}
