// CONFIG REWRITE, a subcommand of the "config" container: writes the running
// configuration back to the file the server was started with, as Redis does
// (server/config_file.h has the rules).
#pragma once

#include "server/command.h"

namespace emberkv::server {

// CONFIG REWRITE's handler, for the "config" container to declare.
void ConfigRewrite(CommandContext& c);

}  // namespace emberkv::server
