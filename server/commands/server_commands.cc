// Server commands: TIME, SHUTDOWN, CONFIG, INFO.
#include <sys/time.h>
#include <unistd.h>

#include <absl/strings/ascii.h>
#include <absl/strings/str_cat.h>

#include <cstdio>
#include <string>

#include "server/command_table.h"
#include "server/commands/arg_parsing.h"
#include "server/commands/config_rewrite.h"
#include "server/engine/engine.h"
#include "server/errors.h"
#include "server/info.h"
#include "server/transaction/multi_shard.h"
#include "storage/glob.h"

namespace emberkv::server {
namespace {

void ConnTime(ConnContext& c) {
  timeval tv;
  gettimeofday(&tv, nullptr);
  c.reply.ArrayHeader(2);
  c.reply.Bulk(std::to_string(tv.tv_sec));
  c.reply.Bulk(std::to_string(tv.tv_usec));
}

// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT], checked as Redis does: every
// word known, ABORT alone, not both NOSAVE and SAVE; anything else is a
// syntax error and the server keeps running.
void ConnShutdown(ConnContext& c) {
  bool nosave = false, save = false, other = false, abort = false;
  for (size_t i = 1; i < c.args.size(); ++i) {
    std::string_view opt = c.args[i];
    if (Is(opt, "NOSAVE")) {
      nosave = true;
    } else if (Is(opt, "SAVE")) {
      save = true;
    } else if (Is(opt, "NOW") || Is(opt, "FORCE")) {
      other = true;
    } else if (Is(opt, "ABORT")) {
      abort = true;
    } else {
      return c.reply.Error(errors::kSyntax);
    }
  }
  if ((abort && (nosave || save || other)) || (nosave && save)) {
    return c.reply.Error(errors::kSyntax);
  }
  // Nothing is ever in progress here: a shutdown happens at once.
  if (abort) return c.reply.Error("ERR No shutdown in progress.");
  // Like Redis, a successful SHUTDOWN sends no reply: the connection closes.
  c.engine.RequestShutdown();
}

void ConnConfigGet(ConnContext& c) {
  std::vector<std::pair<std::string, std::string>> matches;
  for (size_t i = 2; i < c.args.size(); ++i) {
    std::string pattern = AsciiLowered(c.args[i]);
    for (const ConfigParam& param : ConfigParams()) {
      if (!storage::GlobMatch(pattern, param.name, /*nocase=*/true)) continue;
      bool seen = false;
      for (auto& m : matches) seen |= m.first == param.name;
      if (seen) continue;
      matches.emplace_back(std::string(param.name), *GetConfigParam(c.engine.config(), param.name));
    }
  }
  c.reply.MapHeader(matches.size());
  for (auto& [name, value] : matches) {
    c.reply.Bulk(name);
    c.reply.Bulk(value);
  }
}

void ConnConfigSet(ConnContext& c) {
  if (c.args.size() % 2 != 0) return c.reply.Error(errors::WrongArity("config|set"));
  // Validate everything on a copy first: CONFIG SET is all or nothing.
  ServerConfig copy = c.engine.config();
  for (size_t i = 2; i + 1 < c.args.size(); i += 2) {
    bool runtime = false;
    bool known = false;
    for (const ConfigParam& param : ConfigParams()) {
      if (EqualsIgnoreCase(param.name, c.args[i])) {
        known = true;
        runtime = param.runtime_settable;
      }
    }
    if (!known) {
      return c.reply.Error("ERR Unknown option or number of arguments for CONFIG SET - '" +
                           std::string(c.args[i]) + "'");
    }
    if (!runtime) {
      return c.reply.Error("ERR CONFIG SET failed (possibly related to argument '" +
                           std::string(c.args[i]) + "') - can't set immutable config");
    }
    if (std::optional<std::string> error = SetConfigParam(copy, c.args[i], c.args[i + 1])) {
      return c.reply.Error("ERR CONFIG SET failed (possibly related to argument '" +
                           std::string(c.args[i]) + "') - " + *error);
    }
  }
  for (size_t i = 2; i + 1 < c.args.size(); i += 2) {
    SetConfigParam(c.engine.config(), c.args[i], c.args[i + 1]);
  }
  c.engine.set_auth_required(!c.engine.config().requirepass.empty());
  c.reply.Ok();
}

Task<void> CoordInfo(CoordContext& c) {
  std::vector<std::string_view> sections(c.args.begin() + 1, c.args.end());
  std::string text = co_await BuildInfo(c, sections);
  c.reply.Verbatim("txt", text);
}

}  // namespace

void RegisterServerCommands(CommandTable& table) {
  {
    CommandSpec spec;
    spec.name = "time";
    spec.arity = 1;
    spec.flags = kCmdLoading | kCmdStale | kCmdFast;
    spec.conn = ConnTime;
    spec.group = "server";
    spec.summary = "Return the current server time";
    spec.acl_categories = "@fast";
    table.Register(std::move(spec))
        .Docs("2.6.0", "O(1)")
        .Tips("nondeterministic_output");
  }
  {
    CommandSpec spec;
    spec.name = "shutdown";
    spec.arity = -1;
    spec.flags = kCmdAdmin | kCmdNoScript | kCmdLoading | kCmdStale | kCmdNoMulti | kCmdSentinel |
                 kCmdAllowBusy;
    spec.conn = ConnShutdown;
    spec.group = "server";
    spec.summary = "Synchronously save the dataset to disk and then shut down the server";
    spec.acl_categories = "@admin @slow @dangerous";
    table.Register(std::move(spec))
        .Docs("1.0.0", "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)", {
                arg::OneOf("nosave_save", {arg::PureToken("nosave", "NOSAVE"), arg::PureToken("save", "SAVE")}).Optional(),
                arg::PureToken("now", "NOW").Since("7.0.0").Optional(),
                arg::PureToken("force", "FORCE").Since("7.0.0").Optional(),
                arg::PureToken("abort", "ABORT").Since("7.0.0").Optional()})
        .History({{"7.0.0", "Added the `NOW`, `FORCE` and `ABORT` modifiers."}});
  }
  {
    CommandSpec spec;
    spec.name = "config";
    spec.arity = -2;
    spec.group = "server";
    spec.summary = "A container for server configuration commands";
    spec.acl_categories = "@slow";
    CommandSpec get;
    get.name = "config|get";
    get.arity = -3;
    get.flags = kCmdAdmin | kCmdNoScript | kCmdLoading | kCmdStale;
    get.conn = ConnConfigGet;
    get.group = "server";
    get.summary = "Get the values of configuration parameters";
    get.acl_categories = "@admin @slow @dangerous";
    spec.subcommands.push_back(std::move(get));
    CommandSpec set;
    set.name = "config|set";
    set.arity = -4;
    set.flags = kCmdAdmin | kCmdNoScript | kCmdLoading | kCmdStale;
    set.conn = ConnConfigSet;
    set.group = "server";
    set.summary = "Set configuration parameters to the given values";
    set.acl_categories = "@admin @slow @dangerous";
    spec.subcommands.push_back(std::move(set));
    spec.subcommands.push_back(ConfigRewriteCommand());
    table.Register(std::move(spec));
  }
  {
    CommandSpec spec;
    spec.name = "info";
    spec.arity = -1;
    spec.flags = kCmdLoading | kCmdStale | kCmdSentinel;
    spec.coordinated = CoordInfo;
    spec.group = "server";
    spec.summary = "Get information and statistics about the server";
    spec.acl_categories = "@slow @dangerous";
    table.Register(std::move(spec))
        .Docs("1.0.0", "O(1)", {arg::String("section").Optional().Multiple()})
        .History({{"7.0.0", "Added support for taking multiple section arguments."}})
        .Tips("nondeterministic_output request_policy:all_shards response_policy:special");
  }
}

}  // namespace emberkv::server
