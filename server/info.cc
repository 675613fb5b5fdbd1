#include "server/info.h"

#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <absl/strings/ascii.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_format.h>

#include <chrono>
#include <fstream>

#include "server/engine/engine.h"
#include "server/util/ascii.h"
#include "server/transaction/multi_shard.h"

namespace emberkv::server {
namespace {

struct Gathered {
  WorkerStats stats;
  storage::ShardCounters counters;
  storage::MemoryFigures memory;
  std::vector<std::pair<size_t, size_t>> keyspace;  // per db: keys, expires
  size_t connections = 0;
};

void Add(WorkerStats& into, const WorkerStats& from) {
  into.messages_sent += from.messages_sent;
  into.batches_sent += from.batches_sent;
  into.wakeups_sent += from.wakeups_sent;
  into.loop_busy_ns += from.loop_busy_ns;
  into.commands_processed += from.commands_processed;
  into.connections_received += from.connections_received;
  into.rejected_connections += from.rejected_connections;
  into.connected_clients += from.connected_clients;
  into.net_input_bytes += from.net_input_bytes;
  into.net_output_bytes += from.net_output_bytes;
}

size_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  size_t pages_total = 0, pages_resident = 0;
  statm >> pages_total >> pages_resident;
  return pages_resident * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

std::string Human(double bytes) {
  const char* units[] = {"B", "K", "M", "G", "T"};
  int unit = 0;
  while (bytes >= 1024 && unit < 4) {
    bytes /= 1024;
    ++unit;
  }
  return absl::StrFormat("%.2f%s", bytes, units[unit]);
}

bool Wants(const std::vector<std::string>& sections, std::string_view name, bool is_default) {
  if (sections.empty()) return is_default;
  for (const std::string& s : sections) {
    if (s == name || s == "all" || s == "everything" || (s == "default" && is_default)) return true;
  }
  return false;
}

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

}  // namespace

Task<std::string> BuildInfo(CoordContext& ctx, std::vector<std::string_view> requested) {
  std::vector<std::string> sections;
  for (std::string_view s : requested) sections.push_back(AsciiLowered(s));
  Engine& engine = ctx.engine;
  const int databases = engine.config().databases;

  Gathered total;
  total.keyspace.assign(databases, {0, 0});
  co_await ForEachShard(ctx, [&](Worker& shard) {
    Add(total.stats, shard.stats());
    const storage::ShardCounters& c = shard.store().context().counters;
    total.counters.expired_keys += c.expired_keys;
    total.counters.evicted_keys += c.evicted_keys;
    total.counters.keyspace_hits += c.keyspace_hits;
    total.counters.keyspace_misses += c.keyspace_misses;
    storage::MemoryFigures m = shard.store().Memory();
    total.memory.entry_bytes += m.entry_bytes;
    total.memory.arena_page_bytes += m.arena_page_bytes;
    total.memory.external_bytes += m.external_bytes;
    total.memory.overhead_bytes += m.overhead_bytes;
    for (int db = 0; db < databases; ++db) {
      if (storage::Database* d = shard.store().existing_db(db)) {
        total.keyspace[db].first += d->size();
        total.keyspace[db].second += d->expires();
      }
    }
  });

  const ServerConfig& config = engine.config();
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
    field("multiplexing_api", "epoll");
    field("gcc_version", std::to_string(__GNUC__) + "." + std::to_string(__GNUC_MINOR__) + "." + std::to_string(__GNUC_PATCHLEVEL__));
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
    field("emberkv_version", kEmberkvVersion);
    field("emberkv_threads", engine.shard_count());
  }
  if (Wants(sections, "clients", true)) {
    section("Clients");
    field("connected_clients", total.stats.connected_clients);
    field("cluster_connections", 0);
    field("maxclients", config.maxclients);
    field("blocked_clients", 0);
    field("tracking_clients", 0);
  }
  if (Wants(sections, "memory", true)) {
    size_t used = total.memory.used();
    size_t rss = ResidentBytes();
    section("Memory");
    field("used_memory", used);
    field("used_memory_human", Human(used));
    field("used_memory_rss", rss);
    field("used_memory_rss_human", Human(rss));
    field("maxmemory", config.maxmemory);
    field("maxmemory_human", Human(config.maxmemory));
    field("maxmemory_policy", config.maxmemory_policy);
    field("mem_fragmentation_ratio", absl::StrFormat("%.2f", used ? double(rss) / used : 0.0));
    field("emberkv_entry_bytes", total.memory.entry_bytes);
    field("emberkv_arena_page_bytes", total.memory.arena_page_bytes);
    field("emberkv_external_bytes", total.memory.external_bytes);
    field("emberkv_index_bytes", total.memory.overhead_bytes);
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
    field("total_connections_received", total.stats.connections_received);
    field("total_commands_processed", total.stats.commands_processed);
    field("instantaneous_ops_per_sec", 0);
    field("total_net_input_bytes", total.stats.net_input_bytes);
    field("total_net_output_bytes", total.stats.net_output_bytes);
    field("rejected_connections", total.stats.rejected_connections);
    field("expired_keys", total.counters.expired_keys);
    field("evicted_keys", total.counters.evicted_keys);
    field("keyspace_hits", total.counters.keyspace_hits);
    field("keyspace_misses", total.counters.keyspace_misses);
  }
  if (Wants(sections, "emberkv", false)) {
    section("Emberkv");
    field("threads", engine.shard_count());
    field("cross_shard_messages", total.stats.messages_sent);
    field("cross_shard_batches", total.stats.batches_sent);
    field("cross_shard_wakeups", total.stats.wakeups_sent);
    field("event_loop_busy_ms", total.stats.loop_busy_ns / 1000000);
  }
  if (Wants(sections, "replication", true)) {
    section("Replication");
    field("role", "master");
    field("connected_slaves", 0);
    field("master_replid", RunId());
    field("master_repl_offset", 0);
  }
  if (Wants(sections, "cpu", true)) {
    rusage self;
    getrusage(RUSAGE_SELF, &self);
    section("CPU");
    field("used_cpu_sys", absl::StrFormat("%.6f", self.ru_stime.tv_sec + self.ru_stime.tv_usec / 1e6));
    field("used_cpu_user", absl::StrFormat("%.6f", self.ru_utime.tv_sec + self.ru_utime.tv_usec / 1e6));
  }
  if (Wants(sections, "cluster", true)) {
    section("Cluster");
    field("cluster_enabled", 0);
  }
  if (Wants(sections, "keyspace", true)) {
    section("Keyspace");
    for (int db = 0; db < databases; ++db) {
      auto [keys, expires] = total.keyspace[db];
      if (keys == 0) continue;
      field("db" + std::to_string(db), "keys=" + std::to_string(keys) + ",expires=" + std::to_string(expires) + ",avg_ttl=0");
    }
  }
  co_return out;
}

}  // namespace emberkv::server
