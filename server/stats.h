// Counters kept by each worker on its own thread, without atomics: they are
// summed only when someone asks (INFO, /metrics), by a message to every
// worker. Counting therefore costs the data path an increment, nothing more.
#pragma once

#include <cstdint>
#include <vector>

namespace emberkv::server {

struct CommandCounters {
  uint64_t calls = 0;
  uint64_t usec = 0;
  uint64_t failed_calls = 0;    // the command ran and replied with an error
  uint64_t rejected_calls = 0;  // refused before running (arity, auth, OOM, ...)
};

struct WorkerStats {
  uint64_t commands_processed = 0;
  uint64_t connections_received = 0;
  uint64_t rejected_connections = 0;
  uint64_t connected_clients = 0;
  uint64_t net_input_bytes = 0;
  uint64_t net_output_bytes = 0;
  uint64_t messages_sent = 0;     // to other workers
  uint64_t batches_sent = 0;      // pushes into other workers' inboxes
  uint64_t wakeups_sent = 0;      // eventfd writes
  uint64_t loop_busy_ns = 0;      // time spent outside epoll_wait
  std::vector<CommandCounters> commands;  // indexed by CommandSpec::id

  // CONFIG RESETSTAT: zeroes every counter. Gauges (figures that are not
  // counts since start, like connected_clients) must be kept here.
  void ResetCounters() {
    uint64_t clients = connected_clients;
    size_t command_count = commands.size();
    *this = WorkerStats{};
    connected_clients = clients;
    commands.assign(command_count, CommandCounters{});
  }
};

}  // namespace emberkv::server
