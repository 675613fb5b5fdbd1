// DEBUG: the subcommands that client libraries' and tools' test suites use,
// behind enable-debug-command (no by default, as in Redis 7; local allows
// loopback connections).
//
//   SLEEP <seconds>            stops this loop, every shard held (kCmdAllShards):
//                              key commands wait everywhere, as Redis's whole
//                              server stops; other loops still answer PING
//   SET-ACTIVE-EXPIRE <0|1>    the timers stop or resume reclaiming expired
//                              keys; reads still drop the expired keys they find
//   POPULATE <count> [prefix] [size]
//                              string keys <prefix>:<n> = "value:<n>" (padded
//                              with zero bytes or cut to <size>), skipping keys
//                              that exist, in the client's database
//   PROTOCOL <type>            a test value of each RESP type, Redis's values
//   LOG <message>              a line in the server's log
//   DIGEST, DIGEST-VALUE <key>...
//                              Redis's signatures of the dataset and of values
//                              (dataset_digest.h): equal data, equal digits
//   QUICKLIST-PACKED-THRESHOLD <size>, CHANGE-REPL-ID
//                              accepted and checked; nothing to change here (no
//                              quicklists, no replication)
//   HELP
//
// The rest of Redis's DEBUG (OBJECT, RELOAD, crashes, allocator controls) answers Redis's error for
// an unknown subcommand: docs/compatibility.md says why each is absent.
//
// Thread safety: on the loop running the command, with every shard held.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "scripting/sha1.h"
#include "server/command_table.h"
#include "server/commands/arg_parsing.h"
#include "server/commands/dataset_digest.h"
#include "server/commands/help.h"
#include "server/config.h"
#include "server/engine/engine.h"
#include "server/errors.h"
#include "server/util/ascii.h"
#include "storage/string_ops.h"

