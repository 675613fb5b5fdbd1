#include "server/observability/stats_snapshot.h"

#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <mutex>

#include "server/engine/engine.h"
#include "server/net/connection.h"
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
  into.batches_sent += from.batches_sent;
  into.wakeups_sent += from.wakeups_sent;
  into.loop_busy_ns += from.loop_busy_ns;
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
  if (into.keyspace.size() < from.keyspace.size()) into.keyspace.resize(from.keyspace.size());
  for (size_t db = 0; db < from.keyspace.size(); ++db) {
    into.keyspace[db].keys += from.keyspace[db].keys;
    into.keyspace[db].expires += from.keyspace[db].expires;
  }
  into.keys += from.keys;
  into.expires += from.expires;
}

double Seconds(const timeval& tv) { return static_cast<double>(tv.tv_sec) + tv.tv_usec / 1e6; }

// The peak of the process's used memory, kept on worker 0: the largest sum of
// the figures the workers published.
void NotePeak(Worker& home, uint64_t used) {
  std::atomic<uint64_t>& peak = home.records().used_memory_peak;
  uint64_t seen = peak.load(std::memory_order_relaxed);
  while (used > seen && !peak.compare_exchange_weak(seen, used, std::memory_order_relaxed)) {
  }
}

}  // namespace

ShardContribution TakeShardFigures(Worker& worker) {
  ShardContribution out;
  ShardFigures& f = out.figures;
  const WorkerStats& stats = worker.stats();
  f.shard = worker.id();
  f.commands_processed = stats.commands_processed;
  f.connections_received = stats.connections_received;
  f.rejected_connections = stats.rejected_connections;
  f.connected_clients = stats.connected_clients;
  f.net_input_bytes = stats.net_input_bytes;
  f.net_output_bytes = stats.net_output_bytes;
  f.messages_sent = stats.messages_sent;
  f.batches_sent = stats.batches_sent;
  f.wakeups_sent = stats.wakeups_sent;
  f.loop_busy_ns = stats.loop_busy_ns;
  f.error_replies = stats.error_replies;
  f.ops_per_sec = stats.ops_rate.PerSecond();
  f.input_bytes_per_sec = stats.input_rate.PerSecond();
  f.output_bytes_per_sec = stats.output_rate.PerSecond();
  for (const auto& [raw, connection] : worker.connections()) {
    if (connection->blocked()) ++f.blocked_clients;
    f.max_input_buffer = std::max<uint64_t>(f.max_input_buffer, connection->query_buffer_size());
    f.max_output_buffer = std::max<uint64_t>(f.max_output_buffer, connection->output_buffer_size());
  }
  rusage thread_usage;
  if (getrusage(RUSAGE_THREAD, &thread_usage) == 0) {
    f.cpu_user_seconds = Seconds(thread_usage.ru_utime);
    f.cpu_sys_seconds = Seconds(thread_usage.ru_stime);
  }
  storage::ShardStore& store = worker.store();
  f.counters = store.context().counters;
  f.memory = store.Memory();
  worker.records().used_memory.store(f.memory.used(), std::memory_order_relaxed);
  f.keyspace.resize(store.database_count());
  for (int db = 0; db < store.database_count(); ++db) {
    if (const storage::Database* d = store.existing_db(db)) {
      f.keyspace[db] = {d->size(), d->expires()};
      f.keys += d->size();
      f.expires += d->expires();
    }
  }

  out.commands.resize(stats.commands.size());
  for (size_t id = 0; id < stats.commands.size(); ++id) {
    const CommandCounters& from = stats.commands[id];
    CommandFigures& to = out.commands[id];
    to.calls = from.calls;
    to.cycles = from.cycles;
    to.failed_calls = from.failed_calls;
    to.rejected_calls = from.rejected_calls;
    if (const LatencyHistogram* histogram = from.latency.get()) {
      to.latency = std::make_unique<LatencyHistogram>(*histogram);
    }
  }
  out.errors.insert(stats.errors.begin(), stats.errors.end());
  if (worker.id() == 0) {
    out.pubsub_channels = worker.pubsub().Channels("*").size();
    out.pubsub_patterns = worker.pubsub().NumPatterns();
  }
  const WorkerRecords& records = worker.records();
  out.slowlog_length = records.slowlog.entries().size();
  if (!records.slowlog.entries().empty()) {
    const SlowlogEntry& newest = records.slowlog.entries().front();
    out.slowlog_newest = SlowlogEntry{newest.id, newest.timestamp_s, newest.duration_us, {}, {}, {}};
  }
  for (const auto& [event, series] : records.latency.events()) {
    if (!series.samples.empty()) out.latency_latest[event] = series.samples.back();
    out.latency_max_ms[event] = series.max_ms;
  }
  return out;
}

