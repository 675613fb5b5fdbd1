#include "server/observability/records.h"

#include <absl/strings/str_cat.h>

#include <algorithm>

namespace emberkv::server {
namespace {

std::atomic<uint64_t> next_slowlog_id{0};

}  // namespace

void Slowlog::Add(std::span<const std::string_view> args, int64_t timestamp_s, uint64_t duration_us,
                  std::string_view client_address, std::string_view client_name, size_t max_len) {
  if (max_len == 0) {
    entries_.clear();
    return;
  }
  SlowlogEntry entry;
  entry.id = next_slowlog_id.fetch_add(1, std::memory_order_relaxed);
  entry.timestamp_s = timestamp_s;
  entry.duration_us = duration_us;
  size_t kept = std::min(args.size(), kMaxArgs);
  entry.args.reserve(kept);
  for (size_t i = 0; i < kept; ++i) {
    if (kept != args.size() && i == kept - 1) {
      entry.args.push_back(absl::StrCat("... (", args.size() - kept + 1, " more arguments)"));
    } else if (args[i].size() > kMaxArgBytes) {
      entry.args.push_back(absl::StrCat(std::string(args[i].substr(0, kMaxArgBytes)), "... (",
                                        args[i].size() - kMaxArgBytes, " more bytes)"));
    } else {
      entry.args.emplace_back(args[i]);
    }
  }
  entry.client_address = client_address;
  entry.client_name = client_name;
  entries_.push_front(std::move(entry));
  Trim(max_len);
}

void Slowlog::Trim(size_t max_len) {
  while (entries_.size() > max_len) entries_.pop_back();
}

std::vector<SlowlogEntry> MergeSlowlogs(const std::vector<std::vector<SlowlogEntry>>& logs,
                                        size_t count) {
  std::vector<SlowlogEntry> all;
  for (const auto& log : logs) all.insert(all.end(), log.begin(), log.end());
  // Ids are handed out in the order entries were made, on any worker.
  std::sort(all.begin(), all.end(),
            [](const SlowlogEntry& a, const SlowlogEntry& b) { return a.id > b.id; });
  if (all.size() > count) all.resize(count);
  return all;
}

void LatencyEvents::Add(std::string_view event, int64_t now_s, uint64_t latency_ms) {
  auto it = events_.find(event);
  if (it == events_.end()) it = events_.emplace(std::string(event), LatencySeries{}).first;
  LatencySeries& series = it->second;
  series.max_ms = std::max(series.max_ms, latency_ms);
  if (!series.samples.empty() && series.samples.back().time_s == now_s) {
    series.samples.back().latency_ms = std::max(series.samples.back().latency_ms, latency_ms);
    return;
  }
  series.samples.push_back({now_s, latency_ms});
  if (series.samples.size() > kMaxSamples) series.samples.pop_front();
}

size_t LatencyEvents::Reset(std::span<const std::string> events) {
  if (events.empty()) {
    size_t had = events_.size();
    events_.clear();
    return had;
  }
  size_t reset = 0;
  for (const std::string& event : events) reset += events_.erase(event);
  return reset;
}

LatencySeries MergeLatencySeries(const std::vector<const LatencySeries*>& series) {
  std::map<int64_t, uint64_t> by_second;
  LatencySeries merged;
  for (const LatencySeries* one : series) {
    merged.max_ms = std::max(merged.max_ms, one->max_ms);
    for (const LatencySample& sample : one->samples) {
      uint64_t& latency = by_second[sample.time_s];
      latency = std::max(latency, sample.latency_ms);
    }
  }
  for (auto& [time_s, latency_ms] : by_second) merged.samples.push_back({time_s, latency_ms});
  while (merged.samples.size() > LatencyEvents::kMaxSamples) merged.samples.pop_front();
  return merged;
}

}  // namespace emberkv::server
