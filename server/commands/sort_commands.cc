// SORT and SORT_RO (storage/sort_ops.h does the sorting; this file parses
// as Redis's sortCommandGeneric does, finds the keys as its sortGetKeys
// does, and routes each BY/GET pattern's key to its shard).
//
// Why both are kCmdAllShards: a BY or GET pattern names keys that exist only
// once the elements have been read ("weight_*" becomes "weight_3"), so no
// key finder can name them before the command runs, and they may live on
// any shard. The command is atomic only if every shard it may read is held
// for the whole of it, which is what kCmdAllShards gives (the executor takes
// them all, in ascending order, before the handler starts).
// kCmdVisitsShards would not do: it takes the shards one at a time, so
// another loop could change a weight between two reads, or between the read
// of the list and the write of STORE. The price is that a SORT without
// patterns holds every shard too; SORT is O(N log N) and rare next to the
// commands it briefly holds up, and a flag that depended on the arguments
// would be a second way of routing keys.
#include <optional>
#include <string>
#include <vector>

#include "server/command_table.h"
#include "server/commands/arg_parsing.h"
#include "server/errors.h"
#include "storage/hash.h"
#include "storage/sort_ops.h"

namespace emberkv::server {
namespace {

using storage::OpStatus;
namespace sorting = storage::sorting;

struct SortCall {
  sorting::SortSpec spec;
  std::optional<size_t> store;  // argument index of the STORE key
};

// Redis's parse, in its order: `read_only` (SORT_RO) refuses STORE as a
// syntax error. Replies the error and returns nullopt on bad input.
std::optional<SortCall> ParseSort(CommandContext& c, bool read_only) {
  SortCall call;
  sorting::SortSpec& spec = call.spec;
  for (size_t i = 2; i < c.args.size(); ++i) {
    std::string_view opt = c.args[i];
    const size_t left = c.args.size() - i - 1;
    if (Is(opt, "ASC")) {
      spec.desc = false;
    } else if (Is(opt, "DESC")) {
      spec.desc = true;
    } else if (Is(opt, "ALPHA")) {
      spec.alpha = true;
    } else if (Is(opt, "LIMIT") && left >= 2) {
      std::optional<int64_t> offset = IntArg(c.args[i + 1], c.reply);
      if (!offset) return std::nullopt;
      std::optional<int64_t> count = IntArg(c.args[i + 2], c.reply);
      if (!count) return std::nullopt;
      spec.offset = *offset;
      spec.count = *count;
      i += 2;
    } else if (!read_only && Is(opt, "STORE") && left >= 1) {
      call.store = ++i;
      spec.store = true;
    } else if (Is(opt, "BY") && left >= 1) {
      spec.by = std::string(c.args[++i]);
    } else if (Is(opt, "GET") && left >= 1) {
      spec.get.emplace_back(c.args[++i]);
    } else {
      c.reply.Error(errors::kSyntax);
      return std::nullopt;
    }
  }
  return call;
}

void RunSort(CommandContext& c, bool read_only) {
  std::optional<SortCall> call = ParseSort(c, read_only);
  if (!call) return;
  // Every shard is held (kCmdAllShards): a pattern's key is read in the
  // shard its hash names.
  sorting::PatternLookup lookup = [&c](const sorting::PatternTarget& target) {
    storage::Key key(target.key, storage::HashKey(target.key));
    return sorting::LookupPatternValue(c.DbOf(key, c.db), key, target.field);
  };
  storage::OpResult<std::vector<std::optional<std::string>>> sorted =
      sorting::Sort(c.Db(1), c.Key(1), call->spec, lookup);
  if (!sorted.ok()) return errors::ReplyStatus(c.reply, sorted.status);
  if (call->store) {
    storage::OpResult<int64_t> stored =
        sorting::StoreList(c.Db(*call->store), c.Key(*call->store), sorted.value);
    if (!stored.ok()) return errors::ReplyStatus(c.reply, stored.status);
    return c.reply.Integer(stored.value);
  }
  c.reply.ArrayHeader(sorted.value.size());
  for (const std::optional<std::string>& value : sorted.value) {
    if (value) {
      c.reply.Bulk(*value);
    } else {
      c.reply.Null();
    }
  }
}

void Sort(CommandContext& c) { RunSort(c, false); }
void SortRo(CommandContext& c) { RunSort(c, true); }

constexpr uint16_t kSortedKeyFlags = kKeyRO | kKeyAccess;

// Redis's sortGetKeys: the sorted key, and the key after the last STORE
// (overwritten), skipping the arguments of LIMIT, GET and BY.
std::vector<FoundKey> SortKeys(ArgList args) {
  std::vector<FoundKey> keys = {{1, kSortedKeyFlags}};
  int store = -1;
  for (size_t i = 2; i < args.size(); ++i) {
    if (Is(args[i], "LIMIT")) {
      i += 2;
    } else if (Is(args[i], "GET") || Is(args[i], "BY")) {
      i += 1;
    } else if (Is(args[i], "STORE") && i + 1 < args.size()) {
      store = static_cast<int>(i + 1);
    }
  }
  if (store >= 0) keys.push_back({store, kKeyOW | kKeyUpdate});
  return keys;
}

// SORT_RO has no STORE: its key is the sorted one.
std::vector<FoundKey> SortRoKeys(ArgList) { return {{1, kSortedKeyFlags}}; }

}  // namespace

void RegisterSortCommands(CommandTable& table) {
  table.Register({
      {.name = "sort", .handler = Sort, .key_finder = SortKeys, .flags = kCmdAllShards},
      {.name = "sort_ro", .handler = SortRo, .key_finder = SortRoKeys, .flags = kCmdAllShards},
  });
}

}  // namespace emberkv::server
