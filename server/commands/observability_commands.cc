// SLOWLOG and LATENCY: the slow log and the latency monitor, one of each
// for the server (observability/records.h), and the commands' latency
// histograms, read from every loop's counters (stats.h). And MONITOR
// (observability/monitors.h).
//
// LATENCY covers LATEST, HISTORY, RESET, HISTOGRAM, GRAPH and DOCTOR
// (observability/latency_report.h): its events are the "command" and
// "fast-command" samples above latency-monitor-threshold, fed by the command
// timing (Redis's other events, fork, AOF and so on, do not happen here).
#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "server/blocking/blocking.h"
#include "server/command_table.h"
#include "server/commands/arg_parsing.h"
#include "server/commands/help.h"
#include "server/engine/engine.h"
#include "server/errors.h"
#include "server/observability/latency_histogram.h"
#include "server/observability/latency_report.h"
#include "server/observability/records.h"
#include "server/stats.h"

namespace emberkv::server {
namespace {

// ---- SLOWLOG ----

void SlowlogGet(CommandContext& c) {
  int64_t count = 10;
  if (c.args.size() > 3) {
    return c.reply.Error(errors::SubcommandSyntax(c.args[1], "slowlog"));
  }
  if (c.args.size() == 3) {
    std::optional<int64_t> parsed = IntArg(c.args[2], c.reply, errors::kSlowlogCount);
    if (!parsed) return;
    if (*parsed < -1) return c.reply.Error(errors::kSlowlogCount);
    count = *parsed;
  }
  size_t max_len = static_cast<size_t>(c.engine().config().slowlog_max_len.load());
  size_t wanted = count < 0 ? max_len : std::min(static_cast<size_t>(count), max_len);
  std::vector<SlowlogEntry> newest;
  {
    Records& records = c.engine().records();
    std::lock_guard lock(records.mutex);
    const auto& entries = records.slowlog.entries();
    newest.assign(entries.begin(),
                  entries.begin() + static_cast<ptrdiff_t>(std::min(entries.size(), wanted)));
  }
  c.reply.ArrayHeader(newest.size());
  for (const SlowlogEntry& entry : newest) {
    c.reply.ArrayHeader(6);
    c.reply.Integer(static_cast<int64_t>(entry.id));
    c.reply.Integer(entry.timestamp_s);
    c.reply.Integer(static_cast<int64_t>(entry.duration_us));
    c.reply.ArrayHeader(entry.args.size());
    for (const std::string& arg : entry.args) c.reply.Bulk(arg);
    c.reply.Bulk(entry.client_address);
    c.reply.Bulk(entry.client_name);
  }
}

void SlowlogLen(CommandContext& c) {
  Records& records = c.engine().records();
  std::lock_guard lock(records.mutex);
  c.reply.Integer(static_cast<int64_t>(records.slowlog.entries().size()));
}

void SlowlogReset(CommandContext& c) {
  Records& records = c.engine().records();
  {
    std::lock_guard lock(records.mutex);
    records.slowlog.Reset();
  }
  c.reply.Ok();
}

void SlowlogHelp(CommandContext& c) {
  ReplyHelp(c.reply, "SLOWLOG",
            {"GET [<count>]",
             "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
             "    Entries are made of:",
             "    id, timestamp, time in microseconds, arguments array, client IP and port,",
             "    client name", "LEN", "    Return the length of the slowlog.", "RESET",
             "    Reset the slowlog."});
}

// ---- LATENCY ----

void LatencyLatest(CommandContext& c) {
  struct Latest {
    LatencySample sample;
    uint64_t max_ms = 0;
  };
  std::map<std::string, Latest> events;
  {
    Records& records = c.engine().records();
    std::lock_guard lock(records.mutex);
    for (const auto& [event, series] : records.latency.events()) {
      if (series.samples.empty()) continue;
      events[event] = Latest{series.samples.back(), series.max_ms};
    }
  }
  c.reply.ArrayHeader(events.size());
  for (const auto& [event, latest] : events) {
    c.reply.ArrayHeader(4);
    c.reply.Bulk(event);
    c.reply.Integer(latest.sample.time_s);
    c.reply.Integer(static_cast<int64_t>(latest.sample.latency_ms));
    c.reply.Integer(static_cast<int64_t>(latest.max_ms));
  }
}

void LatencyHistory(CommandContext& c) {
  LatencySeries series;
  {
    Records& records = c.engine().records();
    std::lock_guard lock(records.mutex);
    const auto& events = records.latency.events();
    if (auto it = events.find(c.args[2]); it != events.end()) series = it->second;
  }
  c.reply.ArrayHeader(series.samples.size());
  for (const LatencySample& sample : series.samples) {
    c.reply.ArrayHeader(2);
    c.reply.Integer(sample.time_s);
    c.reply.Integer(static_cast<int64_t>(sample.latency_ms));
  }
}

void LatencyGraphCommand(CommandContext& c) {
  LatencySeries series;
  {
    Records& records = c.engine().records();
    std::lock_guard lock(records.mutex);
    const auto& events = records.latency.events();
    if (auto it = events.find(c.args[2]); it != events.end()) series = it->second;
  }
  if (series.samples.empty()) return c.reply.Error(errors::NoLatencySamples(c.args[2]));
  c.reply.Verbatim("txt", LatencyGraph(c.args[2], series, c.now_ms() / 1000));
}

void LatencyDoctorCommand(CommandContext& c) {
  std::map<std::string, LatencySeries, std::less<>> events;
  {
    Records& records = c.engine().records();
    std::lock_guard lock(records.mutex);
    events = records.latency.events();
  }
  const ServerConfig& config = c.engine().config();
  c.reply.Verbatim(
      "txt", LatencyDoctor(events, {.threshold_ms = config.latency_monitor_threshold,
                                    .slowlog_log_slower_than_us = config.slowlog_log_slower_than}));
}

void LatencyReset(CommandContext& c) {
  std::vector<std::string> events;
  for (size_t i = 2; i < c.args.size(); ++i) events.emplace_back(c.args[i]);
  Records& records = c.engine().records();
  std::lock_guard lock(records.mutex);
  c.reply.Integer(static_cast<int64_t>(records.latency.Reset(events)));
}

// Redis 7's cumulative distribution: for the buckets 1, 2, 4, ... µs, how
// many calls took at most that long, listing only buckets where the count
// grows.
void LatencyHistogramCommand(CommandContext& c) {
  const CommandTable& table = CommandTable::Get();
  std::vector<const CommandSpec*> wanted;
  if (c.args.size() > 2) {
    for (size_t i = 2; i < c.args.size(); ++i) {
      std::string_view name = c.args[i];
      const CommandSpec* spec = nullptr;
      if (size_t bar = name.find('|'); bar != std::string_view::npos) {
        if (const CommandSpec* container = table.Find(name.substr(0, bar))) {
          spec = CommandTable::FindSubcommand(*container, name.substr(bar + 1));
        }
      } else {
        spec = table.Find(name);
      }
      if (spec && std::find(wanted.begin(), wanted.end(), spec) == wanted.end())
        wanted.push_back(spec);
    }
  } else {
    wanted = table.by_id();
  }
  std::map<std::string_view, LatencyHistogram> merged;
  for (int w = 0; w < c.engine().worker_count(); ++w) {
    const WorkerStats& stats = c.engine().worker(w).stats();
    for (const CommandSpec* spec : wanted) {
      const LatencyHistogram* histogram = stats.commands[spec->id].latency.get();
      if (!histogram || histogram->count() == 0) continue;
      merged[spec->name].Merge(*histogram);
    }
  }
  c.reply.MapHeader(merged.size());
  for (const auto& [name, histogram] : merged) {
    c.reply.Bulk(name);
    c.reply.MapHeader(2);
    c.reply.Bulk("calls");
    c.reply.Integer(static_cast<int64_t>(histogram.count()));
    c.reply.Bulk("histogram_usec");
    std::vector<std::pair<uint64_t, uint64_t>> buckets;
    uint64_t previous = 0;
    for (uint64_t us = 1; previous < histogram.count(); us *= 2) {
      uint64_t ticks = us * LatencyHistogram::kTicksPerMicrosecond;
      uint64_t below =
          ticks > LatencyHistogram::kMaxTicks ? histogram.count() : histogram.CountBelow(ticks);
      if (below > previous) buckets.emplace_back(us, below);
      previous = below;
    }
    c.reply.MapHeader(buckets.size());
    for (const auto& [us, count] : buckets) {
      c.reply.Integer(static_cast<int64_t>(us));
      c.reply.Integer(static_cast<int64_t>(count));
    }
  }
}

void LatencyHelp(CommandContext& c) {
  ReplyHelp(c.reply, "LATENCY",
            {"DOCTOR", "    Return a human readable latency analysis report.", "GRAPH <event>",
             "    Return an ASCII latency graph for the <event> class.", "HISTORY <event>",
             "    Return time-latency samples for the <event> class.", "LATEST",
             "    Return the latest latency samples for all events.", "RESET [<event> ...]",
             "    Reset latency data of one or more <event> classes.",
             "    (default: reset all data for all event classes)", "HISTOGRAM [COMMAND ...]",
             "    Return a cumulative distribution of latencies in the format of a histogram for "
             "the specified "
             "command names.",
             "    If no commands are specified then all histograms are replied."});
}

// ---- MONITOR ----

void Monitor(CommandContext& c) {
  Client& client = *c.client;
  // As Redis: a monitor's second MONITOR is ignored, without a reply.
  if (client.is_monitor()) return;
  if (!MayBlock(c)) return c.reply.Error(errors::kMonitorDenyBlocking);
  client.set_monitor(true);
  c.engine().monitors().Add(client);
  c.reply.Ok();
}

}  // namespace

void RegisterObservabilityCommands(CommandTable& table) {
  table.Register({
      {.name = "slowlog",
       .subcommands = {{.name = "slowlog|get", .handler = SlowlogGet},
                       {.name = "slowlog|len", .handler = SlowlogLen},
                       {.name = "slowlog|reset", .handler = SlowlogReset},
                       {.name = "slowlog|help", .handler = SlowlogHelp}}},
      {.name = "latency",
       .subcommands = {{.name = "latency|latest", .handler = LatencyLatest},
                       {.name = "latency|history", .handler = LatencyHistory},
                       {.name = "latency|reset", .handler = LatencyReset},
                       {.name = "latency|histogram", .handler = LatencyHistogramCommand},
                       {.name = "latency|graph", .handler = LatencyGraphCommand},
                       {.name = "latency|doctor", .handler = LatencyDoctorCommand},
                       {.name = "latency|help", .handler = LatencyHelp}}},
      {.name = "monitor", .handler = Monitor},
  });
}

}  // namespace emberkv::server
