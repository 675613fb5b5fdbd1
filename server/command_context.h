// The one shape of a command handler, `void Handler(CommandContext&)`, and
// what it is given.
//
// A handler runs on the loop that read the command, with the locks of every
// shard its keys live on already held (dispatch/executor.h takes them from
// the command's key specs before calling it): it reaches any of its keys
// with Db(i) and Key(i), reads and writes them as plain storage calls, and
// writes its reply. Multi-key commands are therefore atomic without doing
// anything special; commands flagged kCmdAllShards find every shard held;
// keyless commands that look at every shard (DBSIZE, KEYS, SCAN) take them
// one at a time with shards.AcquireOnly(s).
//
// Lifetimes: everything in the context lives until the handler returns. A
// handler keeps nothing from it, except a blocking command, which copies
// what it needs into a BlockedClient (blocking/blocking.h).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "protocol/reply_builder.h"
#include "server/client/client.h"
#include "server/command_data.h"
#include "server/engine/shard_locks.h"
#include "storage/database.h"
#include "storage/hash.h"

namespace emberkv::server {

class Engine;
class Worker;
struct CommandSpec;

struct CommandContext {
  Worker& worker;  // the loop running the command
  const CommandSpec& spec;
  ArgList args;  // args[0] is the command's name
  protocol::ReplyBuilder& reply;
  ShardLocks& shards;  // what the command holds
  // The hash of each key argument, by argument index (routing computed it;
  // 0 for arguments that are not keys).
  std::span<const uint64_t> key_hashes;
  int db;  // the selected database
  ClientFlags flags;
  // The client that sent it; nullptr when it runs on behalf of a blocked
  // client whose own loop is elsewhere (blocking/blocking.h).
  Client* client;
  // Bit i: MONITOR shows args[i] as "(redacted)" (observability/monitors.h).
  uint64_t redacted_args = 0;

  Engine& engine() const;
  int64_t now_ms() const { return shards.now_ms(); }

  // The key argument at `arg`, with the hash it was routed by.
  storage::Key Key(size_t arg) const {
    uint64_t hash = arg < key_hashes.size() ? key_hashes[arg] : 0;
    return hash != 0 ? storage::Key(args[arg], hash)
                     : storage::Key(args[arg], storage::HashKey(args[arg]));
  }
  // The selected database in the shard of the key argument at `arg`.
  storage::Database& Db(size_t arg) { return DbOf(Key(arg), db); }
  // Database `db_index` in the shard that owns `key` (held).
  storage::Database& DbOf(const storage::Key& key, int db_index) {
    return shards.shard(shards.keyspace().ShardOfHash(key.hash)).store().db(db_index);
  }
  // Hides args[arg] from MONITOR (a password).
  void Redact(size_t arg) {
    if (arg < 64) redacted_args |= uint64_t{1} << arg;
  }
  // How this command's reads treat the access clock (CLIENT NO-TOUCH).
  storage::LookupMode read_mode() const;

  // Calls fn(Shard&) for every shard in turn, each under its lock, for
  // commands that look at every shard without needing one instant of all
  // (DBSIZE, KEYS, SCAN, RANDOMKEY). Inside a transaction, which then holds
  // every shard, the shards are used as held.
  template <class Fn>
  void VisitShards(Fn&& fn) {
    for (int s = 0; s < shards.keyspace().shard_count(); ++s) {
      shards.AcquireOnly(s);
      fn(shards.shard(s));
    }
  }
  // Calls fn(Shard&) for every shard, for kCmdAllShards commands, which hold
  // them all.
  template <class Fn>
  void ForEachHeldShard(Fn&& fn) {
    shards.held().ForEach([&](int s) { fn(shards.shard(s)); });
  }
};

using Handler = void (*)(CommandContext&);

}  // namespace emberkv::server
