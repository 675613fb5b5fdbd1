// Bitmap commands on string values: SETBIT, GETBIT, BITCOUNT, BITPOS,
// BITOP, BITFIELD and BITFIELD_RO (the bit work is storage/bit_ops.h and
// storage/bitfield.h).
//
// Offsets are checked against proto-max-bulk-len before any key is looked
// up, so no announced offset allocates anything. BITOP's keys may live on
// several shards: the executor holds all of them while it runs, so the
// sources are read and the destination written in one instant.
#include <optional>
#include <string>
#include <vector>

#include "server/command_table.h"
#include "server/commands/arg_parsing.h"
#include "server/commands/op_reply.h"
#include "server/engine/engine.h"
#include "server/errors.h"
#include "storage/bit_ops.h"
#include "storage/bitfield.h"
#include "storage/key_ops.h"
#include "storage/string_ops.h"

namespace emberkv::server {
namespace {

using storage::OpStatus;
namespace bits = storage::bits;
namespace strings = storage::strings;

int64_t MaxBulkLen(CommandContext& c) { return c.engine().config().proto_max_bulk_len; }

std::optional<uint64_t> BitOffsetArg(CommandContext& c, std::string_view arg,
                                     bool allow_hash = false, int width = 0) {
  uint64_t offset;
  if (!bits::ParseBitOffset(arg, allow_hash, width, MaxBulkLen(c), &offset)) {
    c.reply.Error(errors::kBitOffset);
    return std::nullopt;
  }
  return offset;
}

void SetBit(CommandContext& c) {
  std::optional<uint64_t> offset = BitOffsetArg(c, c.args[2]);
  if (!offset) return;
  std::optional<int64_t> value = IntArg(c.args[3], c.reply, errors::kBitValue);
  if (!value) return;
  if (*value != 0 && *value != 1) return c.reply.Error(errors::kBitValue);
  ReplyInteger(c.reply, bits::SetBit(c.Db(1), c.Key(1), *offset, *value == 1, MaxBulkLen(c)));
}

void GetBit(CommandContext& c) {
  std::optional<uint64_t> offset = BitOffsetArg(c, c.args[2]);
  if (!offset) return;
  ReplyInteger(c.reply, bits::GetBit(c.Db(1), c.Key(1), *offset));
}

// The "start end [BYTE|BIT]" of BITCOUNT and BITPOS from args[first] on;
// `end_optional` for BITPOS, where start alone is allowed. Replies the error
// and returns false on bad input.
bool ParseBitRange(CommandContext& c, size_t first, bool end_optional,
                   std::optional<bits::BitRange>* out) {
  const size_t given = c.args.size() - first;
  if (given == 0) return true;
  if (given > 3 || (given == 1 && !end_optional)) {
    c.reply.Error(errors::kSyntax);
    return false;
  }
  bits::BitRange range;
  std::optional<int64_t> start = IntArg(c.args[first], c.reply);
  if (!start) return false;
  range.start = *start;
  if (given == 3) {
    std::string_view unit = c.args[first + 2];
    if (Is(unit, "BIT")) {
      range.bit_unit = true;
    } else if (!Is(unit, "BYTE")) {
      c.reply.Error(errors::kSyntax);
      return false;
    }
  }
  if (given >= 2) {
    std::optional<int64_t> end = IntArg(c.args[first + 1], c.reply);
    if (!end) return false;
    range.end = *end;
  }
  *out = range;
  return true;
}

// Redis 7.0 looks the key up before it reads the range: a missing key
// answers whatever the range says, and so does a key of another type.
void BitCount(CommandContext& c) {
  std::string_view value;
  OpStatus status = strings::Get(c.Db(1), c.Key(1), &value);
  if (status == OpStatus::kNotFound) return c.reply.Integer(0);
  if (status != OpStatus::kOk) return errors::ReplyStatus(c.reply, status);
  std::optional<bits::BitRange> range;
  if (!ParseBitRange(c, 2, false, &range)) return;
  c.reply.Integer(bits::CountBits(value, range));
}

void BitPos(CommandContext& c) {
  std::optional<int64_t> bit = IntArg(c.args[2], c.reply);
  if (!bit) return;
  if (*bit != 0 && *bit != 1) return c.reply.Error(errors::kBitArgument);
  std::string_view value;
  OpStatus status = strings::Get(c.Db(1), c.Key(1), &value);
  if (status == OpStatus::kNotFound) return c.reply.Integer(*bit == 1 ? -1 : 0);
  if (status != OpStatus::kOk) return errors::ReplyStatus(c.reply, status);
  std::optional<bits::BitRange> range;
  if (!ParseBitRange(c, 3, true, &range)) return;
  c.reply.Integer(bits::FindBit(value, *bit == 1, range));
}

void BitOp(CommandContext& c) {
  std::string_view name = c.args[1];
  bits::BitOp op;
  if (Is(name, "AND")) {
    op = bits::BitOp::kAnd;
  } else if (Is(name, "OR")) {
    op = bits::BitOp::kOr;
  } else if (Is(name, "XOR")) {
    op = bits::BitOp::kXor;
  } else if (Is(name, "NOT")) {
    op = bits::BitOp::kNot;
  } else {
    return c.reply.Error(errors::kSyntax);
  }
  if (op == bits::BitOp::kNot && c.args.size() != 4) return c.reply.Error(errors::kBitOpNotOneKey);
  // The sources are views into their entries, which stay put until the
  // destination is written; Combine copies them first.
  std::vector<std::string_view> sources;
  sources.reserve(c.args.size() - 3);
  for (size_t i = 3; i < c.args.size(); ++i) {
    std::string_view value;
    OpStatus status = strings::Get(c.Db(i), c.Key(i), &value);
    if (status == OpStatus::kWrongType) return errors::ReplyStatus(c.reply, status);
    sources.push_back(status == OpStatus::kOk ? value : std::string_view());
  }
  std::string result = bits::Combine(op, sources);
  if (result.empty()) {
    storage::keys::Delete(c.Db(2), c.Key(2));
    return c.reply.Integer(0);
  }
  OpStatus status = strings::Set(c.Db(2), c.Key(2), result, strings::SetOptions{}).status;
  if (status != OpStatus::kOk) return errors::ReplyStatus(c.reply, status);
  c.reply.Integer(static_cast<int64_t>(result.size()));
}

// BITFIELD's operations parsed as Redis parses them, all before the key is
// looked at; *writes says whether any SET or INCRBY is among them.
std::optional<std::vector<bits::BitfieldOp>> ParseBitfield(CommandContext& c, bool* writes) {
  std::vector<bits::BitfieldOp> ops;
  bits::Overflow overflow = bits::Overflow::kWrap;
  *writes = false;
  for (size_t i = 2; i < c.args.size();) {
    std::string_view word = c.args[i];
    const size_t remaining = c.args.size() - i - 1;
    bits::BitfieldOp op;
    if (Is(word, "GET") && remaining >= 2) {
      op.kind = bits::BitfieldOp::Kind::kGet;
    } else if (Is(word, "SET") && remaining >= 3) {
      op.kind = bits::BitfieldOp::Kind::kSet;
    } else if (Is(word, "INCRBY") && remaining >= 3) {
      op.kind = bits::BitfieldOp::Kind::kIncrBy;
    } else if (Is(word, "OVERFLOW") && remaining >= 1) {
      std::string_view policy = c.args[i + 1];
      if (Is(policy, "WRAP")) {
        overflow = bits::Overflow::kWrap;
      } else if (Is(policy, "SAT")) {
        overflow = bits::Overflow::kSat;
      } else if (Is(policy, "FAIL")) {
        overflow = bits::Overflow::kFail;
      } else {
        c.reply.Error(errors::kBitfieldOverflow);
        return std::nullopt;
      }
      i += 2;
      continue;
    } else {
      c.reply.Error(errors::kSyntax);
      return std::nullopt;
    }
    if (!bits::ParseBitfieldType(c.args[i + 1], &op.is_signed, &op.width)) {
      c.reply.Error(errors::kBitfieldType);
      return std::nullopt;
    }
    std::optional<uint64_t> offset = BitOffsetArg(c, c.args[i + 2], true, op.width);
    if (!offset) return std::nullopt;
    op.offset = *offset;
    if (op.kind != bits::BitfieldOp::Kind::kGet) {
      std::optional<int64_t> value = IntArg(c.args[i + 3], c.reply);
      if (!value) return std::nullopt;
      op.value = *value;
      *writes = true;
      i += 4;
    } else {
      i += 3;
    }
    op.overflow = overflow;
    ops.push_back(op);
  }
  return ops;
}

void RunBitfield(CommandContext& c, bool read_only) {
  bool writes = false;
  std::optional<std::vector<bits::BitfieldOp>> ops = ParseBitfield(c, &writes);
  if (!ops) return;
  if (writes && read_only) return c.reply.Error(errors::kBitfieldReadOnly);
  std::vector<std::optional<int64_t>> results;
  OpStatus status = bits::Bitfield(c.Db(1), c.Key(1), *ops, MaxBulkLen(c), &results);
  if (status != OpStatus::kOk) return errors::ReplyStatus(c.reply, status);
  c.reply.ArrayHeader(results.size());
  for (const std::optional<int64_t>& result : results) {
    if (result) {
      c.reply.Integer(*result);
    } else {
      c.reply.Null();
    }
  }
}

void Bitfield(CommandContext& c) { RunBitfield(c, false); }
void BitfieldRo(CommandContext& c) { RunBitfield(c, true); }

// BITFIELD's key is only read when every operation is a GET, as Redis's
// bitfieldGetKeys decides (COMMAND GETKEYSANDFLAGS); anything it does not
// recognise counts as a write.
uint16_t BitfieldKeyFlags(ArgList args) {
  for (size_t i = 2; i < args.size(); ++i) {
    const size_t remaining = args.size() - i - 1;
    if (Is(args[i], "GET") && remaining >= 2) {
      i += 2;
    } else if (Is(args[i], "OVERFLOW") && remaining >= 1) {
      i += 1;
    } else {
      return kKeyRW | kKeyAccess | kKeyUpdate;
    }
  }
  return kKeyRO | kKeyAccess;
}

}  // namespace

void RegisterBitmapCommands(CommandTable& table) {
  table.Register({
      {.name = "setbit", .handler = SetBit},
      {.name = "getbit", .handler = GetBit},
      {.name = "bitcount", .handler = BitCount},
      {.name = "bitpos", .handler = BitPos},
      {.name = "bitop", .handler = BitOp},
      {.name = "bitfield", .handler = Bitfield, .key_flags = BitfieldKeyFlags},
      {.name = "bitfield_ro", .handler = BitfieldRo},
  });
}

}  // namespace emberkv::server
