// The blocking sorted-set pops: BZPOPMIN, BZPOPMAX and BZMPOP, built like
// the blocking list pops (server/commands/lists.cc) on the blocking
// infrastructure (server/blocking/blocking.h), popping with the sorted sets'
// own zsets::Pop. Always coordinated: lock the keys, try them in argument
// order, wait to be served when all are missing.
#include <optional>
#include <string>
#include <vector>

#include "server/blocking/blocking.h"
#include "server/command_table.h"
#include "server/commands/multi_pop.h"
#include "server/engine/engine.h"
#include "server/errors.h"
#include "server/transaction/multi_shard.h"
#include "storage/zset_ops.h"

namespace emberkv::server {
namespace {

using storage::OpStatus;
using storage::zsets::ScoredMember;
namespace zsets = storage::zsets;

// BZPOPMIN/BZPOPMAX: [key, member, score].
void ReplyOne(protocol::ReplyBuilder& reply, std::string_view key, const ScoredMember& popped) {
  reply.ArrayHeader(3);
  reply.Bulk(key);
  reply.Bulk(popped.member);
  reply.Double(popped.score);
}

// BZMPOP: [key, [[member, score], ...]], pairs in RESP2 too.
void ReplyMany(protocol::ReplyBuilder& reply, std::string_view key, const std::vector<ScoredMember>& popped) {
  reply.ArrayHeader(2);
  reply.Bulk(key);
  reply.ArrayHeader(popped.size());
  for (const ScoredMember& m : popped) {
    reply.ArrayHeader(2);
    reply.Bulk(m.member);
    reply.Double(m.score);
  }
}

// Which members BZPOPMIN and BZPOPMAX pop.
enum class ScoreEnd : bool { kMin = false, kMax = true };

// Pops up to `count` members from `key` on its shard (under the command's
// locks) and replies; false when there was nothing to pop.
Task<bool> PopReady(CoordContext& c, MultiShardLock& lock, ReadyKey ready, bool max, int64_t count, bool many) {
  if (ready.index < 0) co_return false;
  if (ready.status != OpStatus::kOk) {
    errors::ReplyStatus(c.reply, ready.status);
    co_return true;
  }
  std::string_view key = c.args[ready.index];
  storage::OpResult<std::vector<ScoredMember>> popped = std::vector<ScoredMember>();
  co_await lock.Run(c.engine.ShardOfKey(key), [&](Worker& shard) {
    popped = zsets::Pop(shard.store().db(c.db), key, static_cast<uint64_t>(count), max);
  });
  if (!popped.ok()) {
    errors::ReplyStatus(c.reply, popped.status);
  } else if (many) {
    ReplyMany(c.reply, key, popped.value);
  } else {
    ReplyOne(c.reply, key, popped.value.at(0));
  }
  co_return true;
}

template <ScoreEnd kEnd>
ServeResult ServeBZPop(OpContext& ctx, std::string_view key) {
  storage::OpResult<std::vector<ScoredMember>> popped =
      zsets::Pop(ctx.db, key, 1, kEnd == ScoreEnd::kMax);
  if (!popped.ok() || popped.value.empty()) return ServeResult::kNothing;
  ReplyOne(ctx.reply, key, popped.value[0]);
  return ServeResult::kServed;
}

template <ScoreEnd kEnd>
Task<void> CoordBZPop(CoordContext& c) {
  std::optional<int64_t> timeout = TimeoutArg(c.args.back(), c.reply);
  if (!timeout) co_return;
  std::vector<int> keys;
  for (size_t i = 1; i + 1 < c.args.size(); ++i) keys.push_back(static_cast<int>(i));
  MultiShardLock lock(c, GroupKeysByShard(c, keys), LockMode::kExclusive);
  ReadyKey ready = co_await LockAndFindReady(c, lock, keys, storage::ValueType::kZSet);
  if (co_await PopReady(c, lock, ready, kEnd == ScoreEnd::kMax, 1, false)) co_return;
  // Inside MULTI nothing blocks: the answer is the timeout's.
  if (c.locks_held) co_return c.reply.NullArray();
  std::shared_ptr<BlockedClient> client =
      MakeBlockedClient(c, keys, storage::ValueType::kZSet, ServeBZPop<kEnd>);
  co_await WaitForKeys(c, lock, client, *timeout);
  if (client->timed_out) c.reply.NullArray();
}

ServeResult ServeBZMPop(OpContext& ctx, std::string_view key) {
  std::string ignored;
  protocol::ReplyBuilder scratch(&ignored, ctx.reply.version());
  std::optional<MultiPopArgs> parsed = ParseMultiPop(ctx.args, 2, "MIN", "MAX", scratch);  // checked before
  if (!parsed) return ServeResult::kNothing;
  storage::OpResult<std::vector<ScoredMember>> popped =
      zsets::Pop(ctx.db, key, static_cast<uint64_t>(parsed->count), !parsed->first_word);
  if (!popped.ok() || popped.value.empty()) return ServeResult::kNothing;
  ReplyMany(ctx.reply, key, popped.value);
  return ServeResult::kServed;
}

Task<void> CoordBZMPop(CoordContext& c) {
  // Redis reads the timeout last, although it comes first.
  std::optional<MultiPopArgs> parsed = ParseMultiPop(c.args, 2, "MIN", "MAX", c.reply);
  if (!parsed) co_return;
  std::optional<int64_t> timeout = TimeoutArg(c.args[1], c.reply);
  if (!timeout) co_return;
  MultiShardLock lock(c, GroupKeysByShard(c, parsed->keys), LockMode::kExclusive);
  ReadyKey ready = co_await LockAndFindReady(c, lock, parsed->keys, storage::ValueType::kZSet);
  if (co_await PopReady(c, lock, ready, !parsed->first_word, parsed->count, true)) co_return;
  if (c.locks_held) co_return c.reply.NullArray();
  std::shared_ptr<BlockedClient> client =
      MakeBlockedClient(c, parsed->keys, storage::ValueType::kZSet, ServeBZMPop);
  co_await WaitForKeys(c, lock, client, *timeout);
  if (client->timed_out) c.reply.NullArray();
}

}  // namespace

void RegisterBlockingZSetCommands(CommandTable& table) {
  table.Register({
      {.name = "bzpopmin", .coordinated = CoordBZPop<ScoreEnd::kMin>},
      {.name = "bzpopmax", .coordinated = CoordBZPop<ScoreEnd::kMax>},
      {.name = "bzmpop", .coordinated = CoordBZMPop},
  });
}

}  // namespace emberkv::server
