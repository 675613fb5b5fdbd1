// CONFIG GET, SET, RESETSTAT and HELP over the parameter table in
// server/config.cc (REWRITE is in config_rewrite.cc).
//
// The configuration is shared by all workers. CONFIG GET and SET hold the
// engine's config mutex, so that strings (requirepass, maxmemory-policy) are
// never read while another worker changes them; the data path reads only
// integers and Engine::auth_required(), which SET keeps in step.
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "server/command_table.h"
#include "server/commands/arg_parsing.h"
#include "server/commands/config_rewrite.h"
#include "server/commands/help.h"
#include "server/config.h"
#include "server/engine/engine.h"
#include "server/engine/memory_limit.h"
#include "server/errors.h"
#include "server/transaction/multi_shard.h"
#include "storage/glob.h"

namespace emberkv::server {
namespace {

void ConnConfigGet(ConnContext& c) {
  std::vector<std::pair<std::string_view, std::string>> matches;
  std::lock_guard lock(c.engine.config_mutex());
  for (size_t i = 2; i < c.args.size(); ++i) {
    for (const ConfigParam& param : ConfigParams()) {
      if (!storage::GlobMatch(c.args[i], param.name, /*nocase=*/true)) continue;
      bool seen = false;
      for (const auto& match : matches) seen |= match.first == param.name;
      if (!seen) matches.emplace_back(param.name, *GetConfigParam(c.engine.config(), param.name));
    }
  }
  c.reply.MapHeader(matches.size());
  for (const auto& [name, value] : matches) {
    c.reply.Bulk(name);
    c.reply.Bulk(value);
  }
}

std::string SetFailed(std::string_view argument, std::string_view why) {
  return "ERR CONFIG SET failed (possibly related to argument '" + std::string(argument) + "') - " +
         std::string(why);
}

void ConnConfigSet(ConnContext& c) {
  if (c.args.size() % 2 != 0) return c.reply.Error(errors::kSyntax);
  // As Redis: names first (unknown, immutable, given twice), then values,
  // on a copy, so that CONFIG SET changes everything or nothing.
  std::set<std::string_view> names;
  for (size_t i = 2; i < c.args.size(); i += 2) {
    const ConfigParam* found = nullptr;
    for (const ConfigParam& param : ConfigParams()) {
      if (EqualsIgnoreCase(param.name, c.args[i])) found = &param;
    }
    if (!found) {
      return c.reply.Error("ERR Unknown option or number of arguments for CONFIG SET - '" +
                           std::string(c.args[i]) + "'");
    }
    if (!found->runtime_settable) return c.reply.Error(SetFailed(c.args[i], "can't set immutable config"));
    if (!names.insert(found->name).second) return c.reply.Error(SetFailed(c.args[i], "duplicate parameter"));
  }
  std::lock_guard lock(c.engine.config_mutex());
  ServerConfig copy = c.engine.config();
  for (size_t i = 2; i < c.args.size(); i += 2) {
    if (std::optional<std::string> error = SetConfigParam(copy, c.args[i], c.args[i + 1])) {
      return c.reply.Error(SetFailed(c.args[i], *error));
    }
  }
  for (size_t i = 2; i < c.args.size(); i += 2) SetConfigParam(c.engine.config(), c.args[i], c.args[i + 1]);
  c.engine.set_auth_required(!c.engine.config().requirepass.empty());
  // The memory limit and its policy live in every shard.
  for (std::string_view name : {"maxmemory", "maxmemory-policy", "maxmemory-samples", "lfu-log-factor", "lfu-decay-time"}) {
    if (names.count(name)) {
      PushMemoryPolicy(c.worker, ShardMemoryPolicy(c.engine.config(), c.engine.shard_count()));
      break;
    }
  }
  c.reply.Ok();
}

Task<void> CoordConfigResetStat(CoordContext& c) {
  co_await ForEachShard(c, [](Worker& shard) {
    shard.stats().ResetCounters();
    shard.store().context().counters = storage::ShardCounters{};
  });
  c.reply.Ok();
}

void ConnConfigHelp(ConnContext& c) {
  ReplyHelp(c.reply, "CONFIG",
            {
                "GET <pattern>",
                "    Return parameters matching the glob-like <pattern> and their values.",
                "SET <directive> <value>",
                "    Set the configuration <directive> to <value>.",
                "RESETSTAT",
                "    Reset statistics reported by the INFO command.",
                "REWRITE",
                "    Rewrite the configuration file.",
            });
}

}  // namespace

void RegisterConfigCommands(CommandTable& table) {
  auto sub = [](std::string_view name, int arity, uint32_t flags, ConnHandler conn,
                CoordinatedHandler coordinated, std::string_view summary, std::string_view acl) {
    CommandSpec spec;
    spec.name = name;
    spec.arity = arity;
    spec.flags = flags;
    spec.conn = conn;
    spec.coordinated = coordinated;
    spec.group = "server";
    spec.summary = summary;
    spec.acl_categories = acl;
    return spec;
  };
  const uint32_t kAdmin = kCmdAdmin | kCmdNoScript | kCmdLoading | kCmdStale;
  const std::string_view kAdminAcl = "@admin @slow @dangerous";
  CommandSpec config;
  config.name = "config";
  config.arity = -2;
  config.group = "server";
  config.summary = "A container for server configuration commands";
  config.acl_categories = "@slow";
  config.Docs("2.0.0", "Depends on subcommand.");
  config.subcommands.push_back(
      sub("config|get", -3, kAdmin, ConnConfigGet, nullptr, "Get the values of configuration parameters", kAdminAcl)
          .Docs("2.0.0", "O(N) when N is the number of configuration parameters provided",
                {arg::Block("parameter", {arg::String("parameter")}).Multiple()})
          .History({{"7.0.0", "Added the ability to pass multiple pattern parameters in one call"}}));
  config.subcommands.push_back(
      sub("config|set", -4, kAdmin, ConnConfigSet, nullptr, "Set configuration parameters to the given values",
          kAdminAcl)
          .Docs("2.0.0", "O(N) when N is the number of configuration parameters provided",
                {arg::Block("parameter_value", {arg::String("parameter"), arg::String("value")}).Multiple()})
          .History({{"7.0.0", "Added the ability to set multiple parameters in one call."}})
          .Tips("request_policy:all_nodes response_policy:all_succeeded"));
  config.subcommands.push_back(
      sub("config|resetstat", 2, kAdmin, nullptr, CoordConfigResetStat, "Reset the stats returned by INFO", kAdminAcl)
          .Docs("2.0.0", "O(1)"));
  config.subcommands.push_back(
      sub("config|help", 2, kCmdLoading | kCmdStale, ConnConfigHelp, nullptr,
          "Show helpful text about the different subcommands", "@slow")
          .Docs("5.0.0", "O(1)"));
  config.subcommands.push_back(ConfigRewriteCommand().Docs("2.8.0", "O(1)"));  // config_rewrite.cc
  table.Register(std::move(config));
}

}  // namespace emberkv::server
