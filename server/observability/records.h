// What the server records about its commands beyond counters: the slow log
// (SLOWLOG) and the latency monitor's events (LATENCY), plus the peak of
// used memory. Unlike the counters in WorkerStats, CONFIG RESETSTAT leaves
// them alone, as in Redis.
//
// One set for the whole server: only slow commands write here, so a lock
// costs nothing on the common path, and SLOWLOG GET sees one log in order.
//
// Thread safety: Slowlog and LatencyEvents under Records::mutex; the peak is
// atomic.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace emberkv::server {

// ---- SLOWLOG ----

struct SlowlogEntry {
  uint64_t id = 0;  // unique and increasing across all workers
  int64_t timestamp_s = 0;
  uint64_t duration_us = 0;
  std::vector<std::string> args;  // shortened as Redis does (see Slowlog::Add)
  std::string client_address;
  std::string client_name;
};

class Slowlog {
 public:
  // As Redis: at most 32 arguments (the 32nd says how many more there were),
  // each at most 128 bytes (then "... (N more bytes)").
  static constexpr size_t kMaxArgs = 32;
  static constexpr size_t kMaxArgBytes = 128;

  // Adds an entry, newest first, and keeps the newest `max_len`.
  void Add(std::span<const std::string_view> args, int64_t timestamp_s, uint64_t duration_us,
           std::string_view client_address, std::string_view client_name, size_t max_len);
  void Trim(size_t max_len);
  void Reset() { entries_.clear(); }
  const std::deque<SlowlogEntry>& entries() const { return entries_; }

 private:
  std::deque<SlowlogEntry> entries_;  // newest first
};

// The newest `count` entries of several workers' logs (each newest first),
// newest first.
std::vector<SlowlogEntry> MergeSlowlogs(const std::vector<std::vector<SlowlogEntry>>& logs,
                                        size_t count);

// ---- LATENCY (the latency monitor) ----

struct LatencySample {
  int64_t time_s = 0;
  uint64_t latency_ms = 0;
};

struct LatencySeries {
  std::deque<LatencySample> samples;  // oldest first; one per second (the largest)
  uint64_t max_ms = 0;                // the largest ever seen
};

class LatencyEvents {
 public:
  // As Redis: 160 samples per event.
  static constexpr size_t kMaxSamples = 160;

  void Add(std::string_view event, int64_t now_s, uint64_t latency_ms);
  // Forgets the given events (all when empty); returns how many it had.
  size_t Reset(std::span<const std::string> events);
  const std::map<std::string, LatencySeries, std::less<>>& events() const { return events_; }

 private:
  std::map<std::string, LatencySeries, std::less<>> events_;
};

// Several workers' series of one event as one: per second the largest
// sample, the newest kMaxSamples of them.
LatencySeries MergeLatencySeries(const std::vector<const LatencySeries*>& series);

// ---- For the whole server ----

struct Records {
  std::mutex mutex;  // guards slowlog and latency
  Slowlog slowlog;
  LatencyEvents latency;
  // The largest sum of all shards' used memory seen.
  std::atomic<uint64_t> used_memory_peak{0};

  void NotePeak(uint64_t used) {
    uint64_t seen = used_memory_peak.load(std::memory_order_relaxed);
    while (used > seen &&
           !used_memory_peak.compare_exchange_weak(seen, used, std::memory_order_relaxed)) {
    }
  }
};

}  // namespace emberkv::server
