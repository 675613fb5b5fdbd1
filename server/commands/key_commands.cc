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
#include "server/transaction/multi_shard.h"
#include "server/util/memory.h"
#include "storage/key_ops.h"

namespace emberkv::server {
namespace {

using storage::OpStatus;
namespace keys = storage::keys;

std::vector<int> AllFromOne(ArgList args) {
  std::vector<int> indices;
  for (size_t i = 1; i < args.size(); ++i) indices.push_back(static_cast<int>(i));
  return indices;
}

// ---- DEL, UNLINK, EXISTS, TOUCH: count the keys for which `fn` holds ----

using KeyPredicate = bool (*)(storage::Database&, const storage::Key&);

void CountOp(OpContext& c, KeyPredicate fn) {
  int64_t count = 0;
  for (size_t i = 1; i < c.args.size(); ++i) count += fn(c.db, c.args[i]);
  c.reply.Integer(count);
}

Task<void> CountCoordinated(CoordContext& c, KeyPredicate fn, LockMode mode) {
  int64_t count = 0;
  MultiShardLock lock(c, GroupKeysByShard(c, AllFromOne(c.args)), mode);
  co_await lock.Acquire([&](Worker& shard, const std::vector<int>& indices) {
    storage::Database& db = shard.store().db(c.db);
    for (int i : indices) count += fn(db, c.args[i]);
  });
  lock.Release();
  c.reply.Integer(count);
}

void OpDel(OpContext& c) { CountOp(c, keys::Delete); }
void OpExists(OpContext& c) { CountOp(c, keys::Exists); }
void OpTouch(OpContext& c) { CountOp(c, keys::Touch); }
Task<void> CoordDel(CoordContext& c) { return CountCoordinated(c, keys::Delete, LockMode::kExclusive); }
Task<void> CoordExists(CoordContext& c) { return CountCoordinated(c, keys::Exists, LockMode::kShared); }
Task<void> CoordTouch(CoordContext& c) { return CountCoordinated(c, keys::Touch, LockMode::kShared); }

void OpType(OpContext& c) { c.reply.SimpleString(keys::Type(c.db, c.args[1])); }

// ---- TTL family ----

void ReplyTtl(OpContext& c, bool milliseconds, bool absolute) {
  int64_t ttl = keys::TimeToLive(c.db, c.args[1], absolute);
  if (ttl < 0 || milliseconds) return c.reply.Integer(ttl);
  c.reply.Integer((ttl + 500) / 1000);
}

void OpTtl(OpContext& c) { ReplyTtl(c, false, false); }
void OpPTtl(OpContext& c) { ReplyTtl(c, true, false); }
void OpExpireTime(OpContext& c) { ReplyTtl(c, false, true); }
void OpPExpireTime(OpContext& c) { ReplyTtl(c, true, true); }

void ExpireGeneric(OpContext& c, TimeUnit unit, bool absolute) {
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
  int64_t base = absolute ? 0 : c.worker.now_ms();
  if (ms > INT64_MAX - base) return c.reply.Error(errors::InvalidExpireTime(c.spec.name));
  ms += base;
  c.reply.Integer(keys::Expire(c.db, c.args[1], ms, flags) ? 1 : 0);
}

void OpExpire(OpContext& c) { ExpireGeneric(c, TimeUnit::kSeconds, false); }
void OpPExpire(OpContext& c) { ExpireGeneric(c, TimeUnit::kMilliseconds, false); }
void OpExpireAt(OpContext& c) { ExpireGeneric(c, TimeUnit::kSeconds, true); }
void OpPExpireAt(OpContext& c) { ExpireGeneric(c, TimeUnit::kMilliseconds, true); }

void OpPersist(OpContext& c) { c.reply.Integer(keys::Persist(c.db, c.args[1]) ? 1 : 0); }

// ---- RENAME, RENAMENX ----

void ReplyRename(protocol::ReplyBuilder& reply, OpStatus status, bool nx) {
  if (status == OpStatus::kNotFound) return reply.Error(errors::kNoSuchKey);
  if (status == OpStatus::kOutOfMemory) return errors::ReplyStatus(reply, status);
  if (nx) return reply.Integer(status == OpStatus::kOk ? 1 : 0);
  reply.Ok();
}

void OpRename(OpContext& c) { ReplyRename(c.reply, keys::Rename(c.db, c.args[1], c.args[2], false), false); }
void OpRenameNx(OpContext& c) { ReplyRename(c.reply, keys::Rename(c.db, c.args[1], c.args[2], true), true); }

// Source and destination on different shards: lock both, take the value out
// of one and put it into the other.
Task<void> RenameAcrossShards(CoordContext& c, bool nx) {
  MultiShardLock lock(c, GroupKeysByShard(c, {1, 2}), LockMode::kExclusive);
  co_await lock.Acquire();
  int from_shard = c.engine.ShardOfKey(c.args[1]);
  int to_shard = c.engine.ShardOfKey(c.args[2]);
  bool source_exists = false;
  bool destination_exists = false;
  co_await lock.Run(from_shard, [&](Worker& shard) {
    source_exists = keys::Exists(shard.store().db(c.db), c.args[1]);
  });
  if (source_exists && nx) {
    co_await lock.Run(to_shard, [&](Worker& shard) {
      destination_exists = keys::Exists(shard.store().db(c.db), c.args[2]);
    });
  }
  OpStatus status = OpStatus::kOk;
  if (!source_exists) {
    status = OpStatus::kNotFound;
  } else if (destination_exists) {
    status = OpStatus::kConditionNotMet;
  } else {
    keys::DetachedValue value;
    co_await lock.Run(from_shard, [&](Worker& shard) { keys::Detach(shard.store().db(c.db), c.args[1], &value); });
    co_await lock.Run(to_shard, [&](Worker& shard) {
      status = keys::Attach(shard.store().db(c.db), c.args[2], std::move(value));
    });
  }
  lock.Release();
  ReplyRename(c.reply, status, nx);
}

Task<void> CoordRename(CoordContext& c) { return RenameAcrossShards(c, false); }
Task<void> CoordRenameNx(CoordContext& c) { return RenameAcrossShards(c, true); }

// ---- MOVE, COPY ----

void OpMove(OpContext& c) {
  std::optional<int> target = DbIndexArg(c.args[2], c.worker.engine().config().databases, c.reply);
  if (!target) return;
  if (*target == c.db.index()) return c.reply.Error(errors::kSameObject);
  c.reply.Integer(keys::Move(c.db, c.worker.store().db(*target), c.args[1]) ? 1 : 0);
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

void OpCopy(OpContext& c) {
  std::optional<CopyOptions> options = ParseCopy(c.args, c.db.index(), c.worker.engine(), c.reply);
  if (!options) return;
  storage::OpResult<bool> result = keys::Copy(c.db, c.worker.store().db(options->destination_db),
                                              c.args[1], c.args[2], options->replace);
  if (!result.ok()) return errors::ReplyStatus(c.reply, result.status);
  c.reply.Integer(result.value ? 1 : 0);
}

Task<void> CoordCopy(CoordContext& c) {
  std::optional<CopyOptions> options = ParseCopy(c.args, c.db, c.engine, c.reply);
  if (!options) co_return;
  MultiShardLock lock(c, GroupKeysByShard(c, {1, 2}), LockMode::kExclusive);
  co_await lock.Acquire();
  keys::DetachedValue value;
  bool found = false;
  co_await lock.Run(c.engine.ShardOfKey(c.args[1]), [&](Worker& shard) {
    found = keys::Snapshot(shard.store().db(c.db), c.args[1], &value);
  });
  int64_t copied = 0;
  OpStatus status = OpStatus::kOk;
  if (found) {
    co_await lock.Run(c.engine.ShardOfKey(c.args[2]), [&](Worker& shard) {
      storage::Database& db = shard.store().db(options->destination_db);
      if (!options->replace && keys::Exists(db, c.args[2])) return;
      status = keys::Attach(db, c.args[2], std::move(value));
      copied = status == OpStatus::kOk;
    });
  }
  lock.Release();
  if (status != OpStatus::kOk) co_return errors::ReplyStatus(c.reply, status);
  c.reply.Integer(copied);
}

// ---- The whole keyspace ----

Task<void> CoordDbSize(CoordContext& c) {
  int64_t total = 0;
  co_await ForEachShard(c, [&](Worker& shard) {
    if (storage::Database* db = shard.store().existing_db(c.db)) total += db->size();
  });
  c.reply.Integer(total);
}

Task<void> CoordKeys(CoordContext& c) {
  std::vector<std::string> found;
  co_await ForEachShard(c, [&](Worker& shard) {
    if (storage::Database* db = shard.store().existing_db(c.db)) keys::CollectKeys(*db, c.args[1], &found);
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

Task<void> CoordScan(CoordContext& c) {
  uint64_t cursor;
  if (!ParseCursor(c.args[1], &cursor)) co_return c.reply.Error(errors::kInvalidCursor);
  keys::ScanFilter filter;
  int64_t count = 10;
  for (size_t i = 2; i < c.args.size(); ++i) {
    bool has_value = i + 1 < c.args.size();
    if (Is(c.args[i], "COUNT") && has_value) {
      std::optional<int64_t> n = IntArg(c.args[++i], c.reply);
      if (!n) co_return;
      if (*n < 1) co_return c.reply.Error(errors::kSyntax);
      count = *n;
    } else if (Is(c.args[i], "MATCH") && has_value) {
      filter.pattern = c.args[++i];
    } else if (Is(c.args[i], "TYPE") && has_value) {
      std::string_view type = c.args[++i];
      filter.has_type = true;
      static const std::pair<std::string_view, storage::ValueType> kTypes[] = {
          {"string", storage::ValueType::kString}, {"list", storage::ValueType::kList},
          {"set", storage::ValueType::kSet},       {"zset", storage::ValueType::kZSet},
          {"hash", storage::ValueType::kHash}};
      filter.type = static_cast<storage::ValueType>(0xFF);  // matches nothing, as in Redis 7.0
      for (auto& [name, value] : kTypes) {
        if (Is(type, name)) filter.type = value;
      }
    } else {
      co_return c.reply.Error(errors::kSyntax);
    }
  }
  int shard = static_cast<int>(cursor >> kCursorShardShift);
  uint64_t position = cursor << (64 - kCursorShardShift) >> (64 - kCursorShardShift) << 8;
  std::vector<std::string> found;
  uint64_t next = 0;
  const size_t want = static_cast<size_t>(std::min<int64_t>(count, 1 << 20));
  while (shard < c.engine.shard_count()) {
    uint64_t returned = 0;
    co_await c.worker.RunOn(shard, [&](Worker& here) {
      here.RefreshClock();
      storage::Database* db = here.store().existing_db(c.db);
      if (db) returned = keys::Scan(*db, position, want - std::min(want - 1, found.size()), filter, &found);
    });
    if (returned != 0) {
      next = (static_cast<uint64_t>(shard) << kCursorShardShift) | (returned >> 8);
      if (next == 0) next = 1;  // never confuse "shard 0, start" with "done"
      break;
    }
    ++shard;
    position = 0;
    if (found.size() >= want) {
      next = shard < c.engine.shard_count() ? static_cast<uint64_t>(shard) << kCursorShardShift : 0;
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
Task<void> CoordRandomKey(CoordContext& c) {
  thread_local std::mt19937_64 rng(std::random_device{}());
  std::vector<size_t> sizes(c.engine.shard_count(), 0);
  for (int attempt = 0; attempt < 1000; ++attempt) {
    co_await ForEachShard(c, [&](Worker& shard) {
      storage::Database* db = shard.store().existing_db(c.db);
      sizes[shard.id()] = db ? db->size() : 0;
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
    co_await c.worker.RunOn(shard, [&](Worker& here) {
      here.RefreshClock();
      storage::Database* db = here.store().existing_db(c.db);
      storage::Database::Slot slot;
      live = db && db->RandomKey(random, &key) && db->Find(key, &slot, storage::LookupMode::kWrite);
    });
    if (live) co_return c.reply.Bulk(key);
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

Task<void> CoordFlushDb(CoordContext& c) {
  if (!FlushArgsOk(c.args, c.reply)) co_return;
  MultiShardLock lock = MultiShardLock::AllShards(c);
  co_await lock.Acquire([&](Worker& shard, const std::vector<int>&) {
    if (storage::Database* db = shard.store().existing_db(c.db)) db->Clear();
    shard.store().context().arena.ReleaseEmptyPages();
  });
  lock.Release();
  ReturnFreeMemoryToSystem();
  c.reply.Ok();
}

Task<void> CoordFlushAll(CoordContext& c) {
  if (!FlushArgsOk(c.args, c.reply)) co_return;
  MultiShardLock lock = MultiShardLock::AllShards(c);
  co_await lock.Acquire([&](Worker& shard, const std::vector<int>&) { shard.store().FlushAll(); });
  lock.Release();
  // What the shards freed stays in the allocator otherwise: RSS would stay
  // at its peak with nothing stored.
  ReturnFreeMemoryToSystem();
  c.reply.Ok();
}

Task<void> CoordSwapDb(CoordContext& c) {
  std::optional<int> a = Int32Arg(c.args[1], c.reply, errors::kInvalidFirstDbIndex);
  if (!a) co_return;
  std::optional<int> b = Int32Arg(c.args[2], c.reply, errors::kInvalidSecondDbIndex);
  if (!b) co_return;
  int databases = c.engine.config().databases;
  if (*a < 0 || *a >= databases || *b < 0 || *b >= databases) {
    co_return c.reply.Error(errors::kDbIndexOutOfRange);
  }
  MultiShardLock lock = MultiShardLock::AllShards(c);
  co_await lock.Acquire([&](Worker& shard, const std::vector<int>&) {
    shard.store().SwapDatabases(*a, *b);
  });
  lock.Release();
  c.reply.Ok();
}

}  // namespace

void RegisterKeyCommands(CommandTable& table) {
  table.Register({
      {.name = "del", .op = OpDel, .coordinated = CoordDel},
      {.name = "unlink", .op = OpDel, .coordinated = CoordDel},
      {.name = "exists", .op = OpExists, .coordinated = CoordExists},
      {.name = "touch", .op = OpTouch, .coordinated = CoordTouch, .flags = kCmdAlwaysTouches},
      {.name = "type", .op = OpType},
      {.name = "ttl", .op = OpTtl},
      {.name = "pttl", .op = OpPTtl},
      {.name = "expiretime", .op = OpExpireTime},
      {.name = "pexpiretime", .op = OpPExpireTime},
      {.name = "expire", .op = OpExpire},
      {.name = "pexpire", .op = OpPExpire},
      {.name = "expireat", .op = OpExpireAt},
      {.name = "pexpireat", .op = OpPExpireAt},
      {.name = "persist", .op = OpPersist},
      {.name = "rename", .op = OpRename, .coordinated = CoordRename},
      {.name = "renamenx", .op = OpRenameNx, .coordinated = CoordRenameNx},
      {.name = "move", .op = OpMove},
      {.name = "copy", .op = OpCopy, .coordinated = CoordCopy},
      {.name = "keys", .coordinated = CoordKeys},
      {.name = "scan", .coordinated = CoordScan},
      {.name = "randomkey", .coordinated = CoordRandomKey},
      {.name = "dbsize", .coordinated = CoordDbSize},
      {.name = "flushdb", .coordinated = CoordFlushDb},
      {.name = "flushall", .coordinated = CoordFlushAll},
      {.name = "swapdb", .coordinated = CoordSwapDb},
  });
}

}  // namespace emberkv::server
