#include "server/command_line.h"

#include <absl/flags/flag.h>
#include <absl/flags/parse.h>
#include <absl/flags/reflection.h>
#include <absl/flags/usage.h>
#include <absl/flags/usage_config.h>
#include <absl/strings/match.h>

#include <cstdlib>
#include <vector>

#include "server/config_file.h"
#include "server/info.h"

namespace emberkv::server {

// A parameter's flag: its text as given, or nothing when the command line did
// not name it (so that an empty value, `--requirepass ""`, still counts).
struct ParamFlag {
  std::optional<std::string> value;
};

bool AbslParseFlag(absl::string_view text, ParamFlag* flag, std::string*) {
  flag->value = std::string(text);
  return true;
}

std::string AbslUnparseFlag(const ParamFlag& flag) { return flag.value.value_or(""); }

}  // namespace emberkv::server

using emberkv::server::ParamFlag;

// One flag per parameter of server/config.cc's table, with Redis's meaning.
ABSL_FLAG(ParamFlag, bind, {}, "addresses to listen on, space separated (default 127.0.0.1)");
ABSL_FLAG(ParamFlag, port, {}, "TCP port for clients (default 6379; 0 picks a free one)");
ABSL_FLAG(ParamFlag, threads, {},
          "event loops, one thread each (default 0: one per core the process may use, after its "
          "CPU affinity and cgroup CPU quota)");
ABSL_FLAG(ParamFlag, shards, {},
          "shards of the keyspace, each under its own lock (default 0: as many as threads)");
ABSL_FLAG(ParamFlag, databases, {}, "number of databases (default 16)");
ABSL_FLAG(ParamFlag, maxclients, {}, "most clients connected at once (default 10000)");
ABSL_FLAG(ParamFlag, requirepass, {}, "password clients must AUTH with (default none)");
ABSL_FLAG(ParamFlag, maxmemory, {}, "memory limit for data, e.g. 100mb (default 0: none)");
ABSL_FLAG(ParamFlag, maxmemory_policy, {}, "what to evict at maxmemory (default noeviction)");
ABSL_FLAG(ParamFlag, maxmemory_samples, {}, "keys sampled per eviction (default 5)");
ABSL_FLAG(ParamFlag, lfu_log_factor, {}, "LFU counter's logarithm factor (default 10)");
ABSL_FLAG(ParamFlag, lfu_decay_time, {}, "minutes after which an LFU counter halves (default 1)");
ABSL_FLAG(ParamFlag, timeout, {}, "close clients idle this many seconds (default 0: never)");
ABSL_FLAG(ParamFlag, tcp_keepalive, {}, "TCP keepalive interval in seconds (default 300)");
ABSL_FLAG(ParamFlag, protected_mode, {},
          "yes: without a password, refuse clients not on loopback (default yes)");
ABSL_FLAG(ParamFlag, proto_max_bulk_len, {}, "largest bulk string accepted (default 512mb)");
ABSL_FLAG(ParamFlag, client_query_buffer_limit, {},
          "largest query buffer per client (default 1gb)");
ABSL_FLAG(ParamFlag, client_output_buffer_limit, {},
          "\"<class> <hard> <soft> <seconds>\" for normal, replica or pubsub clients (default "
          "pubsub 32mb 8mb 60)");
ABSL_FLAG(ParamFlag, slowlog_log_slower_than, {},
          "SLOWLOG threshold in microseconds (default 10000)");
ABSL_FLAG(ParamFlag, slowlog_max_len, {}, "SLOWLOG entries kept (default 128)");
ABSL_FLAG(ParamFlag, latency_monitor_threshold, {},
          "LATENCY monitor threshold in ms (default 0: off)");
ABSL_FLAG(ParamFlag, hz, {}, "background task frequency (default 10)");
ABSL_FLAG(ParamFlag, busy_reply_threshold, {},
          "milliseconds a script runs before others get -BUSY and it can be killed (default 5000)");
ABSL_FLAG(ParamFlag, lua_time_limit, {}, "alias of --busy-reply-threshold");
ABSL_FLAG(ParamFlag, hash_max_listpack_entries, {},
          "most fields of a hash in its compact encoding (default 512)");
