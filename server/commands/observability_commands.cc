// SLOWLOG and LATENCY: the slow log and the latency monitor, kept by every
// worker for the commands it runs (observability/worker_records.h) and
// merged here when asked. Figures are gathered by visiting each shard; no
// lock is needed, as for INFO.
//
// LATENCY covers LATEST, HISTORY, RESET and HISTOGRAM: its events are the
// "command" and "fast-command" samples above latency-monitor-threshold, fed
// by the command timing. DOCTOR and GRAPH (text reports over Redis's other
// events: fork, AOF, expire cycles, ...) are not provided.
#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "server/command_table.h"
#include "server/commands/arg_parsing.h"
#include "server/commands/help.h"
#include "server/engine/engine.h"
#include "server/errors.h"
#include "server/observability/latency_histogram.h"
#include "server/observability/worker_records.h"
#include "server/stats.h"
#include "server/transaction/multi_shard.h"

namespace emberkv::server {
namespace {

// ---- SLOWLOG ----

Task<void> CoordSlowlogGet(CoordContext& c) {
  int64_t count = 10;
  if (c.args.size() > 3) {
    co_return c.reply.Error(errors::SubcommandSyntax(c.args[1], "slowlog"));
  }
  if (c.args.size() == 3) {
    std::optional<int64_t> parsed = IntArg(c.args[2], c.reply, errors::kSlowlogCount);
    if (!parsed) co_return;
    if (*parsed < -1) co_return c.reply.Error(errors::kSlowlogCount);
    count = *parsed;
  }
  size_t max_len = static_cast<size_t>(c.engine.config().slowlog_max_len.load());
  size_t wanted = count < 0 ? max_len : std::min(static_cast<size_t>(count), max_len);
  std::vector<std::vector<SlowlogEntry>> logs;
  co_await ForEachShard(c, [&](Worker& shard) {
    const auto& entries = shard.records().slowlog.entries();
    size_t n = std::min(entries.size(), wanted);
    logs.emplace_back(entries.begin(), entries.begin() + static_cast<ptrdiff_t>(n));
  });
  std::vector<SlowlogEntry> merged = MergeSlowlogs(logs, wanted);
  c.reply.ArrayHeader(merged.size());
  for (const SlowlogEntry& entry : merged) {
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

Task<void> CoordSlowlogLen(CoordContext& c) {
  size_t length = 0;
  co_await ForEachShard(c, [&](Worker& shard) { length += shard.records().slowlog.entries().size(); });
  // Each worker keeps the newest slowlog-max-len; the log is the newest of all.
  length = std::min(length, static_cast<size_t>(c.engine.config().slowlog_max_len.load()));
  c.reply.Integer(static_cast<int64_t>(length));
}

Task<void> CoordSlowlogReset(CoordContext& c) {
  co_await ForEachShard(c, [](Worker& shard) { shard.records().slowlog.Reset(); });
  c.reply.Ok();
}

void ConnSlowlogHelp(ConnContext& c) {
  ReplyHelp(c.reply, "SLOWLOG",
                 {"GET [<count>]",
                  "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
                  "    Entries are made of:",
                  "    id, timestamp, time in microseconds, arguments array, client IP and port,",
                  "    client name",
                  "LEN",
                  "    Return the length of the slowlog.",
                  "RESET",
                  "    Reset the slowlog."});
}

// ---- LATENCY ----

Task<void> CoordLatencyLatest(CoordContext& c) {
  struct Latest {
    LatencySample sample;
    uint64_t max_ms = 0;
  };
  std::map<std::string, Latest> events;
  co_await ForEachShard(c, [&](Worker& shard) {
    for (const auto& [event, series] : shard.records().latency.events()) {
      if (series.samples.empty()) continue;
      Latest& merged = events[event];
      const LatencySample& last = series.samples.back();
      if (last.time_s > merged.sample.time_s ||
          (last.time_s == merged.sample.time_s && last.latency_ms > merged.sample.latency_ms)) {
        merged.sample = last;
      }
      merged.max_ms = std::max(merged.max_ms, series.max_ms);
    }
  });
  c.reply.ArrayHeader(events.size());
  for (const auto& [event, latest] : events) {
    c.reply.ArrayHeader(4);
    c.reply.Bulk(event);
    c.reply.Integer(latest.sample.time_s);
    c.reply.Integer(static_cast<int64_t>(latest.sample.latency_ms));
    c.reply.Integer(static_cast<int64_t>(latest.max_ms));
  }
}

Task<void> CoordLatencyHistory(CoordContext& c) {
  std::string event(c.args[2]);
  std::vector<LatencySeries> copies;
  co_await ForEachShard(c, [&](Worker& shard) {
    const auto& events = shard.records().latency.events();
    if (auto it = events.find(event); it != events.end()) copies.push_back(it->second);
  });
  std::vector<const LatencySeries*> series;
  for (const LatencySeries& copy : copies) series.push_back(&copy);
  LatencySeries merged = MergeLatencySeries(series);
  c.reply.ArrayHeader(merged.samples.size());
  for (const LatencySample& sample : merged.samples) {
    c.reply.ArrayHeader(2);
    c.reply.Integer(sample.time_s);
    c.reply.Integer(static_cast<int64_t>(sample.latency_ms));
  }
}

Task<void> CoordLatencyReset(CoordContext& c) {
  std::vector<std::string> events;
  for (size_t i = 2; i < c.args.size(); ++i) events.emplace_back(c.args[i]);
  // An event counts once however many workers had it.
  std::set<std::string> reset;
  co_await ForEachShard(c, [&](Worker& shard) {
    const auto& had = shard.records().latency.events();
    for (const auto& [event, series] : had) {
      if (events.empty() || std::find(events.begin(), events.end(), event) != events.end()) reset.insert(event);
    }
    shard.records().latency.Reset(events);
  });
  c.reply.Integer(static_cast<int64_t>(reset.size()));
}

// Redis 7's cumulative distribution: for the buckets 1, 2, 4, ... µs, how
// many calls took at most that long, listing only buckets where the count
// grows.
Task<void> CoordLatencyHistogram(CoordContext& c) {
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
      if (spec && std::find(wanted.begin(), wanted.end(), spec) == wanted.end()) wanted.push_back(spec);
    }
  } else {
    wanted = table.by_id();
  }
  std::map<std::string_view, LatencyHistogram> merged;
  co_await ForEachShard(c, [&](Worker& shard) {
    for (const CommandSpec* spec : wanted) {
      const LatencyHistogram* histogram = shard.stats().commands[spec->id].latency.get();
      if (!histogram || histogram->count() == 0) continue;
      merged[spec->name].Merge(*histogram);
    }
  });
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
      uint64_t below = ticks > LatencyHistogram::kMaxTicks ? histogram.count() : histogram.CountBelow(ticks);
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

void ConnLatencyHelp(ConnContext& c) {
  ReplyHelp(c.reply, "LATENCY",
                 {"HISTORY <event>",
                  "    Return time-latency samples for the <event> class.",
                  "LATEST",
                  "    Return the latest latency samples for all events.",
                  "RESET [<event> ...]",
                  "    Reset latency data of one or more <event> classes.",
                  "    (default: reset all data for all event classes)",
                  "HISTOGRAM [COMMAND ...]",
                  "    Return a cumulative distribution of latencies in the format of a histogram for the specified "
                  "command names.",
                  "    If no commands are specified then all histograms are replied."});
}

}  // namespace

// DOCTOR and GRAPH are not provided (see the top of this file).
void RegisterObservabilityCommands(CommandTable& table) {
  table.Register({
      {.name = "slowlog",
       .subcommands = {{.name = "slowlog|get", .coordinated = CoordSlowlogGet},
                       {.name = "slowlog|len", .coordinated = CoordSlowlogLen},
                       {.name = "slowlog|reset", .coordinated = CoordSlowlogReset},
                       {.name = "slowlog|help", .conn = ConnSlowlogHelp}}},
      {.name = "latency",
       .subcommands = {{.name = "latency|latest", .coordinated = CoordLatencyLatest},
                       {.name = "latency|history", .coordinated = CoordLatencyHistory},
                       {.name = "latency|reset", .coordinated = CoordLatencyReset},
                       {.name = "latency|histogram", .coordinated = CoordLatencyHistogram},
                       {.name = "latency|help", .conn = ConnLatencyHelp}}},
  });
}

}  // namespace emberkv::server
