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
#include "storage/glob.h"

namespace emberkv::server {
namespace {

void ConfigGet(CommandContext& c) {
  std::vector<std::pair<std::string_view, std::string>> matches;
  std::lock_guard lock(c.engine().config_mutex());
  for (size_t i = 2; i < c.args.size(); ++i) {
    for (const ConfigParam& param : ConfigParams()) {
      if (!storage::GlobMatch(c.args[i], param.name, /*nocase=*/true)) continue;
      bool seen = false;
      for (const auto& match : matches) seen |= match.first == param.name;
      if (!seen) matches.emplace_back(param.name, *GetConfigParam(c.engine().config(), param.name));
    }
  }
  c.reply.MapHeader(matches.size());
  for (const auto& [name, value] : matches) {
    c.reply.Bulk(name);
    c.reply.Bulk(value);
  }
}

void ConfigSet(CommandContext& c) {
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
      return c.reply.Error(errors::UnknownConfigSetOption(c.args[i]));
    }
    if (!found->runtime_settable)
      return c.reply.Error(errors::ConfigSetFailed(c.args[i], "can't set immutable config"));
    if (!names.insert(found->name).second)
      return c.reply.Error(errors::ConfigSetFailed(c.args[i], "duplicate parameter"));
  }
  std::lock_guard lock(c.engine().config_mutex());
  ServerConfig copy = c.engine().config();
  for (size_t i = 2; i < c.args.size(); i += 2) {
    if (std::optional<std::string> error = SetConfigParam(copy, c.args[i], c.args[i + 1])) {
      return c.reply.Error(errors::ConfigSetFailed(c.args[i], *error));
    }
  }
  for (size_t i = 2; i < c.args.size(); i += 2)
    SetConfigParam(c.engine().config(), c.args[i], c.args[i + 1]);
  c.engine().set_auth_required(!c.engine().config().requirepass.empty());
  ApplyEncodingLimits(c.engine().config());
  // The memory limit and its policy live in every shard.
  for (std::string_view name :
       {"maxmemory", "maxmemory-policy", "maxmemory-samples", "lfu-log-factor", "lfu-decay-time"}) {
    if (names.count(name)) {
      ApplyMemoryPolicy(c.shards, ShardMemoryPolicy(c.engine().config(), c.engine().shard_count()));
      break;
    }
  }
  c.reply.Ok();
}

void ConfigResetStat(CommandContext& c) {
  for (int w = 0; w < c.engine().worker_count(); ++w) c.engine().worker(w).stats().ResetCounters();
  c.VisitShards([](Shard& shard) { shard.store().context().counters = storage::ShardCounters{}; });
  c.reply.Ok();
}

void ConfigHelp(CommandContext& c) {
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
  table.Register({
      {.name = "config",
       .subcommands =
           {{.name = "config|get", .handler = ConfigGet},
            {.name = "config|set", .handler = ConfigSet, .flags = kCmdVisitsShards},
            {.name = "config|resetstat", .handler = ConfigResetStat, .flags = kCmdVisitsShards},
            {.name = "config|help", .handler = ConfigHelp},
            {.name = "config|rewrite", .handler = ConfigRewrite}}},
  });
}

}  // namespace emberkv::server
