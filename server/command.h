// What a command is to the server: its entry in the command table and the
// contexts its handler runs in.
//
// A command has one of three kinds of handler:
//   * an OpHandler runs on the shard that owns all of its keys, as a plain
//     function of that shard's store (GET, SET, and MGET when its keys happen
//     to share a shard). Most commands are only this.
//   * a CoordinatedHandler is a coroutine on the client's own worker that may
//     hop to other shards, holding intent locks for atomicity (MGET across
//     shards, RENAME, FLUSHALL, DBSIZE, EXEC, ...).
//   * a ConnHandler runs on the client's worker and needs no keys (PING,
//     SELECT, CLIENT, HELLO, ...).
// A keyed command with both an OpHandler and a CoordinatedHandler uses the
// first when its keys land on one shard and the second otherwise.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/reply_builder.h"
#include "server/command_docs.h"
#include "server/client/client.h"
#include "server/command_context.h"

namespace emberkv::storage {
class Database;
class ShardStore;
}  // namespace emberkv::storage

namespace emberkv::server {

class Connection;
class Engine;
class Worker;
struct CommandSpec;


// Redis's command flags (COMMAND INFO shows them by these names).
enum CommandFlag : uint32_t {
  kCmdWrite = 1u << 0,
  kCmdReadOnly = 1u << 1,
  kCmdDenyOom = 1u << 2,
  kCmdAdmin = 1u << 3,
  kCmdPubSub = 1u << 4,
  kCmdNoScript = 1u << 5,
  kCmdBlocking = 1u << 6,
  kCmdLoading = 1u << 7,
  kCmdStale = 1u << 8,
  kCmdSkipMonitor = 1u << 9,
  kCmdSkipSlowlog = 1u << 10,
  kCmdFast = 1u << 11,
  kCmdNoAuth = 1u << 12,
  kCmdMayReplicate = 1u << 13,
  kCmdNoMulti = 1u << 14,
  kCmdAllowBusy = 1u << 15,
  kCmdSentinel = 1u << 16,
  kCmdNoMandatoryKeys = 1u << 17,
  kCmdMovableKeys = 1u << 18,
  // emberkv's own flags (not shown by COMMAND INFO):
  kCmdAllShards = 1u << 24,              // holds every shard while it runs (FLUSHALL, SWAPDB)
  kCmdVisitsShards = 1u << 25,           // looks at every shard, one at a time (DBSIZE, KEYS, INFO)
  kCmdAllowedWhileSubscribed = 1u << 26, // a RESP2 subscriber may send it
  kCmdActsInsideMulti = 1u << 27,        // runs at once between MULTI and EXEC
  kCmdRunsQueue = 1u << 28,              // EXEC: runs the queued commands
  kCmdSetsReplyMode = 1u << 29,          // CLIENT REPLY: answers although replies are off
  kCmdTouchesAlways = 1u << 30,          // TOUCH: refreshes access times even under NO-TOUCH
};

// A command running on the shard that owns its keys.
struct OpContext {
  Worker& worker;
  storage::Database& db;
  ArgList args;  // args[0] is the command name
  protocol::ReplyBuilder& reply;
  const CommandSpec& spec;
  ClientFlags flags;
};

// A command running on its client's worker, free to hop to other shards.
struct CoordContext {
  Worker& worker;
  Engine& engine;
  Connection* connection;  // the client, or nullptr
  int db;
  ArgList args;
  protocol::ReplyBuilder& reply;
  const CommandSpec& spec;
  ClientFlags flags;
  // Inside EXEC the transaction already holds every lock it needs; commands
  // then hop without locking.
  bool locks_held = false;
};

// A keyless command that works on its client's state.
struct ConnContext {
  Worker& worker;
  Engine& engine;
  Connection& connection;
  ArgList args;
  protocol::ReplyBuilder& reply;
  const CommandSpec& spec;
};

using OpHandler = void (*)(OpContext&);
using CoordinatedHandler = void (*)(CoordContext&);
using ConnHandler = void (*)(ConnContext&);
// For commands whose keys are not a first/last/step range (ZUNIONSTORE's
// numkeys, ...): the argument indices that are keys, or empty on bad syntax.
using KeyFinder = std::vector<int> (*)(ArgList);

struct CommandSpec {
  std::string_view name;  // lower case; a subcommand is "container|sub"
  int arity = 0;          // Redis's rule: N exactly N arguments, -N at least N
  uint32_t flags = 0;
  int first_key = 0;      // 0: no keys
  int last_key = 0;       // negative: counted from the end
  int key_step = 0;
  Handler handler = nullptr;
  OpHandler op = nullptr;
  CoordinatedHandler coordinated = nullptr;
  ConnHandler conn = nullptr;
  KeyFinder key_finder = nullptr;
  // For COMMAND DOCS and INFO.
  std::string_view group;
  std::string_view summary;
  std::string_view since;
  std::string_view complexity;
  std::string_view acl_categories;  // space separated, e.g. "@read @string @fast"
  std::string_view tips;            // space separated, e.g. "nondeterministic_output"
  std::vector<KeySpec> key_specs;   // see command_docs.h
  std::vector<ArgDoc> arguments;
  std::vector<HistoryEntry> history;
  uint8_t doc_flags = 0;            // DocFlag
  std::string_view deprecated_since;
  std::string_view replaced_by;
  std::vector<CommandSpec> subcommands;

  int id = -1;  // index in the table, set on registration

  bool has_keys() const { return first_key > 0 || key_finder != nullptr; }
  bool is_write() const { return flags & kCmdWrite; }
  // Argument indices that are keys, for a call with these arguments.
  std::vector<int> KeyIndices(ArgList args) const;
  // Calls fn(index) for each of them; no allocation unless a key finder
  // must run (the path every keyed command takes on dispatch).
  template <class Fn>
  void ForEachKeyIndex(ArgList args, Fn&& fn) const {
    if (key_finder) {
      for (int index : key_finder(args)) fn(index);
      return;
    }
    if (first_key <= 0) return;
    int argc = static_cast<int>(args.size());
    int last = last_key < 0 ? argc + last_key : last_key;
    for (int i = first_key; i <= last && i < argc; i += std::max(1, key_step)) fn(i);
  }
  bool ArityOk(size_t argc) const {
    return arity >= 0 ? argc == static_cast<size_t>(arity) : argc >= static_cast<size_t>(-arity);
  }

  // Documentation setters, chained after a family's registration call.
  CommandSpec& Docs(std::string_view since_version, std::string_view complexity_text,
                    std::vector<ArgDoc> args = {}) {
    since = since_version;
    complexity = complexity_text;
    arguments = std::move(args);
    return *this;
  }
  CommandSpec& Keys(std::vector<KeySpec> specs) {
    key_specs = std::move(specs);
    return *this;
  }
  CommandSpec& History(std::vector<HistoryEntry> entries) {
    history = std::move(entries);
    return *this;
  }
  CommandSpec& Tips(std::string_view text) {
    tips = text;
    return *this;
  }
  CommandSpec& Deprecated(std::string_view since_version, std::string_view replacement) {
    doc_flags |= kDocDeprecated;
    deprecated_since = since_version;
    replaced_by = replacement;
    return *this;
  }
};

}  // namespace emberkv::server
