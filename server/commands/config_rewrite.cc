#include "server/commands/config_rewrite.h"

#include "server/config_file.h"
#include "server/engine/engine.h"
#include "server/errors.h"

namespace emberkv::server {

// Writes the file from a copy taken at once, so that the (slow) file work
// does not read the shared configuration while CONFIG SET may change it.
void ConfigRewrite(CommandContext& c) {
  ServerConfig snapshot = c.engine().config();
  if (std::optional<std::string> error = RewriteConfigFile(snapshot))
    return c.reply.Error(errors::ConfigRewriteFailed(*error));
  c.reply.Ok();
}

}  // namespace emberkv::server
