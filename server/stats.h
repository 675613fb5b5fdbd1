// Counters kept by each worker on its own thread, without atomics: they are
// summed only when someone asks (INFO, /metrics), by a message to every
// worker. Counting therefore costs the data path an increment, nothing more.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <cstdint>
#include <string>
#include <vector>

#include "server/observability/instantaneous_rate.h"
#include "server/observability/latency_histogram.h"

namespace emberkv::server {

struct CommandCounters {
  uint64_t calls = 0;
  uint64_t cycles = 0;          // time spent running, in CycleClock cycles
  uint64_t failed_calls = 0;    // the command ran and replied with an error
  uint64_t rejected_calls = 0;  // refused before running (arity, auth, OOM, ...)
  LazyLatencyHistogram latency; // durations, in LatencyHistogram ticks
};

struct WorkerStats {
  uint64_t commands_processed = 0;
  uint64_t connections_received = 0;
  uint64_t rejected_connections = 0;
  uint64_t connected_clients = 0;
  uint64_t net_input_bytes = 0;
  uint64_t net_output_bytes = 0;
  uint64_t messages_sent = 0;     // to other workers
  uint64_t batches_sent = 0;      // pushes into other workers' inboxes
  uint64_t wakeups_sent = 0;      // eventfd writes
  uint64_t loop_busy_ns = 0;      // time spent outside epoll_wait
  std::vector<CommandCounters> commands;  // indexed by CommandSpec::id
  uint64_t error_replies = 0;     // every error reply, refusals included
  // Error replies by their first word (ERR, WRONGTYPE, ...), as Redis's
  // errorstats; at most kMaxErrorCodes codes (more are counted only above).
  absl::flat_hash_map<std::string, uint64_t> errors;
  static constexpr size_t kMaxErrorCodes = 128;
  // instantaneous_ops_per_sec, _input_kbps, _output_kbps (sampled by the
  // worker's timer).
  InstantaneousRate ops_rate;
  InstantaneousRate input_rate;
  InstantaneousRate output_rate;

  // CONFIG RESETSTAT: zeroes every counter. Gauges (figures that are not
  // counts since start, like connected_clients) must be kept here.
  void ResetCounters() {
    uint64_t clients = connected_clients;
    size_t command_count = commands.size();
    *this = WorkerStats{};
    connected_clients = clients;
    commands.assign(command_count, CommandCounters{});
  }
};

}  // namespace emberkv::server
