// One load generator thread: a set of non-blocking connections driven by
// one epoll loop, sending on schedule (open loop) or as replies come back
// (closed loop, fill), and recording what each reply took.
//
// Open loop: each connection has its own send schedule, evenly spaced at
// (connections * pipeline / rate) and phase-shifted so that the connections
// together send at an even pace. A request's latency runs from its scheduled
// send time, not from when it actually left: if the server (or this thread)
// falls behind, the wait counts, which is what keeps the percentiles free of
// coordinated omission. How late requests actually left is reported apart
// (send lag), so a generator that could not keep up is visible.
//
// Thread safety: a thread touches only its own connections and result.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bench/loadgen/histogram.h"
#include "bench/loadgen/options.h"
#include "bench/loadgen/wire.h"

namespace emberkv::loadgen {

// Times shared by all threads, in CLOCK_MONOTONIC nanoseconds.
struct Plan {
  uint64_t start_ns = 0;
  uint64_t measure_from_ns = 0;  // start + warmup
  uint64_t end_ns = 0;           // no request is scheduled at or after this
  uint64_t drain_deadline_ns = 0;
};

// A connection's share of the work, fixed before the threads start.
struct ConnectionWork {
  int fd = -1;
  int index = 0;           // among all connections of the run
  uint64_t quota = 0;      // closed loop and fill: requests to send (0: until end_ns)
  uint64_t first_key = 0;  // fill: keys [first_key, first_key + quota)
};

struct ThreadResult {
  Histogram latency;       // measured requests, ns
  Histogram send_lag;      // open loop: actual minus scheduled send time, ns
  uint64_t completed = 0;  // measured replies
  uint64_t gets = 0;
  uint64_t sets = 0;
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t errors = 0;      // error replies
  uint64_t unexpected = 0;  // replies that do not answer their request
  uint64_t incomplete = 0;  // requests without a reply by the drain deadline
  uint64_t last_reply_ns = 0;
  std::string failure;           // a broken connection or malformed reply; empty if none
  std::string first_error;       // the first error reply, for the report
  std::string first_unexpected;  // the first reply that did not fit its request
};

uint64_t MonotonicNs();

// Runs `connections` to completion on the calling thread.
void RunClientThread(const Options& options, const Wire& wire, const Plan& plan, int thread_index,
                     std::vector<ConnectionWork> connections, ThreadResult* result);

}  // namespace emberkv::loadgen
