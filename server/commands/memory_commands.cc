// MEMORY: USAGE, STATS, DOCTOR, PURGE, MALLOC-STATS and HELP.
//
// STATS answers with Redis 7.0's fields, in its order, from the figures
// INFO's memory section reports (observability/stats_snapshot.h), so that
// the two agree: total.allocated is used_memory, overhead.total
// used_memory_overhead (the key indexes, timing wheels and client
// buffers), dataset.bytes what is left. What emberkv does not have
// (replicas, an AOF buffer, cluster links) is 0, and so is
// startup.allocated: used_memory counts what data and clients take, none
// of which exists at start-up. DOCTOR looks at the same figures for what
// Redis's doctor looks for and says what it finds, in our own words.
#include <algorithm>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "server/command_table.h"
#include "server/commands/arg_parsing.h"
#include "server/commands/help.h"
#include "server/engine/engine.h"
#include "server/errors.h"
#include "server/observability/stats_snapshot.h"
#include "server/util/memory.h"
#include "storage/key_ops.h"

namespace emberkv::server {
namespace {

// MEMORY USAGE key [SAMPLES count]: what the key costs here, its entry and
// its value (storage::keys::MemoryUsage). Collections count their bytes as
// they change, so the figure is exact and SAMPLES, checked as Redis checks
// it, changes nothing.
void MemoryUsage(CommandContext& c) {
  for (size_t i = 3; i < c.args.size(); ++i) {
    if (!Is(c.args[i], "SAMPLES") || i + 1 >= c.args.size()) return c.reply.Error(errors::kSyntax);
    std::optional<int64_t> samples = IntArg(c.args[++i], c.reply);
    if (!samples) return;
    if (*samples < 0) return c.reply.Error(errors::kSyntax);
  }
  std::optional<size_t> usage = storage::keys::MemoryUsage(c.Db(2), c.Key(2));
  if (!usage) return c.reply.Null();
  c.reply.Integer(static_cast<int64_t>(*usage));
}

// MEMORY PURGE: glibc's free pages back to the system (util/memory.h), as
// Redis asks jemalloc to purge its dirty pages.
void MemoryPurge(CommandContext& c) {
  ReturnFreeMemoryToSystem();
  c.reply.Ok();
}

void MemoryMallocStats(CommandContext& c) { c.reply.Verbatim("txt", AllocatorStats()); }

void MemoryHelp(CommandContext& c) {
  ReplyHelp(c.reply, "MEMORY",
            {"DOCTOR", "    Return memory problems reports.", "MALLOC-STATS",
             "    Return internal statistics report from the memory allocator.", "PURGE",
             "    Attempt to purge dirty pages for reclamation by the allocator.", "STATS",
             "    Return information about the memory usage of the server.",
             "USAGE <key> [SAMPLES <count>]",
             "    Return memory in bytes used by <key> and its value. Nested values are",
             "    sampled up to <count> times (default: 5, 0 means sample all)."});
}

// The figures STATS and DOCTOR report, from one snapshot.
struct MemoryReport {
  uint64_t used = 0;
  uint64_t peak = 0;
  uint64_t overhead = 0;
  uint64_t clients = 0;  // client buffers
  uint64_t connected_clients = 0;
  uint64_t scripts = 0;  // EVAL bodies kept for EVALSHA
  uint64_t script_count = 0;
  uint64_t functions = 0;  // FUNCTION libraries' code
  uint64_t keys = 0;
  uint64_t rss = 0;
  AllocatorTotals allocator;
  std::vector<std::pair<int, DbFigures>> databases;  // the ones with keys
  uint64_t dataset() const { return used - std::min(used, overhead); }
};

MemoryReport TakeMemoryReport(CommandContext& c) {
  StatsSnapshot snapshot;
  TakeSnapshot(c.engine(), c.shards, &snapshot);
  const ShardFigures& total = snapshot.total;
  MemoryReport report;
  report.used = total.memory.used();
  report.peak = std::max(report.used, snapshot.used_memory_peak);
  report.overhead =
      total.memory.overhead_bytes + total.memory.client_bytes + total.memory.lua_bytes;
  report.clients = total.memory.client_bytes;
  report.connected_clients = total.connected_clients;
  ScriptRegistry& scripts = c.engine().scripts();
  report.scripts = scripts.scripts_memory();
  report.script_count = scripts.script_count();
  {
    std::lock_guard lock(scripts.libraries_mutex());
    for (const auto& [name, code] : scripts.libraries()) report.functions += code.size();
  }
  report.keys = total.keys;
  report.rss = ResidentSetBytes();
  report.allocator = ReadAllocatorTotals();
  for (size_t db = 0; db < total.keyspace.size(); ++db) {
    if (total.keyspace[db].keys > 0) report.databases.emplace_back(db, total.keyspace[db]);
  }
  return report;
}

double Ratio(uint64_t a, uint64_t b) { return b ? static_cast<double>(a) / b : 0; }
int64_t Difference(uint64_t a, uint64_t b) {
  return static_cast<int64_t>(a) - static_cast<int64_t>(b);
}

void MemoryStats(CommandContext& c) {
  MemoryReport m = TakeMemoryReport(c);
  // The allocator's figures, or ours where it has none (the sanitizers').
  uint64_t allocated = m.allocator.allocated ? m.allocator.allocated : m.used;
  uint64_t active = m.allocator.active ? m.allocator.active : allocated;
  uint64_t resident = m.rss;
  protocol::ReplyBuilder& r = c.reply;
  r.MapHeader(27 + m.databases.size());
  auto integer = [&r](std::string_view name, int64_t value) {
    r.Bulk(name);
    r.Integer(value);
  };
  auto real = [&r](std::string_view name, double value) {
    r.Bulk(name);
    r.Double(value);
  };
  integer("peak.allocated", m.peak);
  integer("total.allocated", m.used);
  integer("startup.allocated", 0);
  integer("replication.backlog", 0);
  integer("clients.slaves", 0);
  integer("clients.normal", m.clients);
  integer("cluster.links", 0);
  integer("aof.buffer", 0);
  integer("lua.caches", m.scripts);
  integer("functions.caches", m.functions);
  for (const auto& [db, figures] : m.databases) {
    r.Bulk("db." + std::to_string(db));
    r.MapHeader(3);
    integer("overhead.hashtable.main", figures.index_bytes);
    integer("overhead.hashtable.expires", figures.expiry_bytes);
    integer("overhead.hashtable.slot-to-keys", 0);
  }
  integer("overhead.total", m.overhead);
  integer("keys.count", m.keys);
  integer("keys.bytes-per-key", m.keys ? m.used / m.keys : 0);
  integer("dataset.bytes", m.dataset());
  real("dataset.percentage", 100 * Ratio(m.dataset(), m.used));
  real("peak.percentage", 100 * Ratio(m.used, m.peak));
  integer("allocator.allocated", allocated);
  integer("allocator.active", active);
  integer("allocator.resident", resident);
  real("allocator-fragmentation.ratio", Ratio(active, allocated));
  integer("allocator-fragmentation.bytes", Difference(active, allocated));
  real("allocator-rss.ratio", Ratio(resident, active));
  integer("allocator-rss.bytes", Difference(resident, active));
  real("rss-overhead.ratio", Ratio(m.rss, resident));
  integer("rss-overhead.bytes", Difference(m.rss, resident));
  real("fragmentation", Ratio(m.rss, m.used));
  integer("fragmentation.bytes", Difference(m.rss, m.used));
}

// MEMORY DOCTOR: the checks of Redis's doctor, on MEMORY STATS's figures.
void MemoryDoctor(CommandContext& c) {
  constexpr uint64_t kMiB = 1024 * 1024;
  MemoryReport m = TakeMemoryReport(c);
  if (m.used < 5 * kMiB) {
    return c.reply.Verbatim(
        "txt",
        "This instance holds almost nothing (under 5 MB of data and buffers): there is "
        "too little here for a diagnosis. Ask again once it holds some data.\n");
  }
  std::vector<std::string> findings;
  if (Ratio(m.peak, m.used) > 1.5) {
    findings.push_back(
        "Peak memory: at some point the instance used more than 150% of what it uses now "
        "(peak.allocated over total.allocated). The resident size may stay near that peak "
        "until the allocator hands the pages back; MEMORY PURGE asks it to.");
  }
  if (Ratio(m.rss, m.used) > 1.4 && m.rss > m.used + 10 * kMiB) {
    findings.push_back(
        "High fragmentation: the process's resident memory is more than 140% of what "
        "emberkv accounts for (fragmentation in MEMORY STATS), and over 10 MB more. Freed "
        "memory the allocator keeps counts here; MEMORY PURGE returns what it can.");
  }
  if (m.connected_clients > 0 && m.clients / m.connected_clients > 200 * 1024) {
    findings.push_back(
        "Big client buffers: clients hold more than 200 KB of buffers each on average "
        "(clients.normal). Clients that send big pipelines or read their replies slowly "
        "cause this; CLIENT LIST shows each one's qbuf and omem, and "
        "client-output-buffer-limit bounds them.");
  }
  if (m.script_count > 1000) {
    findings.push_back(
        "Many scripts: more than 1,000 EVAL scripts are cached (lua.caches). An application "
        "that builds a new script text per call fills the cache; pass values as arguments, "
        "or SCRIPT FLUSH.");
  }
  if (findings.empty()) {
    return c.reply.Verbatim(
        "txt",
        "No memory problem found: peak, fragmentation, client buffers and the script "
        "cache all look normal.\n");
  }
  std::string text = "Memory problems found:\n\n";
  for (const std::string& finding : findings) text += " * " + finding + "\n\n";
  c.reply.Verbatim("txt", text);
}

}  // namespace

void RegisterMemoryCommands(CommandTable& table) {
  table.Register({
      {.name = "memory",
       .subcommands = {{.name = "memory|usage", .handler = MemoryUsage},
                       {.name = "memory|stats", .handler = MemoryStats},
                       {.name = "memory|doctor", .handler = MemoryDoctor},
                       {.name = "memory|purge", .handler = MemoryPurge},
                       {.name = "memory|malloc-stats", .handler = MemoryMallocStats},
                       {.name = "memory|help", .handler = MemoryHelp}}},
  });
}

}  // namespace emberkv::server
