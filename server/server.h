// The whole server process: configuration in, engine and listener up, and a
// clean stop on SIGTERM, SIGINT or SHUTDOWN.
#pragma once

#include <memory>

#include "server/config.h"

namespace emberkv::server {

// Runs the server until it is asked to stop. Returns the process exit code.
int RunServer(ServerConfig config);

}  // namespace emberkv::server
