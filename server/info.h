// The text of INFO, gathered from every worker by messages (each worker's
// counters are its own; they are summed here, only when asked).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "server/command.h"
#include "server/engine/task.h"

namespace emberkv::server {

// Builds INFO's reply for the requested sections (none: the default ones).
Task<std::string> BuildInfo(CoordContext& ctx, std::vector<std::string_view> sections);

// The version we report as redis_version; client libraries pick code paths
// from it, so it is Redis's, not ours.
inline constexpr std::string_view kRedisCompatVersion = "7.0.15";
inline constexpr std::string_view kEmberkvVersion = "0.1.0";

}  // namespace emberkv::server
