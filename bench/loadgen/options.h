// The load generator's settings, parsed from `--name value` (or
// `--name=value`) arguments. See Usage() for what each one means.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace emberkv::loadgen {

enum class Protocol { kResp, kMemcache };

enum class Mode {
  kOpen,    // requests leave at a fixed rate whatever the replies do
  kClosed,  // each connection sends a pipeline and waits for all of it
  kFill,    // SET each key of the key space once, closed-loop
};

enum class Distribution { kUniform, kZipf };

struct Options {
  std::string host = "127.0.0.1";
  int port = 0;
  Protocol protocol = Protocol::kResp;
  Mode mode = Mode::kClosed;
  double rate = 0;  // open loop: requests per second, all connections together
  double duration_s = 10;
  double warmup_s = 0;    // leading seconds whose requests are not measured
  uint64_t requests = 0;  // closed loop: stop after this many instead of after duration_s
  int connections = 4;
  int threads = 1;
  int pipeline = 1;
  uint64_t keys = 1'000'000;
  std::string key_prefix = "key:";
  int key_digits = 10;  // zero-padded width of the key number; 0: no padding
  Distribution distribution = Distribution::kUniform;
  double zipf_exponent = 0.99;
  double get_ratio = 0.9;  // fraction of requests that are GETs (the rest are SETs)
  size_t value_size = 16;
  int64_t ttl_s = 0;  // SET ... EX ttl_s (memcache: exptime) when > 0
  // The words of the command writes send instead of SET ("{key}" stands
  // for the key), e.g. SETBIT bitmap {key} 1; empty: SET. RESP only.
  std::vector<std::string> write_command;
  uint64_t seed = 1;
  double drain_timeout_s = 5;  // how long to wait for replies after the last send
  bool quiet = false;          // no human-readable report on stderr
};

// Fills *options from the command line. Returns an error message, or nullopt.
std::optional<std::string> ParseOptions(int argc, char** argv, Options* options);

std::string Usage();

const char* ModeName(Mode mode);
const char* ProtocolName(Protocol protocol);
const char* DistributionName(Distribution distribution);

}  // namespace emberkv::loadgen
