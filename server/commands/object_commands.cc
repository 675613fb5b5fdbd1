// OBJECT ENCODING, OBJECT REFCOUNT and OBJECT HELP. Encodings carry Redis's
// names: strings are "int", "embstr" or "raw" by Redis's rules of thumb
// (emberkv stores every string the same way), collections report their own
// (ValueObject::EncodingName: listpack, intset, hashtable, skiplist,
// quicklist).
#include <string>

#include "base/numbers.h"
#include "server/command_table.h"
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

void ObjectRefCount(CommandContext& c) {
  storage::Database::Slot slot;
  if (!FindKey(c, &slot)) return;
  c.reply.Integer(1);  // no value is shared between keys
}

void ObjectHelp(CommandContext& c) {
  ReplyHelp(c.reply, "OBJECT",
            {"ENCODING <key>", "    Return the kind of internal representation used in order to store the value",
             "    associated with a <key>.",
             "REFCOUNT <key>", "    Return the number of references of the value associated with the specified",
             "    <key>."});
}

}  // namespace

void RegisterObjectCommands(CommandTable& table) {
  table.Register({
      {.name = "object",
       .subcommands = {{.name = "object|encoding", .handler = ObjectEncoding},
                       {.name = "object|refcount", .handler = ObjectRefCount},
                       {.name = "object|help", .handler = ObjectHelp}}},
  });
}

}  // namespace emberkv::server
