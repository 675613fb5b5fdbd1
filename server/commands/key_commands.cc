// Commands on keys of any type: DEL, EXISTS, TYPE, TTL and EXPIRE families,
// RENAME, COPY, MOVE, and the keyspace-wide KEYS, SCAN, RANDOMKEY, DBSIZE,
// FLUSHDB, FLUSHALL and SWAPDB.
#include <cerrno>
#include <cstdlib>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "server/command_table.h"
#include "server/commands/arg_parsing.h"
#include "server/engine/engine.h"
#include "server/errors.h"
#include "server/util/memory.h"
#include "storage/key_ops.h"

namespace emberkv::server {
namespace {

using storage::OpStatus;
namespace keys = storage::keys;

// ---- DEL, UNLINK, EXISTS, TOUCH: count the keys for which `fn` holds ----

using KeyPredicate = bool (*)(storage::Database&, const storage::Key&);

void CountOp(CommandContext& c, KeyPredicate fn) {
  int64_t count = 0;
  for (size_t i = 1; i < c.args.size(); ++i) count += fn(c.Db(i), c.Key(i));
  c.reply.Integer(count);
}

void Del(CommandContext& c) { CountOp(c, keys::Delete); }
void Exists(CommandContext& c) { CountOp(c, keys::Exists); }
void Touch(CommandContext& c) { CountOp(c, keys::Touch); }

void Type(CommandContext& c) { c.reply.SimpleString(keys::Type(c.Db(1), c.Key(1))); }

// ---- TTL family ----

void ReplyTtl(CommandContext& c, bool milliseconds, bool absolute) {
  int64_t ttl = keys::TimeToLive(c.Db(1), c.Key(1), absolute);
  if (ttl < 0 || milliseconds) return c.reply.Integer(ttl);
  c.reply.Integer((ttl + 500) / 1000);
}

void Ttl(CommandContext& c) { ReplyTtl(c, false, false); }
void PTtl(CommandContext& c) { ReplyTtl(c, true, false); }
void ExpireTime(CommandContext& c) { ReplyTtl(c, false, true); }
void PExpireTime(CommandContext& c) { ReplyTtl(c, true, true); }

void ExpireGeneric(CommandContext& c, TimeUnit unit, bool absolute) {
  keys::ExpireFlags flags;
  for (size_t i = 3; i < c.args.size(); ++i) {
    std::string_view opt = c.args[i];
    if (Is(opt, "NX")) {
      flags.nx = true;
    } else if (Is(opt, "XX")) {
      flags.xx = true;
    } else if (Is(opt, "GT")) {
      flags.gt = true;
    } else if (Is(opt, "LT")) {
      flags.lt = true;
    } else {
      return c.reply.Error(errors::UnsupportedOption(AsCString(opt)));
    }
  }
  if (flags.nx && (flags.xx || flags.gt || flags.lt)) {
    return c.reply.Error(errors::kExpireNxWithOthers);
  }
  if (flags.gt && flags.lt) {
    return c.reply.Error(errors::kExpireGtWithLt);
  }
  std::optional<int64_t> when = IntArg(c.args[2], c.reply);
  if (!when) return;
  int64_t ms = *when;
  if (unit == TimeUnit::kSeconds) {
    if (ms > INT64_MAX / 1000 || ms < INT64_MIN / 1000) {
      return c.reply.Error(errors::InvalidExpireTime(c.spec.name));
    }
    ms *= 1000;
  }
  int64_t base = absolute ? 0 : c.now_ms();
  if (ms > INT64_MAX - base) return c.reply.Error(errors::InvalidExpireTime(c.spec.name));
  ms += base;
  c.reply.Integer(keys::Expire(c.Db(1), c.Key(1), ms, flags) ? 1 : 0);
}

void Expire(CommandContext& c) { ExpireGeneric(c, TimeUnit::kSeconds, false); }
void PExpire(CommandContext& c) { ExpireGeneric(c, TimeUnit::kMilliseconds, false); }
void ExpireAt(CommandContext& c) { ExpireGeneric(c, TimeUnit::kSeconds, true); }
void PExpireAt(CommandContext& c) { ExpireGeneric(c, TimeUnit::kMilliseconds, true); }

void Persist(CommandContext& c) { c.reply.Integer(keys::Persist(c.Db(1), c.Key(1)) ? 1 : 0); }

// ---- RENAME, RENAMENX ----

void ReplyRename(protocol::ReplyBuilder& reply, OpStatus status, bool nx) {
  if (status == OpStatus::kNotFound) return reply.Error(errors::kNoSuchKey);
  if (status == OpStatus::kOutOfMemory) return errors::ReplyStatus(reply, status);
  if (nx) return reply.Integer(status == OpStatus::kOk ? 1 : 0);
  reply.Ok();
}

// Source and destination may live on different shards: both are held, the
// value leaves one database and enters the other.
void RenameGeneric(CommandContext& c, bool nx) {
  ReplyRename(c.reply, keys::Rename(c.Db(1), c.Key(1), c.Db(2), c.Key(2), nx), nx);
}

void Rename(CommandContext& c) { RenameGeneric(c, false); }
void RenameNx(CommandContext& c) { RenameGeneric(c, true); }

// ---- MOVE, COPY ----

void Move(CommandContext& c) {
  std::optional<int> target = DbIndexArg(c.args[2], c.engine().config().databases, c.reply);
  if (!target) return;
  if (*target == c.db) return c.reply.Error(errors::kSameObject);
  c.reply.Integer(keys::Move(c.Db(1), c.DbOf(c.Key(1), *target), c.Key(1)) ? 1 : 0);
}

struct CopyOptions {
  int destination_db;
  bool replace = false;
};

std::optional<CopyOptions> ParseCopy(ArgList args, int current_db, Engine& engine,
                                     protocol::ReplyBuilder& reply) {
  CopyOptions options{current_db};
  for (size_t i = 3; i < args.size(); ++i) {
    if (Is(args[i], "REPLACE")) {
      options.replace = true;
    } else if (Is(args[i], "DB") && i + 1 < args.size()) {
      std::optional<int> db = DbIndexArg(args[++i], engine.config().databases, reply);
      if (!db) return std::nullopt;
      options.destination_db = *db;
    } else {
      reply.Error(errors::kSyntax);
      return std::nullopt;
    }
  }
  if (options.destination_db == current_db && args[1] == args[2]) {
    reply.Error(errors::kSameObject);
    return std::nullopt;
  }
  return options;
}

void Copy(CommandContext& c) {
  std::optional<CopyOptions> options = ParseCopy(c.args, c.db, c.engine(), c.reply);
  if (!options) return;
  storage::OpResult<bool> result = keys::Copy(c.Db(1), c.DbOf(c.Key(2), options->destination_db),
                                              c.Key(1), c.Key(2), options->replace);
  if (!result.ok()) return errors::ReplyStatus(c.reply, result.status);
  c.reply.Integer(result.value ? 1 : 0);
}

// ---- The whole keyspace ----

void DbSize(CommandContext& c) {
  int64_t total = 0;
  c.VisitShards([&](Shard& shard) {
    if (storage::Database* db = shard.store().existing_db(c.db)) total += db->size();
  });
  c.reply.Integer(total);
}

void Keys(CommandContext& c) {
  std::vector<std::string> found;
  c.VisitShards([&](Shard& shard) {
    if (storage::Database* db = shard.store().existing_db(c.db))
      keys::CollectKeys(*db, c.args[1], &found);
  });
  c.reply.ArrayHeader(found.size());
  for (const std::string& key : found) c.reply.Bulk(key);
}

// SCAN's cursor: the shard in the top 8 bits, then the position in that
// shard's hash space (56 bits). Cursor 0 starts at shard 0 and means "done"
// when returned.
constexpr int kCursorShardShift = 56;

// As Redis's parseScanCursorOrReply: strtoul's rules, so a sign is accepted
// and an empty string reads as 0, but no leading blank and nothing after.
bool ParseCursor(std::string_view text, uint64_t* cursor) {
  std::string copy(text);
  if (std::isspace(static_cast<unsigned char>(copy[0]))) return false;
  errno = 0;
  char* end;
  unsigned long long value = std::strtoull(copy.c_str(), &end, 10);
  if (*end != '\0' || errno == ERANGE) return false;
  *cursor = value;
  return true;
}

void Scan(CommandContext& c) {
  uint64_t cursor;
  if (!ParseCursor(c.args[1], &cursor)) return c.reply.Error(errors::kInvalidCursor);
  keys::ScanFilter filter;
  int64_t count = 10;
  for (size_t i = 2; i < c.args.size(); ++i) {
    bool has_value = i + 1 < c.args.size();
    if (Is(c.args[i], "COUNT") && has_value) {
      std::optional<int64_t> n = IntArg(c.args[++i], c.reply);
      if (!n) return;
      if (*n < 1) return c.reply.Error(errors::kSyntax);
      count = *n;
    } else if (Is(c.args[i], "MATCH") && has_value) {
      filter.pattern = c.args[++i];
    } else if (Is(c.args[i], "TYPE") && has_value) {
      std::string_view type = c.args[++i];
      filter.has_type = true;
      static const std::pair<std::string_view, storage::ValueType> kTypes[] = {
          {"string", storage::ValueType::kString},
          {"list", storage::ValueType::kList},
          {"set", storage::ValueType::kSet},
          {"zset", storage::ValueType::kZSet},
          {"hash", storage::ValueType::kHash}};
      filter.type = static_cast<storage::ValueType>(0xFF);  // matches nothing, as in Redis 7.0
      for (auto& [name, value] : kTypes) {
        if (Is(type, name)) filter.type = value;
      }
    } else {
      return c.reply.Error(errors::kSyntax);
    }
  }
  int shard = static_cast<int>(cursor >> kCursorShardShift);
  uint64_t position = cursor << (64 - kCursorShardShift) >> (64 - kCursorShardShift) << 8;
  std::vector<std::string> found;
  uint64_t next = 0;
  const size_t want = static_cast<size_t>(std::min<int64_t>(count, 1 << 20));
  while (shard < c.engine().shard_count()) {
    uint64_t returned = 0;
    c.shards.AcquireOnly(shard);
    storage::Database* db = c.shards.shard(shard).store().existing_db(c.db);
    if (db)
      returned = keys::Scan(*db, position, want - std::min(want - 1, found.size()), filter, &found);
    if (returned != 0) {
      next = (static_cast<uint64_t>(shard) << kCursorShardShift) | (returned >> 8);
      if (next == 0) next = 1;  // never confuse "shard 0, start" with "done"
      break;
    }
    ++shard;
    position = 0;
    if (found.size() >= want) {
      next =
          shard < c.engine().shard_count() ? static_cast<uint64_t>(shard) << kCursorShardShift : 0;
      break;
    }
  }
  c.reply.ArrayHeader(2);
  c.reply.Bulk(std::to_string(next));
  c.reply.ArrayHeader(found.size());
  for (const std::string& key : found) c.reply.Bulk(key);
}

// As Redis's dbRandomKey: a key drawn that has expired is deleted (the
// lookup expires it) and another is drawn, so the reply is nil only when no
// live key is left. The draw may return an expired key (Database::RandomKey
// gives up on finding a live one after some tries), and a shard picked for
// its size may hold only expired keys. Every retry deletes a key, so the
// loop ends; the bound guards against a store that keeps drawing nothing.
void RandomKey(CommandContext& c) {
  thread_local std::mt19937_64 rng(std::random_device{}());
  std::vector<size_t> sizes(c.engine().shard_count(), 0);
  for (int attempt = 0; attempt < 1000; ++attempt) {
    c.VisitShards([&](Shard& shard) {
      storage::Database* db = shard.store().existing_db(c.db);
      sizes[shard.index()] = db ? db->size() : 0;
    });
    size_t total = 0;
    for (size_t s : sizes) total += s;
    if (total == 0) break;
    uint64_t pick = rng() % total;
    int shard = 0;
    while (pick >= sizes[shard]) pick -= sizes[shard++];
    uint64_t random = rng();
    std::string key;
    bool live = false;
    c.shards.AcquireOnly(shard);
    storage::Database* db = c.shards.shard(shard).store().existing_db(c.db);
    storage::Database::Slot slot;
    live = db && db->RandomKey(random, &key) &&
           db->Find(storage::Key(key, storage::HashKey(key)), &slot, storage::LookupMode::kWrite);
    if (live) return c.reply.Bulk(key);
  }
  c.reply.Null();
}

bool FlushArgsOk(ArgList args, protocol::ReplyBuilder& reply) {
  if (args.size() > 2 || (args.size() == 2 && !Is(args[1], "ASYNC") && !Is(args[1], "SYNC"))) {
    reply.Error(errors::kSyntax);
    return false;
  }
  return true;
}

void FlushDb(CommandContext& c) {
  if (!FlushArgsOk(c.args, c.reply)) return;
  c.ForEachHeldShard([&](Shard& shard) {
    if (storage::Database* db = shard.store().existing_db(c.db)) db->Clear();
    shard.store().context().arena.ReleaseEmptyPages();
  });
  ReturnFreeMemoryToSystem();
  c.reply.Ok();
}

void FlushAll(CommandContext& c) {
  if (!FlushArgsOk(c.args, c.reply)) return;
  c.ForEachHeldShard([](Shard& shard) { shard.store().FlushAll(); });
  // What the shards freed stays in the allocator otherwise: RSS would stay
  // at its peak with nothing stored.
  ReturnFreeMemoryToSystem();
  c.reply.Ok();
}

void SwapDb(CommandContext& c) {
  std::optional<int> a = Int32Arg(c.args[1], c.reply, errors::kInvalidFirstDbIndex);
  if (!a) return;
  std::optional<int> b = Int32Arg(c.args[2], c.reply, errors::kInvalidSecondDbIndex);
  if (!b) return;
  int databases = c.engine().config().databases;
  if (*a < 0 || *a >= databases || *b < 0 || *b >= databases) {
    return c.reply.Error(errors::kDbIndexOutOfRange);
  }
  c.ForEachHeldShard([&](Shard& shard) { shard.store().SwapDatabases(*a, *b); });
  c.reply.Ok();
}

}  // namespace

void RegisterKeyCommands(CommandTable& table) {
  table.Register({
      {.name = "del", .handler = Del},
      {.name = "unlink", .handler = Del},
      {.name = "exists", .handler = Exists},
      {.name = "touch", .handler = Touch, .flags = kCmdAlwaysTouches},
      {.name = "type", .handler = Type},
      {.name = "ttl", .handler = Ttl},
      {.name = "pttl", .handler = PTtl},
      {.name = "expiretime", .handler = ExpireTime},
      {.name = "pexpiretime", .handler = PExpireTime},
      {.name = "expire", .handler = Expire},
      {.name = "pexpire", .handler = PExpire},
      {.name = "expireat", .handler = ExpireAt},
      {.name = "pexpireat", .handler = PExpireAt},
      {.name = "persist", .handler = Persist},
      {.name = "rename", .handler = Rename},
      {.name = "renamenx", .handler = RenameNx},
      {.name = "move", .handler = Move},
      {.name = "copy", .handler = Copy},
      {.name = "keys", .handler = Keys, .flags = kCmdVisitsShards},
      {.name = "scan", .handler = Scan, .flags = kCmdVisitsShards},
      {.name = "randomkey", .handler = RandomKey, .flags = kCmdVisitsShards},
      {.name = "dbsize", .handler = DbSize, .flags = kCmdVisitsShards},
      {.name = "flushdb", .handler = FlushDb, .flags = kCmdAllShards},
      {.name = "flushall", .handler = FlushAll, .flags = kCmdAllShards},
      {.name = "swapdb", .handler = SwapDb, .flags = kCmdAllShards},
  });
}

}  // namespace emberkv::server
