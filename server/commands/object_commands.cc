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
bool FindKey(OpContext& c, storage::Database::Slot* slot) {
  if (c.db.Find(c.args[2], slot, storage::LookupMode::kReadNoTouch)) return true;
  c.reply.Null();
  return false;
}

void OpObjectEncoding(OpContext& c) {
  storage::Database::Slot slot;
  if (!FindKey(c, &slot)) return;
  storage::Entry entry = c.db.EntryAt(slot);
  if (entry.type() != storage::ValueType::kString) {
    return c.reply.Bulk(c.db.ObjectAt(slot)->EncodingName());
  }
  std::string_view value = entry.string_value();
  int64_t ignored;
  if (value.size() <= 20 && base::ParseInt64(value, &ignored)) return c.reply.Bulk("int");
  c.reply.Bulk(value.size() <= 44 ? "embstr" : "raw");
}

void OpObjectRefCount(OpContext& c) {
  storage::Database::Slot slot;
  if (!FindKey(c, &slot)) return;
  c.reply.Integer(1);  // no value is shared between keys
}

void ConnObjectHelp(ConnContext& c) {
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
       .subcommands = {{.name = "object|encoding", .op = OpObjectEncoding},
                       {.name = "object|refcount", .op = OpObjectRefCount},
                       {.name = "object|help", .conn = ConnObjectHelp}}},
  });
}

}  // namespace emberkv::server