namespace emberkv::server {
namespace {

// enable-debug-command: "yes", or "local" and a loopback client.
bool DebugAllowed(CommandContext& c) {
  std::string setting;
  {
    std::lock_guard lock(c.engine().config_mutex());
    setting = c.engine().config().enable_debug_command;
  }
  if (setting == "yes") return true;
  if (setting != "local" || c.client == nullptr) return false;
  std::string_view peer = c.client->origin().peer_address;
  return peer.starts_with("127.") || peer.starts_with("[::1]") || peer.starts_with("::1");
}

void Sleep(CommandContext& c) {
  // As Redis (atof): what does not parse is 0.
  double seconds = std::atof(std::string(c.args[2]).c_str());
  if (seconds > 0) std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  c.reply.Ok();
}

void SetActiveExpire(CommandContext& c) {
  // As Redis (atoi): any non-zero number turns it on, anything else off.
  c.engine().set_active_expire(std::atoi(std::string(c.args[2]).c_str()) != 0);
  c.reply.Ok();
}

void Populate(CommandContext& c) {
  std::optional<int64_t> count = IntArg(c.args[2], c.reply, errors::kNotPositive);
  if (!count) return;
  if (*count < 0) return c.reply.Error(errors::kNotPositive);
  std::string_view prefix = c.args.size() > 3 ? c.args[3] : "key";
  std::optional<size_t> size;
  if (c.args.size() > 4) {
    std::optional<int64_t> wanted = IntArg(c.args[4], c.reply, errors::kNotPositive);
    if (!wanted) return;
    if (*wanted < 0) return c.reply.Error(errors::kNotPositive);
    size = static_cast<size_t>(*wanted);
  }
  storage::strings::SetOptions if_absent{.condition =
                                             storage::strings::SetOptions::Condition::kIfAbsent};
  std::string key, value;
  for (int64_t n = 0; n < *count; ++n) {
    key.assign(prefix).append(":").append(std::to_string(n));
    value.assign("value:").append(std::to_string(n));
    if (size) value.resize(*size, '\0');
    storage::Key k(key);
    storage::OpStatus status = storage::strings::Set(c.DbOf(k, c.db), k, value, if_absent).status;
    if (status == storage::OpStatus::kOutOfMemory) return c.reply.Error(errors::kOutOfMemory);
  }
  c.reply.Ok();
}

// Redis's test values, one per RESP type; RESP2 gets each one's RESP2 form.
void Protocol(CommandContext& c) {
  protocol::ReplyBuilder& r = c.reply;
  std::string_view type = c.args[2];
  if (EqualsIgnoreCase(type, "string")) return r.Bulk("Hello World");
  if (EqualsIgnoreCase(type, "integer")) return r.Integer(12345);
  if (EqualsIgnoreCase(type, "double")) return r.DoubleText("3.141");
  if (EqualsIgnoreCase(type, "bignum")) return r.BigNumber("1234567999999999999999999999999999999");
  if (EqualsIgnoreCase(type, "null")) return r.Null();
  if (EqualsIgnoreCase(type, "array") || EqualsIgnoreCase(type, "set")) {
    EqualsIgnoreCase(type, "set") ? r.SetHeader(3) : r.ArrayHeader(3);
    for (int i = 0; i < 3; ++i) r.Integer(i);
    return;
  }
  if (EqualsIgnoreCase(type, "map")) {
    r.MapHeader(3);
    for (int i = 0; i < 3; ++i) {
      r.Integer(i);
      r.Bool(i == 1);
    }
    return;
  }
  if (EqualsIgnoreCase(type, "attrib")) {
    if (r.resp3()) {
      r.AttributeHeader(1);
      r.Bulk("key-popularity");
      r.ArrayHeader(2);
      r.Bulk("key:123");
      r.Integer(90);
    }
    return r.Bulk("Some real reply following the attribute");
  }
  if (EqualsIgnoreCase(type, "push")) {
    if (!r.resp3()) return r.Error(errors::kPushNeedsResp3);
    r.PushHeader(2);
    r.Bulk("server-cpu-usage");
    r.Integer(42);
    return r.Bulk("Some real reply following the push reply");
  }
  if (EqualsIgnoreCase(type, "verbatim")) return r.Verbatim("txt", "This is a verbatim\nstring");
  if (EqualsIgnoreCase(type, "true")) return r.Bool(true);
  if (EqualsIgnoreCase(type, "false")) return r.Bool(false);
  r.Error(errors::kProtocolTypeName);
}

// DIGEST: the whole dataset's signature, as Redis computes it
// (dataset_digest.h); every shard is held, so it is one instant's.
void DatasetDigest(CommandContext& c) {
  Digest dataset{};
  for (int db = 0; db < c.engine().config().databases; ++db) {
    Digest keys{};
    bool empty = true;
    c.VisitShards([&](Shard& shard) {
      storage::Database* database = shard.store().existing_db(db);
      if (!database) return;
      database->ForEach([&](const storage::Entry& entry) {
        AddKey(keys, entry);
        empty = false;
      });
    });
    if (!empty) AddDatabase(dataset, db, keys);
  }
  c.reply.SimpleString(scripting::HexDigits(dataset));
}

// DIGEST-VALUE key...: each value's signature; zeros for a missing key.
void DigestValue(CommandContext& c) {
  c.reply.ArrayHeader(c.args.size() - 2);
  for (size_t i = 2; i < c.args.size(); ++i) {
    storage::Key key(c.args[i]);
    storage::Database& db = c.DbOf(key, c.db);
    storage::Database::Slot slot;
    Digest digest{};
    if (db.Find(key, &slot, storage::LookupMode::kReadNoTouch))
      digest = ValueDigest(db.EntryAt(slot));
    c.reply.SimpleString(scripting::HexDigits(digest));
  }
}

void Log(CommandContext& c) {
  std::fprintf(stderr, "DEBUG LOG: %.*s\n", static_cast<int>(c.args[2].size()), c.args[2].data());
  c.reply.Ok();
}

void QuicklistPackedThreshold(CommandContext& c) {
  // Checked as Redis checks it (a memory value up to 4 GB); lists here have
  // no packed and plain nodes to choose between.
  std::optional<uint64_t> bytes = ParseMemory(c.args[2]);
  if (!bytes || *bytes > (4ULL << 30)) return c.reply.Error(errors::kQuicklistThreshold);
  c.reply.Ok();
}

void Help(CommandContext& c) {
  ReplyHelp(
      c.reply, "DEBUG",
      {"CHANGE-REPL-ID", "    Accepted; emberkv has no replication IDs to change.", "LOG <message>",
       "    Write <message> to the server log.", "POPULATE <count> [<prefix>] [<size>]",
       "    Create <count> string keys named key:<num>. If <prefix> is specified then",
       "    it is used instead of the 'key' prefix.", "PROTOCOL <type>",
       "    Reply with a test value of the specified type. <type> can be: string,",
       "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
       "    true, false.", "QUICKLIST-PACKED-THRESHOLD <size>",
       "    Accepted and checked; emberkv's lists have no packed and plain nodes.",
       "SET-ACTIVE-EXPIRE <0|1>",
       "    Setting it to 0 disables expiring keys in background when they are not",
       "    accessed. Setting it to 1 reenables back the default.", "SLEEP <seconds>",
       "    Stop the server for <seconds>. Decimals allowed."});
}

struct Subcommand {
  std::string_view name;
  size_t min_args, max_args;  // after DEBUG and the subcommand's name
  Handler handler;
};
constexpr size_t kAnyNumber = SIZE_MAX;
constexpr Subcommand kSubcommands[] = {
    {"sleep", 1, 1, Sleep},
    {"set-active-expire", 1, 1, SetActiveExpire},
    {"populate", 1, 3, Populate},
    {"protocol", 1, 1, Protocol},
    {"log", 1, 1, Log},
    {"digest", 0, 0, DatasetDigest},
    {"digest-value", 0, kAnyNumber, DigestValue},
    {"quicklist-packed-threshold", 1, 1, QuicklistPackedThreshold},
    {"change-repl-id", 0, 0, [](CommandContext& c) { c.reply.Ok(); }},
    {"help", 0, 0, Help},
};

void Debug(CommandContext& c) {
  if (!DebugAllowed(c)) return c.reply.Error(errors::kDebugNotAllowed);
  const size_t args = c.args.size() - 2;
  for (const Subcommand& sub : kSubcommands) {
    if (EqualsIgnoreCase(c.args[1], sub.name) && args >= sub.min_args && args <= sub.max_args)
      return sub.handler(c);
  }
  c.reply.Error(errors::SubcommandSyntax(c.args[1], "debug"));
}

}  // namespace

void RegisterDebugCommands(CommandTable& table) {
  table.Register({{.name = "debug", .handler = Debug, .flags = kCmdAllShards}});
}

}  // namespace emberkv::server