void StatsSnapshot::Add(ShardContribution contribution) {
  if (commands.size() < contribution.commands.size()) commands.resize(contribution.commands.size());
  for (size_t id = 0; id < contribution.commands.size(); ++id) {
    CommandFigures& to = commands[id];
    CommandFigures& from = contribution.commands[id];
    to.calls += from.calls;
    to.cycles += from.cycles;
    to.failed_calls += from.failed_calls;
    to.rejected_calls += from.rejected_calls;
    if (from.latency) {
      if (to.latency) {
        to.latency->Merge(*from.latency);
      } else {
        to.latency = std::move(from.latency);
      }
    }
  }
  for (const auto& [code, count] : contribution.errors) errors[code] += count;
  if (contribution.figures.shard == 0) {
    pubsub_channels = contribution.pubsub_channels;
    pubsub_patterns = contribution.pubsub_patterns;
  }
  slowlog_length += contribution.slowlog_length;
  if (contribution.slowlog_newest && (!slowlog_newest || contribution.slowlog_newest->id > slowlog_newest->id)) {
    slowlog_newest = std::move(contribution.slowlog_newest);
  }
  for (const auto& [event, sample] : contribution.latency_latest) {
    auto [it, inserted] = latency_latest.emplace(event, sample);
    if (!inserted && (sample.time_s > it->second.time_s ||
                      (sample.time_s == it->second.time_s && sample.latency_ms > it->second.latency_ms))) {
      it->second = sample;
    }
  }
  for (const auto& [event, max_ms] : contribution.latency_max_ms) {
    uint64_t& merged = latency_max_ms[event];
    merged = std::max(merged, max_ms);
  }
  shards.push_back(std::move(contribution.figures));
}

void StatsSnapshot::Finish(Engine& engine) {
  {
    // CONFIG SET may change the strings meanwhile.
    std::lock_guard lock(engine.config_mutex());
    const ServerConfig& c = engine.config();
    config = {c.port, c.hz, c.maxclients, c.databases, c.maxmemory, c.maxmemory_policy, c.config_file};
  }
  std::sort(shards.begin(), shards.end(),
            [](const ShardFigures& a, const ShardFigures& b) { return a.shard < b.shard; });
  total = ShardFigures{};
  for (const ShardFigures& shard : shards) AddFigures(total, shard);
  // Each worker keeps up to slowlog-max-len entries; the merged log keeps
  // the newest slowlog-max-len of them all.
  slowlog_length = std::min<uint64_t>(slowlog_length, static_cast<uint64_t>(engine.config().slowlog_max_len.load()));
  Worker& home = engine.worker(0);
  NotePeak(home, total.memory.used());
  used_memory_peak = home.records().used_memory_peak.load(std::memory_order_relaxed);
}

void GatherSnapshot(Worker& home, std::function<void(std::shared_ptr<StatsSnapshot>)> done) {
  struct Pending {
    std::shared_ptr<StatsSnapshot> snapshot = std::make_shared<StatsSnapshot>();
    int waiting = 0;
    std::function<void(std::shared_ptr<StatsSnapshot>)> done;
  };
  // Shared by the replies, which all arrive on `home`.
  auto pending = std::make_shared<Pending>();
  Engine& engine = home.engine();
  pending->waiting = engine.shard_count();
  pending->done = std::move(done);
  for (int shard = 0; shard < engine.shard_count(); ++shard) {
    home.Call(
        shard, [](Worker& here) { return TakeShardFigures(here); },
        [pending, &engine](ShardContribution contribution) {
          pending->snapshot->Add(std::move(contribution));
          if (--pending->waiting > 0) return;
          pending->snapshot->Finish(engine);
          pending->done(std::move(pending->snapshot));
        });
  }
}

void ObservabilityCronTick(Worker& worker) {
  if (worker.id() == 0) CycleClock::Refine();
  WorkerStats& stats = worker.stats();
  int64_t now = worker.now_ms();
  stats.ops_rate.Sample(stats.commands_processed, now);
  stats.input_rate.Sample(stats.net_input_bytes, now);
  stats.output_rate.Sample(stats.net_output_bytes, now);
  worker.records().used_memory.store(worker.store().Memory().used(), std::memory_order_relaxed);
  if (worker.id() == 0) {
    Engine& engine = worker.engine();
    uint64_t used = 0;
    for (int shard = 0; shard < engine.shard_count(); ++shard) {
      used += engine.worker(shard).records().used_memory.load(std::memory_order_relaxed);
    }
    NotePeak(worker, used);
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
