#include "server/stats.h"

#include "server/util/ascii.h"

namespace emberkv::server {

void WorkerStats::CountError(std::string_view code) {
  std::lock_guard lock(errors_mutex_);
  auto it = errors_.find(ToAbsl(code));
  if (it != errors_.end()) {
    ++it->second;
  } else if (errors_.size() < kMaxErrorCodes) {
    errors_.emplace(std::string(code), 1);
  }
}

std::map<std::string, uint64_t> WorkerStats::ErrorCounts() const {
  std::lock_guard lock(errors_mutex_);
  return std::map<std::string, uint64_t>(errors_.begin(), errors_.end());
}

void WorkerStats::ResetCounters() {
  for (RelaxedCounter* counter :
       {&commands_processed, &connections_received, &rejected_connections, &net_input_bytes,
        &net_output_bytes, &messages_sent, &wakeups_sent, &error_replies}) {
    counter->Set(0);
  }
  for (CommandCounters& command : commands) command.Reset();
  std::lock_guard lock(errors_mutex_);
  errors_.clear();
}

}  // namespace emberkv::server
