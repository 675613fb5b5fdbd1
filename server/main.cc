// emberkv: an in-memory cache server that speaks the Redis protocol.
//
//   emberkv [CONFIG-FILE] [--port 6379] [--bind 127.0.0.1] [--maxmemory 256mb] ...
//   emberkv --probe [--port N]
//
// Every option is a Redis directive name (see server/config.cc); how the
// config file, EMBERKV_* variables and flags combine is in
// server/command_line.h.
#include <cstdio>

#include "server/command_line.h"
#include "server/probe.h"
#include "server/server.h"

int main(int argc, char** argv) {
  emberkv::server::StartupOptions options;
  if (std::optional<std::string> error =
          emberkv::server::LoadStartupOptions(argc, argv, &options)) {
    std::fprintf(stderr, "emberkv: %s\n", error->c_str());
    return 2;
  }
  if (options.probe) return emberkv::server::RunProbe(options.config, options.probe_timeout_ms);
  return emberkv::server::RunServer(std::move(options.config));
}
