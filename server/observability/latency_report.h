// LATENCY GRAPH and LATENCY DOCTOR: the latency monitor's samples
// (observability/records.h) as text for people.
//
// GRAPH draws one event's samples as columns, oldest on the left, under
// Redis's header line ("<event> - high <ms> ms, low <ms> ms (all time high
// <ms> ms)") and over each sample's age written downwards ("2" over "s":
// two seconds ago). DOCTOR summarizes every event (spikes, average, mean
// deviation, period, worst) and gives the advice that applies. Redis's
// reports have the same content; the drawing and the wording are ours (no
// tool parses them).
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "server/observability/records.h"

namespace emberkv::server {

std::string LatencyGraph(std::string_view event, const LatencySeries& series, int64_t now_s);

struct LatencyDoctorSettings {
  int64_t threshold_ms = 0;                // latency-monitor-threshold (0: off)
  int64_t slowlog_log_slower_than_us = 0;  // slowlog-log-slower-than (< 0: off)
};
std::string LatencyDoctor(const std::map<std::string, LatencySeries, std::less<>>& events,
                          const LatencyDoctorSettings& settings);

}  // namespace emberkv::server
