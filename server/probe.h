// `emberkv --probe`: the binary as its own health-check client, for images
// that have no shell or redis-cli (Docker's HEALTHCHECK, Kubernetes exec
// probes). It reads the same configuration as the server (file, environment,
// flags), so in a container it finds the port and password the server uses.
#pragma once

#include "server/config.h"

namespace emberkv::server {

// Connects to the server `config` describes (its first bind address, or
// loopback when that is a wildcard), sends AUTH when requirepass is set, then
// PING. Returns 0 on +PONG within `timeout_ms`, 1 otherwise (why on stderr).
// Addresses are numeric only: nothing here needs the resolver (NSS).
int RunProbe(const ServerConfig& config, int timeout_ms);

}  // namespace emberkv::server
