#include "bench/loadgen/options.h"

#include <algorithm>
#include <charconv>
#include <functional>
#include <map>
#include <string_view>
#include <utility>
#include <vector>

namespace emberkv::loadgen {
namespace {

template <class T>
bool ParseNumber(std::string_view text, T* out) {
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return error == std::errc() && end == text.data() + text.size();
}

using Setter = std::function<std::optional<std::string>(Options&, std::string_view)>;

template <class T>
Setter Number(T Options::*field, T min, T max) {
  return [field, min, max](Options& o, std::string_view v) -> std::optional<std::string> {
    T value;
    if (!ParseNumber(v, &value) || value < min || value > max)
      return "out of range or not a number";
    o.*field = value;
    return std::nullopt;
  };
}

// A field that takes one of a few names.
template <class T>
Setter Choice(T Options::*field, std::vector<std::pair<std::string_view, T>> choices) {
  return [field, choices](Options& o, std::string_view v) -> std::optional<std::string> {
    std::string expected;
    for (const auto& [name, value] : choices) {
      if (v == name) {
        o.*field = value;
        return std::nullopt;
      }
      expected += expected.empty() ? "expected " : " or ";
      expected += name;
    }
    return expected;
  };
}

Setter Text(std::string Options::*field) {
  return [field](Options& o, std::string_view v) -> std::optional<std::string> {
    if (v.find_first_of(" \r\n") != std::string_view::npos)
      return "blanks and line ends are not allowed";
    o.*field = v;
    return std::nullopt;
  };
}

Setter Words(std::vector<std::string> Options::*field) {
  return [field](Options& o, std::string_view v) -> std::optional<std::string> {
    if (v.find_first_of("\r\n") != std::string_view::npos) return "line ends are not allowed";
    (o.*field).clear();
    for (size_t start = 0; start < v.size();) {
      size_t end = std::min(v.find(' ', start), v.size());
      if (end > start) (o.*field).emplace_back(v.substr(start, end - start));
      start = end + 1;
    }
    if ((o.*field).empty()) return "no command";
    return std::nullopt;
  };
}

const std::map<std::string, Setter, std::less<>>& Setters() {
  static const auto* setters = new std::map<std::string, Setter, std::less<>>{
      {"host", Text(&Options::host)},
      {"port", Number(&Options::port, 1, 65535)},
      {"protocol",
       Choice(&Options::protocol, {{"resp", Protocol::kResp}, {"memcache", Protocol::kMemcache}})},
      {"mode", Choice(&Options::mode,
                      {{"open", Mode::kOpen}, {"closed", Mode::kClosed}, {"fill", Mode::kFill}})},
      {"rate", Number(&Options::rate, 1.0, 1e9)},
      {"duration", Number(&Options::duration_s, 0.001, 86400.0)},
      {"warmup", Number(&Options::warmup_s, 0.0, 86400.0)},
      {"requests", Number<uint64_t>(&Options::requests, 1, UINT64_MAX)},
      {"connections", Number(&Options::connections, 1, 10000)},
      {"threads", Number(&Options::threads, 1, 256)},
      {"pipeline", Number(&Options::pipeline, 1, 100000)},
      {"keys", Number<uint64_t>(&Options::keys, 1, uint64_t{1} << 48)},
      {"key-prefix", Text(&Options::key_prefix)},
      {"key-digits", Number(&Options::key_digits, 0, 20)},
      {"distribution", Choice(&Options::distribution, {{"uniform", Distribution::kUniform},
                                                       {"zipf", Distribution::kZipf}})},
      {"zipf-exponent", Number(&Options::zipf_exponent, 0.01, 10.0)},
      {"get-ratio", Number(&Options::get_ratio, 0.0, 1.0)},
      {"value-size", Number<size_t>(&Options::value_size, 0, 512 * 1024 * 1024)},
      {"ttl", Number<int64_t>(&Options::ttl_s, 0, int64_t{1} << 40)},
      {"write-command", Words(&Options::write_command)},
      {"seed", Number<uint64_t>(&Options::seed, 0, UINT64_MAX)},
      {"drain-timeout", Number(&Options::drain_timeout_s, 0.0, 3600.0)},
  };
  return *setters;
}

}  // namespace

std::optional<std::string> ParseOptions(int argc, char** argv, Options* options) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--quiet") {
      options->quiet = true;
      continue;
    }
    if (arg.substr(0, 2) != "--") return "unexpected argument '" + std::string(arg) + "'";
    arg.remove_prefix(2);
    std::string_view name = arg;
    std::string_view value;
    if (size_t eq = arg.find('='); eq != std::string_view::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return "--" + std::string(name) + " needs a value";
    }
    auto it = Setters().find(name);
    if (it == Setters().end()) return "unknown option --" + std::string(name);
    if (auto error = it->second(*options, value)) {
      return "--" + std::string(name) + " " + std::string(value) + ": " + *error;
    }
  }
  if (options->port == 0) return "--port is required";
  if (options->mode == Mode::kOpen && options->rate <= 0) return "--mode open needs --rate";
  if (options->mode == Mode::kOpen && options->requests)
    return "--requests is for closed loop and fill";
  if (options->warmup_s >= options->duration_s && !options->requests &&
      options->mode != Mode::kFill) {
    return "--warmup must be shorter than --duration";
  }
  if (options->protocol == Protocol::kMemcache && options->key_prefix.size() + 20 > 250) {
    return "memcached keys are at most 250 bytes";
  }
  if (!options->write_command.empty() && options->protocol != Protocol::kResp) {
    return "--write-command is for the resp protocol";
  }
  if (options->threads > options->connections) options->threads = options->connections;
  return std::nullopt;
}

