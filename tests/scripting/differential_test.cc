// The conversion rules and the script API against redis-server 7.0.15:
// tests/scripting/data/conversions.txt holds Redis's replies to EVAL for a
// corpus of scripts, in RESP2 and RESP3, and the replies of the commands
// those scripts call (regenerate_conversions.py records both). A replaying
// host gives the engine the same command replies Redis's scripts saw, and
// the engine's replies must match Redis's byte for byte.
#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <sstream>

#include "scripting/lua_engine.h"
#include "test_host.h"

using namespace emberkv::scripting;
using emberkv::protocol::RespVersion;

namespace {

std::string Unescape(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); i++) {
    if (text[i] != '\\' || i + 1 == text.size()) {
      out += text[i];
      continue;
    }
    char c = text[++i];
    switch (c) {
      case 't':
        out += '\t';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 'x':
        out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
        i += 2;
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::vector<std::string> Fields(const std::string& line) {
  std::vector<std::string> fields;
  std::stringstream in(line);
  std::string field;
  while (std::getline(in, field, '\t')) fields.push_back(Unescape(field));
  return fields;
}

class ReplayHost : public ScriptHost {
 public:
  std::map<std::pair<int, std::vector<std::string>>, std::string> replies;
  void Call(std::span<const std::string_view> args, RespVersion version,
            std::string* reply) override {
    std::vector<std::string> key(args.begin(), args.end());
    auto it = replies.find({static_cast<int>(version), key});
    *reply += it != replies.end() ? it->second : "-ERR no recorded reply\r\n";
  }
};

}  // namespace

TEST_CASE("Replies match redis-server 7.0.15 for every recorded script") {
  std::ifstream file(EMBERKV_SCRIPTING_DATA "/conversions.txt");
  REQUIRE(file.good());
  ReplayHost host;
  std::vector<std::vector<std::string>> evals;
  std::string line;
  while (std::getline(file, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f = Fields(line);
    if (f[0] == "C") {
      host.replies[{std::stoi(f[1]), std::vector<std::string>(f.begin() + 3, f.end())}] = f[2];
    } else {
      evals.push_back(std::move(f));
    }
  }
  REQUIRE(evals.size() > 400);
  // One engine for all, in the recorded order: math.random's sequence runs
  // across scripts, as it does in Redis.
  LuaEngine engine;
  int compared = 0;
  for (const auto& f : evals) {
    const std::string& script = f[3];
    auto version = f[1] == "3" ? RespVersion::kResp3 : RespVersion::kResp2;
    size_t numkeys = std::stoul(f[4]);
    std::vector<std::string_view> keys(f.begin() + 5, f.begin() + 5 + numkeys);
    std::vector<std::string_view> args(f.begin() + 5 + numkeys, f.end());
    std::string reply = testing::Eval(engine, host, script, keys, args, version);
    INFO("script: " << script << "\nRESP" << f[1]);
    CHECK(reply == f[2]);
    compared++;
  }
  CHECK(compared > 400);
}
