#include "server/observability/latency_report.h"

#include <catch2/catch.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace emberkv::server {
namespace {

LatencySeries SeriesOf(const std::vector<std::pair<int64_t, uint64_t>>& samples) {
  LatencySeries series;
  for (auto [time_s, ms] : samples) {
    series.samples.push_back({time_s, ms});
    series.max_ms = std::max(series.max_ms, ms);
  }
  return series;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST_CASE("LATENCY GRAPH: header, one column per sample, ages downwards", "[latency]") {
  LatencySeries series = SeriesOf({{1000, 20}, {1001, 50}, {1002, 10}});
  series.max_ms = 70;  // an older spike, no longer among the samples
  std::vector<std::string> lines = Lines(LatencyGraph("command", series, 1002));
  REQUIRE(lines.size() == 2 + 4 + 2);
  CHECK(lines[0] == "command - high 50 ms, low 10 ms (all time high 70 ms)");
  CHECK(lines[1] == std::string(80, '-'));
  // The 50 ms column is full height, the 10 ms one half a row, 20 ms between.
  CHECK(lines[2] == " | ");
  CHECK(lines[5] == "||_");
  CHECK(lines[6] == "210");
  CHECK(lines[7] == "sss");
}

TEST_CASE("LATENCY GRAPH keeps the newest 80 samples", "[latency]") {
  std::vector<std::pair<int64_t, uint64_t>> samples;
  for (int i = 0; i < 100; ++i) samples.emplace_back(i, 10 + i);
  std::vector<std::string> lines = Lines(LatencyGraph("command", SeriesOf(samples), 99 + 3600));
  CHECK(lines[0] == "command - high 109 ms, low 30 ms (all time high 109 ms)");
  CHECK(lines[2].size() == 80);
  CHECK(lines[6].substr(0, 1) == "1");  // an hour ago: "1h"
  CHECK(lines[7].substr(0, 1) == "h");
}

TEST_CASE("LATENCY DOCTOR says when the monitor is off or saw nothing", "[latency]") {
  CHECK(LatencyDoctor({}, {.threshold_ms = 0}).find("latency-monitor-threshold") !=
        std::string::npos);
  CHECK(LatencyDoctor({}, {.threshold_ms = 5}).find("No latency spike") != std::string::npos);
}

TEST_CASE("LATENCY DOCTOR summarizes each event and advises", "[latency]") {
  std::map<std::string, LatencySeries, std::less<>> events;
  events["command"] = SeriesOf({{1000, 20}, {1001, 50}, {1002, 10}});
  std::string report =
      LatencyDoctor(events, {.threshold_ms = 5, .slowlog_log_slower_than_us = 10000});
  CHECK(report.find("1. command: 3 latency spikes (average 27ms, mean deviation 16ms, period "
                    "0.67 sec). Worst all time event 50ms.") != std::string::npos);
  CHECK(report.find("CONFIG SET slowlog-log-slower-than 5000") != std::string::npos);
  CHECK(report.find("SLOWLOG GET") != std::string::npos);
  CHECK(report.find("fast-command") == std::string::npos);
  // A slow log that already records what the monitor counts: no advice on it.
  report = LatencyDoctor(events, {.threshold_ms = 5, .slowlog_log_slower_than_us = 1000});
  CHECK(report.find("slowlog-log-slower-than") == std::string::npos);
}

}  // namespace
}  // namespace emberkv::server
