// COMMAND and its subcommands: everything here is generated from the one
// command table, in the shapes Redis 7.0 sends (flags, ACL categories, tips
// and key specs as sets; documentation as maps), so that clients, proxies
// and redis-cli's hints see emberkv exactly as it is.
#include <algorithm>
#include <string>
#include <vector>

#include "server/command_table.h"
#include "server/commands/arg_parsing.h"
#include "server/commands/help.h"
#include "server/errors.h"
#include "storage/glob.h"

namespace emberkv::server {
namespace {

using protocol::ReplyBuilder;

// COMMAND INFO's flag names, in Redis's order. may_replicate and sentinel
// are hidden by Redis too.
constexpr std::pair<CommandFlag, std::string_view> kFlagNames[] = {
    {kCmdWrite, "write"},
    {kCmdReadOnly, "readonly"},
    {kCmdDenyOom, "denyoom"},
    {kCmdAdmin, "admin"},
    {kCmdPubSub, "pubsub"},
    {kCmdNoScript, "noscript"},
    {kCmdBlocking, "blocking"},
    {kCmdLoading, "loading"},
    {kCmdStale, "stale"},
    {kCmdSkipMonitor, "skip_monitor"},
    {kCmdSkipSlowlog, "skip_slowlog"},
    {kCmdFast, "fast"},
    {kCmdNoAuth, "no_auth"},
    {kCmdNoMandatoryKeys, "no_mandatory_keys"},
    {kCmdNoMulti, "no_multi"},
    {kCmdMovableKeys, "movablekeys"},
    {kCmdAllowBusy, "allow_busy"},
};

// Redis's ACL categories, in the order it lists them.
constexpr std::string_view kAclCategories[] = {
    "keyspace", "read",      "write",     "set",        "sortedset",   "list",      "hash",
    "string",   "bitmap",    "hyperloglog", "geo",      "stream",      "pubsub",    "admin",
    "fast",     "slow",      "blocking",  "dangerous",  "connection",  "transaction", "scripting",
};

// The command's ACL categories: those registered plus those Redis implies
// from its flags (write, read, admin, pubsub, blocking, and fast or slow).
std::vector<std::string_view> AclCategories(const CommandSpec& spec) {
  std::vector<bool> has(std::size(kAclCategories), false);
  auto set = [&](std::string_view name) {
    for (size_t i = 0; i < std::size(kAclCategories); ++i) {
      if (kAclCategories[i] == name) has[i] = true;
    }
  };
  std::string_view rest = spec.acl_categories;
  while (!rest.empty()) {
    size_t blank = rest.find(' ');
    std::string_view word = rest.substr(0, blank);
    if (word.starts_with('@')) set(word.substr(1));
    rest = blank == std::string_view::npos ? std::string_view() : rest.substr(blank + 1);
  }
  if (spec.flags & kCmdWrite) set("write");
  if (spec.flags & kCmdReadOnly) set("read");
  if (spec.flags & kCmdAdmin) {
    set("admin");
    set("dangerous");
  }
  if (spec.flags & kCmdPubSub) set("pubsub");
  if (spec.flags & kCmdBlocking) set("blocking");
  // As in Redis, @fast is the fast flag and everything else is @slow,
  // whatever the registration says.
  for (size_t i = 0; i < std::size(kAclCategories); ++i) {
    if (kAclCategories[i] == "fast" || kAclCategories[i] == "slow") has[i] = false;
  }
  set(spec.flags & kCmdFast ? "fast" : "slow");
  std::vector<std::string_view> out;
  for (size_t i = 0; i < std::size(kAclCategories); ++i) {
    if (has[i]) out.push_back(kAclCategories[i]);
  }
  return out;
}

std::vector<std::string_view> Words(std::string_view text) {
  std::vector<std::string_view> words;
  while (!text.empty()) {
    size_t blank = text.find(' ');
    if (blank != 0) words.push_back(text.substr(0, blank));
    if (blank == std::string_view::npos) break;
    text.remove_prefix(blank + 1);
  }
  return words;
}

// The registered key specs, or for a command registered with first/last/step
// only, one range spec made from those.
std::vector<KeySpec> KeySpecsOf(const CommandSpec& spec) {
  if (!spec.key_specs.empty() || spec.first_key <= 0) return spec.key_specs;
  int last = spec.last_key < 0 ? spec.last_key : spec.last_key - spec.first_key;
  return {KeySpec::Range(spec.is_write() ? "RW update" : "RO access", spec.first_key, last,
                         std::max(1, spec.key_step))};
}

void ReplyKeySpec(ReplyBuilder& reply, const KeySpec& ks) {
  reply.MapHeader(ks.notes.empty() ? 3 : 4);
  if (!ks.notes.empty()) {
    reply.Bulk("notes");
    reply.Bulk(ks.notes);
  }
  reply.Bulk("flags");
  std::vector<std::string_view> flags = Words(ks.flags);
  reply.SetHeader(flags.size());
  for (std::string_view flag : flags) reply.SimpleString(flag);

  reply.Bulk("begin_search");
  reply.MapHeader(2);
  reply.Bulk("type");
  switch (ks.begin) {
    case KeySpec::Begin::kIndex:
      reply.Bulk("index");
      reply.Bulk("spec");
      reply.MapHeader(1);
      reply.Bulk("index");
      reply.Integer(ks.index);
      break;
    case KeySpec::Begin::kKeyword:
      reply.Bulk("keyword");
      reply.Bulk("spec");
      reply.MapHeader(2);
      reply.Bulk("keyword");
      reply.Bulk(ks.keyword);
      reply.Bulk("startfrom");
      reply.Integer(ks.startfrom);
      break;
    case KeySpec::Begin::kUnknown:
      reply.Bulk("unknown");
      reply.Bulk("spec");
      reply.MapHeader(0);
      break;
  }

  reply.Bulk("find_keys");
  reply.MapHeader(2);
  reply.Bulk("type");
  switch (ks.find) {
    case KeySpec::Find::kRange:
      reply.Bulk("range");
      reply.Bulk("spec");
      reply.MapHeader(3);
      reply.Bulk("lastkey");
      reply.Integer(ks.lastkey);
      reply.Bulk("keystep");
      reply.Integer(ks.keystep);
      reply.Bulk("limit");
      reply.Integer(ks.limit);
      break;
    case KeySpec::Find::kKeynum:
      reply.Bulk("keynum");
      reply.Bulk("spec");
      reply.MapHeader(3);
      reply.Bulk("keynumidx");
      reply.Integer(ks.keynumidx);
      reply.Bulk("firstkey");
      reply.Integer(ks.firstkey);
      reply.Bulk("keystep");
      reply.Integer(ks.keystep);
      break;
    case KeySpec::Find::kUnknown:
      reply.Bulk("unknown");
      reply.Bulk("spec");
      reply.MapHeader(0);
      break;
  }
}

void ReplyCommandInfo(ReplyBuilder& reply, const CommandSpec& spec) {
  reply.ArrayHeader(10);
  reply.Bulk(spec.name);
  reply.Integer(spec.arity);
  size_t flag_count = 0;
  for (const auto& [flag, name] : kFlagNames) flag_count += (spec.flags & flag) ? 1 : 0;
  reply.SetHeader(flag_count);
  for (const auto& [flag, name] : kFlagNames) {
    if (spec.flags & flag) reply.SimpleString(name);
  }
  reply.Integer(spec.first_key);
  reply.Integer(spec.last_key);
  reply.Integer(spec.key_step);
  std::vector<std::string_view> categories = AclCategories(spec);
  reply.SetHeader(categories.size());
  for (std::string_view category : categories) reply.SimpleString("@" + std::string(category));
  std::vector<std::string_view> tips = Words(spec.tips);
  reply.SetHeader(tips.size());
  for (std::string_view tip : tips) reply.Bulk(tip);
  std::vector<KeySpec> key_specs = KeySpecsOf(spec);
  reply.SetHeader(key_specs.size());
  for (const KeySpec& ks : key_specs) ReplyKeySpec(reply, ks);
  // Redis 7.0 sends an empty set when there are no subcommands, else an array.
  if (spec.subcommands.empty()) {
    reply.SetHeader(0);
  } else {
    reply.ArrayHeader(spec.subcommands.size());
    for (const CommandSpec& sub : spec.subcommands) ReplyCommandInfo(reply, sub);
  }
}

void ReplyArgs(ReplyBuilder& reply, const std::vector<ArgDoc>& args) {
  reply.ArrayHeader(args.size());
  for (const ArgDoc& arg : args) {
    const bool nested = arg.type == ArgType::kOneOf || arg.type == ArgType::kBlock;
    size_t fields = 2 + (arg.key_spec_index >= 0) + !arg.token.empty() + !arg.summary.empty() +
                    !arg.since.empty() + !arg.deprecated_since.empty() + (arg.flags != 0) + nested;
    reply.MapHeader(fields);
    reply.Bulk("name");
    reply.Bulk(arg.name);
    reply.Bulk("type");
    reply.Bulk(ArgTypeName(arg.type));
    if (arg.key_spec_index >= 0) {
      reply.Bulk("key_spec_index");
      reply.Integer(arg.key_spec_index);
    }
    if (!arg.token.empty()) {
      reply.Bulk("token");
      reply.Bulk(arg.token);
    }
    if (!arg.summary.empty()) {
      reply.Bulk("summary");
      reply.Bulk(arg.summary);
    }
    if (!arg.since.empty()) {
      reply.Bulk("since");
      reply.Bulk(arg.since);
    }
    if (!arg.deprecated_since.empty()) {
      reply.Bulk("deprecated_since");
      reply.Bulk(arg.deprecated_since);
    }
    if (arg.flags) {
      reply.Bulk("flags");
      std::vector<std::string_view> flags;
      if (arg.flags & kArgOptional) flags.push_back("optional");
      if (arg.flags & kArgMultiple) flags.push_back("multiple");
      if (arg.flags & kArgMultipleToken) flags.push_back("multiple_token");
      reply.SetHeader(flags.size());
      for (std::string_view flag : flags) reply.SimpleString(flag);
    }
    if (nested) {
      reply.Bulk("arguments");
      ReplyArgs(reply, arg.arguments);
    }
  }
}

void ReplyCommandDocs(ReplyBuilder& reply, const CommandSpec& spec) {
  size_t fields = 1 + !spec.summary.empty() + !spec.since.empty() + !spec.complexity.empty() +
                  (spec.doc_flags != 0) + !spec.deprecated_since.empty() + !spec.replaced_by.empty() +
                  !spec.history.empty() + !spec.arguments.empty() + !spec.subcommands.empty();
  reply.MapHeader(fields);
  if (!spec.summary.empty()) {
    reply.Bulk("summary");
    reply.Bulk(spec.summary);
  }
  if (!spec.since.empty()) {
    reply.Bulk("since");
    reply.Bulk(spec.since);
  }
  reply.Bulk("group");
  reply.Bulk(spec.group);
  if (!spec.complexity.empty()) {
    reply.Bulk("complexity");
    reply.Bulk(spec.complexity);
  }
  if (spec.doc_flags) {
    reply.Bulk("doc_flags");
    std::vector<std::string_view> flags;
    if (spec.doc_flags & kDocDeprecated) flags.push_back("deprecated");
    if (spec.doc_flags & kDocSysCmd) flags.push_back("syscmd");
    reply.SetHeader(flags.size());
    for (std::string_view flag : flags) reply.SimpleString(flag);
  }
  if (!spec.deprecated_since.empty()) {
    reply.Bulk("deprecated_since");
    reply.Bulk(spec.deprecated_since);
  }
  if (!spec.replaced_by.empty()) {
    reply.Bulk("replaced_by");
    reply.Bulk(spec.replaced_by);
  }
  if (!spec.history.empty()) {
    reply.Bulk("history");
    reply.SetHeader(spec.history.size());  // Redis 7.0 sends a set here
    for (const auto& [version, text] : spec.history) {
      reply.ArrayHeader(2);
      reply.Bulk(version);
      reply.Bulk(text);
    }
  }
  if (!spec.arguments.empty()) {
    reply.Bulk("arguments");
    ReplyArgs(reply, spec.arguments);
  }
  if (!spec.subcommands.empty()) {
    reply.Bulk("subcommands");
    reply.MapHeader(spec.subcommands.size());
    for (const CommandSpec& sub : spec.subcommands) {
      reply.Bulk(sub.name);
      ReplyCommandDocs(reply, sub);
    }
  }
}

// A command or subcommand by its full name ("get", "config|get").
const CommandSpec* FindByFullName(std::string_view name) {
  size_t bar = name.find('|');
  if (bar == std::string_view::npos) return CommandTable::Get().Find(name);
  const CommandSpec* container = CommandTable::Get().Find(name.substr(0, bar));
  if (!container) return nullptr;
  return CommandTable::FindSubcommand(*container, name.substr(bar + 1));
}

void ConnCommand(ConnContext& c) {
  const auto& commands = CommandTable::Get().commands();
  c.reply.ArrayHeader(commands.size());
  for (const auto& spec : commands) ReplyCommandInfo(c.reply, *spec);
}

void ConnCommandCount(ConnContext& c) {
  c.reply.Integer(static_cast<int64_t>(CommandTable::Get().commands().size()));
}

void ConnCommandInfo(ConnContext& c) {
  if (c.args.size() == 2) return ConnCommand(c);
  c.reply.ArrayHeader(c.args.size() - 2);
  for (size_t i = 2; i < c.args.size(); ++i) {
    const CommandSpec* spec = FindByFullName(c.args[i]);
    if (spec) {
      ReplyCommandInfo(c.reply, *spec);
    } else {
      c.reply.Null();
    }
  }
}

void ConnCommandDocs(ConnContext& c) {
  std::vector<const CommandSpec*> specs;
  if (c.args.size() == 2) {
    for (const auto& spec : CommandTable::Get().commands()) specs.push_back(spec.get());
  } else {
    for (size_t i = 2; i < c.args.size(); ++i) {
      if (const CommandSpec* spec = FindByFullName(c.args[i])) specs.push_back(spec);
    }
  }
  c.reply.MapHeader(specs.size());
  for (const CommandSpec* spec : specs) {
    c.reply.Bulk(spec->name);
    ReplyCommandDocs(c.reply, *spec);
  }
}

// Key specs flagged "variable_flags" have flags that depend on the call, as
// Redis's getkeys procedures compute them.
std::string_view ActualKeyFlags(const CommandSpec& spec, ArgList line, std::string_view flags) {
  if (spec.name == "set" && flags.find("variable_flags") != std::string_view::npos) {
    for (size_t i = 3; i < line.size(); ++i) {
      if (Is(line[i], "GET")) return "RW access update";
    }
    return "OW update";
  }
  return flags;
}

// The keys of a command line with the flags of the key spec that found each.
struct FoundKey {
  int index;
  std::string_view flags;
};

void ReplyKeys(ConnContext& c, bool with_flags) {
  ArgList line = c.args.subspan(2);
  const CommandSpec* spec = CommandTable::Get().Find(line[0]);
  if (spec && !spec->subcommands.empty() && line.size() >= 2) {
    spec = CommandTable::FindSubcommand(*spec, line[1]);
  }
  if (!spec) return c.reply.Error("ERR Invalid command specified");
  if (!spec->has_keys() && spec->key_specs.empty()) {
    return c.reply.Error("ERR The command has no key arguments");
  }
  if (!spec->ArityOk(line.size())) {
    return c.reply.Error("ERR Invalid number of arguments specified for command");
  }
  std::vector<FoundKey> keys;
  std::vector<KeySpec> key_specs = KeySpecsOf(*spec);
  if (spec->key_finder || key_specs.empty()) {
    // Keys found by code (numkeys forms and the like): flags of the first spec.
    std::string_view flags = key_specs.empty() ? std::string_view("RW access") : key_specs[0].flags;
    for (int index : spec->KeyIndices(line)) keys.push_back({index, flags});
  } else {
    for (const KeySpec& ks : key_specs) {
      for (int index : ks.KeysIn(line)) keys.push_back({index, ks.flags});
    }
  }
  if (keys.empty() && !(spec->flags & kCmdNoMandatoryKeys)) {
    return c.reply.Error("ERR Invalid arguments specified for command");
  }
  c.reply.ArrayHeader(keys.size());
  for (const FoundKey& key : keys) {
    if (!with_flags) {
      c.reply.Bulk(line[key.index]);
      continue;
    }
    c.reply.ArrayHeader(2);
    c.reply.Bulk(line[key.index]);
    std::vector<std::string_view> flags = Words(ActualKeyFlags(*spec, line, key.flags));
    c.reply.SetHeader(flags.size());
    for (std::string_view flag : flags) c.reply.SimpleString(flag);
  }
}

void ConnCommandGetKeys(ConnContext& c) { ReplyKeys(c, false); }
void ConnCommandGetKeysAndFlags(ConnContext& c) { ReplyKeys(c, true); }

void ConnCommandList(ConnContext& c) {
  enum { kAll, kModule, kAclCat, kPattern } filter = kAll;
  std::string_view value;
  if (c.args.size() == 5 && Is(c.args[2], "FILTERBY")) {
    if (Is(c.args[3], "MODULE")) {
      filter = kModule;
    } else if (Is(c.args[3], "ACLCAT")) {
      filter = kAclCat;
    } else if (Is(c.args[3], "PATTERN")) {
      filter = kPattern;
    }
    value = c.args[4];
  }
  if (filter == kAll && c.args.size() != 2) return c.reply.Error(errors::kSyntax);
  auto matches = [&](const CommandSpec& spec) {
    switch (filter) {
      case kAll: return true;
      case kModule: return false;  // emberkv has no modules
      case kAclCat:
        for (std::string_view category : AclCategories(spec)) {
          if (EqualsIgnoreCase(category, value)) return true;
        }
        return false;
      case kPattern: return storage::GlobMatch(value, spec.name, /*nocase=*/true);
    }
    return false;
  };
  std::vector<std::string_view> names;
  for (const auto& spec : CommandTable::Get().commands()) {
    if (matches(*spec)) names.push_back(spec->name);
    for (const CommandSpec& sub : spec->subcommands) {
      if (matches(sub)) names.push_back(sub.name);
    }
  }
  c.reply.ArrayHeader(names.size());
  for (std::string_view name : names) c.reply.Bulk(name);
}

void ConnCommandHelp(ConnContext& c) {
  ReplyHelp(c.reply, "COMMAND",
            {
                "(no subcommand)",
                "    Return details about all Redis commands.",
                "COUNT",
                "    Return the total number of commands in this Redis server.",
                "LIST",
                "    Return a list of all commands in this Redis server.",
                "INFO [<command-name> ...]",
                "    Return details about multiple Redis commands.",
                "    If no command names are given, documentation details for all",
                "    commands are returned.",
                "DOCS [<command-name> ...]",
                "    Return documentation details about multiple Redis commands.",
                "    If no command names are given, documentation details for all",
                "    commands are returned.",
                "GETKEYS <full-command>",
                "    Return the keys from a full Redis command.",
                "GETKEYSANDFLAGS <full-command>",
                "    Return the keys and the access flags from a full Redis command.",
            });
}

}  // namespace

void RegisterIntrospectionCommands(CommandTable& table) {
  const uint32_t kFlags = kCmdLoading | kCmdStale;
  auto sub = [](std::string_view name, int arity, ConnHandler handler, std::string_view summary) {
    CommandSpec spec;
    spec.name = name;
    spec.arity = arity;
    spec.flags = kCmdLoading | kCmdStale;
    spec.conn = handler;
    spec.group = "server";
    spec.summary = summary;
    spec.acl_categories = "@slow @connection";
    return spec;
  };
  CommandSpec command;
  command.name = "command";
  command.arity = -1;
  command.flags = kFlags;
  command.conn = ConnCommand;
  command.group = "server";
  command.summary = "Get array of Redis command details";
  command.acl_categories = "@slow @connection";
  command.Docs("2.8.13", "O(N) where N is the total number of Redis commands")
      .Tips("nondeterministic_output_order");
  command.subcommands.push_back(
      sub("command|count", 2, ConnCommandCount, "Get total number of Redis commands")
          .Docs("2.8.13", "O(1)"));
  command.subcommands.push_back(
      sub("command|docs", -2, ConnCommandDocs, "Get array of specific Redis command documentation")
          .Docs("7.0.0", "O(N) where N is the number of commands to look up",
                {arg::String("command-name").Optional().Multiple()})
          .Tips("nondeterministic_output_order"));
  command.subcommands.push_back(
      sub("command|getkeys", -4, ConnCommandGetKeys, "Extract keys given a full Redis command")
          .Docs("2.8.13", "O(N) where N is the number of arguments to the command"));
  command.subcommands.push_back(
      sub("command|getkeysandflags", -4, ConnCommandGetKeysAndFlags,
          "Extract keys and access flags given a full Redis command")
          .Docs("7.0.0", "O(N) where N is the number of arguments to the command"));
  command.subcommands.push_back(
      sub("command|help", 2, ConnCommandHelp, "Show helpful text about the different subcommands")
          .Docs("5.0.0", "O(1)"));
  command.subcommands.push_back(
      sub("command|info", -2, ConnCommandInfo, "Get array of specific Redis command details, or all when no argument is given.")
          .Docs("2.8.13", "O(N) where N is the number of commands to look up",
                {arg::String("command-name").Optional().Multiple()})
          .History({{"7.0.0", "Allowed to be called with no argument to get info on all commands."}})
          .Tips("nondeterministic_output_order"));
  command.subcommands.push_back(
      sub("command|list", -2, ConnCommandList, "Get an array of Redis command names")
          .Docs("7.0.0", "O(N) where N is the total number of Redis commands",
                {arg::OneOf("filterby", {
                     arg::String("module-name").Token("MODULE"),
                     arg::String("category").Token("ACLCAT"),
                     arg::Pattern("pattern").Token("PATTERN")}).Token("FILTERBY").Optional()})
          .Tips("nondeterministic_output_order"));
  table.Register(std::move(command));
}

}  // namespace emberkv::server
