// Where every executed command is counted and timed: its calls, time and
// failures (INFO commandstats, /metrics), its duration's histogram
// (latencystats, LATENCY HISTOGRAM, emberkv_command_duration_seconds), the
// code of its error reply (errorstats), the slow log and the latency monitor.
//
// The executor (dispatch/executor.h) times every command with CycleClock and
// calls ObserveCall. On the common path this is a few increments on the
// loop's own counters and one histogram bucket; the slow log and the latency
// monitor (one lock for the server) cost something only for commands above
// their thresholds.
//
// Thread safety: on the loop that ran the command, about its own counters.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace emberkv::server {

class Worker;
struct CommandSpec;
struct WorkerStats;

// The client a command came from, as the slow log shows it.
struct ClientLabel {
  std::string_view address;  // ip:port
  std::string_view name;     // CLIENT SETNAME
};

// Counts one command that ran on `worker` for `cycles` (CycleClock) and
// replied `reply` (a failure when it starts with '-').
void ObserveCall(Worker& worker, const CommandSpec& spec, std::span<const std::string_view> args,
                 const ClientLabel& client, uint64_t cycles, std::string_view reply);

// Counts an error reply by its code (the first word; ERR when there is
// none), as Redis's errorstats. `error` may start with '-'.
void CountErrorReply(WorkerStats& stats, std::string_view error);

// Durations in LatencyHistogram ticks.
uint64_t CyclesToTicks(uint64_t cycles);

}  // namespace emberkv::server
