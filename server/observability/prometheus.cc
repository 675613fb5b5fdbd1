#include "server/observability/prometheus.h"

#include <absl/strings/str_cat.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cmath>
#include <initializer_list>
#include <string_view>
#include <utility>

#include "server/command_table.h"
#include "server/engine/engine.h"
#include "server/info.h"
#include "server/observability/cycle_clock.h"
#include "server/observability/stats_snapshot.h"

namespace emberkv::server {
namespace {

using Label = std::pair<std::string_view, std::string_view>;

// Writes metric families: a family's HELP and TYPE, then its samples.
class Exposition {
 public:
  void Family(std::string_view name, std::string_view type, std::string_view help) {
    out_.append("# HELP ").append(name).append(" ").append(help).append("\n# TYPE ").append(name);
    out_.append(" ").append(type).append("\n");
  }
  void Sample(std::string_view name, std::initializer_list<Label> labels, double value) {
    out_.append(name);
    if (labels.size()) {
      out_.push_back('{');
      bool first = true;
      for (const auto& [key, text] : labels) {
        if (!first) out_.push_back(',');
        first = false;
        out_.append(key).append("=\"");
        AppendLabelValue(text);
        out_.push_back('"');
      }
      out_.push_back('}');
    }
    out_.push_back(' ');
    AppendNumber(value);
    out_.push_back('\n');
  }
  // A family with one unlabelled sample.
  void Single(std::string_view name, std::string_view type, std::string_view help, double value) {
    Family(name, type, help);
    Sample(name, {}, value);
  }
  std::string Take() { return std::move(out_); }

  // The shortest text that reads back as `value`.
  static std::string Number(double value) {
    if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
    if (std::isnan(value)) return "NaN";
    char buffer[64];
    auto [end, error] = std::to_chars(buffer, buffer + sizeof(buffer), value);
    return std::string(buffer, end);
  }

 private:
  void AppendNumber(double value) { out_.append(Number(value)); }
  // Label values are UTF-8 with \\, \" and \n escaped; what comes from the
  // outside (error codes) is kept to printable ASCII.
  void AppendLabelValue(std::string_view text) {
    for (char c : text) {
      if (c == '\\' || c == '"') {
        out_.push_back('\\');
        out_.push_back(c);
      } else if (c == '\n') {
        out_.append("\\n");
      } else if (c < 0x20 || c > 0x7e) {
        out_.push_back('?');
      } else {
        out_.push_back(c);
      }
    }
  }

