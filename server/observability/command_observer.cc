#include "server/observability/command_observer.h"

#include "server/command.h"
#include "server/engine/engine.h"
#include "server/observability/cycle_clock.h"
#include "server/observability/latency_histogram.h"

namespace emberkv::server {

uint64_t CyclesToTicks(uint64_t cycles) {
  constexpr double kTicksPerNs = LatencyHistogram::kTicksPerMicrosecond / 1000.0;
  return static_cast<uint64_t>(static_cast<double>(cycles) * CycleClock::NsPerCycle() *
                               kTicksPerNs);
}

void CountErrorReply(WorkerStats& stats, std::string_view error) {
  if (!error.empty() && error[0] == '-') error.remove_prefix(1);
  stats.error_replies.Add(1);
  // As Redis: the code is the text before the first space, if there is one
  // in the first 32 bytes.
  std::string_view code = "ERR";
  size_t space = error.substr(0, 32).find(' ');
  if (space != std::string_view::npos) code = error.substr(0, space);
  if (size_t end = code.find_first_of("\r\n"); end != std::string_view::npos)
    code = code.substr(0, end);
  stats.CountError(code);
}

namespace {

// The rare part: the command was slow enough for the slow log or the latency
// monitor.
[[gnu::noinline]] void RecordSlowCall(Worker& worker, const CommandSpec& spec,
                                      std::span<const std::string_view> args,
                                      const ClientLabel& client, uint64_t duration_us,
                                      bool for_slowlog, bool for_monitor) {
  const ServerConfig& config = worker.engine().config();
  int64_t now_s = worker.now_ms() / 1000;
  Records& records = worker.engine().records();
  std::lock_guard lock(records.mutex);
  if (for_slowlog) {
    records.slowlog.Add(args, now_s, duration_us, client.address, client.name,
                        static_cast<size_t>(config.slowlog_max_len.load()));
  }
  if (for_monitor) {
    records.latency.Add((spec.flags & kCmdFast) ? "fast-command" : "command", now_s,
                        duration_us / 1000);
  }
}

}  // namespace

void ObserveCall(Worker& worker, const CommandSpec& spec, std::span<const std::string_view> args,
                 const ClientLabel& client, uint64_t cycles, std::string_view reply) {
  WorkerStats& stats = worker.stats();
  stats.commands_processed.Add(1);
  CommandCounters& counters = stats.commands[spec.id];
  counters.calls.Add(1);
  if (!reply.empty() && reply[0] == '-') [[unlikely]] {
    counters.failed_calls.Add(1);
    CountErrorReply(stats, reply);
  }
  // A blocking command's time includes its wait for data; Redis leaves the
  // wait out, and we cannot tell it apart here, so such calls are counted
  // but not timed.
  if (spec.flags & kCmdBlocking) return;
  counters.cycles.Add(cycles);
  uint64_t ticks = CyclesToTicks(cycles);
  counters.latency.Add(ticks);

  const ServerConfig& config = worker.engine().config();
  int64_t slower_than_us = config.slowlog_log_slower_than.load();
  int64_t monitor_ms = config.latency_monitor_threshold.load();
  // Whole microseconds and milliseconds, compared as Redis compares them.
  uint64_t duration_us = ticks / LatencyHistogram::kTicksPerMicrosecond;
  bool for_slowlog = slower_than_us >= 0 && !(spec.flags & kCmdSkipSlowlog) &&
                     duration_us >= static_cast<uint64_t>(slower_than_us);
  bool for_monitor = monitor_ms > 0 && duration_us / 1000 >= static_cast<uint64_t>(monitor_ms);
  if (for_slowlog || for_monitor) [[unlikely]] {
    RecordSlowCall(worker, spec, args, client, duration_us, for_slowlog, for_monitor);
  }
}

}  // namespace emberkv::server
