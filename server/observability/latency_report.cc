#include "server/observability/latency_report.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace emberkv::server {
namespace {

constexpr int kGraphRows = 4;
constexpr size_t kGraphColumns = 80;

// "2s", "5m", "3h", "1d": how long ago, in its largest whole unit.
std::string Age(int64_t seconds) {
  seconds = std::max<int64_t>(0, seconds);
  if (seconds < 60) return std::to_string(seconds) + "s";
  if (seconds < 3600) return std::to_string(seconds / 60) + "m";
  if (seconds < 86400) return std::to_string(seconds / 3600) + "h";
  return std::to_string(seconds / 86400) + "d";
}

std::string Format(const char* format, auto... values) {
  char line[256];
  std::snprintf(line, sizeof(line), format, values...);
  return line;
}

}  // namespace

std::string LatencyGraph(std::string_view event, const LatencySeries& series, int64_t now_s) {
  // The newest samples that fit the width.
  size_t skip = series.samples.size() > kGraphColumns ? series.samples.size() - kGraphColumns : 0;
  std::vector<LatencySample> samples(series.samples.begin() + skip, series.samples.end());
  uint64_t high = 0, low = UINT64_MAX;
  for (const LatencySample& s : samples) {
    high = std::max(high, s.latency_ms);
    low = std::min(low, s.latency_ms);
  }
  if (samples.empty()) low = 0;
  std::string out(event);
  out += Format(" - high %" PRIu64 " ms, low %" PRIu64 " ms (all time high %" PRIu64 " ms)\n", high,
                low, series.max_ms);
  out += std::string(kGraphColumns, '-') + "\n";
  // Each column's height in half rows, 1 (the lowest sample) to 2 * rows
  // (the highest); all the same when they are all equal.
  std::vector<int> halves;
  for (const LatencySample& s : samples) {
    double share = high > low ? static_cast<double>(s.latency_ms - low) / (high - low) : 1.0;
    halves.push_back(1 + static_cast<int>(share * (2 * kGraphRows - 1) + 0.5));
  }
  for (int row = kGraphRows - 1; row >= 0; --row) {
    std::string line;
    for (int h : halves) line += h >= 2 * row + 2 ? '|' : h == 2 * row + 1 ? '_' : ' ';
    out += line + "\n";
  }
  // The ages, written downwards.
  std::vector<std::string> ages;
  size_t depth = 0;
  for (const LatencySample& s : samples) {
    ages.push_back(Age(now_s - s.time_s));
    depth = std::max(depth, ages.back().size());
  }
  for (size_t i = 0; i < depth; ++i) {
    std::string line;
    for (const std::string& age : ages) line += i < age.size() ? age[i] : ' ';
    out += line + "\n";
  }
  return out;
}

std::string LatencyDoctor(const std::map<std::string, LatencySeries, std::less<>>& events,
                          const LatencyDoctorSettings& settings) {
  if (settings.threshold_ms <= 0) {
    return "Latency monitoring is off in this instance. Turn it on with CONFIG SET "
           "latency-monitor-threshold <milliseconds>: events that take longer are then "
           "recorded, and this report reads them.\n";
  }
  std::string report;
  int number = 0;
  bool commands_slow = false;
  for (const auto& [event, series] : events) {
    if (series.samples.empty()) continue;
    uint64_t sum = 0;
    for (const LatencySample& s : series.samples) sum += s.latency_ms;
    const double count = static_cast<double>(series.samples.size());
    const double average = sum / count;
    double deviation = 0;
    for (const LatencySample& s : series.samples) deviation += std::abs(s.latency_ms - average);
    deviation /= count;
    // The mean time between spikes, over the span the samples cover.
    const double period =
        static_cast<double>(series.samples.back().time_s - series.samples.front().time_s) / count;
    report += Format(
        "%d. %s: %zu latency spikes (average %.0fms, mean deviation %.0fms, period %.2f sec). "
        "Worst all time event %" PRIu64 "ms.\n",
        ++number, event.c_str(), series.samples.size(), average, deviation, period, series.max_ms);
    if (event == "command" || event == "fast-command") commands_slow = true;
  }
  if (number == 0) {
    return "No latency spike has been recorded since the monitor was turned on or last reset "
           "(latency-monitor-threshold " +
           std::to_string(settings.threshold_ms) + " ms).\n";
  }
  std::string advice;
  const int64_t threshold_us = settings.threshold_ms * 1000;
  if (settings.slowlog_log_slower_than_us < 0 ||
      settings.slowlog_log_slower_than_us > threshold_us) {
    advice +=
        "- The slow log does not record every command the monitor counts as slow: "
        "CONFIG SET slowlog-log-slower-than " +
        std::to_string(threshold_us) + " makes them agree.\n";
  }
  if (commands_slow) {
    advice +=
        "- SLOWLOG GET shows which commands were slow. Commands over large values "
        "(KEYS, SMEMBERS, LRANGE of long lists, DEL of big keys) take time in "
        "proportion to their size: split such values, or use the SCAN family.\n";
  }
  if (events.contains("fast-command")) {
    advice +=
        "- O(1) and O(log N) commands were slow (fast-command): the process was most "
        "likely not running, for example a virtual machine's CPU taken by its host, or "
        "the system swapping.\n";
  }
  return "Latency spikes were observed in this instance:\n\n" + report +
         (advice.empty() ? "" : "\nWhat may help:\n\n" + advice);
}

}  // namespace emberkv::server
