// The configuration's outside forms: redis.conf lines, EMBERKV_* variables,
// CONFIG REWRITE's text, and a command-line flag for every parameter.
#include "server/config_file.h"

#include <catch2/catch.hpp>

#include <map>
#include <string>

#include "server/command_line.h"

namespace emberkv::server {
namespace {

using Args = std::vector<std::string>;

TEST_CASE("config lines split as redis.conf's do", "[config]") {
  CHECK(SplitConfigLine("port 6379") == Args{"port", "6379"});
  CHECK(SplitConfigLine("  bind  127.0.0.1   ::1\t") == Args{"bind", "127.0.0.1", "::1"});
  CHECK(SplitConfigLine("requirepass \"a b\\\"c\\n\\x41\"") == Args{"requirepass", "a b\"c\nA"});
  CHECK(SplitConfigLine("requirepass 'it\\'s \\n'") == Args{"requirepass", "it's \\n"});
  CHECK(SplitConfigLine("save \"\"") == Args{"save", ""});
  CHECK(SplitConfigLine("") == Args{});
  CHECK_FALSE(SplitConfigLine("requirepass \"open"));
  CHECK_FALSE(SplitConfigLine("requirepass 'open"));
  CHECK_FALSE(SplitConfigLine("requirepass \"a\"b"));  // a closing quote needs a blank after it
}

TEST_CASE("quoted values read back unchanged", "[config]") {
  CHECK(QuoteConfigValue("allkeys-lru") == "allkeys-lru");
  CHECK(QuoteConfigValue("") == "\"\"");
  CHECK(QuoteConfigValue("#x") == "\"#x\"");
  for (std::string value : Args{"a b", "q\"uote", "it's", "back\\slash", "tab\tnew\nline", std::string("\x01\xff", 2)}) {
    std::optional<Args> args = SplitConfigLine("requirepass " + QuoteConfigValue(value));
    REQUIRE(args);
    CHECK(*args == Args{"requirepass", value});
  }
}

TEST_CASE("a config file sets parameters and names the line it rejects", "[config]") {
  ServerConfig config;
  REQUIRE_FALSE(ApplyConfigText("# comment\n\n  port 7000\r\nbind 0.0.0.0 ::\nMAXMEMORY 100mb\n"
                                "maxmemory-policy allkeys-lru\nrequirepass \"s e\"\nsave \"\"\n",
                                "a.conf", config));
  CHECK(config.port == 7000);
  CHECK(config.bind == std::vector<std::string>{"0.0.0.0", "::"});
  CHECK(config.maxmemory == 100u * 1024 * 1024);
  CHECK(config.maxmemory_policy == "allkeys-lru");
  CHECK(config.requirepass == "s e");

  std::map<std::string, std::string> bad = {
      {"port 1\ndaemonize yes\n", "a.conf:2: unknown directive 'daemonize' ('daemonize yes')"},
      {"port 1 2\n", "a.conf:1: wrong number of arguments for 'port' ('port 1 2')"},
      {"bind\n", "a.conf:1: wrong number of arguments for 'bind' ('bind')"},
      {"\n\nport \"1\n", "a.conf:3: unbalanced quotes ('port \"1')"},
      {"port x\n", "a.conf:1: 'port': argument couldn't be parsed into an integer ('port x')"},
      {"maxmemory-policy lots\n", "a.conf:1: 'maxmemory-policy': argument(s) must be one of the following: "
                                  "volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, "
                                  "allkeys-lfu, allkeys-random, noeviction ('maxmemory-policy lots')"},
      {"appendonly yes\n", "a.conf:1: 'appendonly': emberkv does not support 'appendonly yes' (no persistence "
                           "or replication) ('appendonly yes')"},
  };
  for (const auto& [text, message] : bad) {
    ServerConfig fresh;
    CHECK(ApplyConfigText(text, "a.conf", fresh) == message);
  }
}

const char* FakeEnvironment(const char* name) {
  static const std::map<std::string, std::string> env = {
      {"EMBERKV_PORT", "7001"}, {"EMBERKV_MAXMEMORY_POLICY", "allkeys-lfu"}, {"EMBERKV_REQUIREPASS", ""},
      {"EMBERKV_BIND", "127.0.0.1 ::1"}, {"EMBERKV_BIN", "/not/a/parameter"}};
  auto it = env.find(name);
  return it == env.end() ? nullptr : it->second.c_str();
}

TEST_CASE("EMBERKV_<PARAM> variables set parameters", "[config]") {
  CHECK(EnvironmentName("maxmemory-policy") == "EMBERKV_MAXMEMORY_POLICY");
  ServerConfig config;
  config.requirepass = "from-file";
  REQUIRE_FALSE(ApplyEnvironment(config, FakeEnvironment));
  CHECK(config.port == 7001);
  CHECK(config.maxmemory_policy == "allkeys-lfu");
  CHECK(config.requirepass.empty());  // set, though empty
  CHECK(config.bind == std::vector<std::string>{"127.0.0.1", "::1"});

  ServerConfig other;
  CHECK(ApplyEnvironment(other, [](const char* name) -> const char* {
          return std::string(name) == "EMBERKV_TIMEOUT" ? "-1" : nullptr;
        }) == "environment variable EMBERKV_TIMEOUT='-1': argument must be between 0 and 2147483647 inclusive");
}

TEST_CASE("CONFIG REWRITE keeps the file's shape and writes current values", "[config]") {
  std::string old_text =
      "# my cache\n"
      "port 7000\n"
      "\n"
      "maxmemory 100mb\n"
      "# eviction\n"
      "maxmemory-policy allkeys-lru\n"
      "maxmemory-policy allkeys-lfu\n";
  ServerConfig config;
  REQUIRE_FALSE(ApplyConfigText("port 7000\nmaxmemory-policy allkeys-lfu\n", "x", config));
  config.maxmemory = 3ULL * 1024 * 1024 * 1024;
  config.requirepass = "a \"b\"";
  config.bind = {"0.0.0.0", "::"};
  config.timeout = 5;
  CHECK(RewriteConfigText("# my cache\nport 7000\nmaxmemory 1\n", config) ==
        "# my cache\nport 7000\nmaxmemory 3gb\n"
        "# Generated by CONFIG REWRITE\n"
        "bind 0.0.0.0 ::\nrequirepass \"a \\\"b\\\"\"\nmaxmemory-policy allkeys-lfu\ntimeout 5\n");

  ServerConfig defaults;
  defaults.port = 7000;
  defaults.maxmemory = 1536 * 1024;
  defaults.maxmemory_policy = "allkeys-lfu";
  // Lines of parameters in the file are kept, even at their default; a
  // parameter's later lines go.
  std::string rewritten = RewriteConfigText(old_text, defaults);
  CHECK(rewritten ==
        "# my cache\nport 7000\n\nmaxmemory 1536kb\n# eviction\nmaxmemory-policy allkeys-lfu\n");
  // And it reads back as the same configuration.
  ServerConfig reread;
  REQUIRE_FALSE(ApplyConfigText(rewritten, "x", reread));
  CHECK(reread.maxmemory == defaults.maxmemory);
  CHECK(reread.maxmemory_policy == "allkeys-lfu");
  CHECK(RewriteConfigText(rewritten, defaults) == rewritten);
}

TEST_CASE("CONFIG REWRITE without a config file is Redis's error", "[config]") {
  ServerConfig config;
  CHECK(RewriteConfigFile(config) == "The server is running without a config file");
}

TEST_CASE("every parameter has a command-line flag", "[config]") {
  for (const ConfigParam& param : ConfigParams()) {
    INFO(param.name);
    CHECK(HasParamFlag(param.name));
  }
}

}  // namespace
}  // namespace emberkv::server