std::string Usage() {
  return R"(usage: loadgen --port N [options]

Drives a Redis-protocol server (or memcached) with GET and SET requests and
reports the achieved rate and latency percentiles: one JSON line on stdout, a
summary on stderr.

  --host ADDR          server address (127.0.0.1)
  --port N             server port (required)
  --protocol P         resp (default) or memcache (text protocol)
  --mode M             closed (default): each connection sends --pipeline
                       requests and waits for all replies, as fast as it can;
                       latency runs from the actual send.
                       open: requests leave at --rate per second whatever the
                       replies do; latency runs from each request's scheduled
                       send time, so a stalled server cannot hide its stalls
                       (no coordinated omission). --pipeline requests leave
                       together at each scheduled time.
                       fill: SET every key of the key space once.
  --rate N             open loop: requests per second, all connections together
  --duration S         seconds to send for (10)
  --warmup S           leading seconds not measured (0)
  --requests N         closed loop: stop after N requests instead of --duration
  --connections N      connections (4), spread over --threads threads (1)
  --threads N
  --pipeline N         requests per send (1)
  --keys N             key space size (1000000)
  --key-prefix TEXT    keys are TEXT followed by the key number ("key:")
  --key-digits N       zero-pad the number to N digits; 0 for none (10)
  --distribution D     uniform (default) or zipf
  --zipf-exponent S    skew of the Zipf distribution (0.99)
  --get-ratio F        fraction of GETs, the rest are SETs (0.9)
  --value-size N       SET value bytes (16)
  --ttl S              SET with EX S (memcache: exptime S); 0 for none (0)
  --write-command C    writes send the words of C instead of SET, "{key}"
                       replaced by the key, e.g. "SETBIT bitmap {key} 1";
                       any reply but an error counts as stored
  --seed N             random seed (1)
  --drain-timeout S    wait this long for replies after the last send (5)
  --quiet              JSON only
)";
}

const char* ModeName(Mode mode) {
  switch (mode) {
    case Mode::kOpen:
      return "open";
    case Mode::kClosed:
      return "closed";
    case Mode::kFill:
      return "fill";
  }
  return "?";
}

const char* ProtocolName(Protocol protocol) {
  return protocol == Protocol::kResp ? "resp" : "memcache";
}

const char* DistributionName(Distribution distribution) {
  return distribution == Distribution::kUniform ? "uniform" : "zipf";
}

}  // namespace emberkv::loadgen