ABSL_FLAG(ParamFlag, hash_max_ziplist_entries, {}, "alias of --hash-max-listpack-entries");
ABSL_FLAG(ParamFlag, hash_max_listpack_value, {},
          "longest field or value of a hash in its compact encoding (default 64)");
ABSL_FLAG(ParamFlag, hash_max_ziplist_value, {}, "alias of --hash-max-listpack-value");
ABSL_FLAG(ParamFlag, set_max_intset_entries, {},
          "most members of an all-integer set in its compact encoding (default 512)");
ABSL_FLAG(ParamFlag, set_max_listpack_entries, {},
          "most members of another set in its compact encoding (default 128)");
ABSL_FLAG(ParamFlag, set_max_listpack_value, {},
          "longest member of a set in its compact encoding (default 64)");
ABSL_FLAG(ParamFlag, zset_max_listpack_entries, {},
          "most members of a sorted set in its compact encoding (default 128)");
ABSL_FLAG(ParamFlag, zset_max_ziplist_entries, {}, "alias of --zset-max-listpack-entries");
ABSL_FLAG(ParamFlag, zset_max_listpack_value, {},
          "longest member of a sorted set in its compact encoding (default 64)");
ABSL_FLAG(ParamFlag, zset_max_ziplist_value, {}, "alias of --zset-max-listpack-value");
ABSL_FLAG(ParamFlag, list_max_listpack_size, {},
          "accepted for compatibility: lists keep 8 KiB blocks (default -2)");
ABSL_FLAG(ParamFlag, list_max_ziplist_size, {}, "alias of --list-max-listpack-size");
ABSL_FLAG(ParamFlag, list_compress_depth, {},
          "accepted for compatibility: lists are not compressed (default 0)");
ABSL_FLAG(ParamFlag, metrics_port, {},
          "HTTP port for /metrics, /healthz, /readyz (default 9121; 0 picks a free one; -1: off)");
ABSL_FLAG(ParamFlag, metrics_bind, {}, "address of the metrics listener (default 127.0.0.1)");
ABSL_FLAG(ParamFlag, shutdown_timeout, {}, "milliseconds a clean stop may take (default 1000)");
ABSL_FLAG(ParamFlag, loglevel, {}, "debug, verbose, notice, warning or nothing (default notice)");
ABSL_FLAG(ParamFlag, io_engine, {},
          "socket I/O: auto (io_uring where the kernel and seccomp allow it, else epoll), epoll or "
          "io_uring (default auto)");
ABSL_FLAG(ParamFlag, enable_debug_command, {},
          "DEBUG: no, yes, or local (loopback connections only) (default no)");
ABSL_FLAG(ParamFlag, save, {}, "accepted for compatibility: only \"\" (no persistence)");
ABSL_FLAG(ParamFlag, appendonly, {}, "accepted for compatibility: only no");

ABSL_FLAG(bool, probe, false,
          "health probe: connect to the configured port on loopback (or the first bind address), "
          "AUTH if requirepass is set, PING; exit 0 on PONG, 1 otherwise");
ABSL_FLAG(int, probe_timeout, 1000, "milliseconds --probe waits for the server");

