// The figures INFO and /metrics report, taken from every loop and shard.
//
// A loop's counters are relaxed atomics that only it writes (stats.h), so a
// snapshot reads them from wherever it is taken, without asking the loop; a
// shard's figures are read under its lock, one shard at a time. Nothing on
// the data path synchronizes for this: the cost is paid by whoever asks.
//
// Thread safety: TakeSnapshot on any loop; a snapshot belongs to its taker.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "server/observability/latency_histogram.h"
#include "server/observability/records.h"
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
  uint64_t index_bytes = 0;   // its key index (MEMORY STATS overhead.hashtable.main)
  uint64_t expiry_bytes = 0;  // its timing wheel (overhead.hashtable.expires)
};

// Loop i and shard i (the server runs as many of each by default).
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
  uint64_t wakeups_sent = 0;
  uint64_t lock_contended = 0;  // times a loop found the shard's lock taken
  uint64_t lock_slept = 0;      // ... and slept for it
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
  ConfigFigures config;                    // as of Finish()
  std::vector<ShardFigures> shards;        // by shard
  ShardFigures total;                      // the sums (CPU time and rates included)
  std::vector<CommandFigures> commands;    // by CommandSpec::id, summed
  std::map<std::string, uint64_t> errors;  // errorstats, summed
  uint64_t pubsub_channels = 0;
  uint64_t pubsub_patterns = 0;
  uint64_t pubsub_shard_channels = 0;
  uint64_t used_memory_peak = 0;
  // SLOWLOG LEN, and the newest entry's id and duration.
  uint64_t slowlog_length = 0;
  std::optional<SlowlogEntry> slowlog_newest;
  // LATENCY LATEST: per event, its newest sample and its largest.
  std::map<std::string, LatencySample> latency_latest;
  std::map<std::string, uint64_t> latency_max_ms;
};

class ShardLocks;

// Takes the figures of every loop and every shard: the shards under their
// locks, one at a time, with `locks` (inside a transaction, which holds
// them all, as they are).
void TakeSnapshot(Engine& engine, ShardLocks& locks, StatsSnapshot* snapshot);

// Runs on every loop's timer: samples the instantaneous rates and, on loop
// 0, the process-wide peak of used memory.
void ObservabilityCronTick(Worker& worker);

// Process-wide figures not kept by workers.
uint64_t ResidentSetBytes();
uint64_t TotalSystemMemoryBytes();

}  // namespace emberkv::server
