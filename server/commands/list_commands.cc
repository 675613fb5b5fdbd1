// List commands: LPUSH, RPUSH, LPUSHX, RPUSHX, LPOP, RPOP, LLEN, LRANGE,
// LINDEX, LSET, LINSERT, LREM, LTRIM, LPOS, LMOVE, RPOPLPUSH, LMPOP, and the
// blocking BLPOP, BRPOP, BLMOVE, BRPOPLPUSH and BLMPOP.
//
// Commands on one key are OpHandlers on the owning shard. LMOVE, RPOPLPUSH
// and LMPOP also have coordinated forms for keys on several shards, atomic
// under the keys' intent locks. Blocking commands are always coordinated:
// they lock their keys, try them in argument order and, finding nothing,
// wait to be served (server/blocking/blocking.h).
//
// BLMOVE from one shard to another: the source's shard cannot reach the
// destination, so it wakes the waiting command instead of serving it; the
// command locks both keys and moves the element as LMOVE does. The woken
// client keeps its place (nobody behind it is served meanwhile), but a
// plain LPOP/RPOP that reaches the source between the wake and the locks
// may take the element first; the client then waits again where it was.
#include <optional>
#include <string>
#include <vector>

#include "server/blocking/blocking.h"
#include "server/command_table.h"
#include "server/commands/arg_parsing.h"
#include "server/commands/multi_pop.h"
#include "server/engine/engine.h"
#include "server/errors.h"
#include "server/net/connection.h"
#include "server/transaction/multi_shard.h"
#include "storage/list_ops.h"
#include "base/numbers.h"

