// Hash commands: HSET, HGET, HDEL, HINCRBY, HGETALL, HRANDFIELD, HSCAN, ...
// Every one has a single key, read and written with storage/hash_ops.h in
// the database of its shard (held while the handler runs).
#include <algorithm>
#include <cctype>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "base/numbers.h"
#include "server/command_table.h"
#include "server/commands/arg_parsing.h"
#include "server/commands/collection_args.h"
#include "server/commands/op_reply.h"
#include "server/errors.h"
#include "storage/hash_ops.h"

namespace emberkv::server {
namespace {

using storage::HashValue;
using storage::OpStatus;
namespace hashes = storage::hashes;

// HSET and HMSET: sets the field-value pairs and returns how many fields
// are new; nullopt after replying an error.
std::optional<int64_t> SetPairs(CommandContext& c) {
  if (c.args.size() % 2 != 0) {
    c.reply.Error(errors::WrongArity(c.spec.name));
    return std::nullopt;
  }
  storage::OpResult<int64_t> result = hashes::Set(c.Db(1), c.Key(1), c.args.subspan(2));
  if (!result.ok()) {
    errors::ReplyStatus(c.reply, result.status);
    return std::nullopt;
  }
  return result.value;
}

void HSet(CommandContext& c) {
  if (std::optional<int64_t> added = SetPairs(c)) c.reply.Integer(*added);
}

void HMSet(CommandContext& c) {
  if (SetPairs(c)) c.reply.Ok();
}

void HSetNx(CommandContext& c) {
  storage::OpResult<bool> result = hashes::SetNx(c.Db(1), c.Key(1), c.args[2], c.args[3]);
  if (!result.ok()) return errors::ReplyStatus(c.reply, result.status);
  c.reply.Integer(result.value ? 1 : 0);
}

void HGet(CommandContext& c) {
  std::string_view value;
  OpStatus status = hashes::Get(c.Db(1), c.Key(1), c.args[2], &value);
  if (status == OpStatus::kOk) return c.reply.Bulk(value);
  if (status == OpStatus::kNotFound) return c.reply.Null();
  errors::ReplyStatus(c.reply, status);
}

void HMGet(CommandContext& c) {
  std::vector<std::optional<std::string_view>> values;
  OpStatus status = hashes::MGet(c.Db(1), c.Key(1), c.args.subspan(2), &values);
  if (status != OpStatus::kOk) return errors::ReplyStatus(c.reply, status);
  c.reply.ArrayHeader(values.size());
  for (const auto& value : values) {
    if (value) {
      c.reply.Bulk(*value);
    } else {
      c.reply.Null();
    }
  }
}

void HDel(CommandContext& c) {
  ReplyInteger(c.reply, hashes::Del(c.Db(1), c.Key(1), c.args.subspan(2)));
}
void HLen(CommandContext& c) { ReplyInteger(c.reply, hashes::Len(c.Db(1), c.Key(1))); }
void HStrLen(CommandContext& c) {
  ReplyInteger(c.reply, hashes::StrLen(c.Db(1), c.Key(1), c.args[2]));
}

void HExists(CommandContext& c) {
  storage::OpResult<bool> result = hashes::Exists(c.Db(1), c.Key(1), c.args[2]);
  if (!result.ok()) return errors::ReplyStatus(c.reply, result.status);
  c.reply.Integer(result.value ? 1 : 0);
}

// HKEYS, HVALS, HGETALL.
enum class Part { kFields, kValues, kBoth };

void ReplyAll(CommandContext& c, Part part) {
  const HashValue* hash;
  OpStatus status = hashes::Read(c.Db(1), c.Key(1), &hash);
  if (status == OpStatus::kWrongType) return errors::ReplyStatus(c.reply, status);
  size_t n = status == OpStatus::kOk ? hash->size() : 0;
  if (part == Part::kBoth) {
    c.reply.MapHeader(n);
  } else {
    c.reply.ArrayHeader(n);
  }
  if (n == 0) return;
  hash->ForEach([&](std::string_view field, std::string_view value) {
    if (part != Part::kValues) c.reply.Bulk(field);
    if (part != Part::kFields) c.reply.Bulk(value);
  });
}

void HKeys(CommandContext& c) { ReplyAll(c, Part::kFields); }
void HVals(CommandContext& c) { ReplyAll(c, Part::kValues); }
void HGetAll(CommandContext& c) { ReplyAll(c, Part::kBoth); }

void HIncrBy(CommandContext& c) {
  std::optional<int64_t> delta = IntArg(c.args[3], c.reply);
  if (!delta) return;
  storage::OpResult<int64_t> result = hashes::IncrBy(c.Db(1), c.Key(1), c.args[2], *delta);
  if (result.status == OpStatus::kNotInteger) return c.reply.Error(errors::kHashValueNotInteger);
  ReplyInteger(c.reply, result);
}

void HIncrByFloat(CommandContext& c) {
  long double delta;
  if (!base::ParseLongDouble(c.args[3], &delta)) return c.reply.Error(errors::kNotFloat);
  // Redis refuses an infinite increment before it looks at the key.
  if (std::isnan(delta) || std::isinf(delta)) return c.reply.Error(errors::kIncrementNanOrInfinity);
  storage::OpResult<std::string> result = hashes::IncrByFloat(c.Db(1), c.Key(1), c.args[2], delta);
  if (result.status == OpStatus::kNotFloat) return c.reply.Error(errors::kHashValueNotFloat);
  if (!result.ok()) return errors::ReplyStatus(c.reply, result.status);
  c.reply.Bulk(result.value);
}

void HRandField(CommandContext& c) {
  if (c.args.size() > 4 || (c.args.size() == 4 && !Is(c.args[3], "WITHVALUES"))) {
    return c.reply.Error(errors::kSyntax);
  }
  std::mt19937_64& rng = CollectionRng();
  if (c.args.size() == 2) {
    const HashValue* hash;
    OpStatus status = hashes::Read(c.Db(1), c.Key(1), &hash);
    if (status == OpStatus::kNotFound) return c.reply.Null();
    if (status != OpStatus::kOk) return errors::ReplyStatus(c.reply, status);
    return c.reply.Bulk(hash->Random(rng()).first);
  }
  std::optional<int64_t> count = RandomCountArg(c.args[2], c.reply);
  if (!count) return;
  bool with_values = c.args.size() == 4;
  const HashValue* hash;
  OpStatus status = hashes::Read(c.Db(1), c.Key(1), &hash);
  if (status == OpStatus::kWrongType) return errors::ReplyStatus(c.reply, status);
  if (status == OpStatus::kNotFound || *count == 0) return c.reply.EmptyArray();
  auto reply_pair = [&](std::string_view field, std::string_view value) {
    if (with_values && c.reply.resp3()) c.reply.ArrayHeader(2);
    c.reply.Bulk(field);
    if (with_values) c.reply.Bulk(value);
  };
  auto header = [&](size_t n) { c.reply.ArrayHeader(with_values && !c.reply.resp3() ? 2 * n : n); };
  size_t size = hash->size();
  if (*count < 0) {
    size_t n = static_cast<size_t>(-*count);
    header(n);
    for (size_t i = 0; i < n; ++i) {
      auto [field, value] = hash->Random(rng());
      reply_pair(field, value);
    }
    return;
  }
  size_t n = static_cast<size_t>(*count);
  if (n >= size) {
    header(size);
    hash->ForEach(reply_pair);
    return;
  }
  // Distinct fields: a random sample of the positions.
  std::vector<std::pair<std::string_view, std::string_view>> all;
  all.reserve(size);
  hash->ForEach([&](std::string_view f, std::string_view v) { all.emplace_back(f, v); });
  std::shuffle(all.begin(), all.end(), rng);
  header(n);
  for (size_t i = 0; i < n; ++i) reply_pair(all[i].first, all[i].second);
}

void HScan(CommandContext& c) {
  const HashValue* hash;
  OpStatus status = hashes::Read(c.Db(1), c.Key(1), &hash);
  std::optional<ScanArgs> scan = ParseCollectionScanArgs(c.args, status, c.reply);
  if (!scan) return;
  std::vector<std::string_view> found;
  uint64_t next = 0;
  if (status == OpStatus::kOk) {
    next =
        hash->Scan(scan->cursor, scan->count, [&](std::string_view field, std::string_view value) {
          if (!scan->Matches(field)) return;
          found.push_back(field);
          found.push_back(value);
        });
  }
  c.reply.ArrayHeader(2);
  c.reply.Bulk(std::to_string(next));
  c.reply.ArrayHeader(found.size());
  for (std::string_view s : found) c.reply.Bulk(s);
}

}  // namespace

void RegisterHashCommands(CommandTable& table) {
  table.Register({
      {.name = "hset", .handler = HSet},
      {.name = "hmset", .handler = HMSet},
      {.name = "hsetnx", .handler = HSetNx},
      {.name = "hget", .handler = HGet},
      {.name = "hmget", .handler = HMGet},
      {.name = "hdel", .handler = HDel},
      {.name = "hexists", .handler = HExists},
      {.name = "hlen", .handler = HLen},
      {.name = "hstrlen", .handler = HStrLen},
      {.name = "hkeys", .handler = HKeys},
      {.name = "hvals", .handler = HVals},
      {.name = "hgetall", .handler = HGetAll},
      {.name = "hincrby", .handler = HIncrBy},
      {.name = "hincrbyfloat", .handler = HIncrByFloat},
      {.name = "hrandfield", .handler = HRandField},
      {.name = "hscan", .handler = HScan},
  });
}

}  // namespace emberkv::server
