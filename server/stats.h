// Counters kept by each loop about the commands it runs and the bytes it
// moves. Only the owning loop writes them; INFO, /metrics and the
// observability commands read them from whichever loop asks, without a
// message: each counter is a relaxed atomic that its owner updates with a
// plain load and store (no locked instruction), so counting costs the data
// path what a plain increment costs.
//
// Thread safety: Add/Set by the owning loop; Get from any thread. The error
// codes map is under its own lock (error replies are the rare path).
#pragma once

#include <absl/container/flat_hash_map.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "server/observability/instantaneous_rate.h"
#include "server/observability/latency_histogram.h"

namespace emberkv::server {

class RelaxedCounter {
 public:
  void Add(uint64_t n) {
    value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  void Sub(uint64_t n) {
    value_.store(value_.load(std::memory_order_relaxed) - n, std::memory_order_relaxed);
  }
  void Set(uint64_t n) { value_.store(n, std::memory_order_relaxed); }
  uint64_t Get() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

struct CommandCounters {
  RelaxedCounter calls;
  RelaxedCounter cycles;          // time spent running, in CycleClock cycles
  RelaxedCounter failed_calls;    // the command ran and replied with an error
  RelaxedCounter rejected_calls;  // refused before running (arity, auth, OOM, ...)
  LazyLatencyHistogram latency;   // durations, in LatencyHistogram ticks

  void Reset() {
    calls.Set(0);
    cycles.Set(0);
    failed_calls.Set(0);
    rejected_calls.Set(0);
    latency.Reset();
  }
};

struct WorkerStats {
  explicit WorkerStats(size_t command_count) : commands(command_count) {}

  RelaxedCounter commands_processed;
  RelaxedCounter connections_received;
  RelaxedCounter rejected_connections;
  RelaxedCounter connected_clients;  // a gauge, not reset
  RelaxedCounter net_input_bytes;
  RelaxedCounter net_output_bytes;
  RelaxedCounter messages_sent;  // to other loops
  RelaxedCounter wakeups_sent;   // eventfd writes
  RelaxedCounter cpu_user_us;    // the loop thread's own CPU time, as of its last timer tick
  RelaxedCounter cpu_sys_us;
  std::vector<CommandCounters> commands;  // indexed by CommandSpec::id
  RelaxedCounter error_replies;           // every error reply, refusals included
  // instantaneous_ops_per_sec, _input_kbps, _output_kbps (sampled by the
  // loop's timer).
  InstantaneousRate ops_rate;
  InstantaneousRate input_rate;
  InstantaneousRate output_rate;

  // Error replies by their first word (ERR, WRONGTYPE, ...), as Redis's
  // errorstats; at most kMaxErrorCodes codes (more are counted only above).
  static constexpr size_t kMaxErrorCodes = 128;
  void CountError(std::string_view code);
  std::map<std::string, uint64_t> ErrorCounts() const;

  // CONFIG RESETSTAT (from any loop): zeroes every counter but the gauges.
  void ResetCounters();

 private:
  mutable std::mutex errors_mutex_;
  absl::flat_hash_map<std::string, uint64_t> errors_;
};

}  // namespace emberkv::server