  std::string out_;
};

double Seconds(const timeval& tv) { return static_cast<double>(tv.tv_sec) + tv.tv_usec / 1e6; }

// emberkv_command_duration_seconds's bucket bounds: powers of two of a
// microsecond from 0.25 µs to 8.4 s, every one a LatencyHistogram boundary.
constexpr int kFirstBucketLog2Us = -2;
constexpr int kLastBucketLog2Us = 23;

}  // namespace

std::string RenderPrometheus(Engine& engine, const StatsSnapshot& snapshot) {
  const ShardFigures& total = snapshot.total;
  const ConfigFigures& config = snapshot.config;
  const CommandTable& table = CommandTable::Get();
  Exposition e;
  int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  double uptime_s = static_cast<double>((now_ms - engine.start_time_ms()) / 1000);

  // ---- redis_exporter's names ----
  e.Single("redis_up", "gauge", "Information about the Redis instance", 1);
  {
    utsname uts;
    uname(&uts);
    std::string os = absl::StrCat(uts.sysname, " ", uts.release, " ", uts.machine);
    std::string port = std::to_string(config.port);
    std::string pid = std::to_string(getpid());
    e.Family("redis_instance_info", "gauge", "Information about the Redis instance");
    e.Sample("redis_instance_info",
             {{"role", "master"},
              {"redis_version", kRedisCompatVersion},
              {"redis_build_id", "0"},
              {"redis_mode", "standalone"},
              {"os", os},
              {"maxmemory_policy", config.maxmemory_policy},
              {"tcp_port", port},
              {"run_id", RunId()},
              {"process_id", pid}},
             1);
  }
  e.Single("redis_start_time_seconds", "gauge",
           "Start time of the Redis instance since unix epoch in seconds.",
           static_cast<double>(engine.start_time_ms() / 1000));
  e.Single("redis_uptime_in_seconds", "gauge", "Seconds since the server started", uptime_s);
  e.Single("redis_process_id", "gauge", "The server's process id", getpid());

  e.Single("redis_connected_clients", "gauge", "Client connections open now",
           total.connected_clients);
  e.Single("redis_blocked_clients", "gauge", "Clients waiting in a blocking command",
           total.blocked_clients);
  e.Single("redis_tracking_clients", "gauge", "Clients with client-side caching on (never, here)",
           0);
  e.Single("redis_max_clients", "gauge", "The maxclients setting", config.maxclients);
  e.Single("redis_config_maxclients", "gauge", "The maxclients setting", config.maxclients);
  e.Single("redis_client_recent_max_input_buffer_bytes", "gauge",
           "The largest query buffer of a client connected now", total.max_input_buffer);
  e.Single("redis_client_recent_max_output_buffer_bytes", "gauge",
           "The largest unsent output of a client connected now", total.max_output_buffer);

  uint64_t used = total.memory.used();
  uint64_t rss = ResidentSetBytes();
  e.Single("redis_memory_used_bytes", "gauge",
           "Memory used for data, indexes and client buffers (INFO used_memory)", used);
  e.Single("redis_memory_used_rss_bytes", "gauge", "Resident set size of the process", rss);
  e.Single("redis_memory_used_peak_bytes", "gauge", "The largest used_memory seen",
           std::max(used, snapshot.used_memory_peak));
  e.Single("redis_memory_used_overhead_bytes", "gauge",
           "Memory of the key indexes and timing wheels", total.memory.overhead_bytes);
  e.Single("redis_memory_used_dataset_bytes", "gauge", "used_memory less the overhead",
           used - std::min<uint64_t>(used, total.memory.overhead_bytes));
  e.Single("redis_memory_max_bytes", "gauge", "The maxmemory setting (0: no limit)",
           config.maxmemory);
  e.Single("redis_config_maxmemory", "gauge", "The maxmemory setting (0: no limit)",
           config.maxmemory);
  e.Single("redis_mem_fragmentation_ratio", "gauge", "Resident set size over used memory",
           used ? static_cast<double>(rss) / static_cast<double>(used) : 0);
  e.Single("redis_mem_fragmentation_bytes", "gauge", "Resident set size less used memory",
           static_cast<double>(rss) - static_cast<double>(used));
  e.Single("redis_total_system_memory_bytes", "gauge", "Memory of the host",
           TotalSystemMemoryBytes());

  e.Single("redis_connections_received_total", "counter", "Connections accepted",
           total.connections_received);
  e.Single("redis_rejected_connections_total", "counter", "Connections refused at maxclients",
           total.rejected_connections);
  e.Single("redis_commands_processed_total", "counter", "Commands run", total.commands_processed);
  e.Single("redis_net_input_bytes_total", "counter", "Bytes read from clients",
           total.net_input_bytes);
  e.Single("redis_net_output_bytes_total", "counter", "Bytes written to clients",
           total.net_output_bytes);
  e.Single("redis_expired_keys_total", "counter", "Keys removed because their TTL passed",
           total.counters.expired_keys);
  e.Single("redis_evicted_keys_total", "counter", "Keys evicted at maxmemory",
           total.counters.evicted_keys);
  e.Single("redis_keyspace_hits_total", "counter", "Key lookups that found the key",
           total.counters.keyspace_hits);
  e.Single("redis_keyspace_misses_total", "counter", "Key lookups that did not find the key",
           total.counters.keyspace_misses);
  e.Single("redis_pubsub_channels", "gauge", "Channels with subscribers", snapshot.pubsub_channels);
  e.Single("redis_pubsub_patterns", "gauge", "Patterns with subscribers", snapshot.pubsub_patterns);
  e.Single("redis_connected_slaves", "gauge", "Replicas connected (emberkv has none)", 0);

  {
    rusage self;
    getrusage(RUSAGE_SELF, &self);
    e.Single("redis_cpu_sys_seconds_total", "counter", "System CPU time of the process",
             Seconds(self.ru_stime));
    e.Single("redis_cpu_user_seconds_total", "counter", "User CPU time of the process",
             Seconds(self.ru_utime));
    if (!snapshot.shards.empty()) {
      e.Single("redis_cpu_sys_main_thread_seconds_total", "counter", "System CPU time of loop 0",
               snapshot.shards[0].cpu_sys_seconds);
      e.Single("redis_cpu_user_main_thread_seconds_total", "counter", "User CPU time of loop 0",
               snapshot.shards[0].cpu_user_seconds);
    }
  }

  // Per command, by Redis's name (subcommands as container|sub).
  std::vector<std::pair<std::string_view, const CommandFigures*>> commands;
  for (size_t id = 0; id < snapshot.commands.size() && id < table.by_id().size(); ++id) {
    const CommandFigures& c = snapshot.commands[id];
    if (c.calls || c.failed_calls || c.rejected_calls)
      commands.emplace_back(table.by_id()[id]->name, &c);
  }
  std::sort(commands.begin(), commands.end());
  e.Family("redis_commands_total", "counter", "Total number of calls per command");
  for (const auto& [name, c] : commands)
    e.Sample("redis_commands_total", {{"cmd", name}}, c->calls);
  e.Family("redis_commands_duration_seconds_total", "counter",
           "Total amount of time in seconds spent per command");
  for (const auto& [name, c] : commands) {
    e.Sample("redis_commands_duration_seconds_total", {{"cmd", name}}, c->usec() / 1e6);
  }
  e.Family("redis_commands_rejected_calls_total", "counter",
           "Calls refused before running (unknown arguments, arity, authentication) per command");
  for (const auto& [name, c] : commands) {
    e.Sample("redis_commands_rejected_calls_total", {{"cmd", name}}, c->rejected_calls);
  }
  e.Family("redis_commands_failed_calls_total", "counter",
           "Calls that ran and replied with an error per command");
  for (const auto& [name, c] : commands) {
    e.Sample("redis_commands_failed_calls_total", {{"cmd", name}}, c->failed_calls);
  }
  // As redis_exporter builds it from INFO latencystats: quantiles in
  // microseconds, with commandstats' usec and calls as sum and count.
  e.Family("redis_latency_percentiles_usec", "summary",
           "A summary of latency percentile distribution per command");
  for (const auto& [name, c] : commands) {
    if (!c->latency || c->latency->count() == 0) continue;
    for (auto [quantile, percentile] :
         {std::pair<std::string_view, double>{"50", 50}, {"99", 99}, {"99.9", 99.9}}) {
      e.Sample("redis_latency_percentiles_usec", {{"cmd", name}, {"quantile", quantile}},
               static_cast<double>(c->latency->Percentile(percentile)) /
                   LatencyHistogram::kTicksPerMicrosecond);
    }
    e.Sample("redis_latency_percentiles_usec_sum", {{"cmd", name}}, c->usec());
    e.Sample("redis_latency_percentiles_usec_count", {{"cmd", name}}, c->latency->count());
  }
  e.Family("redis_errors_total", "counter", "Total number of errors per error type");
  for (const auto& [code, count] : snapshot.errors)
    e.Sample("redis_errors_total", {{"err", code}}, count);

  // Every database, empty ones included, as redis_exporter reports them.
  e.Family("redis_db_keys", "gauge", "Total number of keys by DB");
  for (int db = 0; db < config.databases; ++db) {
    uint64_t keys = static_cast<size_t>(db) < total.keyspace.size() ? total.keyspace[db].keys : 0;
    e.Sample("redis_db_keys", {{"db", absl::StrCat("db", db)}}, keys);
  }
  e.Family("redis_db_keys_expiring", "gauge", "Total number of expiring keys by DB");
  for (int db = 0; db < config.databases; ++db) {
    uint64_t expires =
        static_cast<size_t>(db) < total.keyspace.size() ? total.keyspace[db].expires : 0;
    e.Sample("redis_db_keys_expiring", {{"db", absl::StrCat("db", db)}}, expires);
  }

  e.Single("redis_slowlog_length", "gauge", "Total slowlog", snapshot.slowlog_length);
  e.Single("redis_slowlog_last_id", "gauge", "Last id of slowlog",
           snapshot.slowlog_newest ? static_cast<double>(snapshot.slowlog_newest->id) : 0);
  e.Single("redis_last_slow_execution_duration_seconds", "gauge",
           "The amount of time needed for last slow execution, in seconds",
           snapshot.slowlog_newest ? static_cast<double>(snapshot.slowlog_newest->duration_us) / 1e6
                                   : 0);
  e.Family("redis_latency_spike_last", "gauge", "When the latency spike last occurred");
  for (const auto& [event, sample] : snapshot.latency_latest) {
    e.Sample("redis_latency_spike_last", {{"event_name", event}},
             static_cast<double>(sample.time_s));
  }
  e.Family("redis_latency_spike_duration_seconds", "gauge",
           "Length of the last latency spike in seconds");
  for (const auto& [event, sample] : snapshot.latency_latest) {
    e.Sample("redis_latency_spike_duration_seconds", {{"event_name", event}},
             static_cast<double>(sample.latency_ms) / 1000);
  }

  // ---- emberkv's own ----
  e.Family("emberkv_build_info", "gauge",
           "The emberkv version and the Redis version it answers as");
  e.Sample("emberkv_build_info",
           {{"version", kEmberkvVersion}, {"redis_version", kRedisCompatVersion}}, 1);
  e.Single("emberkv_ready", "gauge",
           "1 while the server accepts commands, 0 once shutdown has begun (as /readyz)",
           engine.accepting() ? 1 : 0);
  e.Single("emberkv_threads", "gauge", "Worker threads, one shard each", engine.shard_count());

  // Per-command latency as a histogram: powers of two of a microsecond.
  std::vector<std::string> bounds;
  for (int log2 = kFirstBucketLog2Us; log2 <= kLastBucketLog2Us; ++log2) {
    bounds.push_back(Exposition::Number(std::ldexp(1e-6, log2)));
  }
  e.Family(
      "emberkv_command_duration_seconds", "histogram",
      "Time commands took to run (on their shard; hops included for commands that span shards)");
  for (const auto& [name, c] : commands) {
    if (!c->latency || c->latency->count() == 0) continue;
    for (int log2 = kFirstBucketLog2Us; log2 <= kLastBucketLog2Us; ++log2) {
      uint64_t ticks = static_cast<uint64_t>(
          std::ldexp(static_cast<double>(LatencyHistogram::kTicksPerMicrosecond), log2));
      e.Sample("emberkv_command_duration_seconds_bucket",
               {{"cmd", name}, {"le", bounds[log2 - kFirstBucketLog2Us]}},
               c->latency->CountBelow(ticks));
    }
    e.Sample("emberkv_command_duration_seconds_bucket", {{"cmd", name}, {"le", "+Inf"}},
             c->latency->count());
    e.Sample("emberkv_command_duration_seconds_sum", {{"cmd", name}}, c->usec() / 1e6);
    e.Sample("emberkv_command_duration_seconds_count", {{"cmd", name}}, c->latency->count());
  }

  // Per loop and shard (loop i and shard i share the label shard="i").
  std::vector<std::string> shard_names;
  for (const ShardFigures& s : snapshot.shards) shard_names.push_back(std::to_string(s.shard));
  auto per_shard = [&](std::string_view name, std::string_view type, std::string_view help,
                       auto value) {
    e.Family(name, type, help);
    for (size_t i = 0; i < snapshot.shards.size(); ++i) {
      e.Sample(name, {{"shard", shard_names[i]}}, static_cast<double>(value(snapshot.shards[i])));
    }
  };
  per_shard("emberkv_keys", "gauge", "Keys in the shard, all databases",
            [](const ShardFigures& s) { return s.keys; });
  per_shard("emberkv_keys_expiring", "gauge", "Keys with a TTL in the shard",
            [](const ShardFigures& s) { return s.expires; });
  per_shard("emberkv_memory_used_bytes", "gauge", "The shard's part of used_memory",
            [](const ShardFigures& s) { return s.memory.used(); });
  per_shard("emberkv_memory_arena_page_bytes", "gauge", "The shard's slab arena pages",
            [](const ShardFigures& s) { return s.memory.arena_page_bytes; });
  per_shard("emberkv_memory_entry_bytes", "gauge", "Bytes of the arena holding entries",
            [](const ShardFigures& s) { return s.memory.entry_bytes; });
  per_shard("emberkv_memory_external_bytes", "gauge",
            "Long values and collections outside the arena",
            [](const ShardFigures& s) { return s.memory.external_bytes; });
  per_shard("emberkv_memory_index_bytes", "gauge", "Key indexes and timing wheels",
            [](const ShardFigures& s) { return s.memory.overhead_bytes; });
  per_shard("emberkv_commands_processed_total", "counter", "Commands run on the loop",
            [](const ShardFigures& s) { return s.commands_processed; });
  per_shard("emberkv_connected_clients", "gauge", "Client connections served by the loop",
            [](const ShardFigures& s) { return s.connected_clients; });
  per_shard("emberkv_net_input_bytes_total", "counter", "Bytes read from the loop's clients",
            [](const ShardFigures& s) { return s.net_input_bytes; });
  per_shard("emberkv_net_output_bytes_total", "counter", "Bytes written to the loop's clients",
            [](const ShardFigures& s) { return s.net_output_bytes; });
  per_shard("emberkv_keyspace_hits_total", "counter", "Lookups in the shard that found the key",
            [](const ShardFigures& s) { return s.counters.keyspace_hits; });
  per_shard("emberkv_keyspace_misses_total", "counter",
            "Lookups in the shard that did not find the key",
            [](const ShardFigures& s) { return s.counters.keyspace_misses; });
  per_shard("emberkv_expired_keys_total", "counter", "Keys of the shard removed at their TTL",
            [](const ShardFigures& s) { return s.counters.expired_keys; });
  per_shard("emberkv_evicted_keys_total", "counter", "Keys of the shard evicted at maxmemory",
            [](const ShardFigures& s) { return s.counters.evicted_keys; });
  per_shard(
      "emberkv_cross_loop_messages_total", "counter",
      "Messages the event loop sent to other loops (blocked clients' replies, published messages)",
      [](const ShardFigures& s) { return s.messages_sent; });
  per_shard("emberkv_cross_loop_wakeups_total", "counter",
            "Messages that had to wake a sleeping loop",
            [](const ShardFigures& s) { return s.wakeups_sent; });
  per_shard("emberkv_shard_lock_contended_total", "counter",
            "Times a loop found the shard's lock taken",
            [](const ShardFigures& s) { return s.lock_contended; });
  per_shard("emberkv_shard_lock_slept_total", "counter",
            "Times a loop that found the shard's lock taken slept in the kernel for it",
            [](const ShardFigures& s) { return s.lock_slept; });
  e.Family("emberkv_thread_cpu_seconds_total", "counter", "CPU time of the loop's thread");
  for (size_t i = 0; i < snapshot.shards.size(); ++i) {
    e.Sample("emberkv_thread_cpu_seconds_total", {{"shard", shard_names[i]}, {"mode", "user"}},
             snapshot.shards[i].cpu_user_seconds);
    e.Sample("emberkv_thread_cpu_seconds_total", {{"shard", shard_names[i]}, {"mode", "system"}},
             snapshot.shards[i].cpu_sys_seconds);
  }
  return e.Take();
}

}  // namespace emberkv::server
