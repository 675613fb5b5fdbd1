// libFuzzer harness for what scripts decode: each input goes, as a Lua
// string, through cjson.decode, cmsgpack.unpack and struct.unpack (the
// input's first line as the format, the rest as data), and what decodes is
// encoded again; and the input is handed to the engine as a command's reply
// (redis.pcall), in RESP2 and RESP3, and the resulting value returned to the
// client. Errors are expected; crashes, sanitizer reports and a heap past
// its limit are not.
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

constexpr char kDecode[] = R"(
local data = ARGV[1]
local ok, value = pcall(cjson.decode, data)
if ok then pcall(cjson.encode, value) end
local results = {pcall(cmsgpack.unpack, data)}
if results[1] then pcall(cmsgpack.pack, unpack(results, 2)) end
pcall(cmsgpack.unpack_one, data, #data % 7)
pcall(cmsgpack.unpack_limit, data, 2, #data % 5)
local newline = string.find(data, '\n', 1, true)
if newline then
  local format, rest = string.sub(data, 1, newline - 1), string.sub(data, newline + 1)
  local fields = {pcall(struct.unpack, format, rest)}
  if fields[1] then pcall(struct.pack, format, unpack(fields, 2)) end
  pcall(struct.size, format)
end
return ok and value or results
)";

constexpr char kReply[] = "redis.setresp(tonumber(ARGV[2])) return redis.pcall('RAW', ARGV[1])";

// Answers every command with the bytes it was given.
class EchoHost : public ScriptHost {
 public:
  void Call(std::span<const std::string_view> args, RespVersion, std::string* reply) override {
    if (args.size() > 1) reply->append(args[1]);
  }
  BusyAction OnBusy(std::chrono::milliseconds) override { return BusyAction::kKill; }
};

LuaEngine& Engine() {
  static LuaEngine* engine = [] {
    EngineOptions options;
    options.memory_limit = kLimit;
    options.busy_threshold = std::chrono::milliseconds(100);
    return new LuaEngine(options);
  }();
  return *engine;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  LuaEngine& engine = Engine();
  EchoHost host;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string reply;
  auto decode = engine.LoadScript(kDecode);
  auto as_reply = engine.LoadScript(kReply);
  if (!decode.ok() || !as_reply.ok()) std::abort();
  std::vector<std::string_view> args = {input};
  engine.RunScript(*decode.value(), CallArgs{{}, args, RespVersion::kResp3}, host, &reply);
  for (std::string_view version : {"2", "3"}) {
    std::vector<std::string_view> reply_args = {input, version};
    engine.RunScript(
        *as_reply.value(),
        CallArgs{{}, reply_args, version == "2" ? RespVersion::kResp2 : RespVersion::kResp3}, host,
        &reply);
  }
  if (engine.lua_memory() > kLimit) std::abort();
  return 0;
}
