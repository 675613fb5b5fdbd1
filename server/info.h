// The text of INFO, from a snapshot of every loop's and shard's figures
// (observability/stats_snapshot.h), taken only when asked.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "server/command_context.h"

namespace emberkv::server {

struct StatsSnapshot;
class Engine;

// Builds INFO's reply for the requested sections (none: the default ones).
std::string BuildInfo(CommandContext& ctx, std::span<const std::string_view> sections);

// INFO's text for `sections` (lower case; none: the default ones) from a
// snapshot of every worker's figures.
std::string RenderInfo(Engine& engine, const StatsSnapshot& snapshot,
                       const std::vector<std::string>& sections);

// The server's random id (INFO run_id), made at the first call.
const std::string& RunId();

// Redis's rendering of a byte count: 1023B, 1.00K, 967.44K, 11.81M, ...
std::string HumanBytes(uint64_t bytes);

// The version we report as redis_version; client libraries pick code paths
// from it, so it is Redis's, not ours.
inline constexpr std::string_view kRedisCompatVersion = "7.0.15";
inline constexpr std::string_view kEmberkvVersion = "0.1.0";

}  // namespace emberkv::server
