// The command line, and the order in which the three forms of configuration
// apply:
//
//   emberkv [CONFIG-FILE] [--<directive> <value> | --<directive>=<value>]...
//   emberkv --probe [--port N] ...     (health probe: PING the server, exit 0 on PONG)
//
// Precedence, lowest first: built-in defaults, the config file (the one
// positional argument, else $EMBERKV_CONFIG), EMBERKV_<DIRECTIVE>
// environment variables, command-line flags. Every parameter of the table in
// server/config.h is a flag with its Redis name (--maxmemory-policy; abseil
// itself spells it maxmemory_policy, and --maxmemory_policy works too) and
// always takes a value, as redis-server's options do (--protected-mode no).
//
// Flags are abseil flags (absl::ParseCommandLine), declared in
// command_line.cc: a parameter added to the table needs a flag there too
// (tests/server/config_file_test.cc checks that each has one).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "server/config.h"

namespace emberkv::server {

struct StartupOptions {
  ServerConfig config;
  bool probe = false;  // --probe: act as the health probe, not the server
  int probe_timeout_ms = 1000;
};

// Builds the options from argv and the environment. Returns the message to
// print (without the program name) on error. Exits for --help and --version,
// as abseil does. Call once.
std::optional<std::string> LoadStartupOptions(int argc, char** argv, StartupOptions* options);

// Whether a parameter of the table has its command-line flag.
bool HasParamFlag(std::string_view param);

}  // namespace emberkv::server
