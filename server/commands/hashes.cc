// Hash commands: HSET, HGET, HDEL, HINCRBY, HGETALL, HRANDFIELD, HSCAN, ...
// Every one has a single key, so each is an OpHandler on the owning shard
// calling storage/hash_ops.h.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include "base/numbers.h"
#include "server/command_table.h"
#include "server/commands/arg_parsing.h"
#include "server/commands/collection_args.h"
#include "server/errors.h"
#include "storage/hash_ops.h"

namespace emberkv::server {
namespace {

using storage::HashValue;
using storage::OpStatus;
namespace hashes = storage::hashes;

void ReplyInteger(protocol::ReplyBuilder& reply, const storage::OpResult<int64_t>& result) {
  if (!result.ok()) return errors::ReplyStatus(reply, result.status);
  reply.Integer(result.value);
}

void OpHSet(OpContext& c) {
  if (c.args.size() % 2 != 0) return c.reply.Error(errors::WrongArity(c.spec.name));
  storage::OpResult<int64_t> result = hashes::Set(c.db, c.args[1], c.args.subspan(2));
  if (!result.ok()) return errors::ReplyStatus(c.reply, result.status);
  if (c.spec.name == "hmset") return c.reply.Ok();
  c.reply.Integer(result.value);
}

void OpHSetNx(OpContext& c) {
  storage::OpResult<bool> result = hashes::SetNx(c.db, c.args[1], c.args[2], c.args[3]);
  if (!result.ok()) return errors::ReplyStatus(c.reply, result.status);
  c.reply.Integer(result.value ? 1 : 0);
}

void OpHGet(OpContext& c) {
  std::string_view value;
  OpStatus status = hashes::Get(c.db, c.args[1], c.args[2], &value);
  if (status == OpStatus::kOk) return c.reply.Bulk(value);
  if (status == OpStatus::kNotFound) return c.reply.Null();
  errors::ReplyStatus(c.reply, status);
}

void OpHMGet(OpContext& c) {
  std::vector<std::optional<std::string_view>> values;
  OpStatus status = hashes::MGet(c.db, c.args[1], c.args.subspan(2), &values);
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

void OpHDel(OpContext& c) { ReplyInteger(c.reply, hashes::Del(c.db, c.args[1], c.args.subspan(2))); }
void OpHLen(OpContext& c) { ReplyInteger(c.reply, hashes::Len(c.db, c.args[1])); }
void OpHStrLen(OpContext& c) { ReplyInteger(c.reply, hashes::StrLen(c.db, c.args[1], c.args[2])); }

void OpHExists(OpContext& c) {
  storage::OpResult<bool> result = hashes::Exists(c.db, c.args[1], c.args[2]);
  if (!result.ok()) return errors::ReplyStatus(c.reply, result.status);
  c.reply.Integer(result.value ? 1 : 0);
}

// HKEYS, HVALS, HGETALL.
enum class Part { kFields, kValues, kBoth };

void ReplyAll(OpContext& c, Part part) {
  const HashValue* hash;
  OpStatus status = hashes::Read(c.db, c.args[1], &hash);
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

void OpHKeys(OpContext& c) { ReplyAll(c, Part::kFields); }
void OpHVals(OpContext& c) { ReplyAll(c, Part::kValues); }
void OpHGetAll(OpContext& c) { ReplyAll(c, Part::kBoth); }

void OpHIncrBy(OpContext& c) {
  std::optional<int64_t> delta = IntArg(c.args[3], c.reply);
  if (!delta) return;
  storage::OpResult<int64_t> result = hashes::IncrBy(c.db, c.args[1], c.args[2], *delta);
  if (result.status == OpStatus::kNotInteger) return c.reply.Error("ERR hash value is not an integer");
  ReplyInteger(c.reply, result);
}

void OpHIncrByFloat(OpContext& c) {
  long double delta;
  if (!base::ParseLongDouble(c.args[3], &delta)) return c.reply.Error(errors::kNotFloat);
  // Redis refuses an infinite increment before it looks at the key.
  if (std::isnan(delta) || std::isinf(delta)) return c.reply.Error("ERR value is NaN or Infinity");
  storage::OpResult<std::string> result = hashes::IncrByFloat(c.db, c.args[1], c.args[2], delta);
  if (result.status == OpStatus::kNotFloat) return c.reply.Error("ERR hash value is not a float");
  if (!result.ok()) return errors::ReplyStatus(c.reply, result.status);
  c.reply.Bulk(result.value);
}

void OpHRandField(OpContext& c) {
  if (c.args.size() > 4 || (c.args.size() == 4 && !Is(c.args[3], "WITHVALUES"))) {
    return c.reply.Error(errors::kSyntax);
  }
  std::mt19937_64& rng = CollectionRng();
  if (c.args.size() == 2) {
    const HashValue* hash;
    OpStatus status = hashes::Read(c.db, c.args[1], &hash);
    if (status == OpStatus::kNotFound) return c.reply.Null();
    if (status != OpStatus::kOk) return errors::ReplyStatus(c.reply, status);
    return c.reply.Bulk(hash->Random(rng()).first);
  }
  std::optional<int64_t> count = RandomCountArg(c.args[2], c.reply);
  if (!count) return;
  bool with_values = c.args.size() == 4;
  const HashValue* hash;
  OpStatus status = hashes::Read(c.db, c.args[1], &hash);
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

void OpHScan(OpContext& c) {
  const HashValue* hash;
  OpStatus status = hashes::Read(c.db, c.args[1], &hash);
  std::optional<ScanArgs> scan = ParseCollectionScanArgs(c.args, status, c.reply);
  if (!scan) return;
  std::vector<std::string_view> found;
  uint64_t next = 0;
  if (status == OpStatus::kOk) {
    next = hash->Scan(scan->cursor, scan->count, [&](std::string_view field, std::string_view value) {
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

struct Def {
  std::string_view name;
  int arity;
  uint32_t flags;
  OpHandler op;
  std::string_view summary;
  std::string_view acl;
};

}  // namespace

void RegisterHashCommands(CommandTable& table) {
  const uint32_t kRead = kCmdReadOnly;
  const uint32_t kWrite = kCmdWrite | kCmdDenyOom;
  const Def defs[] = {
      {"hset", -4, kWrite | kCmdFast, OpHSet, "Set the string value of a hash field", "@write @hash @fast"},
      {"hmset", -4, kWrite | kCmdFast, OpHSet, "Set multiple hash fields to multiple values", "@write @hash @fast"},
      {"hsetnx", 4, kWrite | kCmdFast, OpHSetNx, "Set the value of a hash field, only if the field does not exist", "@write @hash @fast"},
      {"hget", 3, kRead | kCmdFast, OpHGet, "Get the value of a hash field", "@read @hash @fast"},
      {"hmget", -3, kRead | kCmdFast, OpHMGet, "Get the values of all the given hash fields", "@read @hash @fast"},
      {"hdel", -3, kCmdWrite | kCmdFast, OpHDel, "Delete one or more hash fields", "@write @hash @fast"},
      {"hexists", 3, kRead | kCmdFast, OpHExists, "Determine if a hash field exists", "@read @hash @fast"},
      {"hlen", 2, kRead | kCmdFast, OpHLen, "Get the number of fields in a hash", "@read @hash @fast"},
      {"hstrlen", 3, kRead | kCmdFast, OpHStrLen, "Get the length of the value of a hash field", "@read @hash @fast"},
      {"hkeys", 2, kRead, OpHKeys, "Get all the fields in a hash", "@read @hash @slow"},
      {"hvals", 2, kRead, OpHVals, "Get all the values in a hash", "@read @hash @slow"},
      {"hgetall", 2, kRead, OpHGetAll, "Get all the fields and values in a hash", "@read @hash @slow"},
      {"hincrby", 4, kWrite | kCmdFast, OpHIncrBy, "Increment the integer value of a hash field by the given number", "@write @hash @fast"},
      {"hincrbyfloat", 4, kWrite | kCmdFast, OpHIncrByFloat, "Increment the float value of a hash field by the given amount", "@write @hash @fast"},
      {"hrandfield", -2, kRead, OpHRandField, "Get one or multiple random fields from a hash", "@read @hash @slow"},
      {"hscan", -3, kRead, OpHScan, "Incrementally iterate hash fields and associated values", "@read @hash @slow"},
  };
  absl::flat_hash_map<std::string_view, CommandSpec*> registered;
  for (const Def& d : defs) {
    CommandSpec spec;
    spec.name = d.name;
    spec.arity = d.arity;
    spec.flags = d.flags;
    spec.first_key = 1;
    spec.last_key = 1;
    spec.key_step = 1;
    spec.op = d.op;
    spec.group = "hash";
    spec.summary = d.summary;
    spec.acl_categories = d.acl;
    registered[d.name] = &table.Register(std::move(spec));
  }

  // COMMAND DOCS and INFO, in Redis 7.0's words.
  auto doc = [&](std::string_view name) -> CommandSpec& { return *registered.at(name); };
  doc("hset")
      .Docs("2.0.0", "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs.", {
              arg::Key("key"),
              arg::Block("field_value", {arg::String("field"), arg::String("value")}).Multiple()})
      .History({{"4.0.0", "Accepts multiple `field` and `value` arguments."}})
      .Keys({KeySpec::Range("RW update", 1)});
  doc("hmset")
      .Docs("2.0.0", "O(N) where N is the number of fields being set.", {
              arg::Key("key"),
              arg::Block("field_value", {arg::String("field"), arg::String("value")}).Multiple()})
      .Keys({KeySpec::Range("RW update", 1)})
      .Deprecated("4.0.0", "`HSET` with multiple field-value pairs");
  doc("hsetnx")
      .Docs("2.0.0", "O(1)", {arg::Key("key"), arg::String("field"), arg::String("value")})
      .Keys({KeySpec::Range("RW insert", 1)});
  doc("hget")
      .Docs("2.0.0", "O(1)", {arg::Key("key"), arg::String("field")})
      .Keys({KeySpec::Range("RO access", 1)});
  doc("hmget")
      .Docs("2.0.0", "O(N) where N is the number of fields being requested.", {arg::Key("key"), arg::String("field").Multiple()})
      .Keys({KeySpec::Range("RO access", 1)});
  doc("hdel")
      .Docs("2.0.0", "O(N) where N is the number of fields to be removed.", {arg::Key("key"), arg::String("field").Multiple()})
      .History({{"2.4.0", "Accepts multiple `field` arguments."}})
      .Keys({KeySpec::Range("RW delete", 1)});
  doc("hexists")
      .Docs("2.0.0", "O(1)", {arg::Key("key"), arg::String("field")})
      .Keys({KeySpec::Range("RO", 1)});
  doc("hlen")
      .Docs("2.0.0", "O(1)", {arg::Key("key")})
      .Keys({KeySpec::Range("RO", 1)});
  doc("hstrlen")
      .Docs("3.2.0", "O(1)", {arg::Key("key"), arg::String("field")})
      .Keys({KeySpec::Range("RO", 1)});
  doc("hkeys")
      .Docs("2.0.0", "O(N) where N is the size of the hash.", {arg::Key("key")})
      .Keys({KeySpec::Range("RO access", 1)})
      .Tips("nondeterministic_output_order");
  doc("hvals")
      .Docs("2.0.0", "O(N) where N is the size of the hash.", {arg::Key("key")})
      .Keys({KeySpec::Range("RO access", 1)})
      .Tips("nondeterministic_output_order");
  doc("hgetall")
      .Docs("2.0.0", "O(N) where N is the size of the hash.", {arg::Key("key")})
      .Keys({KeySpec::Range("RO access", 1)})
      .Tips("nondeterministic_output_order");
  doc("hincrby")
      .Docs("2.0.0", "O(1)", {arg::Key("key"), arg::String("field"), arg::Integer("increment")})
      .Keys({KeySpec::Range("RW access update", 1)});
  doc("hincrbyfloat")
      .Docs("2.6.0", "O(1)", {arg::Key("key"), arg::String("field"), arg::Double("increment")})
      .Keys({KeySpec::Range("RW access update", 1)});
  doc("hrandfield")
      .Docs("6.2.0", "O(N) where N is the number of fields returned", {
              arg::Key("key"),
              arg::Block("options", {arg::Integer("count"), arg::PureToken("withvalues", "WITHVALUES").Optional()}).Optional()})
      .Keys({KeySpec::Range("RO access", 1)})
      .Tips("nondeterministic_output");
  doc("hscan")
      .Docs("2.8.0", "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..", {
              arg::Key("key"),
              arg::Integer("cursor"),
              arg::Pattern("pattern").Token("MATCH").Optional(),
              arg::Integer("count").Token("COUNT").Optional()})
      .Keys({KeySpec::Range("RO access", 1)})
      .Tips("nondeterministic_output");
}

}  // namespace emberkv::server
