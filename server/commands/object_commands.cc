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
  auto sub = [](std::string_view name, int arity, OpHandler op, std::string_view summary) {
    CommandSpec spec;
    spec.name = name;
    spec.arity = arity;
    spec.flags = kCmdReadOnly;
    spec.first_key = 2;
    spec.last_key = 2;
    spec.key_step = 1;
    spec.op = op;
    spec.group = "generic";
    spec.summary = summary;
    spec.acl_categories = "@keyspace @read @slow";
    return spec;
  };
  CommandSpec object;
  object.name = "object";
  object.arity = -2;
  object.group = "generic";
  object.summary = "A container for object introspection commands";
  object.acl_categories = "@slow";
  object.Docs("2.2.3", "Depends on subcommand.");
  object.subcommands.push_back(
      sub("object|encoding", 3, OpObjectEncoding, "Inspect the internal encoding of a Redis object")
          .Docs("2.2.3", "O(1)", {arg::Key("key")})
          .Keys({KeySpec::Range("RO", 2)})
          .Tips("nondeterministic_output"));
  object.subcommands.push_back(
      sub("object|refcount", 3, OpObjectRefCount, "Get the number of references to the value of the key")
          .Docs("2.2.3", "O(1)", {arg::Key("key")})
          .Keys({KeySpec::Range("RO", 2)})
          .Tips("nondeterministic_output"));
  CommandSpec help;
  help.name = "object|help";
  help.arity = 2;
  help.flags = kCmdLoading | kCmdStale;
  help.conn = ConnObjectHelp;
  help.group = "generic";
  help.summary = "Show helpful text about the different subcommands";
  help.acl_categories = "@keyspace @slow";
  help.Docs("6.2.0", "O(1)");
  object.subcommands.push_back(std::move(help));
  table.Register(std::move(object));
}

}  // namespace emberkv::server
