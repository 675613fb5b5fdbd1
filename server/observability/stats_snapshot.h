// The figures INFO and /metrics report, gathered from every worker.
//
// Each worker's counters are its own (WorkerStats, the shard's store); a
// snapshot copies them on the worker's own thread (TakeShardFigures, run
// there by a message) and sums them on the asking worker. Nothing on the
// data path synchronizes for this: the cost is paid by whoever asks.
//
// Thread safety: TakeShardFigures runs on the worker it reads; the rest on
// the thread that owns the snapshot.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "server/observability/latency_histogram.h"
#include "server/observability/worker_records.h"
#include "storage/shard_store.h"

namespace emberkv::server {

class Engine;
class Worker;

struct CommandFigures {
  uint64_t calls = 0;
  uint64_t cycles = 0;
  uint64_t failed_calls = 0;
  uint64_t rejected_calls = 0;
  std::unique_ptr<LatencyHistogram> latency;  // when the command was timed

  double usec() const;  // time spent, in microseconds
};

struct DbFigures {
  uint64_t keys = 0;
  uint64_t expires = 0;
};

// One worker and its shard.
struct ShardFigures {
  int shard = 0;
  uint64_t commands_processed = 0;
  uint64_t connections_received = 0;
  uint64_t rejected_connections = 0;
  uint64_t connected_clients = 0;
  uint64_t blocked_clients = 0;
  uint64_t net_input_bytes = 0;
  uint64_t net_output_bytes = 0;
  uint64_t messages_sent = 0;
  uint64_t batches_sent = 0;
  uint64_t wakeups_sent = 0;
  uint64_t loop_busy_ns = 0;
  uint64_t error_replies = 0;
  uint64_t max_input_buffer = 0;   // largest query buffer of a client now
  uint64_t max_output_buffer = 0;  // largest unsent output of a client now
  double ops_per_sec = 0;
  double input_bytes_per_sec = 0;
  double output_bytes_per_sec = 0;
  double cpu_user_seconds = 0;  // the worker thread's own CPU time
  double cpu_sys_seconds = 0;
  storage::ShardCounters counters;
  storage::MemoryFigures memory;
  std::vector<DbFigures> keyspace;  // by database index
  uint64_t keys = 0;
  uint64_t expires = 0;
};

// The part of a snapshot one worker contributes.
struct ShardContribution {
  ShardFigures figures;
  std::vector<CommandFigures> commands;    // by CommandSpec::id
  std::map<std::string, uint64_t> errors;  // by error code
  uint64_t pubsub_channels = 0;  // worker 0 only (every worker holds the whole table)
  uint64_t pubsub_patterns = 0;
  uint64_t slowlog_length = 0;
  std::optional<SlowlogEntry> slowlog_newest;  // without its arguments
  std::map<std::string, LatencySample> latency_latest;  // the latency monitor's events
  std::map<std::string, uint64_t> latency_max_ms;
};

// Copies a worker's figures; runs on that worker's thread.
ShardContribution TakeShardFigures(Worker& worker);

// What the reports show of the configuration.
struct ConfigFigures {
  int port = 0;
  int hz = 0;
  int maxclients = 0;
  int databases = 0;
  uint64_t maxmemory = 0;
  std::string maxmemory_policy;
  std::string config_file;
};

struct StatsSnapshot {
  ConfigFigures config;              // as of Finish()
  std::vector<ShardFigures> shards;        // by shard
  ShardFigures total;                      // the sums (CPU time and rates included)
  std::vector<CommandFigures> commands;    // by CommandSpec::id, summed
  std::map<std::string, uint64_t> errors;  // errorstats, summed
  uint64_t pubsub_channels = 0;
  uint64_t pubsub_patterns = 0;
  uint64_t used_memory_peak = 0;
  // SLOWLOG LEN, and the newest entry's id and duration.
  uint64_t slowlog_length = 0;
  std::optional<SlowlogEntry> slowlog_newest;
  // LATENCY LATEST: per event, its newest sample and its largest.
  std::map<std::string, LatencySample> latency_latest;
  std::map<std::string, uint64_t> latency_max_ms;

  // Adds a worker's figures (in any order); Finish() once all are in.
  void Add(ShardContribution contribution);
  void Finish(Engine& engine);
};

// Asks every worker for its figures at once (from worker `home`'s thread)
// and calls done(snapshot) on `home` when all have answered.
void GatherSnapshot(Worker& home, std::function<void(std::shared_ptr<StatsSnapshot>)> done);

// Runs on every worker's timer: samples the instantaneous rates, publishes
// the shard's memory and, on worker 0, keeps the process-wide peak.
void ObservabilityCronTick(Worker& worker);

// Process-wide figures not kept by workers.
uint64_t ResidentSetBytes();
uint64_t TotalSystemMemoryBytes();

}  // namespace emberkv::server
