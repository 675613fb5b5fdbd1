// String commands: GET, SET and its variants, MGET/MSET, counters, ranges,
// LCS.
#include <optional>
#include <string>
#include <vector>

#include "base/numbers.h"
#include "server/command_table.h"
#include "server/commands/arg_parsing.h"
#include "server/engine/engine.h"
#include "server/engine/worker.h"
#include "server/errors.h"
#include "storage/lcs.h"
#include "storage/string_ops.h"

namespace emberkv::server {
namespace {

using storage::ExpiryChange;
using storage::Key;
using storage::OpStatus;
namespace strings = storage::strings;

void ReplyValueOrNull(protocol::ReplyBuilder& reply, OpStatus status, std::string_view value) {
  if (status == OpStatus::kOk) {
    reply.Bulk(value);
  } else if (status == OpStatus::kNotFound) {
    reply.Null();
  } else {
    errors::ReplyStatus(reply, status);
  }
}

// The type of the value at `key`, if any. A peek: it counts no keyspace hit
// or miss and leaves the access clock alone (the command's own lookup does).
std::optional<storage::ValueType> PeekType(storage::Database& db, const Key& key) {
  storage::Database::Slot slot;
  if (!db.Find(key, &slot, storage::LookupMode::kWrite)) return std::nullopt;
  return db.EntryAt(slot).type();
}

// The status is taken before the value is passed on: in one call expression
// the order of argument evaluation is unspecified, and `value` may be read
// (as an empty view) before the lookup fills it.
void Get(CommandContext& c) {
  std::string_view value;
  OpStatus status = strings::Get(c.Db(1), c.Key(1), &value);
  ReplyValueOrNull(c.reply, status, value);
}

// SET key value [NX|XX] [GET] [EX s|PX ms|EXAT s|PXAT ms|KEEPTTL], parsed
// with Redis's rules (repeated EX is allowed, the last wins).
struct ParsedSet {
  strings::SetOptions options;
};

std::optional<ParsedSet> ParseSetOptions(CommandContext& c, size_t first) {
  ParsedSet parsed;
  strings::SetOptions& o = parsed.options;
  enum { kNone, kEx, kPx, kExAt, kPxAt, kKeepTtl } expire = kNone;
  std::string_view expire_arg;
  using Condition = strings::SetOptions::Condition;
  for (size_t i = first; i < c.args.size(); ++i) {
    std::string_view opt = c.args[i];
    bool has_next = i + 1 < c.args.size();
    if (Is(opt, "NX") && o.condition != Condition::kIfPresent) {
      o.condition = Condition::kIfAbsent;
    } else if (Is(opt, "XX") && o.condition != Condition::kIfAbsent) {
      o.condition = Condition::kIfPresent;
    } else if (Is(opt, "GET")) {
      o.get_old = true;
    } else if (Is(opt, "KEEPTTL") && (expire == kNone || expire == kKeepTtl)) {
      expire = kKeepTtl;
    } else if (Is(opt, "EX") && (expire == kNone || expire == kEx) && has_next) {
      expire = kEx;
      expire_arg = c.args[++i];
    } else if (Is(opt, "PX") && (expire == kNone || expire == kPx) && has_next) {
      expire = kPx;
      expire_arg = c.args[++i];
    } else if (Is(opt, "EXAT") && (expire == kNone || expire == kExAt) && has_next) {
      expire = kExAt;
      expire_arg = c.args[++i];
    } else if (Is(opt, "PXAT") && (expire == kNone || expire == kPxAt) && has_next) {
      expire = kPxAt;
      expire_arg = c.args[++i];
    } else {
      c.reply.Error(errors::kSyntax);
      return std::nullopt;
    }
  }
  if (expire == kKeepTtl) {
    o.expiry = ExpiryChange::Keep();
  } else if (expire != kNone) {
    TimeUnit unit =
        (expire == kEx || expire == kExAt) ? TimeUnit::kSeconds : TimeUnit::kMilliseconds;
    bool absolute = expire == kExAt || expire == kPxAt;
    std::optional<int64_t> deadline =
        ExpireDeadlineArg(expire_arg, unit, absolute, c.now_ms(), c.spec.name, c.reply);
    if (!deadline) return std::nullopt;
    o.expiry = ExpiryChange::At(*deadline);
  }
  return parsed;
}

void ReplySet(CommandContext& c, const strings::SetOutcome& outcome, bool get_old) {
  if (outcome.status == OpStatus::kWrongType || outcome.status == OpStatus::kOutOfMemory) {
    errors::ReplyStatus(c.reply, outcome.status);
  } else if (get_old) {
    if (outcome.old) {
      c.reply.Bulk(*outcome.old);
    } else {
      c.reply.Null();
    }
  } else if (outcome.status == OpStatus::kConditionNotMet) {
    c.reply.Null();
  } else {
    c.reply.Ok();
  }
}

void Set(CommandContext& c) {
  std::optional<ParsedSet> parsed = ParseSetOptions(c, 3);
  if (!parsed) return;
  ReplySet(c, strings::Set(c.Db(1), c.Key(1), c.args[2], parsed->options), parsed->options.get_old);
}

void SetNx(CommandContext& c) {
  strings::SetOptions options;
  options.condition = strings::SetOptions::Condition::kIfAbsent;
  strings::SetOutcome outcome = strings::Set(c.Db(1), c.Key(1), c.args[2], options);
  if (outcome.status == OpStatus::kOutOfMemory) return errors::ReplyStatus(c.reply, outcome.status);
  c.reply.Integer(outcome.status == OpStatus::kOk ? 1 : 0);
}

void SetWithExpiry(CommandContext& c, TimeUnit unit) {
  std::optional<int64_t> deadline =
      ExpireDeadlineArg(c.args[2], unit, false, c.now_ms(), c.spec.name, c.reply);
  if (!deadline) return;
  strings::SetOptions options;
  options.expiry = ExpiryChange::At(*deadline);
  ReplySet(c, strings::Set(c.Db(1), c.Key(1), c.args[3], options), false);
}

void SetEx(CommandContext& c) { SetWithExpiry(c, TimeUnit::kSeconds); }
void PSetEx(CommandContext& c) { SetWithExpiry(c, TimeUnit::kMilliseconds); }

void GetSet(CommandContext& c) {
  strings::SetOptions options;
  options.get_old = true;
  ReplySet(c, strings::Set(c.Db(1), c.Key(1), c.args[2], options), true);
}

void GetDel(CommandContext& c) {
  std::string value;
  OpStatus status = strings::GetDel(c.Db(1), c.Key(1), &value);
  ReplyValueOrNull(c.reply, status, value);
}

void GetEx(CommandContext& c) {
  ExpiryChange expiry = ExpiryChange::Keep();
  enum { kNone, kEx, kPx, kExAt, kPxAt, kPersist } kind = kNone;
  std::string_view expire_arg;
  for (size_t i = 2; i < c.args.size(); ++i) {
    std::string_view opt = c.args[i];
    bool has_next = i + 1 < c.args.size();
    if (Is(opt, "PERSIST") && (kind == kNone || kind == kPersist)) {
      kind = kPersist;
    } else if (Is(opt, "EX") && (kind == kNone || kind == kEx) && has_next) {
      kind = kEx;
      expire_arg = c.args[++i];
    } else if (Is(opt, "PX") && (kind == kNone || kind == kPx) && has_next) {
      kind = kPx;
      expire_arg = c.args[++i];
    } else if (Is(opt, "EXAT") && (kind == kNone || kind == kExAt) && has_next) {
      kind = kExAt;
      expire_arg = c.args[++i];
    } else if (Is(opt, "PXAT") && (kind == kNone || kind == kPxAt) && has_next) {
      kind = kPxAt;
      expire_arg = c.args[++i];
    } else {
      return c.reply.Error(errors::kSyntax);
    }
  }
  // Redis looks the key up before it validates the time: a missing key is
  // nil and a key of another type WRONGTYPE, whatever the time argument. So
  // the time is read only for an existing string; GetEx makes the lookup
  // that counts and answers for the rest.
  if (kind == kPersist) {
    expiry = ExpiryChange::Clear();
  } else if (kind != kNone && PeekType(c.Db(1), c.Key(1)) == storage::ValueType::kString) {
    TimeUnit unit = (kind == kEx || kind == kExAt) ? TimeUnit::kSeconds : TimeUnit::kMilliseconds;
    std::optional<int64_t> deadline = ExpireDeadlineArg(
        expire_arg, unit, kind == kExAt || kind == kPxAt, c.now_ms(), c.spec.name, c.reply);
    if (!deadline) return;
    expiry = ExpiryChange::At(*deadline);
  }
  std::string value;
  OpStatus status = strings::GetEx(c.Db(1), c.Key(1), expiry, &value);
  ReplyValueOrNull(c.reply, status, value);
}

void ReplyCounter(CommandContext& c, storage::OpResult<int64_t> result) {
  if (result.ok()) return c.reply.Integer(result.value);
  errors::ReplyStatus(c.reply, result.status);
}

void Incr(CommandContext& c) { ReplyCounter(c, strings::IncrBy(c.Db(1), c.Key(1), 1)); }
void Decr(CommandContext& c) { ReplyCounter(c, strings::IncrBy(c.Db(1), c.Key(1), -1)); }

void IncrBy(CommandContext& c) {
  std::optional<int64_t> delta = IntArg(c.args[2], c.reply);
  if (!delta) return;
  ReplyCounter(c, strings::IncrBy(c.Db(1), c.Key(1), *delta));
}

void DecrBy(CommandContext& c) {
  std::optional<int64_t> delta = IntArg(c.args[2], c.reply);
  if (!delta) return;
  if (*delta == INT64_MIN) return c.reply.Error(errors::kDecrementOverflow);
  ReplyCounter(c, strings::IncrBy(c.Db(1), c.Key(1), -*delta));
}

void IncrByFloat(CommandContext& c) {
  // Redis checks the key's type before it reads the increment.
  std::optional<storage::ValueType> type = PeekType(c.Db(1), c.Key(1));
  if (type && *type != storage::ValueType::kString) return c.reply.Error(errors::kWrongType);
  long double delta;
  if (!base::ParseLongDouble(c.args[2], &delta)) return c.reply.Error(errors::kNotFloat);
  storage::OpResult<std::string> result = strings::IncrByFloat(c.Db(1), c.Key(1), delta);
  if (!result.ok()) return errors::ReplyStatus(c.reply, result.status);
  c.reply.Bulk(result.value);
}

void Append(CommandContext& c) { ReplyCounter(c, strings::Append(c.Db(1), c.Key(1), c.args[2])); }
void StrLen(CommandContext& c) { ReplyCounter(c, strings::StrLen(c.Db(1), c.Key(1))); }

void GetRange(CommandContext& c) {
  std::optional<int64_t> start = IntArg(c.args[2], c.reply);
  if (!start) return;
  std::optional<int64_t> end = IntArg(c.args[3], c.reply);
  if (!end) return;
  std::string_view out;
  OpStatus status = strings::GetRange(c.Db(1), c.Key(1), *start, *end, &out);
  if (status != OpStatus::kOk) return errors::ReplyStatus(c.reply, status);
  c.reply.Bulk(out);
}

void SetRange(CommandContext& c) {
  std::optional<int64_t> offset = IntArg(c.args[2], c.reply);
  if (!offset) return;
  if (*offset < 0) return c.reply.Error(errors::kOffsetOutOfRange);
  ReplyCounter(c, strings::SetRange(c.Db(1), c.Key(1), *offset, c.args[3]));
}

// ---- MGET / MSET / MSETNX ----
// Their keys may live on several shards; all of them are held while the
// command runs (dispatch/executor.h), so an MSET is seen whole or not at all.

void MGet(CommandContext& c) {
  c.reply.ArrayHeader(c.args.size() - 1);
  for (size_t i = 1; i < c.args.size(); ++i) {
    std::string_view value;
    if (strings::Get(c.Db(i), c.Key(i), &value) == OpStatus::kOk) {
      c.reply.Bulk(value);
    } else {
      c.reply.Null();  // missing, and also a key of another type
    }
  }
}

bool MSetArityOk(ArgList args, protocol::ReplyBuilder& reply, std::string_view name) {
  if (args.size() % 2 == 1) return true;
  reply.Error(errors::WrongArity(name));
  return false;
}

// Sets every pair; stops at the first write that memory refuses, and says
// so (the pairs before it stay written, as in Redis when a write fails).
OpStatus SetPairs(CommandContext& c) {
  for (size_t i = 1; i + 1 < c.args.size(); i += 2) {
    OpStatus status = strings::Set(c.Db(i), c.Key(i), c.args[i + 1], strings::SetOptions{}).status;
    if (status == OpStatus::kOutOfMemory) return status;
  }
  return OpStatus::kOk;
}

void MSet(CommandContext& c) {
  if (!MSetArityOk(c.args, c.reply, c.spec.name)) return;
  OpStatus status = SetPairs(c);
  if (status != OpStatus::kOk) return errors::ReplyStatus(c.reply, status);
  c.reply.Ok();
}

void MSetNx(CommandContext& c) {
  if (!MSetArityOk(c.args, c.reply, c.spec.name)) return;
  for (size_t i = 1; i + 1 < c.args.size(); i += 2) {
    storage::Database::Slot slot;
    if (c.Db(i).Find(c.Key(i), &slot, storage::LookupMode::kWrite)) return c.reply.Integer(0);
  }
  OpStatus status = SetPairs(c);
  if (status != OpStatus::kOk) return errors::ReplyStatus(c.reply, status);
  c.reply.Integer(1);
}

// ---- LCS ----
// Its two keys may live on two shards, both held while it runs.

// LCS's reply with IDX: {"matches": [[[a_start, a_end], [b_start, b_end],
// (length)], ...], "len": n}, a map in RESP3.
void ReplyLcsMatches(CommandContext& c, const storage::lcs::Result& result, bool with_match_len) {
  c.reply.MapHeader(2);
  c.reply.Bulk("matches");
  c.reply.ArrayHeader(result.matches.size());
  for (const storage::lcs::Match& match : result.matches) {
    c.reply.ArrayHeader(with_match_len ? 3 : 2);
    c.reply.ArrayHeader(2);
    c.reply.Integer(match.a_start);
    c.reply.Integer(match.a_end);
    c.reply.ArrayHeader(2);
    c.reply.Integer(match.b_start);
    c.reply.Integer(match.b_end);
    if (with_match_len) c.reply.Integer(match.length());
  }
  c.reply.Bulk("len");
  c.reply.Integer(result.length);
}

// Redis reads both keys before it parses the options, so a key of another
// type is reported before a syntax error.
void Lcs(CommandContext& c) {
  std::string_view a, b;
  OpStatus status_a = strings::Get(c.Db(1), c.Key(1), &a);
  OpStatus status_b = strings::Get(c.Db(2), c.Key(2), &b);
  if (status_a == OpStatus::kWrongType || status_b == OpStatus::kWrongType) {
    return c.reply.Error(errors::kLcsNotStrings);
  }
  storage::lcs::Options options;
  bool want_len = false, with_match_len = false;
  for (size_t i = 3; i < c.args.size(); ++i) {
    std::string_view opt = c.args[i];
    if (Is(opt, "IDX")) {
      options.want_matches = true;
    } else if (Is(opt, "LEN")) {
      want_len = true;
    } else if (Is(opt, "WITHMATCHLEN")) {
      with_match_len = true;
    } else if (Is(opt, "MINMATCHLEN") && i + 1 < c.args.size()) {
      std::optional<int64_t> min = IntArg(c.args[++i], c.reply);
      if (!min) return;
      options.min_match_len = *min < 0 ? 0 : *min;
    } else {
      return c.reply.Error(errors::kSyntax);
    }
  }
  if (options.want_matches && want_len) return c.reply.Error(errors::kLcsLenWithIdx);
  options.want_string = !options.want_matches && !want_len;
  const auto max_table = static_cast<uint64_t>(int64_t{c.engine().config().proto_max_bulk_len});
  storage::OpResult<storage::lcs::Result> result = storage::lcs::Compute(a, b, options, max_table);
  switch (result.status) {
    case OpStatus::kOk:
      break;
    case OpStatus::kStringTooLong:
      return c.reply.Error(errors::kLcsStringTooLong);
    case OpStatus::kOutOfMemory:
      return c.reply.Error(errors::kLcsNoMemory);
    default:
      return errors::ReplyStatus(c.reply, result.status);
  }
  if (options.want_matches) return ReplyLcsMatches(c, result.value, with_match_len);
  if (want_len) return c.reply.Integer(result.value.length);
  c.reply.Bulk(result.value.subsequence);
}

// SET's key is read as well as written when GET is given, as Redis's
// setGetKeys says (COMMAND GETKEYSANDFLAGS).
uint16_t SetKeyFlags(ArgList args) {
  for (size_t i = 3; i < args.size(); ++i) {
    if (Is(args[i], "GET")) return kKeyRW | kKeyAccess | kKeyUpdate;
  }
  return kKeyOW | kKeyUpdate;
}

}  // namespace

void RegisterStringCommands(CommandTable& table) {
  table.Register({
      {.name = "get", .handler = Get},
      {.name = "set", .handler = Set, .key_flags = SetKeyFlags},
      {.name = "setnx", .handler = SetNx},
      {.name = "setex", .handler = SetEx},
      {.name = "psetex", .handler = PSetEx},
      {.name = "getset", .handler = GetSet},
      {.name = "getdel", .handler = GetDel},
      {.name = "getex", .handler = GetEx},
      {.name = "incr", .handler = Incr},
      {.name = "decr", .handler = Decr},
      {.name = "incrby", .handler = IncrBy},
      {.name = "decrby", .handler = DecrBy},
      {.name = "incrbyfloat", .handler = IncrByFloat},
      {.name = "append", .handler = Append},
      {.name = "strlen", .handler = StrLen},
      {.name = "getrange", .handler = GetRange},
      {.name = "substr", .handler = GetRange},
      {.name = "setrange", .handler = SetRange},
      {.name = "mget", .handler = MGet},
      {.name = "mset", .handler = MSet},
      {.name = "msetnx", .handler = MSetNx},
      {.name = "lcs", .handler = Lcs},
  });
}

}  // namespace emberkv::server
