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

// The names of a key spec's flags, in a set.
void ReplyKeySpecFlags(ReplyBuilder& reply, uint16_t flags) {
  auto set = [flags](const KeySpecFlagName& entry) { return (flags & entry.flag) != 0; };
  reply.SetHeader(std::count_if(std::begin(kKeySpecFlagNames), std::end(kKeySpecFlagNames), set));
  for (const KeySpecFlagName& entry : kKeySpecFlagNames) {
    if (set(entry)) reply.SimpleString(entry.name);
  }
}

// Each word of a blank-separated list as a simple string, in a set.
void ReplyWordSet(ReplyBuilder& reply, std::string_view words) {
  reply.SetHeader(CountWords(words));
  ForEachWord(words, [&](std::string_view word) { reply.SimpleString(word); });
}

void ReplyKeySpec(ReplyBuilder& reply, const KeySpec& ks) {
  reply.MapHeader(ks.notes.empty() ? 3 : 4);
  if (!ks.notes.empty()) {
    reply.Bulk("notes");
    reply.Bulk(ks.notes);
  }
  reply.Bulk("flags");
  ReplyKeySpecFlags(reply, ks.flags);

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
  auto shown = [&spec](const CommandFlagName& entry) {
    return entry.shown && (spec.flags & entry.flag);
  };
  reply.SetHeader(std::count_if(std::begin(kCommandFlagNames), std::end(kCommandFlagNames), shown));
  for (const CommandFlagName& entry : kCommandFlagNames) {
    if (shown(entry)) reply.SimpleString(entry.name);
  }
  reply.Integer(spec.legacy_range.first);
  reply.Integer(spec.legacy_range.last);
  reply.Integer(spec.legacy_range.step);
  ReplyWordSet(reply, spec.data->acl_categories);
  reply.SetHeader(CountWords(spec.data->tips));
  ForEachWord(spec.data->tips, [&](std::string_view tip) { reply.Bulk(tip); });
  reply.SetHeader(spec.data->key_specs.size());
  for (const KeySpec& ks : spec.data->key_specs) ReplyKeySpec(reply, ks);
  // Redis 7.0 sends an empty set when there are no subcommands, else an array.
  if (spec.subcommands.empty()) {
    reply.SetHeader(0);
  } else {
    reply.ArrayHeader(spec.subcommands.size());
    for (const CommandSpec& sub : spec.subcommands) ReplyCommandInfo(reply, sub);
  }
}

void ReplyArgs(ReplyBuilder& reply, std::span<const ArgDoc> args) {
  reply.ArrayHeader(args.size());
  for (const ArgDoc& arg : args) {
    const bool nested = !arg.arguments.empty();
    size_t fields = 2 + (arg.key_spec_index >= 0) + !arg.token.empty() + !arg.summary.empty() +
                    !arg.since.empty() + !arg.deprecated_since.empty() + !arg.flags.empty() +
                    nested;
    reply.MapHeader(fields);
    reply.Bulk("name");
    reply.Bulk(arg.name);
    reply.Bulk("type");
    reply.Bulk(arg.type);
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
    if (!arg.flags.empty()) {
      reply.Bulk("flags");
      ReplyWordSet(reply, arg.flags);
    }
    if (nested) {
      reply.Bulk("arguments");
      ReplyArgs(reply, arg.arguments);
    }
  }
}

