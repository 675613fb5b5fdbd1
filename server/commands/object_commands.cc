// OBJECT ENCODING, FREQ, REFCOUNT and HELP, and MEMORY USAGE, PURGE,
// MALLOC-STATS and HELP (which Redis keeps beside them, in object.c). Encodings carry Redis's
// names: strings are "int", "embstr" or "raw" by Redis's rules of thumb
// (emberkv stores every string the same way), collections report their own
// (ValueObject::EncodingName: listpack, intset, hashtable, skiplist,
// quicklist).
#include <string>

#include "base/numbers.h"
#include "server/command_table.h"
#include "server/commands/arg_parsing.h"
#include "server/commands/help.h"
#include "server/errors.h"
#include "server/util/memory.h"
#include "storage/database.h"
#include "storage/key_ops.h"

namespace emberkv::server {
namespace {

// The entry at args[2] without touching its access clock; replies
// nil and returns false when absent.
bool FindKey(CommandContext& c, storage::Database::Slot* slot) {
  if (c.Db(2).Find(c.Key(2), slot, storage::LookupMode::kReadNoTouch)) return true;
  c.reply.Null();
  return false;
}

void ObjectEncoding(CommandContext& c) {
  storage::Database::Slot slot;
  if (!FindKey(c, &slot)) return;
  storage::Database& db = c.Db(2);
  storage::Entry entry = db.EntryAt(slot);
  if (entry.type() != storage::ValueType::kString) {
    return c.reply.Bulk(db.ObjectAt(slot)->EncodingName());
  }
  std::string_view value = entry.string_value();
  int64_t ignored;
  if (value.size() <= 20 && base::ParseInt64(value, &ignored)) return c.reply.Bulk("int");
  c.reply.Bulk(value.size() <= 44 ? "embstr" : "raw");
}

// OBJECT FREQ: the key's LFU counter (storage/eviction_policy.h), under an
// LFU policy only, as in Redis: under LRU the access byte is a clock stamp.
// Like Redis's, a counter read just after a switch to LFU is an LRU stamp
// taken for a counter until the key's next access or the decay sweep.
void ObjectFreq(CommandContext& c) {
  storage::Database::Slot slot;
  if (!FindKey(c, &slot)) return;
  Shard& shard = c.shards.shard(c.shards.keyspace().ShardOfHash(c.Key(2).hash));
  if (!shard.store().context().access.lfu()) return c.reply.Error(errors::kObjectFreqNotLfu);
  c.reply.Integer(c.Db(2).EntryAt(slot).access());
}

void ObjectRefCount(CommandContext& c) {
  storage::Database::Slot slot;
  if (!FindKey(c, &slot)) return;
  c.reply.Integer(1);  // no value is shared between keys
}

void ObjectHelp(CommandContext& c) {
  ReplyHelp(c.reply, "OBJECT",
            {"ENCODING <key>",
             "    Return the kind of internal representation used in order to store the value",
             "    associated with a <key>.", "FREQ <key>",
             "    Return the access frequency index of the <key>. The returned integer is",
             "    proportional to the logarithm of the recent access frequency of the key.",
             "REFCOUNT <key>",
             "    Return the number of references of the value associated with the specified",
             "    <key>."});
}

// MEMORY USAGE key [SAMPLES count]: what the key costs here, its entry and
// its value (storage::keys::MemoryUsage). Collections count their bytes as
// they change, so the figure is exact and SAMPLES, checked as Redis checks
// it, changes nothing.
void MemoryUsage(CommandContext& c) {
  for (size_t i = 3; i < c.args.size(); ++i) {
    if (!Is(c.args[i], "SAMPLES") || i + 1 >= c.args.size()) return c.reply.Error(errors::kSyntax);
    std::optional<int64_t> samples = IntArg(c.args[++i], c.reply);
    if (!samples) return;
    if (*samples < 0) return c.reply.Error(errors::kSyntax);
  }
  std::optional<size_t> usage = storage::keys::MemoryUsage(c.Db(2), c.Key(2));
  if (!usage) return c.reply.Null();
  c.reply.Integer(static_cast<int64_t>(*usage));
}

// MEMORY PURGE: glibc's free pages back to the system (util/memory.h), as
// Redis asks jemalloc to purge its dirty pages.
void MemoryPurge(CommandContext& c) {
  ReturnFreeMemoryToSystem();
  c.reply.Ok();
}

void MemoryMallocStats(CommandContext& c) { c.reply.Verbatim("txt", AllocatorStats()); }

void MemoryHelp(CommandContext& c) {
  ReplyHelp(c.reply, "MEMORY",
            {"MALLOC-STATS", "    Return internal statistics report from the memory allocator.",
             "PURGE", "    Attempt to purge dirty pages for reclamation by the allocator.",
             "USAGE <key> [SAMPLES <count>]",
             "    Return memory in bytes used by <key> and its value. Nested values are",
             "    sampled up to <count> times (default: 5, 0 means sample all)."});
}

}  // namespace

void RegisterObjectCommands(CommandTable& table) {
  table.Register({
      {.name = "object",
       .subcommands = {{.name = "object|encoding", .handler = ObjectEncoding},
                       {.name = "object|freq", .handler = ObjectFreq},
                       {.name = "object|refcount", .handler = ObjectRefCount},
                       {.name = "object|help", .handler = ObjectHelp}}},
      {.name = "memory",
       .subcommands = {{.name = "memory|usage", .handler = MemoryUsage},
                       {.name = "memory|purge", .handler = MemoryPurge},
                       {.name = "memory|malloc-stats", .handler = MemoryMallocStats},
                       {.name = "memory|help", .handler = MemoryHelp}}},
  });
}

}  // namespace emberkv::server
