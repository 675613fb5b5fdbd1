// What a command is to the server: its entry in the command table. Its
// handler's shape and what the handler is given are in command_context.h.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/reply_builder.h"
#include "server/command_context.h"
#include "server/command_data.h"
#include "server/command_flags.h"

namespace emberkv::server {

class Connection;
class Engine;
class Worker;
struct CommandSpec;

// For commands whose keys their key specs cannot find (SORT's BY and GET
// patterns, MIGRATE's KEYS): the arguments that are keys, each with its
// KeySpecFlag flags (COMMAND GETKEYSANDFLAGS), or none on bad syntax.
struct FoundKey {
  int index;
  uint16_t flags;
};
using KeyFinder = std::vector<FoundKey> (*)(ArgList);
// For commands whose key specs are flagged variable_flags: the flags of
// their keys in this call (SET's key is RW access update with GET, OW
// update without), for COMMAND GETKEYSANDFLAGS.
using KeyFlagsFinder = uint16_t (*)(ArgList);  // KeySpecFlag

// A command: declared once by its family (server/commands/*_commands.cc) as
// an aggregate with designated initializers, naming the command and what
// runs it,
//
//   {.name = "mget", .handler = MGet},
//   {.name = "config",
//    .subcommands = {{.name = "config|get", .handler = ConfigGet},
//                    {.name = "config|set", .handler = ConfigSet}}},
//
// and completed by CommandTable::Register from Redis's metadata
// (command_data.h): arity, flags, key specs, documentation. A declaration
// sets only the first group of fields.
struct CommandSpec {
  // ---- Declared ----
  std::string_view name;               // lower case; a subcommand is "container|sub"
  Handler handler = nullptr;           // null for a container of subcommands
  KeyFinder key_finder = nullptr;      // only where the key specs cannot find the keys
  KeyFlagsFinder key_flags = nullptr;  // only for variable_flags key specs
  uint32_t flags = 0;                  // declared: emberkv's own (kEmberFlags); Redis's are added
  std::vector<CommandSpec> subcommands;

  // ---- Completed at registration ----
  const CommandData* data = nullptr;  // Redis's metadata: docs, key specs, ACL categories
  int arity = 0;                      // Redis's rule: N exactly N arguments, -N at least N
  LegacyRange legacy_range;           // COMMAND INFO's first/last/step
  // How dispatch finds the keys: a fixed range when the key specs amount to
  // one (most commands; no allocation, no parsing), else the key specs one
  // by one, else the key finder.
  enum class KeyForm : uint8_t { kNone, kRange, kSpecs, kFinder };
  KeyForm key_form = KeyForm::kNone;
  KeyRun key_range;  // kRange: last is negative when counted from the end
  int id = -1;       // index in the table

  bool has_keys() const { return key_form != KeyForm::kNone; }
  bool is_write() const { return flags & kCmdWrite; }
  // The argument index of the first key when it is fixed (for prefetching),
  // else 0.
  int fixed_first_key() const { return key_form == KeyForm::kRange ? key_range.first : 0; }
  // Argument indices that are keys, for a call with these arguments.
  std::vector<int> KeyIndices(ArgList args) const;
  // Calls fn(index) for each of them; no allocation unless a key finder
  // must run (the path every keyed command takes on dispatch).
  template <class Fn>
  void ForEachKeyIndex(ArgList args, Fn&& fn) const {
    switch (key_form) {
      case KeyForm::kNone:
        return;
      case KeyForm::kRange: {
        const int argc = static_cast<int>(args.size());
        const int last = key_range.last < 0 ? argc + key_range.last : key_range.last;
        for (int i = key_range.first; i <= last && i < argc; i += key_range.step) fn(i);
        return;
      }
      case KeyForm::kSpecs:
        for (const KeySpec& spec : data->key_specs) {
          if (spec.Has(kKeyNotKey)) continue;
          KeyRun run = spec.RunIn(args);
          for (int i = run.first; i <= run.last; i += run.step) fn(i);
        }
        return;
      case KeyForm::kFinder:
        for (const FoundKey& key : key_finder(args)) fn(key.index);
        return;
    }
  }
  bool ArityOk(size_t argc) const {
    return arity >= 0 ? argc == static_cast<size_t>(arity) : argc >= static_cast<size_t>(-arity);
  }
};

}  // namespace emberkv::server