void ReplyCommandDocs(ReplyBuilder& reply, const CommandSpec& spec) {
  const CommandData& data = *spec.data;
  size_t fields = 1 + !data.summary.empty() + !data.since.empty() + !data.complexity.empty() +
                  !data.doc_flags.empty() + !data.deprecated_since.empty() +
                  !data.replaced_by.empty() + !data.history.empty() + !data.arguments.empty() +
                  !spec.subcommands.empty();
  reply.MapHeader(fields);
  if (!data.summary.empty()) {
    reply.Bulk("summary");
    reply.Bulk(data.summary);
  }
  if (!data.since.empty()) {
    reply.Bulk("since");
    reply.Bulk(data.since);
  }
  reply.Bulk("group");
  reply.Bulk(data.group);
  if (!data.complexity.empty()) {
    reply.Bulk("complexity");
    reply.Bulk(data.complexity);
  }
  if (!data.doc_flags.empty()) {
    reply.Bulk("doc_flags");
    ReplyWordSet(reply, data.doc_flags);
  }
  if (!data.deprecated_since.empty()) {
    reply.Bulk("deprecated_since");
    reply.Bulk(data.deprecated_since);
  }
  if (!data.replaced_by.empty()) {
    reply.Bulk("replaced_by");
    reply.Bulk(data.replaced_by);
  }
  if (!data.history.empty()) {
    reply.Bulk("history");
    reply.SetHeader(data.history.size());  // Redis 7.0 sends a set here
    for (const HistoryEntry& entry : data.history) {
      reply.ArrayHeader(2);
      reply.Bulk(entry.version);
      reply.Bulk(entry.text);
    }
  }
  if (!data.arguments.empty()) {
    reply.Bulk("arguments");
    ReplyArgs(reply, data.arguments);
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

void Command(CommandContext& c) {
  const auto& commands = CommandTable::Get().commands();
  c.reply.ArrayHeader(commands.size());
  for (const auto& spec : commands) ReplyCommandInfo(c.reply, *spec);
}

void CommandCount(CommandContext& c) {
  c.reply.Integer(static_cast<int64_t>(CommandTable::Get().commands().size()));
}

void CommandInfo(CommandContext& c) {
  if (c.args.size() == 2) return Command(c);
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

void CommandDocs(CommandContext& c) {
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

void ReplyKeys(CommandContext& c, bool with_flags) {
  ArgList line = c.args.subspan(2);
  const CommandSpec* spec = CommandTable::Get().Find(line[0]);
  if (spec && !spec->subcommands.empty() && line.size() >= 2) {
    spec = CommandTable::FindSubcommand(*spec, line[1]);
  }
  if (!spec) return c.reply.Error(errors::kInvalidCommandSpecified);
  if (!spec->has_keys()) return c.reply.Error(errors::kNoKeyArguments);
  if (!spec->ArityOk(line.size())) {
    return c.reply.Error(errors::kInvalidArgumentCount);
  }
  // The keys with the flags of the key spec that found each; keys found by
  // code (a key finder) come with their own.
  std::vector<FoundKey> keys;
  std::span<const KeySpec> key_specs = spec->data->key_specs;
  if (spec->key_finder) {
    keys = spec->key_finder(line);
  } else {
    for (const KeySpec& ks : key_specs) {
      if (ks.Has(kKeyNotKey)) continue;
      // Flags that depend on the call (SET's, with or without GET) come
      // from the command's own function.
      uint16_t flags = ks.Has(kKeyVariableFlags) ? spec->key_flags(line) : ks.flags;
      KeyRun run = ks.RunIn(line);
      for (int index = run.first; index <= run.last; index += run.step) {
        keys.push_back({index, flags});
      }
    }
  }
  if (keys.empty() && !(spec->flags & kCmdNoMandatoryKeys)) {
    return c.reply.Error(errors::kInvalidArguments);
  }
  c.reply.ArrayHeader(keys.size());
  for (const FoundKey& key : keys) {
    if (!with_flags) {
      c.reply.Bulk(line[key.index]);
      continue;
    }
    c.reply.ArrayHeader(2);
    c.reply.Bulk(line[key.index]);
    ReplyKeySpecFlags(c.reply, key.flags);
  }
}

void CommandGetKeys(CommandContext& c) { ReplyKeys(c, false); }
void CommandGetKeysAndFlags(CommandContext& c) { ReplyKeys(c, true); }

void CommandList(CommandContext& c) {
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
      case kAll:
        return true;
      case kModule:
        return false;  // emberkv has no modules
      case kAclCat: {
        bool found = false;
        ForEachWord(spec.data->acl_categories, [&](std::string_view category) {
          found |= EqualsIgnoreCase(category.substr(1), value);  // "@read": "read"
        });
        return found;
      }
      case kPattern:
        return storage::GlobMatch(value, spec.name, /*nocase=*/true);
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

void CommandHelp(CommandContext& c) {
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
  table.Register({
      {.name = "command",
       .handler = Command,
       .subcommands = {{.name = "command|count", .handler = CommandCount},
                       {.name = "command|docs", .handler = CommandDocs},
                       {.name = "command|getkeys", .handler = CommandGetKeys},
                       {.name = "command|getkeysandflags", .handler = CommandGetKeysAndFlags},
                       {.name = "command|help", .handler = CommandHelp},
                       {.name = "command|info", .handler = CommandInfo},
                       {.name = "command|list", .handler = CommandList}}},
  });
}

}  // namespace emberkv::server
