// HyperLogLog commands: PFADD, PFCOUNT, PFMERGE, on string values in Redis's
// own representation (storage/hll_ops.h).
//
// PFCOUNT of several keys and PFMERGE may span shards: the executor holds
// every shard their keys live on, so the registers are merged from one
// instant of all of them.
#include <array>
#include <cstdint>
#include <vector>

#include "server/command_table.h"
#include "server/errors.h"
#include "storage/hll_ops.h"

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

}  // namespace

void RegisterHyperLogLogCommands(CommandTable& table) {
  table.Register({
      {.name = "pfadd", .handler = PfAdd},
      {.name = "pfcount", .handler = PfCount},
      {.name = "pfmerge", .handler = PfMerge},
  });
}

}  // namespace emberkv::server
