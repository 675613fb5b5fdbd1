#include "server/observability/stats_snapshot.h"

#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <mutex>

#include "server/client/client.h"
#include "server/engine/engine.h"
#include "server/engine/shard_locks.h"
#include "server/observability/cycle_clock.h"

namespace emberkv::server {

double CommandFigures::usec() const { return CycleClock::ToNs(cycles) / 1000.0; }

namespace {

void AddFigures(ShardFigures& into, const ShardFigures& from) {
  into.commands_processed += from.commands_processed;
  into.connections_received += from.connections_received;
  into.rejected_connections += from.rejected_connections;
  into.connected_clients += from.connected_clients;
  into.blocked_clients += from.blocked_clients;
  into.net_input_bytes += from.net_input_bytes;
  into.net_output_bytes += from.net_output_bytes;
  into.messages_sent += from.messages_sent;
  into.wakeups_sent += from.wakeups_sent;
  into.lock_contended += from.lock_contended;
  into.lock_slept += from.lock_slept;
  into.error_replies += from.error_replies;
  into.max_input_buffer = std::max(into.max_input_buffer, from.max_input_buffer);
  into.max_output_buffer = std::max(into.max_output_buffer, from.max_output_buffer);
  into.ops_per_sec += from.ops_per_sec;
  into.input_bytes_per_sec += from.input_bytes_per_sec;
  into.output_bytes_per_sec += from.output_bytes_per_sec;
  into.cpu_user_seconds += from.cpu_user_seconds;
  into.cpu_sys_seconds += from.cpu_sys_seconds;
  into.counters.expired_keys += from.counters.expired_keys;
  into.counters.evicted_keys += from.counters.evicted_keys;
  into.counters.keyspace_hits += from.counters.keyspace_hits;
  into.counters.keyspace_misses += from.counters.keyspace_misses;
  into.memory.entry_bytes += from.memory.entry_bytes;
  into.memory.arena_page_bytes += from.memory.arena_page_bytes;
  into.memory.external_bytes += from.memory.external_bytes;
  into.memory.overhead_bytes += from.memory.overhead_bytes;
  into.memory.client_bytes += from.memory.client_bytes;
  into.memory.lua_bytes += from.memory.lua_bytes;
  if (into.keyspace.size() < from.keyspace.size()) into.keyspace.resize(from.keyspace.size());
  for (size_t db = 0; db < from.keyspace.size(); ++db) {
    into.keyspace[db].keys += from.keyspace[db].keys;
    into.keyspace[db].expires += from.keyspace[db].expires;
    into.keyspace[db].index_bytes += from.keyspace[db].index_bytes;
    into.keyspace[db].expiry_bytes += from.keyspace[db].expiry_bytes;
  }
  into.keys += from.keys;
  into.expires += from.expires;
}

void TakeLoopFigures(Worker& worker, ShardFigures& f, StatsSnapshot* snapshot) {
  const WorkerStats& stats = worker.stats();
  f.commands_processed = stats.commands_processed.Get();
  f.connections_received = stats.connections_received.Get();
  f.rejected_connections = stats.rejected_connections.Get();
  f.connected_clients = stats.connected_clients.Get();
  f.net_input_bytes = stats.net_input_bytes.Get();
  f.net_output_bytes = stats.net_output_bytes.Get();
  f.messages_sent = stats.messages_sent.Get();
  f.wakeups_sent = stats.wakeups_sent.Get();
  f.error_replies = stats.error_replies.Get();
  f.ops_per_sec = stats.ops_rate.PerSecond();
  f.input_bytes_per_sec = stats.input_rate.PerSecond();
  f.output_bytes_per_sec = stats.output_rate.PerSecond();
  f.cpu_user_seconds = static_cast<double>(stats.cpu_user_us.Get()) / 1e6;
  f.cpu_sys_seconds = static_cast<double>(stats.cpu_sys_us.Get()) / 1e6;

  if (snapshot->commands.size() < stats.commands.size())
    snapshot->commands.resize(stats.commands.size());
  for (size_t id = 0; id < stats.commands.size(); ++id) {
    const CommandCounters& from = stats.commands[id];
    CommandFigures& to = snapshot->commands[id];
    to.calls += from.calls.Get();
    to.cycles += from.cycles.Get();
    to.failed_calls += from.failed_calls.Get();
    to.rejected_calls += from.rejected_calls.Get();
    if (const LatencyHistogram* histogram = from.latency.get()) {
      if (to.latency) {
        to.latency->Merge(*histogram);
      } else {
        to.latency = std::make_unique<LatencyHistogram>(*histogram);
      }
    }
  }
  for (const auto& [code, count] : stats.ErrorCounts()) snapshot->errors[code] += count;
}

void TakeShardFiguresLocked(Shard& shard, ShardFigures& f) {
  storage::ShardStore& store = shard.store();
  f.counters = store.context().counters;
  f.memory = store.Memory();
  f.lock_contended = shard.mutex().contended();
  f.lock_slept = shard.mutex().slept();
  f.keyspace.resize(store.database_count());
  for (int db = 0; db < store.database_count(); ++db) {
    if (const storage::Database* d = store.existing_db(db)) {
      f.keyspace[db] = {d->size(), d->expires(), d->index_bytes(), d->expiry_bytes()};
      f.keys += d->size();
      f.expires += d->expires();
    }
  }
  shard.PublishUsedMemory(f.memory.used());
}

}  // namespace

void TakeSnapshot(Engine& engine, ShardLocks& locks, StatsSnapshot* snapshot) {
  const int rows = std::max(engine.worker_count(), engine.shard_count());
  snapshot->shards.assign(rows, ShardFigures{});
  for (int i = 0; i < rows; ++i) snapshot->shards[i].shard = i;
  for (int w = 0; w < engine.worker_count(); ++w)
    TakeLoopFigures(engine.worker(w), snapshot->shards[w], snapshot);
  for (int s = 0; s < engine.shard_count(); ++s) {
    locks.AcquireOnly(s);
    TakeShardFiguresLocked(locks.shard(s), snapshot->shards[s]);
  }
  if (!locks.pinned()) locks.ReleaseAll();
  engine.clients().ForEach([&](Client& client) {
    ShardFigures& f = snapshot->shards[client.origin().home_worker];
    if (client.is_blocked()) ++f.blocked_clients;
    f.max_input_buffer = std::max<uint64_t>(f.max_input_buffer, client.query_buffer_bytes());
    f.max_output_buffer = std::max<uint64_t>(f.max_output_buffer, client.output_buffer_bytes());
  });
  snapshot->pubsub_channels = engine.pubsub().Count(SubscriptionKind::kChannel);
  snapshot->pubsub_patterns = engine.pubsub().Count(SubscriptionKind::kPattern);
  snapshot->pubsub_shard_channels = engine.pubsub().Count(SubscriptionKind::kShardChannel);
  Records& records = engine.records();
  {
    std::lock_guard lock(records.mutex);
    snapshot->slowlog_length = records.slowlog.entries().size();
    if (!records.slowlog.entries().empty()) {
      const SlowlogEntry& newest = records.slowlog.entries().front();
      snapshot->slowlog_newest =
          SlowlogEntry{newest.id, newest.timestamp_s, newest.duration_us, {}, {}, {}};
    }
    for (const auto& [event, series] : records.latency.events()) {
      if (!series.samples.empty()) snapshot->latency_latest[event] = series.samples.back();
      snapshot->latency_max_ms[event] = series.max_ms;
    }
  }
  {
    // CONFIG SET may change the strings meanwhile.
    std::lock_guard lock(engine.config_mutex());
    const ServerConfig& c = engine.config();
    snapshot->config = {
        c.port, c.hz, c.maxclients, c.databases, c.maxmemory, c.maxmemory_policy, c.config_file};
  }
  snapshot->total = ShardFigures{};
  for (const ShardFigures& shard : snapshot->shards) AddFigures(snapshot->total, shard);
  records.NotePeak(snapshot->total.memory.used());
  snapshot->used_memory_peak = records.used_memory_peak.load(std::memory_order_relaxed);
}

void ObservabilityCronTick(Worker& worker) {
  if (worker.id() == 0) CycleClock::Refine();
  WorkerStats& stats = worker.stats();
  int64_t now = worker.now_ms();
  stats.ops_rate.Sample(stats.commands_processed.Get(), now);
  stats.input_rate.Sample(stats.net_input_bytes.Get(), now);
  stats.output_rate.Sample(stats.net_output_bytes.Get(), now);
  if (worker.id() == 0) {
    // What each shard published at its last maintenance: the peak needs no
    // more, and no lock.
    Engine& engine = worker.engine();
    uint64_t used = 0;
    for (int s = 0; s < engine.shard_count(); ++s)
      used += engine.keyspace().shard(s).published_used_memory();
    engine.records().NotePeak(used);
  }
}

uint64_t ResidentSetBytes() {
  std::ifstream statm("/proc/self/statm");
  uint64_t pages_total = 0, pages_resident = 0;
  statm >> pages_total >> pages_resident;
  return pages_resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

uint64_t TotalSystemMemoryBytes() {
  struct sysinfo info;
  if (sysinfo(&info) != 0) return 0;
  return static_cast<uint64_t>(info.totalram) * info.mem_unit;
}

}  // namespace emberkv::server
