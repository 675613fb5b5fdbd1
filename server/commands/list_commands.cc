// List commands: LPUSH, RPUSH, LPUSHX, RPUSHX, LPOP, RPOP, LLEN, LRANGE,
// LINDEX, LSET, LINSERT, LREM, LTRIM, LPOS, LMOVE, RPOPLPUSH, LMPOP, and the
// blocking BLPOP, BRPOP, BLMOVE, BRPOPLPUSH and BLMPOP.
//
// Every command holds the shards of all its keys while it runs, so LMOVE
// between shards is atomic like any other. A blocking command tries its
// keys in argument order and, finding nothing, waits to be served by the
// command that fills one of them (server/blocking/blocking.h); BLMOVE's
// destination shard is among those its server must hold.
#include <optional>
#include <string>
#include <vector>

#include "base/numbers.h"
#include "server/blocking/blocking.h"
#include "server/command_table.h"
#include "server/commands/arg_parsing.h"
#include "server/commands/multi_pop.h"
#include "server/engine/engine.h"
#include "server/errors.h"
#include "storage/list_ops.h"

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
bool KeyAnswersFirst(CommandContext& c, std::string_view missing_reply_error) {
  OpStatus status = lists::CheckPoppable(c.Db(1), c.Key(1));
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

void PushGeneric(CommandContext& c, ListEnd end, bool only_existing) {
  ReplyCount(c.reply, lists::Push(c.Db(1), c.Key(1), end, c.args.subspan(2), only_existing));
}

void LPush(CommandContext& c) { PushGeneric(c, ListEnd::kHead, false); }
void RPush(CommandContext& c) { PushGeneric(c, ListEnd::kTail, false); }
void LPushX(CommandContext& c) { PushGeneric(c, ListEnd::kHead, true); }
void RPushX(CommandContext& c) { PushGeneric(c, ListEnd::kTail, true); }

void PopGeneric(CommandContext& c, ListEnd end) {
  if (c.args.size() > 3) return c.reply.Error(errors::WrongArity(c.spec.name));
  const bool has_count = c.args.size() == 3;
  int64_t count = 1;
  if (has_count && (!base::ParseInt64(c.args[2], &count) || count < 0)) {
    return c.reply.Error(errors::kNotPositive);
  }
  std::vector<std::string> out;
  OpStatus status = lists::Pop(c.Db(1), c.Key(1), end, static_cast<size_t>(count), &out);
  if (status == OpStatus::kWrongType) return errors::ReplyStatus(c.reply, status);
  if (!has_count) {
    if (status == OpStatus::kNotFound) return c.reply.Null();
    return c.reply.Bulk(out[0]);
  }
  if (status == OpStatus::kNotFound) return c.reply.NullArray();
  ReplyStrings(c.reply, out);
}

void LPop(CommandContext& c) { PopGeneric(c, ListEnd::kHead); }
void RPop(CommandContext& c) { PopGeneric(c, ListEnd::kTail); }

// ---- Reading and editing in place ----

void LLen(CommandContext& c) { ReplyCount(c.reply, lists::Length(c.Db(1), c.Key(1))); }

void LRange(CommandContext& c) {
  std::optional<int64_t> start = IntArg(c.args[2], c.reply);
  if (!start) return;
  std::optional<int64_t> stop = IntArg(c.args[3], c.reply);
  if (!stop) return;
  std::vector<std::string_view> values;
  OpStatus status = lists::Range(c.Db(1), c.Key(1), *start, *stop, &values);
  if (status != OpStatus::kOk) return errors::ReplyStatus(c.reply, status);
  c.reply.ArrayHeader(values.size());
  for (std::string_view value : values) c.reply.Bulk(value);
}

void LIndex(CommandContext& c) {
  int64_t index;
  if (!base::ParseInt64(c.args[2], &index)) {
    if (KeyAnswersFirst(c, {})) return;
    return c.reply.Error(errors::kNotInteger);
  }
  std::string_view value;
  OpStatus status = lists::Index(c.Db(1), c.Key(1), index, &value);
  if (status == OpStatus::kOk) return c.reply.Bulk(value);
  errors::ReplyStatus(c.reply, status);  // kNotFound: a null
}

void LSet(CommandContext& c) {
  int64_t index;
  if (!base::ParseInt64(c.args[2], &index)) {
    if (KeyAnswersFirst(c, errors::kNoSuchKey)) return;
    return c.reply.Error(errors::kNotInteger);
  }
  storage::OpResult<bool> result = lists::Set(c.Db(1), c.Key(1), index, c.args[3]);
  if (result.status == OpStatus::kNotFound) return c.reply.Error(errors::kNoSuchKey);
  if (!result.ok()) return errors::ReplyStatus(c.reply, result.status);
  if (!result.value) return c.reply.Error(errors::kIndexOutOfRange);
  c.reply.Ok();
}

void LInsert(CommandContext& c) {
  bool after;
  if (Is(c.args[2], "AFTER")) {
    after = true;
  } else if (Is(c.args[2], "BEFORE")) {
    after = false;
  } else {
    return c.reply.Error(errors::kSyntax);
  }
  ReplyCount(c.reply, lists::Insert(c.Db(1), c.Key(1), after, c.args[3], c.args[4]));
}

void LRem(CommandContext& c) {
  std::optional<int64_t> count = IntArg(c.args[2], c.reply);
  if (!count) return;
  ReplyCount(c.reply, lists::Remove(c.Db(1), c.Key(1), *count, c.args[3]));
}

void LTrim(CommandContext& c) {
  std::optional<int64_t> start = IntArg(c.args[2], c.reply);
  if (!start) return;
  std::optional<int64_t> stop = IntArg(c.args[3], c.reply);
  if (!stop) return;
  OpStatus status = lists::Trim(c.Db(1), c.Key(1), *start, *stop);
  if (status != OpStatus::kOk) return errors::ReplyStatus(c.reply, status);
  c.reply.Ok();
}

void LPos(CommandContext& c) {
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
  OpStatus status = lists::Pos(c.Db(1), c.Key(1), c.args[2], options, &positions);
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

void LMove(CommandContext& c) {
  std::optional<MoveEnds> ends = ParseMoveEnds(c.args, c.reply);
  if (!ends) return;
  std::string moved;
  OpStatus status = lists::Move(c.Db(1), c.Key(1), c.Db(2), c.Key(2), ends->from, ends->to, &moved);
  ReplyMoved(c.reply, status, moved);
}

// ---- LMPOP ----

void ReplyKeyAndValues(protocol::ReplyBuilder& reply, std::string_view key,
                       const std::vector<std::string>& values) {
  reply.ArrayHeader(2);
  reply.Bulk(key);
  ReplyStrings(reply, values);
}

ListEnd EndOf(const MultiPopArgs& parsed) {
  return parsed.first_word ? ListEnd::kHead : ListEnd::kTail;
}

void Lmpop(CommandContext& c) {
  std::optional<MultiPopArgs> parsed = ParseMultiPop(c.args, 1, "LEFT", "RIGHT", c.reply);
  if (!parsed) return;
  for (int i : parsed->keys) {
    std::vector<std::string> out;
    OpStatus status =
        lists::Pop(c.Db(i), c.Key(i), EndOf(*parsed), static_cast<size_t>(parsed->count), &out);
    if (status == OpStatus::kNotFound) continue;
    if (status != OpStatus::kOk) return errors::ReplyStatus(c.reply, status);
    return ReplyKeyAndValues(c.reply, c.args[i], out);
  }
  c.reply.NullArray();
}

// ---- Blocking pops ----

// Pops `count` from the first key with something to give (FindReady) and
// replies [key, element] (or [key, [elements]] with `with_key_array`);
// false when every key was missing (nothing is written then).
bool PopFirstReady(CommandContext& c, const std::vector<int>& keys, ListEnd end, int64_t count,
                   bool with_key_array) {
  ReadyKey ready = FindReady(c, keys, storage::ValueType::kList);
  if (ready.index < 0) return false;
  if (ready.status != OpStatus::kOk) {
    errors::ReplyStatus(c.reply, ready.status);
    return true;
  }
  std::vector<std::string> out;
  OpStatus status =
      lists::Pop(c.Db(ready.index), c.Key(ready.index), end, static_cast<size_t>(count), &out);
  if (status != OpStatus::kOk) {
    errors::ReplyStatus(c.reply, status);
    return true;
  }
  if (with_key_array) {
    ReplyKeyAndValues(c.reply, c.args[ready.index], out);
  } else {
    c.reply.ArrayHeader(2);
    c.reply.Bulk(c.args[ready.index]);
    c.reply.Bulk(out[0]);
  }
  return true;
}

// BLPOP (kEnd kHead) and BRPOP (kTail) served by a writer: [key, element].
template <ListEnd kEnd>
ServeResult ServeBPop(CommandContext& ctx, const storage::Key& key) {
  std::vector<std::string> out;
  if (lists::Pop(ctx.DbOf(key, ctx.db), key, kEnd, 1, &out) != OpStatus::kOk)
    return ServeResult::kNothing;
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(key.bytes);
  ctx.reply.Bulk(out[0]);
  return ServeResult::kServed;
}

template <ListEnd kEnd>
void BPop(CommandContext& c) {
  std::optional<int64_t> timeout = TimeoutArg(c.args.back(), c.reply);
  if (!timeout) return;
  std::vector<int> keys;
  for (size_t i = 1; i + 1 < c.args.size(); ++i) keys.push_back(static_cast<int>(i));
  if (PopFirstReady(c, keys, kEnd, 1, false)) return;
  // Inside MULTI or a script nothing blocks: the answer is the timeout's.
  if (!MayBlock(c)) return c.reply.NullArray();
  BlockOnKeys(
      c, MakeBlockedClient(c, keys, storage::ValueType::kList, ServeBPop<kEnd>, NullArrayReply(c)),
      *timeout);
}

void BLPop(CommandContext& c) { BPop<ListEnd::kHead>(c); }
void BRPop(CommandContext& c) { BPop<ListEnd::kTail>(c); }

// BLMPOP served by a writer: [key, [elements]].
ServeResult ServeBLmpop(CommandContext& ctx, const storage::Key& key) {
  std::string ignored;
  protocol::ReplyBuilder scratch(&ignored, ctx.reply.version());
  std::optional<MultiPopArgs> parsed =
      ParseMultiPop(ctx.args, 2, "LEFT", "RIGHT", scratch);  // checked before
  std::vector<std::string> out;
  if (!parsed || lists::Pop(ctx.DbOf(key, ctx.db), key, EndOf(*parsed),
                            static_cast<size_t>(parsed->count), &out) != OpStatus::kOk) {
    return ServeResult::kNothing;
  }
  ReplyKeyAndValues(ctx.reply, key.bytes, out);
  return ServeResult::kServed;
}

void BLmpop(CommandContext& c) {
  // Redis reads the timeout last, although it comes first.
  std::optional<MultiPopArgs> parsed = ParseMultiPop(c.args, 2, "LEFT", "RIGHT", c.reply);
  if (!parsed) return;
  std::optional<int64_t> timeout = TimeoutArg(c.args[1], c.reply);
  if (!timeout) return;
  if (PopFirstReady(c, parsed->keys, EndOf(*parsed), parsed->count, true)) return;
  if (!MayBlock(c)) return c.reply.NullArray();
  BlockOnKeys(
      c,
      MakeBlockedClient(c, parsed->keys, storage::ValueType::kList, ServeBLmpop, NullArrayReply(c)),
      *timeout);
}

// BLMOVE/BRPOPLPUSH served by a writer that holds both keys' shards.
ServeResult ServeBLMove(CommandContext& ctx, const storage::Key& key) {
  std::string ignored;
  protocol::ReplyBuilder scratch(&ignored, ctx.reply.version());
  std::optional<MoveEnds> ends = ParseMoveEnds(ctx.args, scratch);  // checked before
  if (!ends) return ServeResult::kNothing;
  std::string moved;
  OpStatus status =
      lists::Move(ctx.DbOf(key, ctx.db), key, ctx.Db(2), ctx.Key(2), ends->from, ends->to, &moved);
  if (status == OpStatus::kNotFound) return ServeResult::kNothing;
  // A destination of another type ends the wait with WRONGTYPE, as in Redis.
  ReplyMoved(ctx.reply, status, moved);
  return ServeResult::kServed;
}

void BLMove(CommandContext& c) {
  std::optional<MoveEnds> ends = ParseMoveEnds(c.args, c.reply);
  if (!ends) return;
  std::optional<int64_t> timeout = TimeoutArg(c.args.back(), c.reply);
  if (!timeout) return;
  std::string moved;
  OpStatus status = lists::Move(c.Db(1), c.Key(1), c.Db(2), c.Key(2), ends->from, ends->to, &moved);
  // Inside MULTI a missing source answers $-1 (a null), as LMOVE would.
  if (status != OpStatus::kNotFound || !MayBlock(c)) return ReplyMoved(c.reply, status, moved);
  ShardSet destination_shard = ShardSet::Of(c.engine().keyspace().ShardOfHash(c.Key(2).hash));
  BlockOnKeys(c,
              MakeBlockedClient(c, {1}, storage::ValueType::kList, ServeBLMove, NullArrayReply(c),
                                destination_shard),
              *timeout);
}

}  // namespace

void RegisterListCommands(CommandTable& table) {
  table.Register({
      {.name = "lpush", .handler = LPush},     {.name = "rpush", .handler = RPush},
      {.name = "lpushx", .handler = LPushX},   {.name = "rpushx", .handler = RPushX},
      {.name = "lpop", .handler = LPop},       {.name = "rpop", .handler = RPop},
      {.name = "llen", .handler = LLen},       {.name = "lrange", .handler = LRange},
      {.name = "lindex", .handler = LIndex},   {.name = "lset", .handler = LSet},
      {.name = "linsert", .handler = LInsert}, {.name = "lrem", .handler = LRem},
      {.name = "ltrim", .handler = LTrim},     {.name = "lpos", .handler = LPos},
      {.name = "lmove", .handler = LMove},     {.name = "rpoplpush", .handler = LMove},
      {.name = "lmpop", .handler = Lmpop},     {.name = "blpop", .handler = BLPop},
      {.name = "brpop", .handler = BRPop},     {.name = "brpoplpush", .handler = BLMove},
      {.name = "blmove", .handler = BLMove},   {.name = "blmpop", .handler = BLmpop},
  });
}

}  // namespace emberkv::server
