// Sorted-set commands, reading and writing with storage/zset_ops.h. Every
// key is used in the database of its own shard: ZRANGESTORE and the algebra
// (ZUNION, ZINTER, ZDIFF, their STORE forms and ZINTERCARD) may have keys on
// several shards, all held by the executor while the handler runs, so their
// results are written whole, from inputs read at one instant.
//
// Scores are replied as doubles (RESP3 ",", RESP2 a bulk string printed
// with "%.17g", as Redis 7.0 does); ZSCAN sends them as bulk strings.
#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "base/numbers.h"
#include "server/blocking/blocking.h"
#include "server/command_table.h"
#include "server/commands/arg_parsing.h"
#include "server/commands/collection_args.h"
#include "server/commands/multi_pop.h"
#include "server/commands/op_reply.h"
#include "server/errors.h"
#include "storage/zset_ops.h"

namespace emberkv::server {
namespace {

using storage::OpStatus;
using storage::ZSetValue;
namespace zsets = storage::zsets;
using zsets::ScoredMember;

// Members with or without scores; in RESP3 each scored member is a pair
// unless `flat` (ZPOPMIN without a count).
void ReplyScored(protocol::ReplyBuilder& reply, const std::vector<ScoredMember>& members,
                 bool with_scores, bool flat = false) {
  bool pairs = with_scores && reply.resp3() && !flat;
  reply.ArrayHeader(with_scores && !pairs ? members.size() * 2 : members.size());
  for (const ScoredMember& m : members) {
    if (pairs) reply.ArrayHeader(2);
    reply.Bulk(m.member);
    if (with_scores) reply.Double(m.score);
  }
}

// A score as ZSCAN sends it (Redis's d2string): integral values within the
// range of a long long without an exponent.
std::string ScoreText(double score) {
  if (std::isinf(score)) return score > 0 ? "inf" : "-inf";
  if (score == 0) return std::signbit(score) ? "-0" : "0";
  if (score > -9.2e18 && score < 9.2e18 && score == std::floor(score)) {
    return base::FormatInt64(static_cast<int64_t>(score));
  }
  return protocol::ReplyBuilder::FormatDouble(score);
}

bool ScoreArg(std::string_view arg, double* score, protocol::ReplyBuilder& reply,
              std::string_view error = errors::kNotFloat) {
  if (base::ParseDouble(arg, score)) return true;
  reply.Error(error);
  return false;
}

// ---- ZADD, ZINCRBY ----

void ZAdd(CommandContext& c) {
  zsets::AddOptions options;
  size_t i = 2;
  for (; i < c.args.size(); ++i) {
    std::string_view opt = c.args[i];
    if (Is(opt, "NX")) {
      options.nx = true;
    } else if (Is(opt, "XX")) {
      options.xx = true;
    } else if (Is(opt, "GT")) {
      options.gt = true;
    } else if (Is(opt, "LT")) {
      options.lt = true;
    } else if (Is(opt, "CH")) {
      options.ch = true;
    } else if (Is(opt, "INCR")) {
      options.incr = true;
    } else {
      break;
    }
  }
  size_t elements = c.args.size() - i;
  if (elements == 0 || elements % 2 != 0) return c.reply.Error(errors::kSyntax);
  if (options.nx && options.xx) {
    return c.reply.Error(errors::kZAddXxWithNx);
  }
  if ((options.gt && options.nx) || (options.lt && options.nx) || (options.gt && options.lt)) {
    return c.reply.Error(errors::kZAddGtLtWithNx);
  }
  if (options.incr && elements > 2) {
    return c.reply.Error(errors::kZAddIncrOnePair);
  }
  std::vector<zsets::AddInput> inputs(elements / 2);
  for (size_t k = 0; k < inputs.size(); ++k) {
    if (!ScoreArg(c.args[i + 2 * k], &inputs[k].score, c.reply)) return;
    inputs[k].member = c.args[i + 2 * k + 1];
  }
  storage::OpResult<zsets::AddOutcome> result = zsets::Add(c.Db(1), c.Key(1), options, inputs);
  if (result.status == OpStatus::kNanOrInfinity) return c.reply.Error(errors::kScoreNan);
  if (!result.ok()) return errors::ReplyStatus(c.reply, result.status);
  if (!options.incr) return c.reply.Integer(result.value.count);
  if (result.value.new_score) return c.reply.Double(*result.value.new_score);
  c.reply.Null();
}

void ZIncrBy(CommandContext& c) {
  zsets::AddOptions options;
  options.incr = true;
  zsets::AddInput input;
  if (!ScoreArg(c.args[2], &input.score, c.reply)) return;
  input.member = c.args[3];
  storage::OpResult<zsets::AddOutcome> result = zsets::Add(c.Db(1), c.Key(1), options, {&input, 1});
  if (result.status == OpStatus::kNanOrInfinity) return c.reply.Error(errors::kScoreNan);
  if (!result.ok()) return errors::ReplyStatus(c.reply, result.status);
  c.reply.Double(*result.value.new_score);
}

void ZRem(CommandContext& c) {
  ReplyInteger(c.reply, zsets::Remove(c.Db(1), c.Key(1), c.args.subspan(2)));
}
void ZCard(CommandContext& c) { ReplyInteger(c.reply, zsets::Card(c.Db(1), c.Key(1))); }

void ZScore(CommandContext& c) {
  const ZSetValue* zset;
  OpStatus status = zsets::Read(c.Db(1), c.Key(1), &zset);
  if (status == OpStatus::kWrongType) return errors::ReplyStatus(c.reply, status);
  std::optional<double> score = status == OpStatus::kOk ? zset->Score(c.args[2]) : std::nullopt;
  if (!score) return c.reply.Null();
  c.reply.Double(*score);
}

void ZMScore(CommandContext& c) {
  const ZSetValue* zset = nullptr;
  OpStatus status = zsets::Read(c.Db(1), c.Key(1), &zset);
  if (status == OpStatus::kWrongType) return errors::ReplyStatus(c.reply, status);
  c.reply.ArrayHeader(c.args.size() - 2);
  for (size_t i = 2; i < c.args.size(); ++i) {
    std::optional<double> score = zset ? zset->Score(c.args[i]) : std::nullopt;
    if (score) {
      c.reply.Double(*score);
    } else {
      c.reply.Null();
    }
  }
}

void ReplyRank(CommandContext& c, bool reverse) {
  storage::OpResult<int64_t> rank = zsets::Rank(c.Db(1), c.Key(1), c.args[2], reverse);
  if (rank.status == OpStatus::kNotFound) return c.reply.Null();
  ReplyInteger(c.reply, rank);
}
void ZRank(CommandContext& c) { ReplyRank(c, false); }
void ZRevRank(CommandContext& c) { ReplyRank(c, true); }

// ---- Ranges ----

bool ParseBounds(std::string_view min, std::string_view max, zsets::RangeSpec* spec,
                 protocol::ReplyBuilder& reply) {
  switch (spec->kind) {
    case zsets::RangeSpec::kByRank: {
      std::optional<int64_t> start = IntArg(min, reply);
      if (!start) return false;
      std::optional<int64_t> stop = IntArg(max, reply);
      if (!stop) return false;
      spec->start = *start;
      spec->stop = *stop;
      return true;
    }
    case zsets::RangeSpec::kByScore:
      if (!zsets::ParseScoreBound(min, &spec->min_score) ||
          !zsets::ParseScoreBound(max, &spec->max_score)) {
        reply.Error(errors::kMinMaxNotFloat);
        return false;
      }
      return true;
    case zsets::RangeSpec::kByLex:
      if (!zsets::ParseLexBound(min, &spec->min_lex) ||
          !zsets::ParseLexBound(max, &spec->max_lex)) {
        reply.Error(errors::kMinMaxNotLex);
        return false;
      }
      return true;
  }
  return false;
}

// ZRANGE and its older forms, as Redis's zrangeGenericCommand: `preset`
// fixes the kind and direction for ZRANGEBYSCORE and friends (which then
// take neither BYSCORE, BYLEX nor REV). `first` is the index of the key.
struct ParsedRange {
  zsets::RangeSpec spec;
  bool with_scores = false;
};

std::optional<ParsedRange> ParseRange(ArgList args, size_t first, bool store,
                                      std::optional<zsets::RangeSpec::Kind> kind,
                                      std::optional<bool> reverse, protocol::ReplyBuilder& reply) {
  ParsedRange parsed;
  bool kind_fixed = kind.has_value(), direction_fixed = reverse.has_value();
  parsed.spec.kind = kind.value_or(zsets::RangeSpec::kByRank);
  parsed.spec.reverse = reverse.value_or(false);
  bool has_limit = false;
  for (size_t j = first + 3; j < args.size(); ++j) {
    size_t left = args.size() - j - 1;
    if (!store && Is(args[j], "WITHSCORES")) {
      parsed.with_scores = true;
    } else if (Is(args[j], "LIMIT") && left >= 2) {
      std::optional<int64_t> offset = IntArg(args[j + 1], reply);
      if (!offset) return std::nullopt;
      std::optional<int64_t> count = IntArg(args[j + 2], reply);
      if (!count) return std::nullopt;
      parsed.spec.offset = *offset;
      parsed.spec.count = *count;
      has_limit = true;
      j += 2;
    } else if (!direction_fixed && Is(args[j], "REV")) {
      parsed.spec.reverse = true;
      direction_fixed = true;
    } else if (!kind_fixed && Is(args[j], "BYLEX")) {
      parsed.spec.kind = zsets::RangeSpec::kByLex;
      kind_fixed = true;
    } else if (!kind_fixed && Is(args[j], "BYSCORE")) {
      parsed.spec.kind = zsets::RangeSpec::kByScore;
      kind_fixed = true;
    } else {
      reply.Error(errors::kSyntax);
      return std::nullopt;
    }
  }
  if (has_limit && parsed.spec.kind == zsets::RangeSpec::kByRank &&
      (parsed.spec.offset != 0 || parsed.spec.count != -1)) {
    reply.Error(errors::kLimitWithoutByScoreOrLex);
    return std::nullopt;
  }
  if (parsed.with_scores && parsed.spec.kind == zsets::RangeSpec::kByLex) {
    reply.Error(errors::kWithScoresWithByLex);
    return std::nullopt;
  }
  std::string_view min = args[first + 1], max = args[first + 2];
  if (parsed.spec.reverse && parsed.spec.kind != zsets::RangeSpec::kByRank) std::swap(min, max);
  if (!ParseBounds(min, max, &parsed.spec, reply)) return std::nullopt;
  return parsed;
}

void RangeCommand(CommandContext& c, std::optional<zsets::RangeSpec::Kind> kind,
                  std::optional<bool> reverse) {
  std::optional<ParsedRange> parsed = ParseRange(c.args, 1, false, kind, reverse, c.reply);
  if (!parsed) return;
  std::vector<ScoredMember> out;
  OpStatus status = zsets::Range(c.Db(1), c.Key(1), parsed->spec, &out);
  if (status != OpStatus::kOk) return errors::ReplyStatus(c.reply, status);
  ReplyScored(c.reply, out, parsed->with_scores);
}

void ZRange(CommandContext& c) { RangeCommand(c, std::nullopt, std::nullopt); }
void ZRevRange(CommandContext& c) { RangeCommand(c, zsets::RangeSpec::kByRank, true); }
void ZRangeByScore(CommandContext& c) { RangeCommand(c, zsets::RangeSpec::kByScore, false); }
void ZRevRangeByScore(CommandContext& c) { RangeCommand(c, zsets::RangeSpec::kByScore, true); }
void ZRangeByLex(CommandContext& c) { RangeCommand(c, zsets::RangeSpec::kByLex, false); }
void ZRevRangeByLex(CommandContext& c) { RangeCommand(c, zsets::RangeSpec::kByLex, true); }

// The source and the destination may live on different shards: both are
// held.
void ZRangeStore(CommandContext& c) {
  std::optional<ParsedRange> parsed =
      ParseRange(c.args, 2, true, std::nullopt, std::nullopt, c.reply);
  if (!parsed) return;
  std::vector<ScoredMember> out;
  OpStatus status = zsets::Range(c.Db(2), c.Key(2), parsed->spec, &out);
  if (status != OpStatus::kOk) return errors::ReplyStatus(c.reply, status);
  ReplyInteger(c.reply, zsets::Store(c.Db(1), c.Key(1), std::move(out)));
}

void CountCommand(CommandContext& c, zsets::RangeSpec::Kind kind) {
  zsets::RangeSpec spec;
  spec.kind = kind;
  if (!ParseBounds(c.args[2], c.args[3], &spec, c.reply)) return;
  ReplyInteger(c.reply, zsets::Count(c.Db(1), c.Key(1), spec));
}
void ZCount(CommandContext& c) { CountCommand(c, zsets::RangeSpec::kByScore); }
void ZLexCount(CommandContext& c) { CountCommand(c, zsets::RangeSpec::kByLex); }

void RemoveRangeCommand(CommandContext& c, zsets::RangeSpec::Kind kind) {
  zsets::RangeSpec spec;
  spec.kind = kind;
  if (!ParseBounds(c.args[2], c.args[3], &spec, c.reply)) return;
  ReplyInteger(c.reply, zsets::RemoveRange(c.Db(1), c.Key(1), spec));
}
void ZRemRangeByRank(CommandContext& c) { RemoveRangeCommand(c, zsets::RangeSpec::kByRank); }
void ZRemRangeByScore(CommandContext& c) { RemoveRangeCommand(c, zsets::RangeSpec::kByScore); }
void ZRemRangeByLex(CommandContext& c) { RemoveRangeCommand(c, zsets::RangeSpec::kByLex); }

// ---- Pops and random members ----

void PopCommand(CommandContext& c, bool max) {
  if (c.args.size() > 3) return c.reply.Error(errors::kSyntax);
  uint64_t count = 1;
  bool has_count = c.args.size() == 3;
  if (has_count) {
    std::optional<int64_t> n = IntArg(c.args[2], c.reply, errors::kNotPositive);
    if (!n) return;
    if (*n < 0) return c.reply.Error(errors::kNotPositive);
    count = static_cast<uint64_t>(*n);
  }
  storage::OpResult<std::vector<ScoredMember>> popped = zsets::Pop(c.Db(1), c.Key(1), count, max);
  if (!popped.ok()) return errors::ReplyStatus(c.reply, popped.status);
  ReplyScored(c.reply, popped.value, true, !has_count);
}
void ZPopMin(CommandContext& c) { PopCommand(c, false); }
void ZPopMax(CommandContext& c) { PopCommand(c, true); }

void ZRandMember(CommandContext& c) {
  if (c.args.size() > 4 || (c.args.size() == 4 && !Is(c.args[3], "WITHSCORES"))) {
    return c.reply.Error(errors::kSyntax);
  }
  std::mt19937_64& rng = CollectionRng();
  if (c.args.size() == 2) {
    const ZSetValue* zset;
    OpStatus status = zsets::Read(c.Db(1), c.Key(1), &zset);
    if (status == OpStatus::kNotFound) return c.reply.Null();
    if (status != OpStatus::kOk) return errors::ReplyStatus(c.reply, status);
    size_t rank = rng() % zset->size();
    zset->VisitRanks(rank, rank, false, [&](std::string_view m, double) { c.reply.Bulk(m); });
    return;
  }
  std::optional<int64_t> count = RandomCountArg(c.args[2], c.reply);
  if (!count) return;
  storage::OpResult<std::vector<ScoredMember>> members =
      zsets::RandomMembers(c.Db(1), c.Key(1), *count, rng);
  if (!members.ok()) return errors::ReplyStatus(c.reply, members.status);
  ReplyScored(c.reply, members.value, c.args.size() == 4);
}

void ZScan(CommandContext& c) {
  const ZSetValue* zset;
  OpStatus status = zsets::Read(c.Db(1), c.Key(1), &zset);
  std::optional<ScanArgs> scan = ParseCollectionScanArgs(c.args, status, c.reply);
  if (!scan) return;
  std::vector<std::string> found;
  uint64_t next = 0;
  if (status == OpStatus::kOk) {
    next = zset->Scan(scan->cursor, scan->count, [&](std::string_view m, double s) {
      if (!scan->Matches(m)) return;
      found.emplace_back(m);
      found.push_back(ScoreText(s));
    });
  }
  c.reply.ArrayHeader(2);
  c.reply.Bulk(std::to_string(next));
  c.reply.ArrayHeader(found.size());
  for (const std::string& s : found) c.reply.Bulk(s);
}

// ---- ZUNION, ZINTER, ZDIFF, their STORE forms, ZINTERCARD ----

// Which of the commands: the operation, and its STORE or CARD form.
struct ZsetAlgebraKind {
  zsets::SetOp op;
  bool store = false;        // the STORE form: args[1] is the destination
  bool cardinality = false;  // ZINTERCARD
};

struct ZsetAlgebraCall {
  zsets::SetOp op = zsets::SetOp::kUnion;
  bool store = false;
  bool cardinality = false;
  std::vector<int> sources;
  std::vector<double> weights;
  zsets::Aggregate aggregate = zsets::Aggregate::kSum;
  bool with_scores = false;
  size_t limit = 0;  // ZINTERCARD LIMIT
};

// `name` is the command's, for an error text.
std::optional<ZsetAlgebraCall> ParseAlgebra(ArgList args, ZsetAlgebraKind kind,
                                            std::string_view name, protocol::ReplyBuilder& reply) {
  ZsetAlgebraCall call{.op = kind.op, .store = kind.store, .cardinality = kind.cardinality};
  if (call.cardinality) {
    std::optional<IntercardArgs> parsed = ParseIntercardArgs(args, reply);
    if (!parsed) return std::nullopt;
    call.sources = std::move(parsed->sources);
    call.limit = parsed->limit;
    return call;
  }
  size_t numkeys_at = call.store ? 2 : 1;
  std::optional<int64_t> numkeys = IntArg(args[numkeys_at], reply);
  if (!numkeys) return std::nullopt;
  if (*numkeys < 1) {
    reply.Error(errors::NoInputKeys(name));
    return std::nullopt;
  }
  if (*numkeys > static_cast<int64_t>(args.size() - numkeys_at - 1)) {
    reply.Error(errors::kSyntax);
    return std::nullopt;
  }
  size_t n = static_cast<size_t>(*numkeys);
  for (size_t i = 0; i < n; ++i) call.sources.push_back(static_cast<int>(numkeys_at + 1 + i));
  call.weights.assign(n, 1.0);
  size_t j = numkeys_at + 1 + n;
  while (j < args.size()) {
    size_t remaining = args.size() - j;
    if (call.op != zsets::SetOp::kDiff && remaining >= n + 1 && Is(args[j], "WEIGHTS")) {
      ++j;
      for (size_t k = 0; k < n; ++k, ++j) {
        if (!ScoreArg(args[j], &call.weights[k], reply, errors::kWeightNotFloat))
          return std::nullopt;
      }
    } else if (call.op != zsets::SetOp::kDiff && remaining >= 2 && Is(args[j], "AGGREGATE")) {
      std::string_view how = args[j + 1];
      if (Is(how, "SUM")) {
        call.aggregate = zsets::Aggregate::kSum;
      } else if (Is(how, "MIN")) {
        call.aggregate = zsets::Aggregate::kMin;
      } else if (Is(how, "MAX")) {
        call.aggregate = zsets::Aggregate::kMax;
      } else {
        reply.Error(errors::kSyntax);
        return std::nullopt;
      }
      j += 2;
    } else if (!call.store && Is(args[j], "WITHSCORES")) {
      call.with_scores = true;
      ++j;
    } else {
      reply.Error(errors::kSyntax);
      return std::nullopt;
    }
  }
  return call;
}

storage::OpResult<std::vector<ScoredMember>> Evaluate(const ZsetAlgebraCall& call,
                                                      std::vector<std::vector<ScoredMember>> inputs,
                                                      const std::vector<OpStatus>& statuses) {
  bool any_missing = false;
  for (OpStatus status : statuses) {
    if (status == OpStatus::kWrongType) return OpStatus::kWrongType;
    if (status == OpStatus::kNotFound) any_missing = true;
  }
  if (call.op == zsets::SetOp::kInter && any_missing) return std::vector<ScoredMember>{};
  std::vector<ScoredMember> result =
      zsets::Combine(std::move(inputs), call.weights, call.aggregate, call.op);
  if (call.limit && result.size() > call.limit) result.resize(call.limit);
  return result;
}

void ReplyAlgebra(protocol::ReplyBuilder& reply, const ZsetAlgebraCall& call,
                  const storage::OpResult<std::vector<ScoredMember>>& result,
                  const storage::OpResult<int64_t>& stored) {
  if (!result.ok()) return errors::ReplyStatus(reply, result.status);
  if (call.cardinality) return reply.Integer(static_cast<int64_t>(result.value.size()));
  if (call.store) return ReplyInteger(reply, stored);
  ReplyScored(reply, result.value, call.with_scores);
}

// The sources and the destination may live on different shards: each is
// read (or written) in its own shard's database, all of them held.
template <ZsetAlgebraKind kKind>
void ZSetAlgebra(CommandContext& c) {
  std::optional<ZsetAlgebraCall> call = ParseAlgebra(c.args, kKind, c.spec.name, c.reply);
  if (!call) return;
  std::vector<std::vector<ScoredMember>> inputs(call->sources.size());
  std::vector<OpStatus> statuses(call->sources.size());
  for (size_t i = 0; i < call->sources.size(); ++i) {
    int source = call->sources[i];
    statuses[i] = zsets::Members(c.Db(source), c.Key(source), &inputs[i]);
  }
  storage::OpResult<std::vector<ScoredMember>> result =
      Evaluate(*call, std::move(inputs), statuses);
  storage::OpResult<int64_t> stored = int64_t{0};
  if (result.ok() && call->store) stored = zsets::Store(c.Db(1), c.Key(1), std::move(result.value));
  ReplyAlgebra(c.reply, *call, result, stored);
}

constexpr ZsetAlgebraKind kZUnion{.op = zsets::SetOp::kUnion};
constexpr ZsetAlgebraKind kZInter{.op = zsets::SetOp::kInter};
constexpr ZsetAlgebraKind kZDiff{.op = zsets::SetOp::kDiff};
constexpr ZsetAlgebraKind kZInterCard{.op = zsets::SetOp::kInter, .cardinality = true};
constexpr ZsetAlgebraKind kZUnionStore{.op = zsets::SetOp::kUnion, .store = true};
constexpr ZsetAlgebraKind kZInterStore{.op = zsets::SetOp::kInter, .store = true};
constexpr ZsetAlgebraKind kZDiffStore{.op = zsets::SetOp::kDiff, .store = true};

// ---- Blocking pops: BZPOPMIN, BZPOPMAX, BZMPOP ----
//
// Built like the blocking list pops (list_commands.cc) on the blocking
// infrastructure (server/blocking/blocking.h): try the keys in argument
// order; when all are missing, wait to be served by a writer.

// BZPOPMIN/BZPOPMAX: [key, member, score].
void ReplyOne(protocol::ReplyBuilder& reply, std::string_view key, const ScoredMember& popped) {
  reply.ArrayHeader(3);
  reply.Bulk(key);
  reply.Bulk(popped.member);
  reply.Double(popped.score);
}

// BZMPOP: [key, [[member, score], ...]], pairs in RESP2 too.
void ReplyMany(protocol::ReplyBuilder& reply, std::string_view key,
               const std::vector<ScoredMember>& popped) {
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

// Pops up to `count` members from the first key with something to give
// (FindReady) and replies; false when every key was missing (nothing is
// written then).
bool PopFirstReady(CommandContext& c, const std::vector<int>& keys, bool max, int64_t count,
                   bool many) {
  ReadyKey ready = FindReady(c, keys, storage::ValueType::kZSet);
  if (ready.index < 0) return false;
  if (ready.status != OpStatus::kOk) {
    errors::ReplyStatus(c.reply, ready.status);
    return true;
  }
  storage::OpResult<std::vector<ScoredMember>> popped =
      zsets::Pop(c.Db(ready.index), c.Key(ready.index), static_cast<uint64_t>(count), max);
  std::string_view key = c.args[ready.index];
  if (!popped.ok()) {
    errors::ReplyStatus(c.reply, popped.status);
  } else if (many) {
    ReplyMany(c.reply, key, popped.value);
  } else {
    ReplyOne(c.reply, key, popped.value.at(0));
  }
  return true;
}

template <ScoreEnd kEnd>
ServeResult ServeBZPop(CommandContext& ctx, const storage::Key& key) {
  storage::OpResult<std::vector<ScoredMember>> popped =
      zsets::Pop(ctx.DbOf(key, ctx.db), key, 1, kEnd == ScoreEnd::kMax);
  if (!popped.ok() || popped.value.empty()) return ServeResult::kNothing;
  ReplyOne(ctx.reply, key.bytes, popped.value[0]);
  return ServeResult::kServed;
}

template <ScoreEnd kEnd>
void BZPop(CommandContext& c) {
  std::optional<int64_t> timeout = TimeoutArg(c.args.back(), c.reply);
  if (!timeout) return;
  std::vector<int> keys;
  for (size_t i = 1; i + 1 < c.args.size(); ++i) keys.push_back(static_cast<int>(i));
  if (PopFirstReady(c, keys, kEnd == ScoreEnd::kMax, 1, false)) return;
  // Inside MULTI or a script nothing blocks: the answer is the timeout's.
  if (!MayBlock(c)) return c.reply.NullArray();
  BlockOnKeys(
      c, MakeBlockedClient(c, keys, storage::ValueType::kZSet, ServeBZPop<kEnd>, NullArrayReply(c)),
      *timeout);
}

void BZPopMin(CommandContext& c) { BZPop<ScoreEnd::kMin>(c); }
void BZPopMax(CommandContext& c) { BZPop<ScoreEnd::kMax>(c); }

ServeResult ServeBZMPop(CommandContext& ctx, const storage::Key& key) {
  std::string ignored;
  protocol::ReplyBuilder scratch(&ignored, ctx.reply.version());
  std::optional<MultiPopArgs> parsed =
      ParseMultiPop(ctx.args, 2, "MIN", "MAX", scratch);  // checked before
  if (!parsed) return ServeResult::kNothing;
  storage::OpResult<std::vector<ScoredMember>> popped = zsets::Pop(
      ctx.DbOf(key, ctx.db), key, static_cast<uint64_t>(parsed->count), !parsed->first_word);
  if (!popped.ok() || popped.value.empty()) return ServeResult::kNothing;
  ReplyMany(ctx.reply, key.bytes, popped.value);
  return ServeResult::kServed;
}

void BZMPop(CommandContext& c) {
  // Redis reads the timeout last, although it comes first.
  std::optional<MultiPopArgs> parsed = ParseMultiPop(c.args, 2, "MIN", "MAX", c.reply);
  if (!parsed) return;
  std::optional<int64_t> timeout = TimeoutArg(c.args[1], c.reply);
  if (!timeout) return;
  if (PopFirstReady(c, parsed->keys, !parsed->first_word, parsed->count, true)) return;
  if (!MayBlock(c)) return c.reply.NullArray();
  BlockOnKeys(
      c,
      MakeBlockedClient(c, parsed->keys, storage::ValueType::kZSet, ServeBZMPop, NullArrayReply(c)),
      *timeout);
}

// ZMPOP: BZMPOP that never blocks; nil when every key is missing.
void ZMPop(CommandContext& c) {
  std::optional<MultiPopArgs> parsed = ParseMultiPop(c.args, 1, "MIN", "MAX", c.reply);
  if (!parsed) return;
  if (PopFirstReady(c, parsed->keys, !parsed->first_word, parsed->count, true)) return;
  c.reply.NullArray();
}

}  // namespace

void RegisterZSetCommands(CommandTable& table) {
  table.Register({
      {.name = "zadd", .handler = ZAdd},
      {.name = "zincrby", .handler = ZIncrBy},
      {.name = "zrem", .handler = ZRem},
      {.name = "zscore", .handler = ZScore},
      {.name = "zmscore", .handler = ZMScore},
      {.name = "zcard", .handler = ZCard},
      {.name = "zcount", .handler = ZCount},
      {.name = "zlexcount", .handler = ZLexCount},
      {.name = "zrank", .handler = ZRank},
      {.name = "zrevrank", .handler = ZRevRank},
      {.name = "zrange", .handler = ZRange},
      {.name = "zrangestore", .handler = ZRangeStore},
      {.name = "zrevrange", .handler = ZRevRange},
      {.name = "zrangebyscore", .handler = ZRangeByScore},
      {.name = "zrevrangebyscore", .handler = ZRevRangeByScore},
      {.name = "zrangebylex", .handler = ZRangeByLex},
      {.name = "zrevrangebylex", .handler = ZRevRangeByLex},
      {.name = "zremrangebyrank", .handler = ZRemRangeByRank},
      {.name = "zremrangebyscore", .handler = ZRemRangeByScore},
      {.name = "zremrangebylex", .handler = ZRemRangeByLex},
      {.name = "zpopmin", .handler = ZPopMin},
      {.name = "zpopmax", .handler = ZPopMax},
      {.name = "zrandmember", .handler = ZRandMember},
      {.name = "zscan", .handler = ZScan},
      {.name = "zunion", .handler = ZSetAlgebra<kZUnion>},
      {.name = "zinter", .handler = ZSetAlgebra<kZInter>},
      {.name = "zdiff", .handler = ZSetAlgebra<kZDiff>},
      {.name = "zintercard", .handler = ZSetAlgebra<kZInterCard>},
      {.name = "zunionstore", .handler = ZSetAlgebra<kZUnionStore>},
      {.name = "zinterstore", .handler = ZSetAlgebra<kZInterStore>},
      {.name = "zdiffstore", .handler = ZSetAlgebra<kZDiffStore>},
      {.name = "bzpopmin", .handler = BZPopMin},
      {.name = "bzpopmax", .handler = BZPopMax},
      {.name = "zmpop", .handler = ZMPop},
      {.name = "bzmpop", .handler = BZMPop},
  });
}

}  // namespace emberkv::server
