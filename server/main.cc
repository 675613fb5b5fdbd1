// emberkv: an in-memory cache server that speaks the Redis protocol.
//
//   emberkv [--port 6379] [--bind 127.0.0.1] [--threads N] [--maxmemory 256mb] ...
//
// Every option is a Redis directive name (see server/config.cc).
#include <cstdio>
#include <string>
#include <string_view>

#include "server/config.h"
#include "server/server.h"

int main(int argc, char** argv) {
  emberkv::server::ServerConfig config;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg.substr(0, 2) != "--") {
      std::fprintf(stderr, "emberkv: unexpected argument '%s'\n", argv[i]);
      return 2;
    }
    arg.remove_prefix(2);
    std::string name, value;
    if (size_t eq = arg.find('='); eq != std::string_view::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    } else {
      name = arg;
      if (i + 1 >= argc) {
        std::fprintf(stderr, "emberkv: option --%s needs a value\n", name.c_str());
        return 2;
      }
      value = argv[++i];
    }
    for (char& c : name) {
      if (c == '_') c = '-';
    }
    if (std::optional<std::string> error = emberkv::server::SetConfigParam(config, name, value)) {
      std::fprintf(stderr, "emberkv: --%s %s: %s\n", name.c_str(), value.c_str(), error->c_str());
      return 2;
    }
  }
  return emberkv::server::RunServer(std::move(config));
}