namespace emberkv::server {
namespace {

std::string FlagName(std::string_view param) {
  std::string name(param);
  for (char& c : name) {
    if (c == '-') c = '_';
  }
  return name;
}

// Turns Redis's spellings (--maxmemory-policy) into abseil's
// (--maxmemory_policy), leaving values alone, and names an unknown option
// the way the user wrote it.
std::optional<std::string> NormalizeArgs(int argc, char** argv, std::vector<std::string>* out) {
  out->assign(argv, argv + argc);
  for (int i = 1; i < argc; ++i) {
    std::string& arg = (*out)[i];
    if (arg == "--") break;
    if (arg.size() < 2 || arg[0] != '-') continue;  // the config file
    size_t dashes = arg[1] == '-' ? 2 : 1;
    size_t eq = arg.find('=');
    std::string name =
        FlagName(arg.substr(dashes, eq == std::string::npos ? std::string::npos : eq - dashes));
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    if (!flag && absl::StartsWith(name, "no")) {
      absl::CommandLineFlag* negated = absl::FindCommandLineFlag(name.substr(2));
      if (negated && negated->IsOfType<bool>()) flag = negated;
    }
    if (!flag) {
      // abseil's own flags, which it handles before any lookup.
      static const char* const kAbslFlags[] = {
          "help",    "helpfull",        "helpshort", "helppackage", "helpon",     "helpmatch",
          "version", "only_check_args", "flagfile",  "fromenv",     "tryfromenv", "undefok"};
      bool builtin = false;
      for (const char* known : kAbslFlags) builtin |= name == known;
      if (builtin) continue;
      return "unknown option '" + arg.substr(0, eq) + "' (see --help)";
    }
    arg = std::string(dashes, '-') + name + (eq == std::string::npos ? "" : arg.substr(eq));
    // `--name value`: the value is the next argument, whatever it looks like.
    if (eq == std::string::npos && !flag->IsOfType<bool>()) ++i;
  }
  return std::nullopt;
}

}  // namespace

bool HasParamFlag(std::string_view param) {
  absl::CommandLineFlag* flag = absl::FindCommandLineFlag(FlagName(param));
  return flag && flag->IsOfType<ParamFlag>();
}

std::optional<std::string> LoadStartupOptions(int argc, char** argv, StartupOptions* options) {
  absl::FlagsUsageConfig usage;
  usage.contains_help_flags = [](absl::string_view file) {
    return absl::EndsWith(file, "command_line.cc");
  };
  usage.contains_helpshort_flags = usage.contains_help_flags;
  usage.version_string = [] { return "emberkv " + std::string(kEmberkvVersion) + "\n"; };
  absl::SetFlagsUsageConfig(usage);
  absl::SetProgramUsageMessage(
      "an in-memory cache server that speaks the Redis protocol.\n\n"
      "  emberkv [CONFIG-FILE] [--<directive> <value>]...\n"
      "  emberkv --probe [--port N]\n\n"
      "Settings apply in this order, each overriding the one before: defaults, the config file\n"
      "(redis.conf syntax; also $EMBERKV_CONFIG), EMBERKV_<DIRECTIVE> environment variables\n"
      "(EMBERKV_MAXMEMORY_POLICY=allkeys-lru), flags (--maxmemory-policy allkeys-lru).");

  std::vector<std::string> normalized;
  if (std::optional<std::string> error = NormalizeArgs(argc, argv, &normalized)) return error;
  std::vector<char*> args;
  for (std::string& arg : normalized) args.push_back(arg.data());
  args.push_back(nullptr);
  std::vector<char*> positional = absl::ParseCommandLine(argc, args.data());

  ServerConfig& config = options->config;
  const char* file = std::getenv("EMBERKV_CONFIG");
  if (positional.size() > 2)
    return "more than one config file given ('" + std::string(positional[2]) + "')";
  if (positional.size() == 2) file = positional[1];
  if (file && *file) {
    if (std::optional<std::string> error = LoadConfigFile(file, config)) return error;
  }
  if (std::optional<std::string> error = ApplyEnvironment(
          config, [](const char* name) -> const char* { return std::getenv(name); })) {
    return error;
  }
  for (const auto& [flag_name, flag] : absl::GetAllFlags()) {
    auto given = flag->TryGet<ParamFlag>();  // an absl::optional
    if (!given || !given->value) continue;
    const ConfigParam* param = nullptr;
    for (const ConfigParam& candidate : ConfigParams()) {
      if (FlagName(candidate.name) == flag_name) param = &candidate;
    }
    if (!param) return "unknown option '--" + std::string(flag_name) + "'";
    if (std::optional<std::string> error = SetConfigParam(config, param->name, *given->value)) {
      return "--" + std::string(param->name) + " " + *given->value + ": " + *error;
    }
  }
  options->probe = absl::GetFlag(FLAGS_probe);
  options->probe_timeout_ms = absl::GetFlag(FLAGS_probe_timeout);
  return std::nullopt;
}

}  // namespace emberkv::server
