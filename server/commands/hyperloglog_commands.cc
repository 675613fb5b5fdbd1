// HyperLogLog commands: PFADD, PFCOUNT, PFMERGE and PFDEBUG, on string
// values in Redis's own representation (storage/hll_ops.h).
//
// PFCOUNT of several keys and PFMERGE may span shards: the executor holds
// every shard their keys live on, so the registers are merged from one
// instant of all of them.
#include <cstdint>
#include <string>
#include <vector>

#include "server/command_table.h"
#include "server/commands/arg_parsing.h"
#include "server/errors.h"
#include "storage/hll_ops.h"
#include "storage/string_ops.h"

namespace emberkv::server {
namespace {

using storage::OpStatus;
namespace hll = storage::hll;
namespace hlls = storage::hlls;

void PfAdd(CommandContext& c) {
  std::vector<std::string_view> elements(c.args.begin() + 2, c.args.end());
  storage::OpResult<bool> result = hlls::Add(c.Db(1), c.Key(1), elements);
  if (!result.ok()) return errors::ReplyStatus(c.reply, result.status);
  c.reply.Integer(result.value ? 1 : 0);
}

// Raises `max` to the registers of the keys args[first..]; replies the
// error and returns false when one is no valid HLL. *dense is set when any
// of them is dense.
bool MergeKeys(CommandContext& c, size_t first, uint8_t* max, bool* dense) {
  for (size_t i = first; i < c.args.size(); ++i) {
    OpStatus status = hlls::MergeRegisters(c.Db(i), c.Key(i), max, dense);
    if (status != OpStatus::kOk) {
      errors::ReplyStatus(c.reply, status);
      return false;
    }
  }
  return true;
}

void PfCount(CommandContext& c) {
  if (c.args.size() == 2) {
    storage::OpResult<int64_t> result = hlls::Count(c.Db(1), c.Key(1));
    if (!result.ok()) return errors::ReplyStatus(c.reply, result.status);
    return c.reply.Integer(result.value);
  }
  // Several keys: the estimate of their union, as Redis computes it (no
  // key's cached estimate is touched).
  std::vector<uint8_t> max(hll::kRegisters, 0);
  bool dense = false;
  if (!MergeKeys(c, 1, max.data(), &dense)) return;
  c.reply.Integer(static_cast<int64_t>(hll::CountRegisters(max.data())));
}

// The destination is merged too, as Redis's PFMERGE reads it: its type is
// checked and its registers kept.
void PfMerge(CommandContext& c) {
  std::vector<uint8_t> max(hll::kRegisters, 0);
  bool dense = false;
  if (!MergeKeys(c, 1, max.data(), &dense)) return;
  OpStatus status = hlls::StoreMerged(c.Db(1), c.Key(1), max.data(), dense);
  if (status != OpStatus::kOk) return errors::ReplyStatus(c.reply, status);
  c.reply.Ok();
}

// ---- PFDEBUG ----
// What Redis's own tests use to look inside an HLL: GETREG (the registers,
// the HLL made dense first), ENCODING, TODENSE, DECODE (sparse opcodes).

// PFDEBUG DECODE's text of valid sparse opcodes: "z:len" for ZERO, "Z:len"
// for XZERO, "v:value,len" for VAL, blank-separated.
std::string DecodeSparse(std::string_view hll) {
  std::string out;
  const auto* p = reinterpret_cast<const uint8_t*>(hll.data()) + hll::kHeaderSize;
  const auto* end = reinterpret_cast<const uint8_t*>(hll.data()) + hll.size();
  while (p < end) {
    if (!out.empty()) out.push_back(' ');
    if ((*p & 0xc0) == 0) {
      out += "z:" + std::to_string((*p & 0x3f) + 1);
      p += 1;
    } else if ((*p & 0xc0) == 0x40) {
      out += "Z:" + std::to_string((((*p & 0x3f) << 8) | p[1]) + 1);  // SparseValid: p[1] exists
      p += 2;
    } else {
      out += "v:" + std::to_string(((*p >> 2) & 0x1f) + 1) + "," + std::to_string((*p & 0x3) + 1);
      p += 1;
    }
  }
  return out;
}

void PfDebug(CommandContext& c) {
  std::string_view sub = c.args[1];
  // Redis looks the key up and checks it first, whatever the subcommand.
  std::string_view value;
  OpStatus status = storage::strings::Get(c.Db(2), c.Key(2), &value);
  if (status == OpStatus::kNotFound) return c.reply.Error(errors::kPfDebugNoKey);
  if (status != OpStatus::kOk) return errors::ReplyStatus(c.reply, status);
  const hll::Shape shape = hll::Inspect(value);
  if (shape == hll::Shape::kNotHll) return errors::ReplyStatus(c.reply, OpStatus::kNotHyperLogLog);
  const bool known =
      Is(sub, "GETREG") || Is(sub, "DECODE") || Is(sub, "ENCODING") || Is(sub, "TODENSE");
  if (!known) return c.reply.Error(errors::PfDebugUnknownSubcommand(sub));
  if (Is(sub, "ENCODING"))
    return c.reply.SimpleString(shape == hll::Shape::kDense ? "dense" : "sparse");
  if (Is(sub, "DECODE")) {
    if (shape != hll::Shape::kSparse) return c.reply.Error(errors::kPfDebugNotSparse);
    if (!hll::SparseValid(value))
      return errors::ReplyStatus(c.reply, OpStatus::kCorruptHyperLogLog);
    return c.reply.Bulk(DecodeSparse(value));
  }
  storage::OpResult<bool> converted = storage::hlls::MakeDense(c.Db(2), c.Key(2));
  if (!converted.ok()) return errors::ReplyStatus(c.reply, converted.status);
  if (Is(sub, "TODENSE")) return c.reply.Integer(converted.value ? 1 : 0);
  // GETREG: the registers of the (now dense) value.
  status = storage::strings::Get(c.Db(2), c.Key(2), &value);
  if (status != OpStatus::kOk) return errors::ReplyStatus(c.reply, status);
  const auto* registers = reinterpret_cast<const uint8_t*>(value.data()) + hll::kHeaderSize;
  c.reply.ArrayHeader(hll::kRegisters);
  for (uint32_t i = 0; i < hll::kRegisters; ++i) c.reply.Integer(hll::DenseRegister(registers, i));
}

// Blocks its loop for half a second, as Redis's blocks the server: an
// admin command for test suites, not for traffic.
void PfSelfTest(CommandContext& c) {
  std::string failure = hll::SelfTest();
  if (!failure.empty()) return c.reply.Error(failure);
  c.reply.Ok();
}

}  // namespace

void RegisterHyperLogLogCommands(CommandTable& table) {
  table.Register({
      {.name = "pfadd", .handler = PfAdd},
      {.name = "pfcount", .handler = PfCount},
      {.name = "pfmerge", .handler = PfMerge},
      {.name = "pfdebug", .handler = PfDebug},
      {.name = "pfselftest", .handler = PfSelfTest},
  });
}

}  // namespace emberkv::server
