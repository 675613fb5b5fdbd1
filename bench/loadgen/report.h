// The load generator's report: the threads' results merged, printed as one
// JSON line on stdout (for bench/compare and the smoke test) and as a short
// human-readable summary on stderr.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bench/loadgen/client.h"
#include "bench/loadgen/options.h"

namespace emberkv::loadgen {

struct Summary {
  ThreadResult totals;
  double measured_s = 0;  // the window the rate is computed over
  double achieved_rate = 0;
  bool ok() const {
    return totals.failure.empty() && totals.incomplete == 0 && totals.unexpected == 0;
  }
};

// Merges the threads' results. The rate is over [measure_from, end) for
// runs of a fixed duration, and up to the last reply for runs of a fixed
// request count (which end when their last reply arrives).
Summary Summarize(const Options& options, const Plan& plan,
                  const std::vector<ThreadResult>& results);

std::string JsonLine(const Options& options, const Summary& summary);
std::string HumanReport(const Options& options, const Summary& summary);

}  // namespace emberkv::loadgen
