#include "server/commands/config_rewrite.h"

#include "server/config_file.h"
#include "server/engine/engine.h"

namespace emberkv::server {
namespace {

// Writes the file from a copy taken at once, so that the (slow) file work
// does not read the shared configuration while CONFIG SET may change it.
void ConnConfigRewrite(ConnContext& c) {
  ServerConfig snapshot = c.engine.config();
  if (std::optional<std::string> error = RewriteConfigFile(snapshot)) return c.reply.Error("ERR " + *error);
  c.reply.Ok();
}

}  // namespace

CommandSpec ConfigRewriteCommand() {
  CommandSpec spec;
  spec.name = "config|rewrite";
  spec.arity = 2;
  spec.flags = kCmdAdmin | kCmdNoScript | kCmdLoading | kCmdStale;
  spec.conn = ConnConfigRewrite;
  spec.group = "server";
  spec.summary = "Rewrite the configuration file with the in memory configuration";
  spec.acl_categories = "@admin @slow @dangerous";
  return spec;
}

}  // namespace emberkv::server
