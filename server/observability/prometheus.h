// /metrics in the Prometheus text exposition format (version 0.0.4).
//
// Figures that redis_exporter also exports carry its names, types and labels
// (redis_connected_clients, redis_commands_total{cmd}, redis_db_keys{db},
// ...), so that dashboards and alerts written for Redis work unchanged.
// What only emberkv has is under emberkv_*: per-command latency as a real
// histogram (emberkv_command_duration_seconds), and per-shard figures with a
// shard label. docs/observability.md lists them all.
#pragma once

#include <string>

namespace emberkv::server {

class Engine;
struct StatsSnapshot;

std::string RenderPrometheus(Engine& engine, const StatsSnapshot& snapshot);

}  // namespace emberkv::server