namespace emberkv::server {
namespace {

using storage::ListEnd;
using storage::OpStatus;
namespace lists = storage::lists;

std::optional<ListEnd> EndArg(std::string_view arg) {
  if (Is(arg, "LEFT")) return ListEnd::kHead;
  if (Is(arg, "RIGHT")) return ListEnd::kTail;
  return std::nullopt;
}

void ReplyCount(protocol::ReplyBuilder& reply, const storage::OpResult<int64_t>& result) {
  if (!result.ok()) return errors::ReplyStatus(reply, result.status);
  reply.Integer(result.value);
}

void ReplyStrings(protocol::ReplyBuilder& reply, const std::vector<std::string>& values) {
  reply.ArrayHeader(values.size());
  for (const std::string& value : values) reply.Bulk(value);
}

// Redis looks LINDEX's and LSET's key up before it reads the index: a
// missing key or another type is what such a command answers first.
bool KeyAnswersFirst(OpContext& c, std::string_view missing_reply_error) {
  OpStatus status = lists::CheckPoppable(c.db, c.args[1]);
  if (status == OpStatus::kWrongType) {
    c.reply.Error(errors::kWrongType);
    return true;
  }
  if (status == OpStatus::kNotFound) {
    if (missing_reply_error.empty()) {
      c.reply.Null();
    } else {
      c.reply.Error(missing_reply_error);
    }
    return true;
  }
  return false;
}

// ---- Pushes and pops ----

void PushGeneric(OpContext& c, ListEnd end, bool only_existing) {
  ReplyCount(c.reply, lists::Push(c.db, c.args[1], end, c.args.subspan(2), only_existing));
}

void OpLPush(OpContext& c) { PushGeneric(c, ListEnd::kHead, false); }
void OpRPush(OpContext& c) { PushGeneric(c, ListEnd::kTail, false); }
void OpLPushX(OpContext& c) { PushGeneric(c, ListEnd::kHead, true); }
void OpRPushX(OpContext& c) { PushGeneric(c, ListEnd::kTail, true); }

void PopGeneric(OpContext& c, ListEnd end) {
  if (c.args.size() > 3) return c.reply.Error(errors::WrongArity(c.spec.name));
  const bool has_count = c.args.size() == 3;
  int64_t count = 1;
  if (has_count && (!base::ParseInt64(c.args[2], &count) || count < 0)) {
    return c.reply.Error(errors::kNotPositive);
  }
  std::vector<std::string> out;
  OpStatus status = lists::Pop(c.db, c.args[1], end, static_cast<size_t>(count), &out);
  if (status == OpStatus::kWrongType) return errors::ReplyStatus(c.reply, status);
  if (!has_count) {
    if (status == OpStatus::kNotFound) return c.reply.Null();
    return c.reply.Bulk(out[0]);
  }
  if (status == OpStatus::kNotFound) return c.reply.NullArray();
  ReplyStrings(c.reply, out);
}

void OpLPop(OpContext& c) { PopGeneric(c, ListEnd::kHead); }
void OpRPop(OpContext& c) { PopGeneric(c, ListEnd::kTail); }

// ---- Reading and editing in place ----

void OpLLen(OpContext& c) { ReplyCount(c.reply, lists::Length(c.db, c.args[1])); }

void OpLRange(OpContext& c) {
  std::optional<int64_t> start = IntArg(c.args[2], c.reply);
  if (!start) return;
  std::optional<int64_t> stop = IntArg(c.args[3], c.reply);
  if (!stop) return;
  std::vector<std::string_view> values;
  OpStatus status = lists::Range(c.db, c.args[1], *start, *stop, &values);
  if (status != OpStatus::kOk) return errors::ReplyStatus(c.reply, status);
  c.reply.ArrayHeader(values.size());
  for (std::string_view value : values) c.reply.Bulk(value);
}

void OpLIndex(OpContext& c) {
  int64_t index;
  if (!base::ParseInt64(c.args[2], &index)) {
    if (KeyAnswersFirst(c, {})) return;
    return c.reply.Error(errors::kNotInteger);
  }
  std::string_view value;
  OpStatus status = lists::Index(c.db, c.args[1], index, &value);
  if (status == OpStatus::kOk) return c.reply.Bulk(value);
  errors::ReplyStatus(c.reply, status);  // kNotFound: a null
}

void OpLSet(OpContext& c) {
  int64_t index;
  if (!base::ParseInt64(c.args[2], &index)) {
    if (KeyAnswersFirst(c, errors::kNoSuchKey)) return;
    return c.reply.Error(errors::kNotInteger);
  }
  storage::OpResult<bool> result = lists::Set(c.db, c.args[1], index, c.args[3]);
  if (result.status == OpStatus::kNotFound) return c.reply.Error(errors::kNoSuchKey);
  if (!result.ok()) return errors::ReplyStatus(c.reply, result.status);
  if (!result.value) return c.reply.Error(errors::kIndexOutOfRange);
  c.reply.Ok();
}

void OpLInsert(OpContext& c) {
  bool after;
  if (Is(c.args[2], "AFTER")) {
    after = true;
  } else if (Is(c.args[2], "BEFORE")) {
    after = false;
  } else {
    return c.reply.Error(errors::kSyntax);
  }
  ReplyCount(c.reply, lists::Insert(c.db, c.args[1], after, c.args[3], c.args[4]));
}

void OpLRem(OpContext& c) {
  std::optional<int64_t> count = IntArg(c.args[2], c.reply);
  if (!count) return;
  ReplyCount(c.reply, lists::Remove(c.db, c.args[1], *count, c.args[3]));
}

void OpLTrim(OpContext& c) {
  std::optional<int64_t> start = IntArg(c.args[2], c.reply);
  if (!start) return;
  std::optional<int64_t> stop = IntArg(c.args[3], c.reply);
  if (!stop) return;
  OpStatus status = lists::Trim(c.db, c.args[1], *start, *stop);
  if (status != OpStatus::kOk) return errors::ReplyStatus(c.reply, status);
  c.reply.Ok();
}

void OpLPos(OpContext& c) {
  lists::PosOptions options;
  bool has_count = false;
  for (size_t i = 3; i < c.args.size(); ++i) {
    bool has_value = i + 1 < c.args.size();
    if (Is(c.args[i], "RANK") && has_value) {
      std::optional<int64_t> rank = IntArg(c.args[++i], c.reply);
      if (!rank) return;
      if (*rank == 0) {
        return c.reply.Error(errors::kRankZero);
      }
      options.rank = *rank;
    } else if (Is(c.args[i], "COUNT") && has_value) {
      if (!base::ParseInt64(c.args[++i], &options.count) || options.count < 0) {
        return c.reply.Error(errors::kCountNegative);
      }
      has_count = true;
    } else if (Is(c.args[i], "MAXLEN") && has_value) {
      if (!base::ParseInt64(c.args[++i], &options.maxlen) || options.maxlen < 0) {
        return c.reply.Error(errors::kMaxlenNegative);
      }
    } else {
      return c.reply.Error(errors::kSyntax);
    }
  }
  if (!has_count) options.count = 1;
  std::vector<int64_t> positions;
  OpStatus status = lists::Pos(c.db, c.args[1], c.args[2], options, &positions);
  if (status == OpStatus::kWrongType) return errors::ReplyStatus(c.reply, status);
  if (has_count) {
    c.reply.ArrayHeader(positions.size());
    for (int64_t position : positions) c.reply.Integer(position);
  } else if (positions.empty()) {
    c.reply.Null();
  } else {
    c.reply.Integer(positions[0]);
  }
}

// ---- LMOVE, RPOPLPUSH ----

struct MoveEnds {
  ListEnd from;
  ListEnd to;
};

// LMOVE/BLMOVE name their ends; RPOPLPUSH/BRPOPLPUSH move right to left.
std::optional<MoveEnds> ParseMoveEnds(ArgList args, protocol::ReplyBuilder& reply) {
  if (args.size() < 5) return MoveEnds{ListEnd::kTail, ListEnd::kHead};
  std::optional<ListEnd> from = EndArg(args[3]);
  std::optional<ListEnd> to = EndArg(args[4]);
  if (!from || !to) {
    reply.Error(errors::kSyntax);
    return std::nullopt;
  }
  return MoveEnds{*from, *to};
}

void ReplyMoved(protocol::ReplyBuilder& reply, OpStatus status, std::string_view value) {
  if (status == OpStatus::kOk) return reply.Bulk(value);
  errors::ReplyStatus(reply, status);  // kNotFound: a null
}

void OpMove(OpContext& c) {
  std::optional<MoveEnds> ends = ParseMoveEnds(c.args, c.reply);
  if (!ends) return;
  std::string moved;
  OpStatus status = lists::Move(c.db, c.args[1], c.args[2], ends->from, ends->to, &moved);
  ReplyMoved(c.reply, status, moved);
}

struct Moved {
  OpStatus status = OpStatus::kNotFound;
  std::string value;
};

// LMOVE of args[1] to args[2] with `lock` held on both: one hop when they
// share a shard; otherwise the destination is checked, the element popped,
// then pushed, all under the locks.
Task<Moved> MoveLocked(CoordContext& c, MultiShardLock& lock, MoveEnds ends) {
  std::string_view source = c.args[1];
  std::string_view destination = c.args[2];
  int source_shard = c.engine.ShardOfKey(source);
  int destination_shard = c.engine.ShardOfKey(destination);
  Moved moved;
  if (source_shard == destination_shard) {
    co_await lock.Run(source_shard, [&](Worker& shard) {
      moved.status = lists::Move(shard.store().db(c.db), source, destination, ends.from, ends.to, &moved.value);
    });
    co_return moved;
  }
  OpStatus pushable = OpStatus::kOk;
  co_await lock.Run(destination_shard, [&](Worker& shard) {
    pushable = lists::CheckPushable(shard.store().db(c.db), destination);
  });
  co_await lock.Run(source_shard, [&](Worker& shard) {
    storage::Database& db = shard.store().db(c.db);
    moved.status = lists::CheckPoppable(db, source);
    if (moved.status != OpStatus::kOk) return;
    if (pushable != OpStatus::kOk) {
      moved.status = pushable;
      return;
    }
    std::vector<std::string> out;
    lists::Pop(db, source, ends.from, 1, &out);
    moved.value = std::move(out[0]);
  });
  if (moved.status != OpStatus::kOk) co_return moved;
  OpStatus pushed = OpStatus::kOk;
  co_await lock.Run(destination_shard, [&](Worker& shard) {
    std::string_view value = moved.value;
    pushed = lists::Push(shard.store().db(c.db), destination, ends.to, {&value, 1}).status;
  });
  if (pushed != OpStatus::kOk) {
    // Out of memory on the destination's shard: put the element back where it
    // was; the locks kept anyone from seeing it gone.
    co_await lock.Run(source_shard, [&](Worker& shard) {
      std::string_view value = moved.value;
      lists::Push(shard.store().db(c.db), source, ends.from, {&value, 1});
    });
    moved.status = pushed;
  }
  co_return moved;
}

Task<void> CoordMove(CoordContext& c) {
  std::optional<MoveEnds> ends = ParseMoveEnds(c.args, c.reply);
  if (!ends) co_return;
  MultiShardLock lock(c, GroupKeysByShard(c, {1, 2}), LockMode::kExclusive);
  co_await lock.Acquire();
  Moved moved = co_await MoveLocked(c, lock, *ends);
  lock.Release();
  ReplyMoved(c.reply, moved.status, moved.value);
}

// ---- LMPOP ----

void ReplyKeyAndValues(protocol::ReplyBuilder& reply, std::string_view key, const std::vector<std::string>& values) {
  reply.ArrayHeader(2);
  reply.Bulk(key);
  ReplyStrings(reply, values);
}

ListEnd EndOf(const MultiPopArgs& parsed) { return parsed.first_word ? ListEnd::kHead : ListEnd::kTail; }

void OpLmpop(OpContext& c) {
  std::optional<MultiPopArgs> parsed = ParseMultiPop(c.args, 1, "LEFT", "RIGHT", c.reply);
  if (!parsed) return;
  for (int i : parsed->keys) {
    std::vector<std::string> out;
    OpStatus status = lists::Pop(c.db, c.args[i], EndOf(*parsed), static_cast<size_t>(parsed->count), &out);
    if (status == OpStatus::kNotFound) continue;
    if (status != OpStatus::kOk) return errors::ReplyStatus(c.reply, status);
    return ReplyKeyAndValues(c.reply, c.args[i], out);
  }
  c.reply.NullArray();
}

// Pops from the ReadyKey found under `lock` and replies; false when there
// was nothing to pop (nothing is written then).
Task<bool> PopReady(CoordContext& c, MultiShardLock& lock, ReadyKey ready, ListEnd end, int64_t count,
                    bool with_key_array) {
  if (ready.index < 0) co_return false;
  if (ready.status != OpStatus::kOk) {
    errors::ReplyStatus(c.reply, ready.status);
    co_return true;
  }
  std::string_view key = c.args[ready.index];
  std::vector<std::string> out;
  co_await lock.Run(c.engine.ShardOfKey(key), [&](Worker& shard) {
    lists::Pop(shard.store().db(c.db), key, end, static_cast<size_t>(count), &out);
  });
  if (with_key_array) {
    ReplyKeyAndValues(c.reply, key, out);
  } else {
    c.reply.ArrayHeader(2);
    c.reply.Bulk(key);
    c.reply.Bulk(out[0]);
  }
  co_return true;
}

Task<void> CoordLmpop(CoordContext& c) {
  std::optional<MultiPopArgs> parsed = ParseMultiPop(c.args, 1, "LEFT", "RIGHT", c.reply);
  if (!parsed) co_return;
  MultiShardLock lock(c, GroupKeysByShard(c, parsed->keys), LockMode::kExclusive);
  ReadyKey ready = co_await LockAndFindReady(c, lock, parsed->keys, storage::ValueType::kList);
  bool replied = co_await PopReady(c, lock, ready, EndOf(*parsed), parsed->count, true);
  lock.Release();
  if (!replied) c.reply.NullArray();
}

// ---- Blocking pops ----

// BLPOP (kEnd kHead) and BRPOP (kTail) served on the key's shard: [key, element].
template <ListEnd kEnd>
ServeResult ServeBPop(OpContext& ctx, std::string_view key) {
  std::vector<std::string> out;
  if (lists::Pop(ctx.db, key, kEnd, 1, &out) != OpStatus::kOk) return ServeResult::kNothing;
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(key);
  ctx.reply.Bulk(out[0]);
  return ServeResult::kServed;
}

template <ListEnd kEnd>
Task<void> CoordBPop(CoordContext& c) {
  std::optional<int64_t> timeout = TimeoutArg(c.args.back(), c.reply);
  if (!timeout) co_return;
  std::vector<int> keys;
  for (size_t i = 1; i + 1 < c.args.size(); ++i) keys.push_back(static_cast<int>(i));
  MultiShardLock lock(c, GroupKeysByShard(c, keys), LockMode::kExclusive);
  ReadyKey ready = co_await LockAndFindReady(c, lock, keys, storage::ValueType::kList);
  if (co_await PopReady(c, lock, ready, kEnd, 1, false)) co_return;
  // Inside MULTI nothing blocks: the answer is the timeout's.
  if (c.locks_held) co_return c.reply.NullArray();
  std::shared_ptr<BlockedClient> client =
      MakeBlockedClient(c, keys, storage::ValueType::kList, ServeBPop<kEnd>);
  co_await WaitForKeys(c, lock, client, *timeout);
  if (client->timed_out) c.reply.NullArray();
}

// BLMPOP served on the key's shard: [key, [elements]].
ServeResult ServeBLmpop(OpContext& ctx, std::string_view key) {
  std::string ignored;
  protocol::ReplyBuilder scratch(&ignored, ctx.reply.version());
  std::optional<MultiPopArgs> parsed = ParseMultiPop(ctx.args, 2, "LEFT", "RIGHT", scratch);  // checked before
  std::vector<std::string> out;
  if (!parsed || lists::Pop(ctx.db, key, EndOf(*parsed), static_cast<size_t>(parsed->count), &out) != OpStatus::kOk) {
    return ServeResult::kNothing;
  }
  ReplyKeyAndValues(ctx.reply, key, out);
  return ServeResult::kServed;
}

Task<void> CoordBLmpop(CoordContext& c) {
  // Redis reads the timeout last, although it comes first.
  std::optional<MultiPopArgs> parsed = ParseMultiPop(c.args, 2, "LEFT", "RIGHT", c.reply);
  if (!parsed) co_return;
  std::optional<int64_t> timeout = TimeoutArg(c.args[1], c.reply);
  if (!timeout) co_return;
  MultiShardLock lock(c, GroupKeysByShard(c, parsed->keys), LockMode::kExclusive);
  ReadyKey ready = co_await LockAndFindReady(c, lock, parsed->keys, storage::ValueType::kList);
  if (co_await PopReady(c, lock, ready, EndOf(*parsed), parsed->count, true)) co_return;
  if (c.locks_held) co_return c.reply.NullArray();
  std::shared_ptr<BlockedClient> client =
      MakeBlockedClient(c, parsed->keys, storage::ValueType::kList, ServeBLmpop);
  co_await WaitForKeys(c, lock, client, *timeout);
  if (client->timed_out) c.reply.NullArray();
}

// BLMOVE/BRPOPLPUSH served on the source's shard: the element when the
// destination is here too, otherwise a wake (see the top of this file).
ServeResult ServeBLMove(OpContext& ctx, std::string_view key) {
  std::string ignored;
  protocol::ReplyBuilder scratch(&ignored, ctx.reply.version());
  std::optional<MoveEnds> ends = ParseMoveEnds(ctx.args, scratch);  // checked before
  std::string_view destination = ctx.args[2];
  if (!ends) return ServeResult::kNothing;
  if (ctx.worker.engine().ShardOfKey(destination) != ctx.worker.id()) return ServeResult::kWake;
  std::string moved;
  OpStatus status = lists::Move(ctx.db, key, destination, ends->from, ends->to, &moved);
  if (status == OpStatus::kNotFound) return ServeResult::kNothing;
  // A destination of another type ends the wait with WRONGTYPE, as in Redis.
  ReplyMoved(ctx.reply, status, moved);
  return ServeResult::kServed;
}

Task<void> CoordBLMove(CoordContext& c) {
  std::optional<MoveEnds> ends = ParseMoveEnds(c.args, c.reply);
  if (!ends) co_return;
  std::optional<int64_t> timeout = TimeoutArg(c.args.back(), c.reply);
  if (!timeout) co_return;
  std::shared_ptr<BlockedClient> client;
  while (true) {
    MultiShardLock lock(c, GroupKeysByShard(c, {1, 2}), LockMode::kExclusive);
    co_await lock.Acquire();
    // A woken client that hung up meanwhile takes nothing.
    bool gone = client && c.connection && c.connection->closed();
    Moved moved;
    if (!gone) moved = co_await MoveLocked(c, lock, *ends);
    if (moved.status != OpStatus::kNotFound || c.locks_held || gone) {
      if (client) FinishWoken(c, client);
      lock.Release();
      co_return ReplyMoved(c.reply, moved.status, moved.value);  // inside MULTI, a missing source: $-1
    }
    if (!client) client = MakeBlockedClient(c, {1}, storage::ValueType::kList, ServeBLMove);
    co_await WaitForKeys(c, lock, client, *timeout);
    if (client->served) co_return;
    if (client->timed_out) co_return c.reply.NullArray();
    // Woken by the source's shard: try again under the locks.
  }
}

}  // namespace

void RegisterListCommands(CommandTable& table) {
  table.Register({
      {.name = "lpush", .op = OpLPush},
      {.name = "rpush", .op = OpRPush},
      {.name = "lpushx", .op = OpLPushX},
      {.name = "rpushx", .op = OpRPushX},
      {.name = "lpop", .op = OpLPop},
      {.name = "rpop", .op = OpRPop},
      {.name = "llen", .op = OpLLen},
      {.name = "lrange", .op = OpLRange},
      {.name = "lindex", .op = OpLIndex},
      {.name = "lset", .op = OpLSet},
      {.name = "linsert", .op = OpLInsert},
      {.name = "lrem", .op = OpLRem},
      {.name = "ltrim", .op = OpLTrim},
      {.name = "lpos", .op = OpLPos},
      {.name = "lmove", .op = OpMove, .coordinated = CoordMove},
      {.name = "rpoplpush", .op = OpMove, .coordinated = CoordMove},
      {.name = "lmpop", .op = OpLmpop, .coordinated = CoordLmpop},
      {.name = "blpop", .coordinated = CoordBPop<ListEnd::kHead>},
      {.name = "brpop", .coordinated = CoordBPop<ListEnd::kTail>},
      {.name = "brpoplpush", .coordinated = CoordBLMove},
      {.name = "blmove", .coordinated = CoordBLMove},
      {.name = "blmpop", .coordinated = CoordBLmpop},
  });
}

}  // namespace emberkv::server
