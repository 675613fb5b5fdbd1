#include "server/command_table.h"

#include <absl/container/inlined_vector.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iterator>

#include "server/util/ascii.h"

namespace emberkv::server {
namespace {

// Where dispatch finds a completed command's keys (see CommandSpec::KeyForm);
// what is wrong with the declaration instead, if anything.
std::optional<std::string_view> DeriveKeyForm(CommandSpec* spec) {
  absl::InlinedVector<KeySpec, 4> routed;  // the specs that find keys, not channels
  bool needs_finder = false;
  bool variable_flags = false;
  for (const KeySpec& key_spec : spec->data->key_specs) {
    variable_flags |= key_spec.Has(kKeyVariableFlags);
    if (key_spec.Has(kKeyNotKey)) continue;
    needs_finder |= !key_spec.Known() || key_spec.Has(kKeyIncomplete);
    routed.push_back(key_spec);
  }
  if (variable_flags != (spec->key_flags != nullptr)) {
    return variable_flags ? "its key specs have variable flags; declare key_flags"
                          : "declares key_flags, but its key specs' flags are fixed";
  }
  if (needs_finder != (spec->key_finder != nullptr)) {
    return needs_finder ? "its key specs cannot find all its keys; declare a key_finder"
                        : "declares a key_finder, but its key specs find its keys";
  }
  if (spec->key_finder) {
    spec->key_form = CommandSpec::KeyForm::kFinder;
  } else if (!routed.empty()) {
    // Where Redis's legacy range covers every key, that range is the fast
    // form; a spec with a limit is only ever a range of its own (XREAD).
    LegacyRange range = DeriveLegacyRange(routed);
    bool one_range =
        !range.movable && range.step > 0 && (routed.size() > 1 || routed[0].limit == 0);
    spec->key_form = one_range ? CommandSpec::KeyForm::kRange : CommandSpec::KeyForm::kSpecs;
    if (one_range) spec->key_range = KeyRun{range.first, range.last, range.step};
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> CompleteCommand(CommandSpec* spec) {
  auto error = [spec](std::string_view why) {
    return std::string(spec->name) + ": " + std::string(why);
  };
  if (spec->data || spec->arity != 0 || spec->key_form != CommandSpec::KeyForm::kNone ||
      spec->id != -1) {
    return error("declared with fields that registration completes");
  }
  if (spec->flags & ~kEmberFlags) {
    return error("declares Redis's flags (only emberkv's are declared; Redis's are data)");
  }
  spec->data = FindCommandData(spec->name);
  if (!spec->data) return error("Redis has no such command (see server/command_data.json)");
  spec->arity = spec->data->arity;
  spec->flags |= spec->data->flags;
  spec->legacy_range = DeriveLegacyRange(spec->data->key_specs);
  if (std::optional<std::string_view> wrong = DeriveKeyForm(spec)) return error(*wrong);
  if (spec->subcommands.empty() && !spec->handler) {
    return error("declares no handler");
  }
  for (CommandSpec& sub : spec->subcommands) {
    const size_t n = spec->name.size();
    if (sub.name.size() <= n + 1 || !sub.name.starts_with(spec->name) || sub.name[n] != '|') {
      return std::string(sub.name) + ": not a subcommand of " + std::string(spec->name);
    }
    if (std::optional<std::string> wrong = CompleteCommand(&sub)) return wrong;
  }
  return std::nullopt;
}

std::vector<int> CommandSpec::KeyIndices(ArgList args) const {
  std::vector<int> keys;
  ForEachKeyIndex(args, [&keys](int index) { keys.push_back(index); });
  return keys;
}

const CommandTable& CommandTable::Get() {
  static const CommandTable* table = [] {
    auto* t = new CommandTable();
    RegisterStringCommands(*t);
    RegisterKeyCommands(*t);
    RegisterConnectionCommands(*t);
    RegisterServerCommands(*t);
    RegisterTransactionCommands(*t);
    RegisterPubSubCommands(*t);
    RegisterHashCommands(*t);
    RegisterSetCommands(*t);
    RegisterZSetCommands(*t);
    RegisterObjectCommands(*t);
    RegisterMemoryCommands(*t);
    RegisterDebugCommands(*t);
    RegisterListCommands(*t);
    RegisterObservabilityCommands(*t);
    RegisterClientCommands(*t);
    RegisterConfigCommands(*t);
    RegisterIntrospectionCommands(*t);
    RegisterScriptingCommands(*t);
    RegisterBitmapCommands(*t);
    RegisterHyperLogLogCommands(*t);
    RegisterGeoCommands(*t);
    RegisterSortCommands(*t);
    return t;
  }();
  return *table;
}

void CommandTable::AssignIds(CommandSpec* spec) {
  spec->id = static_cast<int>(by_id_.size());
  by_id_.push_back(spec);
  for (CommandSpec& sub : spec->subcommands) AssignIds(&sub);
}

void CommandTable::Register(std::span<const CommandSpec> declarations) {
  for (const CommandSpec& declared : declarations) {
    auto spec = std::make_unique<CommandSpec>(declared);
    std::optional<std::string> error = CompleteCommand(spec.get());
    if (!error && by_name_.contains(spec->name)) {
      error = std::string(spec->name) + ": registered twice";
    }
    if (error) {
      // A declaration that cannot work: stop before serving anything.
      std::fprintf(stderr, "emberkv: command table: %s\n", error->c_str());
      std::abort();
    }
    AssignIds(spec.get());
    by_name_[spec->name] = spec.get();
    commands_.push_back(std::move(spec));
  }
}

const CommandSpec* CommandTable::Find(std::string_view name) const {
  // A pipeline repeats a few commands, and each is looked up twice (the
  // prefetching scan, then dispatch); a script's calls repeat a few more
  // (EVALSHA, then its INCR and EXPIRE). The last few commands this thread
  // found are compared first, which is cheaper than hashing the name (perf
  // had Find at 4% of a -P 16 benchmark's cycles without the first of
  // them, callgrind at 2.6% of a script's instructions with only one).
  thread_local const CommandTable* recent_table = nullptr;
  thread_local const CommandSpec* recent[4] = {};
  thread_local unsigned next_recent = 0;
  if (recent_table == this) {
    for (const CommandSpec* spec : recent) {
      if (spec && EqualsIgnoreCase(spec->name, name)) return spec;
    }
  } else {
    recent_table = this;
    std::fill(std::begin(recent), std::end(recent), nullptr);
  }
  // Command names are short; lower-case into a stack buffer.
  char lower[32];
  if (name.size() >= sizeof(lower)) return nullptr;
  for (size_t i = 0; i < name.size(); ++i) lower[i] = AsciiLower(name[i]);
  auto it = by_name_.find(std::string_view(lower, name.size()));
  if (it == by_name_.end()) return nullptr;
  recent[next_recent++ % std::size(recent)] = it->second;
  return it->second;
}

const CommandSpec* CommandTable::FindSubcommand(const CommandSpec& container,
                                                std::string_view name) {
  for (const CommandSpec& sub : container.subcommands) {
    std::string_view short_name = sub.name.substr(sub.name.find('|') + 1);
    if (EqualsIgnoreCase(short_name, name)) return &sub;
  }
  return nullptr;
}

}  // namespace emberkv::server
