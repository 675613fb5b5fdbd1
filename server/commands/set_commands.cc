// Set commands: SADD, SREM, SPOP, SRANDMEMBER, SSCAN, ... on one key, and
// the multi-key SMOVE, SINTER, SUNION, SDIFF (with their STORE forms) and
// SINTERCARD. Every key is read and written in the database of its own
// shard; the executor holds all of those shards while the handler runs, so
// nobody sees a half-done SUNIONSTORE or an SMOVE's member in both sets or
// neither.
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "server/command_table.h"
#include "server/commands/arg_parsing.h"
#include "server/commands/collection_args.h"
#include "server/errors.h"
#include "storage/set_ops.h"

namespace emberkv::server {
namespace {

using storage::OpStatus;
using storage::SetValue;
namespace sets = storage::sets;

void ReplyInteger(protocol::ReplyBuilder& reply, const storage::OpResult<int64_t>& result) {
  if (!result.ok()) return errors::ReplyStatus(reply, result.status);
  reply.Integer(result.value);
}

void ReplyMembers(protocol::ReplyBuilder& reply, const std::vector<std::string>& members,
                  bool as_set) {
  if (as_set) {
    reply.SetHeader(members.size());
  } else {
    reply.ArrayHeader(members.size());
  }
  for (const std::string& m : members) reply.Bulk(m);
}

void SAdd(CommandContext& c) {
  ReplyInteger(c.reply, sets::Add(c.Db(1), c.Key(1), c.args.subspan(2)));
}
void SRem(CommandContext& c) {
  ReplyInteger(c.reply, sets::Remove(c.Db(1), c.Key(1), c.args.subspan(2)));
}
void SCard(CommandContext& c) { ReplyInteger(c.reply, sets::Card(c.Db(1), c.Key(1))); }

void SIsMember(CommandContext& c) {
  storage::OpResult<bool> result = sets::IsMember(c.Db(1), c.Key(1), c.args[2]);
  if (!result.ok()) return errors::ReplyStatus(c.reply, result.status);
  c.reply.Integer(result.value ? 1 : 0);
}

void SMIsMember(CommandContext& c) {
  const SetValue* set = nullptr;
  OpStatus status = sets::Read(c.Db(1), c.Key(1), &set);
  if (status == OpStatus::kWrongType) return errors::ReplyStatus(c.reply, status);
  c.reply.ArrayHeader(c.args.size() - 2);
  for (size_t i = 2; i < c.args.size(); ++i)
    c.reply.Integer(set && set->Contains(c.args[i]) ? 1 : 0);
}

void SMembers(CommandContext& c) {
  const SetValue* set;
  OpStatus status = sets::Read(c.Db(1), c.Key(1), &set);
  if (status == OpStatus::kWrongType) return errors::ReplyStatus(c.reply, status);
  if (status == OpStatus::kNotFound) return c.reply.SetHeader(0);
  c.reply.SetHeader(set->size());
  set->ForEach([&](std::string_view m) { c.reply.Bulk(m); });
}

void SPop(CommandContext& c) {
  if (c.args.size() > 3) return c.reply.Error(errors::kSyntax);
  std::mt19937_64& rng = CollectionRng();
  if (c.args.size() == 2) {
    storage::OpResult<std::vector<std::string>> popped = sets::Pop(c.Db(1), c.Key(1), 1, rng);
    if (!popped.ok()) return errors::ReplyStatus(c.reply, popped.status);
    if (popped.value.empty()) return c.reply.Null();
    return c.reply.Bulk(popped.value[0]);
  }
  std::optional<int64_t> count = IntArg(c.args[2], c.reply, errors::kNotPositive);
  if (!count) return;
  if (*count < 0) return c.reply.Error(errors::kNotPositive);
  storage::OpResult<std::vector<std::string>> popped =
      sets::Pop(c.Db(1), c.Key(1), static_cast<uint64_t>(*count), rng);
  if (!popped.ok()) return errors::ReplyStatus(c.reply, popped.status);
  ReplyMembers(c.reply, popped.value, true);
}

void SRandMember(CommandContext& c) {
  if (c.args.size() > 3) return c.reply.Error(errors::kSyntax);
  std::mt19937_64& rng = CollectionRng();
  if (c.args.size() == 2) {
    const SetValue* set;
    OpStatus status = sets::Read(c.Db(1), c.Key(1), &set);
    if (status == OpStatus::kNotFound) return c.reply.Null();
    if (status != OpStatus::kOk) return errors::ReplyStatus(c.reply, status);
    return c.reply.Bulk(set->Random(rng()));
  }
  std::optional<int64_t> count = RandomCountArg(c.args[2], c.reply);
  if (!count) return;
  storage::OpResult<std::vector<std::string>> members =
      sets::RandomMembers(c.Db(1), c.Key(1), *count, rng);
  if (!members.ok()) return errors::ReplyStatus(c.reply, members.status);
  ReplyMembers(c.reply, members.value, false);
}

void SScan(CommandContext& c) {
  const SetValue* set;
  OpStatus status = sets::Read(c.Db(1), c.Key(1), &set);
  std::optional<ScanArgs> scan = ParseCollectionScanArgs(c.args, status, c.reply);
  if (!scan) return;
  std::vector<std::string> found;
  uint64_t next = 0;
  if (status == OpStatus::kOk) {
    next = set->Scan(scan->cursor, scan->count, [&](std::string_view m) {
      if (scan->Matches(m)) found.emplace_back(m);
    });
  }
  c.reply.ArrayHeader(2);
  c.reply.Bulk(std::to_string(next));
  ReplyMembers(c.reply, found, false);
}

// ---- SMOVE ----

void ReplyMove(protocol::ReplyBuilder& reply, const storage::OpResult<bool>& result) {
  if (!result.ok()) return errors::ReplyStatus(reply, result.status);
  reply.Integer(result.value ? 1 : 0);
}

// Source and destination may live on different shards: both are held.
void SMove(CommandContext& c) {
  ReplyMove(c.reply, sets::Move(c.Db(1), c.Key(1), c.Db(2), c.Key(2), c.args[3]));
}

// ---- SINTER, SUNION, SDIFF, their STORE forms, SINTERCARD ----

enum class Algebra { kInter, kUnion, kDiff };

// Which of the commands: the operation, and its STORE or CARD form.
struct AlgebraKind {
  Algebra op;
  bool store = false;        // the STORE form: args[1] is the destination
  bool cardinality = false;  // SINTERCARD
};

struct AlgebraCall {
  Algebra op;
  bool store = false;
  bool cardinality = false;
  std::vector<int> sources;  // argument indices of the input keys
  size_t limit = 0;          // SINTERCARD LIMIT (0: none)
};

std::optional<AlgebraCall> ParseAlgebra(ArgList args, AlgebraKind kind,
                                        protocol::ReplyBuilder& reply) {
  AlgebraCall call{.op = kind.op, .store = kind.store, .cardinality = kind.cardinality};
  if (call.cardinality) {
    std::optional<IntercardArgs> parsed = ParseIntercardArgs(args, reply);
    if (!parsed) return std::nullopt;
    call.sources = std::move(parsed->sources);
    call.limit = parsed->limit;
    return call;
  }
  for (size_t i = call.store ? 2 : 1; i < args.size(); ++i)
    call.sources.push_back(static_cast<int>(i));
  return call;
}

// The result from the gathered inputs: kWrongType when any input has
// another type.
storage::OpResult<std::vector<std::string>> Evaluate(const AlgebraCall& call,
                                                     std::vector<std::vector<std::string>> inputs,
                                                     const std::vector<OpStatus>& statuses) {
  bool any_missing = false;
  for (OpStatus status : statuses) {
    if (status == OpStatus::kWrongType) return OpStatus::kWrongType;
    if (status == OpStatus::kNotFound) any_missing = true;
  }
  switch (call.op) {
    case Algebra::kInter:
      if (any_missing) return std::vector<std::string>{};
      return sets::Intersect(std::move(inputs), call.limit);
    case Algebra::kUnion:
      return sets::Union(std::move(inputs));
    case Algebra::kDiff:
      return sets::Difference(std::move(inputs));
  }
  return std::vector<std::string>{};
}

void ReplyAlgebra(protocol::ReplyBuilder& reply, const AlgebraCall& call,
                  const storage::OpResult<std::vector<std::string>>& result,
                  const storage::OpResult<int64_t>& stored) {
  if (!result.ok()) return errors::ReplyStatus(reply, result.status);
  if (call.cardinality) return reply.Integer(static_cast<int64_t>(result.value.size()));
  if (call.store) return ReplyInteger(reply, stored);
  ReplyMembers(reply, result.value, true);
}

// The sources and the destination may live on different shards: each is
// read (or written) in its own shard's database, all of them held.
template <AlgebraKind kKind>
void SetAlgebra(CommandContext& c) {
  std::optional<AlgebraCall> call = ParseAlgebra(c.args, kKind, c.reply);
  if (!call) return;
  std::vector<std::vector<std::string>> inputs(call->sources.size());
  std::vector<OpStatus> statuses(call->sources.size());
  for (size_t i = 0; i < call->sources.size(); ++i) {
    int source = call->sources[i];
    statuses[i] = sets::Members(c.Db(source), c.Key(source), &inputs[i]);
  }
  storage::OpResult<std::vector<std::string>> result = Evaluate(*call, std::move(inputs), statuses);
  storage::OpResult<int64_t> stored = int64_t{0};
  if (result.ok() && call->store) stored = sets::Store(c.Db(1), c.Key(1), std::move(result.value));
  ReplyAlgebra(c.reply, *call, result, stored);
}

constexpr AlgebraKind kSInter{.op = Algebra::kInter};
constexpr AlgebraKind kSInterCard{.op = Algebra::kInter, .cardinality = true};
constexpr AlgebraKind kSUnion{.op = Algebra::kUnion};
constexpr AlgebraKind kSDiff{.op = Algebra::kDiff};
constexpr AlgebraKind kSInterStore{.op = Algebra::kInter, .store = true};
constexpr AlgebraKind kSUnionStore{.op = Algebra::kUnion, .store = true};
constexpr AlgebraKind kSDiffStore{.op = Algebra::kDiff, .store = true};

}  // namespace

void RegisterSetCommands(CommandTable& table) {
  table.Register({
      {.name = "sadd", .handler = SAdd},
      {.name = "srem", .handler = SRem},
      {.name = "sismember", .handler = SIsMember},
      {.name = "smismember", .handler = SMIsMember},
      {.name = "smembers", .handler = SMembers},
      {.name = "scard", .handler = SCard},
      {.name = "spop", .handler = SPop},
      {.name = "srandmember", .handler = SRandMember},
      {.name = "sscan", .handler = SScan},
      {.name = "smove", .handler = SMove},
      {.name = "sinter", .handler = SetAlgebra<kSInter>},
      {.name = "sintercard", .handler = SetAlgebra<kSInterCard>},
      {.name = "sunion", .handler = SetAlgebra<kSUnion>},
      {.name = "sdiff", .handler = SetAlgebra<kSDiff>},
      {.name = "sinterstore", .handler = SetAlgebra<kSInterStore>},
      {.name = "sunionstore", .handler = SetAlgebra<kSUnionStore>},
      {.name = "sdiffstore", .handler = SetAlgebra<kSDiffStore>},
  });
}

}  // namespace emberkv::server
