// The one command table: dispatch, arity checks, key routing, COMMAND and
// the docs all read it. Each command family declares its commands in its
// own file (server/commands/<family>_commands.cc) and registers them; the
// table completes each declaration from Redis's metadata (command_data.h).
//
// Thread safety: built once before the workers start; read-only afterwards.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "server/command.h"

namespace emberkv::server {

class CommandTable {
 public:
  // The table with every command emberkv supports.
  static const CommandTable& Get();

  // Adds commands as declared, completing each (and its subcommands) with
  // CompleteCommand. A wrong declaration is a programming error: the server
  // stops at start-up, saying which and why.
  void Register(std::span<const CommandSpec> declarations);
  void Register(std::initializer_list<CommandSpec> declarations) {
    Register(std::span<const CommandSpec>(declarations.begin(), declarations.size()));
  }

  // Case-insensitive lookup of a command name; nullptr when unknown.
  const CommandSpec* Find(std::string_view name) const;
  // A container's subcommand (case-insensitive), or nullptr.
  static const CommandSpec* FindSubcommand(const CommandSpec& container, std::string_view name);

  const std::vector<std::unique_ptr<CommandSpec>>& commands() const { return commands_; }
  // Every spec including subcommands, by id (for per-command statistics).
  const std::vector<const CommandSpec*>& by_id() const { return by_id_; }

 private:
  // Only Get() makes one, and it lives as long as the process: Find's
  // per-thread memory of its last result relies on that.
  CommandTable() = default;
  void AssignIds(CommandSpec* spec);

  std::vector<std::unique_ptr<CommandSpec>> commands_;
  absl::flat_hash_map<std::string_view, const CommandSpec*> by_name_;  // names are literals
  std::vector<const CommandSpec*> by_id_;
};

// Completes a declaration (and its subcommands) from Redis's metadata:
// arity, flags, key specs, documentation; derives where its keys are.
// Returns what is wrong instead when Redis has no such command, when the
// declaration sets what the metadata says (only emberkv's flags may be
// declared), or when its key specs need a key finder or key-flags function
// it does not declare.
std::optional<std::string> CompleteCommand(CommandSpec* spec);

// Registration functions, one per family.
void RegisterStringCommands(CommandTable& table);
void RegisterKeyCommands(CommandTable& table);
void RegisterConnectionCommands(CommandTable& table);
void RegisterServerCommands(CommandTable& table);
void RegisterTransactionCommands(CommandTable& table);
void RegisterPubSubCommands(CommandTable& table);
void RegisterHashCommands(CommandTable& table);
void RegisterSetCommands(CommandTable& table);
void RegisterZSetCommands(CommandTable& table);
void RegisterObjectCommands(CommandTable& table);
void RegisterMemoryCommands(CommandTable& table);
void RegisterDebugCommands(CommandTable& table);
void RegisterListCommands(CommandTable& table);
void RegisterObservabilityCommands(CommandTable& table);
void RegisterClientCommands(CommandTable& table);
void RegisterConfigCommands(CommandTable& table);
void RegisterIntrospectionCommands(CommandTable& table);
void RegisterScriptingCommands(CommandTable& table);
void RegisterBitmapCommands(CommandTable& table);
void RegisterHyperLogLogCommands(CommandTable& table);
void RegisterGeoCommands(CommandTable& table);
void RegisterSortCommands(CommandTable& table);

}  // namespace emberkv::server
