#include "server/info.h"

#include <absl/strings/ascii.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_format.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>

#include "server/command_table.h"
#include "server/engine/engine.h"
#include "server/net/io_engine.h"
#include "server/observability/cycle_clock.h"
#include "server/observability/stats_snapshot.h"
#include "server/util/ascii.h"

namespace emberkv::server {
namespace {

bool Wants(const std::vector<std::string>& sections, std::string_view name, bool is_default) {
  if (sections.empty()) return is_default;
  for (const std::string& s : sections) {
    if (s == name || s == "all" || s == "everything" || (s == "default" && is_default)) return true;
  }
  return false;
}

// Percentiles INFO latencystats shows, as Redis's default
// latency-tracking-info-percentiles.
constexpr double kInfoPercentiles[] = {50, 99, 99.9};

}  // namespace

const std::string& RunId() {
  static const std::string id = [] {
    std::string hex;
    std::ifstream random("/dev/urandom", std::ios::binary);
    for (int i = 0; i < 20; ++i) {
      unsigned char byte = static_cast<unsigned char>(random.get());
      absl::StrAppend(&hex, absl::Hex(byte, absl::kZeroPad2));
    }
    return hex;
  }();
  return id;
}

std::string HumanBytes(uint64_t bytes) {
  if (bytes < 1024) return absl::StrCat(bytes, "B");
  const char* units[] = {"K", "M", "G", "T", "P"};
  double value = static_cast<double>(bytes) / 1024;
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  return absl::StrFormat("%.2f%s", value, units[unit]);
}

std::string RenderInfo(Engine& engine, const StatsSnapshot& snapshot,
                       const std::vector<std::string>& sections) {
  const ConfigFigures& config = snapshot.config;
  const ShardFigures& total = snapshot.total;
  const CommandTable& table = CommandTable::Get();
  int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  int64_t uptime = (now_ms - engine.start_time_ms()) / 1000;

  std::string out;
  auto section = [&](std::string_view title) {
    if (!out.empty()) out += "\r\n";
    out.append("# ").append(title).append("\r\n");
  };
  auto field = [&](std::string_view name, const auto& value) {
    out.append(name).append(":");
    using T = std::decay_t<decltype(value)>;
    if constexpr (std::is_arithmetic_v<T>) {
      out.append(std::to_string(value));
    } else {
      out.append(std::string_view(value));
    }
    out.append("\r\n");
  };
  auto fixed = [](double value, int decimals) { return absl::StrFormat("%.*f", decimals, value); };

  // The commands with figures, by name (Redis lists them in its table's
  // order; sorted reads better and parses the same).
  std::vector<std::pair<std::string_view, const CommandFigures*>> commands;
  for (size_t id = 0; id < snapshot.commands.size() && id < table.by_id().size(); ++id) {
    const CommandFigures& c = snapshot.commands[id];
    if (c.calls || c.failed_calls || c.rejected_calls)
      commands.emplace_back(table.by_id()[id]->name, &c);
  }
  std::sort(commands.begin(), commands.end());

  if (Wants(sections, "server", true)) {
    utsname uts;
    uname(&uts);
    section("Server");
    field("redis_version", kRedisCompatVersion);
    field("redis_git_sha1", "00000000");
    field("redis_git_dirty", 0);
    field("redis_build_id", "0");
    field("redis_mode", "standalone");
    field("os", std::string(uts.sysname) + " " + uts.release + " " + uts.machine);
    field("arch_bits", 64);
    // The clock that times commands (see observability/cycle_clock.h).
    field("monotonic_clock",
          CycleClock::uses_tsc()
              ? absl::StrFormat("X86 TSC @ %.0f ticks/us", 1000.0 / CycleClock::NsPerCycle())
              : std::string("POSIX clock_gettime"));
    field("multiplexing_api", std::string(IoEngineName(engine.io_engine())));
    field("gcc_version", std::to_string(__GNUC__) + "." + std::to_string(__GNUC_MINOR__) + "." +
                             std::to_string(__GNUC_PATCHLEVEL__));
    field("process_id", getpid());
    field("run_id", RunId());
    field("tcp_port", config.port);
    field("server_time_usec", now_ms * 1000);
    field("uptime_in_seconds", uptime);
    field("uptime_in_days", uptime / 86400);
    field("hz", config.hz);
    field("configured_hz", config.hz);
    field("executable", "emberkv");
    field("config_file", config.config_file);
    field("io_threads_active", 0);
    field("emberkv_version", kEmberkvVersion);
    field("emberkv_threads", engine.shard_count());
  }
  if (Wants(sections, "clients", true)) {
    section("Clients");
    field("connected_clients", total.connected_clients);
    field("cluster_connections", 0);
    field("maxclients", config.maxclients);
    // The largest buffers of the clients connected now (Redis: of the last
    // few seconds).
    field("client_recent_max_input_buffer", total.max_input_buffer);
    field("client_recent_max_output_buffer", total.max_output_buffer);
    field("blocked_clients", total.blocked_clients);
    field("tracking_clients", 0);
  }
  if (Wants(sections, "memory", true)) {
    uint64_t used = total.memory.used();
    uint64_t peak = std::max(used, snapshot.used_memory_peak);
    uint64_t rss = ResidentSetBytes();
    uint64_t system = TotalSystemMemoryBytes();
    // As Redis's: what is not the dataset (key indexes, timing wheels, client
    // buffers, Lua heaps); MEMORY STATS's overhead.total is the same figure.
    uint64_t overhead =
        total.memory.overhead_bytes + total.memory.client_bytes + total.memory.lua_bytes;
    section("Memory");
    field("used_memory", used);
    field("used_memory_human", HumanBytes(used));
    field("used_memory_rss", rss);
    field("used_memory_rss_human", HumanBytes(rss));
    field("used_memory_peak", peak);
    field("used_memory_peak_human", HumanBytes(peak));
    field("used_memory_peak_perc", fixed(peak ? 100.0 * used / peak : 0, 2) + "%");
    field("used_memory_overhead", overhead);
    field("used_memory_dataset", used - std::min(used, overhead));
    field("used_memory_dataset_perc",
          fixed(used ? 100.0 * (used - std::min(used, overhead)) / used : 0, 2) + "%");
    // Scripts: the bodies kept for EVALSHA, and the function libraries
    // (compiled code lives in each loop's Lua heap, not counted here).
    ScriptRegistry& scripts = engine.scripts();
    size_t libraries = 0, library_bytes = 0;
    {
      std::lock_guard lock(scripts.libraries_mutex());
      libraries = scripts.libraries().size();
      for (const auto& [name, code] : scripts.libraries())
        library_bytes += name.size() + code.size();
    }
    // Each loop's Lua state holds both EVAL scripts and functions.
    uint64_t lua = total.memory.lua_bytes;
    field("used_memory_lua", lua);
    field("used_memory_lua_human", HumanBytes(lua));
    field("used_memory_scripts_eval", scripts.scripts_memory());
    field("number_of_cached_scripts", scripts.script_count());
    field("number_of_libraries", libraries);
    // One Lua state per loop holds scripts and functions alike: its heap
    // is the VM total (Redis's split into _vm_eval and _vm_functions has
    // no counterpart here). The caches are the bodies and library codes
    // kept to compile them on every loop.
    field("used_memory_vm_total", lua);
    field("used_memory_vm_total_human", HumanBytes(lua));
    field("used_memory_functions", library_bytes);
    field("used_memory_scripts", scripts.scripts_memory() + library_bytes);
    field("used_memory_scripts_human", HumanBytes(scripts.scripts_memory() + library_bytes));
    field("total_system_memory", system);
    field("total_system_memory_human", HumanBytes(system));
    field("maxmemory", config.maxmemory);
    field("maxmemory_human", HumanBytes(config.maxmemory));
    field("maxmemory_policy", config.maxmemory_policy);
    field("mem_fragmentation_ratio", fixed(used ? static_cast<double>(rss) / used : 0.0, 2));
    field("mem_fragmentation_bytes", static_cast<int64_t>(rss) - static_cast<int64_t>(used));
    field("emberkv_entry_bytes", total.memory.entry_bytes);
    field("emberkv_arena_page_bytes", total.memory.arena_page_bytes);
    field("emberkv_external_bytes", total.memory.external_bytes);
    field("emberkv_index_bytes", total.memory.overhead_bytes);
    field("emberkv_client_buffer_bytes", total.memory.client_bytes);
  }
  if (Wants(sections, "persistence", true)) {
    // No persistence: what clients look for on connect (loading:0) and the
    // figures of a server that never saved.
    section("Persistence");
    field("loading", 0);
    field("async_loading", 0);
    field("rdb_changes_since_last_save", 0);
    field("rdb_bgsave_in_progress", 0);
    field("rdb_last_save_time", engine.start_time_ms() / 1000);
    field("rdb_last_bgsave_status", "ok");
    field("aof_enabled", 0);
    field("aof_rewrite_in_progress", 0);
    field("aof_last_bgrewrite_status", "ok");
  }
  if (Wants(sections, "stats", true)) {
    section("Stats");
    field("total_connections_received", total.connections_received);
    field("total_commands_processed", total.commands_processed);
    field("instantaneous_ops_per_sec", static_cast<uint64_t>(total.ops_per_sec + 0.5));
    field("total_net_input_bytes", total.net_input_bytes);
    field("total_net_output_bytes", total.net_output_bytes);
    field("total_net_repl_input_bytes", 0);
    field("total_net_repl_output_bytes", 0);
    field("instantaneous_input_kbps", fixed(total.input_bytes_per_sec / 1024, 2));
    field("instantaneous_output_kbps", fixed(total.output_bytes_per_sec / 1024, 2));
    field("instantaneous_input_repl_kbps", "0.00");
    field("instantaneous_output_repl_kbps", "0.00");
    field("rejected_connections", total.rejected_connections);
    field("sync_full", 0);
    field("sync_partial_ok", 0);
    field("sync_partial_err", 0);
    field("expired_keys", total.counters.expired_keys);
    field("evicted_keys", total.counters.evicted_keys);
    field("evicted_clients", 0);
    field("keyspace_hits", total.counters.keyspace_hits);
    field("keyspace_misses", total.counters.keyspace_misses);
    field("pubsub_channels", snapshot.pubsub_channels);
    field("pubsub_patterns", snapshot.pubsub_patterns);
    field("pubsubshard_channels", snapshot.pubsub_shard_channels);
    field("latest_fork_usec", 0);
    field("total_forks", 0);
    field("unexpected_error_replies", 0);
    field("total_error_replies", total.error_replies);
  }
  if (Wants(sections, "replication", true)) {
    section("Replication");
    field("role", "master");
    field("connected_slaves", 0);
    field("master_failover_state", "no-failover");
    field("master_replid", RunId());
    field("master_replid2", "0000000000000000000000000000000000000000");
    field("master_repl_offset", 0);
    field("second_repl_offset", -1);
    field("repl_backlog_active", 0);
    field("repl_backlog_first_byte_offset", 0);
    field("repl_backlog_histlen", 0);
  }
  if (Wants(sections, "cpu", true)) {
    rusage self;
    getrusage(RUSAGE_SELF, &self);
    section("CPU");
    field("used_cpu_sys", fixed(self.ru_stime.tv_sec + self.ru_stime.tv_usec / 1e6, 6));
    field("used_cpu_user", fixed(self.ru_utime.tv_sec + self.ru_utime.tv_usec / 1e6, 6));
    field("used_cpu_sys_children", "0.000000");
    field("used_cpu_user_children", "0.000000");
    // Redis's main thread is our worker 0.
    if (!snapshot.shards.empty()) {
      field("used_cpu_sys_main_thread", fixed(snapshot.shards[0].cpu_sys_seconds, 6));
      field("used_cpu_user_main_thread", fixed(snapshot.shards[0].cpu_user_seconds, 6));
    }
  }
  if (Wants(sections, "modules", true)) section("Modules");
  if (Wants(sections, "commandstats", false)) {
    section("Commandstats");
    for (const auto& [name, c] : commands) {
      double usec = c->usec();
      out.append(absl::StrFormat(
          "cmdstat_%s:calls=%d,usec=%.0f,usec_per_call=%.2f,rejected_calls=%d,failed_calls=%d\r\n",
          ToAbsl(name), c->calls, usec, c->calls ? usec / c->calls : 0.0, c->rejected_calls,
          c->failed_calls));
    }
  }
  if (Wants(sections, "errorstats", true)) {
    section("Errorstats");
    for (const auto& [code, count] : snapshot.errors) {
      out.append(absl::StrFormat("errorstat_%s:count=%d\r\n", code, count));
    }
  }
  if (Wants(sections, "latencystats", false)) {
    section("Latencystats");
    for (const auto& [name, c] : commands) {
      if (!c->latency || c->latency->count() == 0) continue;
      out.append("latency_percentiles_usec_").append(name).append(":");
      bool first = true;
      for (double p : kInfoPercentiles) {
        double usec =
            static_cast<double>(c->latency->Percentile(p)) / LatencyHistogram::kTicksPerMicrosecond;
        out.append(absl::StrFormat("%sp%s=%.3f", first ? "" : ",", absl::StrCat(p), usec));
        first = false;
      }
      out.append("\r\n");
    }
  }
  if (Wants(sections, "cluster", true)) {
    section("Cluster");
    field("cluster_enabled", 0);
  }
  if (Wants(sections, "keyspace", true)) {
    section("Keyspace");
    for (size_t db = 0; db < total.keyspace.size(); ++db) {
      const DbFigures& d = total.keyspace[db];
      if (d.keys == 0) continue;
      // avg_ttl: emberkv keeps no estimate of it; Redis too says 0 then.
      field(absl::StrCat("db", db),
            absl::StrCat("keys=", d.keys, ",expires=", d.expires, ",avg_ttl=0"));
    }
  }
  if (Wants(sections, "emberkv", false)) {
    // Loop i and shard i share a line (as many of each by default).
    section("Emberkv");
    field("threads", engine.worker_count());
    field("shards", engine.shard_count());
    field("cross_loop_messages", total.messages_sent);
    field("cross_loop_wakeups", total.wakeups_sent);
    field("shard_lock_contended", total.lock_contended);
    field("shard_lock_slept", total.lock_slept);
    for (const ShardFigures& s : snapshot.shards) {
      field(absl::StrCat("shard", s.shard),
            absl::StrFormat(
                "keys=%d,expires=%d,used_memory=%d,lock_contended=%d,lock_slept=%d,"
                "commands_processed=%d,connected_clients=%d,cross_loop_messages=%d,"
                "cross_loop_wakeups=%d,used_cpu_user=%.6f,used_cpu_sys=%.6f,ops_per_sec=%.0f",
                s.keys, s.expires, s.memory.used(), s.lock_contended, s.lock_slept,
                s.commands_processed, s.connected_clients, s.messages_sent, s.wakeups_sent,
                s.cpu_user_seconds, s.cpu_sys_seconds, s.ops_per_sec));
    }
  }
  return out;
}

std::string BuildInfo(CommandContext& ctx, std::span<const std::string_view> requested) {
  std::vector<std::string> sections;
  for (std::string_view s : requested) sections.push_back(AsciiLowered(s));
  StatsSnapshot snapshot;
  TakeSnapshot(ctx.engine(), ctx.shards, &snapshot);
  return RenderInfo(ctx.engine(), snapshot, sections);
}

}  // namespace emberkv::server
