// The server's settings and the one table that describes them. The table
// (name, type, whether CONFIG SET may change it, how to read and write it) is
// what the command line, the config file, environment variables and
// CONFIG GET/SET all use, so a parameter behaves the same everywhere. Names
// are Redis's directive names (port, bind, maxmemory-policy, ...).
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace emberkv::server {

// An integer setting that the data path reads on every command while CONFIG
// SET may change it from another worker: a relaxed atomic (a plain load on
// x86) that still copies like an integer, so that ServerConfig stays a value.
template <class T>
class Relaxed {
 public:
  Relaxed(T value = T{}) : value_(value) {}  // NOLINT: converts like T
  Relaxed(const Relaxed& other) : value_(other.load()) {}
  Relaxed& operator=(const Relaxed& other) {
    store(other.load());
    return *this;
  }
  Relaxed& operator=(T value) {
    store(value);
    return *this;
  }
  operator T() const { return load(); }  // NOLINT: reads like T
  T load() const { return value_.load(std::memory_order_relaxed); }
  void store(T value) { value_.store(value, std::memory_order_relaxed); }

 private:
  std::atomic<T> value_;
};

// client-output-buffer-limit for one class of clients: a client whose
// unsent replies pass `hard` bytes, or stay above `soft` bytes for
// `soft_seconds`, is disconnected; 0 turns a bound off.
struct OutputBufferLimit {
  Relaxed<uint64_t> hard = 0;
  Relaxed<uint64_t> soft = 0;
  Relaxed<int64_t> soft_seconds = 0;
};

// Numbers that CONFIG SET may change while other threads read them (accept,
// timers, the parser) are Relaxed; strings are read and written under the
// engine's config mutex.
struct ServerConfig {
  std::vector<std::string> bind = {"127.0.0.1"};
  int port = 6379;
  int threads = 0;  // event loops; 0: one per core
  int shards = 0;   // keyspace shards; 0: as many as loops
  int databases = 16;
  Relaxed<int> maxclients = 10000;
  std::string requirepass;
  uint64_t maxmemory = 0;
  std::string maxmemory_policy = "noeviction";
  int maxmemory_samples = 5;
  int lfu_log_factor = 10;
  int lfu_decay_time = 1;            // minutes
  Relaxed<int> timeout = 0;          // seconds of idleness before a client is closed; 0 = never
  Relaxed<int> tcp_keepalive = 300;  // seconds
  Relaxed<bool> protected_mode = true;
  Relaxed<int64_t> proto_max_bulk_len = 512LL * 1024 * 1024;
  Relaxed<uint64_t> client_query_buffer_limit = 1024ULL * 1024 * 1024;
  // Redis's defaults. Normal clients have no limit: emberkv stops reading
  // from a client whose unsent replies pile up instead (net/connection.h).
  // The replica class is accepted and shown, for configs written for Redis.
  OutputBufferLimit normal_output_limit;
  OutputBufferLimit replica_output_limit{256ULL << 20, 64ULL << 20, 60};
  OutputBufferLimit pubsub_output_limit{32ULL << 20, 8ULL << 20, 60};
  Relaxed<int64_t> slowlog_log_slower_than = 10000;  // microseconds; negative: off
  Relaxed<int> slowlog_max_len = 128;
  Relaxed<int64_t> latency_monitor_threshold = 0;  // milliseconds; 0: off
  Relaxed<int> hz = 10;
  // busy-reply-threshold (alias lua-time-limit): a script running longer
  // makes other clients of its shards get -BUSY and can be killed.
  Relaxed<int64_t> busy_reply_threshold_ms = 5000;
  // How large collections grow in their compact encodings, with Redis 7.0's
  // built-in defaults (ApplyEncodingLimits hands them to storage, where
  // every shard reads them: storage/encoding_limits.h). set-max-listpack-*
  // are Redis 7.2's; 7.0 has no listpack sets.
  Relaxed<uint64_t> hash_max_listpack_entries = 512;
  Relaxed<uint64_t> hash_max_listpack_value = 64;
  Relaxed<uint64_t> set_max_intset_entries = 512;
  Relaxed<uint64_t> set_max_listpack_entries = 128;
  Relaxed<uint64_t> set_max_listpack_value = 64;
  Relaxed<uint64_t> zset_max_listpack_entries = 128;
  Relaxed<uint64_t> zset_max_listpack_value = 64;
  // Accepted and shown, for configs written for Redis: emberkv's lists keep
  // blocks of 8 KiB whatever the setting and compress none of them
  // (docs/compatibility.md).
  Relaxed<int> list_max_listpack_size = -2;
  Relaxed<int> list_compress_depth = 0;
  // /metrics, /healthz and /readyz (docs/observability.md): on by default, on
  // redis_exporter's port, so that a sidecar needs no flag; 0 picks a free
  // port, -1 turns the listener off.
  int metrics_port = 9121;
  std::string metrics_bind = "127.0.0.1";
  Relaxed<int> shutdown_timeout_ms = 1000;
  std::string loglevel = "notice";
  // Socket I/O: auto (io_uring where it works, else epoll), epoll or
  // io_uring (net/io_engine.h).
  std::string io_engine = "auto";
  // DEBUG: no (refused), yes, or local (from loopback connections only), as
  // Redis 7's enable-debug-command; set at start only.
  std::string enable_debug_command = "no";
  std::string config_file;  // where the configuration was read from, if anywhere

  // Threads to run: `threads`, or the cores this process may use (its
  // CPU affinity and its cgroup's CPU quota; see util/cpu_budget.h).
  int EffectiveThreads() const;
  // Shards of the keyspace: `shards`, or as many as loops (any loop runs
  // commands on any shard; see docs/architecture.md).
  int EffectiveShards() const;
};

// How a value is written back to a config file (CONFIG REWRITE): memory
// sizes in Redis's units (100mb), lists as several arguments (bind a b).
enum class ParamKind { kScalar, kMemory, kList };

struct ConfigParam {
  std::string_view name;
  bool runtime_settable;
  ParamKind kind = ParamKind::kScalar;
};

// All parameters, in the order CONFIG GET * lists them.
const std::vector<ConfigParam>& ConfigParams();

// Sets parameter `name` (case-insensitive) from its text form. Returns an
// error message in Redis's words, or nullopt on success.
std::optional<std::string> SetConfigParam(ServerConfig& config, std::string_view name,
                                          std::string_view value);
// The text form of a parameter, or nullopt if there is no such parameter.
std::optional<std::string> GetConfigParam(const ServerConfig& config, std::string_view name);

// Hands the encoding limits to storage; after start-up and every CONFIG SET.
void ApplyEncodingLimits(const ServerConfig& config);

// Redis's memory units: 1k = 1000, 1kb = 1024, ... up to gb.
std::optional<uint64_t> ParseMemory(std::string_view text);

}  // namespace emberkv::server
