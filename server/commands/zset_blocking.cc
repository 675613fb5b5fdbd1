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

bool PopsMax(const CommandSpec& spec) { return spec.name == "bzpopmax"; }

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

ServeResult ServeBZPop(OpContext& ctx, std::string_view key) {
  storage::OpResult<std::vector<ScoredMember>> popped = zsets::Pop(ctx.db, key, 1, PopsMax(ctx.spec));
  if (!popped.ok() || popped.value.empty()) return ServeResult::kNothing;
  ReplyOne(ctx.reply, key, popped.value[0]);
  return ServeResult::kServed;
}

Task<void> CoordBZPop(CoordContext& c) {
  std::optional<int64_t> timeout = TimeoutArg(c.args.back(), c.reply);
  if (!timeout) co_return;
  std::vector<int> keys;
  for (size_t i = 1; i + 1 < c.args.size(); ++i) keys.push_back(static_cast<int>(i));
  MultiShardLock lock(c, GroupKeysByShard(c, keys), LockMode::kExclusive);
  ReadyKey ready = co_await LockAndFindReady(c, lock, keys, storage::ValueType::kZSet);
  if (co_await PopReady(c, lock, ready, PopsMax(c.spec), 1, false)) co_return;
  // Inside MULTI nothing blocks: the answer is the timeout's.
  if (c.locks_held) co_return c.reply.NullArray();
  std::shared_ptr<BlockedClient> client = MakeBlockedClient(c, keys, storage::ValueType::kZSet, ServeBZPop);
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

constexpr uint32_t kBlock = kCmdWrite | kCmdNoScript | kCmdBlocking | kCmdFast;

}  // namespace

void RegisterBlockingZSetCommands(CommandTable& table) {
  auto add = [&](std::string_view name, int arity, uint32_t flags, int first, int last,
                 CoordinatedHandler coordinated, KeyFinder key_finder, std::string_view summary,
                 std::string_view acl) -> CommandSpec& {
    CommandSpec spec;
    spec.name = name;
    spec.arity = arity;
    spec.flags = flags;
    spec.first_key = first;
    spec.last_key = last;
    spec.key_step = first ? 1 : 0;
    spec.coordinated = coordinated;
    spec.key_finder = key_finder;
    spec.group = "sorted-set";
    spec.summary = summary;
    spec.acl_categories = acl;
    return table.Register(std::move(spec));
  };
  add("bzpopmin", -3, kBlock, 1, -2, CoordBZPop, nullptr,
        "Remove and return the member with the lowest score from one or more sorted sets, or block until one is available", "@write @sortedset @fast @blocking")
      .Docs("5.0.0", "O(log(N)) with N being the number of elements in the sorted set.", {arg::Key("key").Multiple(), arg::Double("timeout")})
      .History({{"6.0.0", "`timeout` is interpreted as a double instead of an integer."}})
      .Keys({KeySpec::Range("RW access delete", 1, -2)});
  add("bzpopmax", -3, kBlock, 1, -2, CoordBZPop, nullptr,
        "Remove and return the member with the highest score from one or more sorted sets, or block until one is available", "@write @sortedset @fast @blocking")
      .Docs("5.0.0", "O(log(N)) with N being the number of elements in the sorted set.", {arg::Key("key").Multiple(), arg::Double("timeout")})
      .History({{"6.0.0", "`timeout` is interpreted as a double instead of an integer."}})
      .Keys({KeySpec::Range("RW access delete", 1, -2)});
  add("bzmpop", -5, kCmdWrite | kCmdBlocking | kCmdMovableKeys, 0, 0, CoordBZMPop, KeysAfterNumkeysAt2,
        "Remove and return members with scores in a sorted set or block until one is available", "@write @sortedset @slow @blocking")
      .Docs("7.0.0", "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.", {
              arg::Double("timeout"),
              arg::Integer("numkeys"),
              arg::Key("key").Multiple(),
              arg::OneOf("where", {arg::PureToken("min", "MIN"), arg::PureToken("max", "MAX")}),
              arg::Integer("count").Token("COUNT").Optional()})
      .Keys({KeySpec::Keynum("RW access delete", 2, 0, 1, 1)});
}

}  // namespace emberkv::server
