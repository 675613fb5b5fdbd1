// OBJECT ENCODING, FREQ, IDLETIME, REFCOUNT and HELP (MEMORY, which Redis keeps
// beside them in object.c, is in memory_commands.cc). Encodings carry Redis's
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
#include "storage/database.h"

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

// OBJECT IDLETIME: seconds since the key's last access, under a non-LFU
// policy, as in Redis; measured from the latest access that shared the
// key's clock stamp (storage/eviction_policy.h), so never more than the
// true idle time.
void ObjectIdleTime(CommandContext& c) {
  storage::Database::Slot slot;
  if (!FindKey(c, &slot)) return;
  Shard& shard = c.shards.shard(c.shards.keyspace().ShardOfHash(c.Key(2).hash));
  const storage::ShardContext& context = shard.store().context();
  if (context.access.lfu()) return c.reply.Error(errors::kObjectIdleTimeLfu);
  c.reply.Integer(context.access.IdleSeconds(c.Db(2).EntryAt(slot).access(), context.now_ms));
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
             "IDLETIME <key>",
             "    Return the idle time of the <key>, that is the approximated number of",
             "    seconds elapsed since the last access to the key.", "REFCOUNT <key>",
             "    Return the number of references of the value associated with the specified",
             "    <key>."});
}

}  // namespace

void RegisterObjectCommands(CommandTable& table) {
  table.Register({
      {.name = "object",
       .subcommands = {{.name = "object|encoding", .handler = ObjectEncoding},
                       {.name = "object|freq", .handler = ObjectFreq},
                       {.name = "object|idletime", .handler = ObjectIdleTime},
                       {.name = "object|refcount", .handler = ObjectRefCount},
                       {.name = "object|help", .handler = ObjectHelp}}},
  });
}

}  // namespace emberkv::server
