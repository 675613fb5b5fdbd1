// Argument parsing shared by command families, with Redis's error texts.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "server/util/ascii.h"

#include "protocol/reply_builder.h"

namespace emberkv::server {

inline bool Is(std::string_view arg, std::string_view word) { return EqualsIgnoreCase(arg, word); }

// An integer argument, or replies "value is not an integer or out of range"
// (or `error` if given) and returns nullopt.
std::optional<int64_t> IntArg(std::string_view arg, protocol::ReplyBuilder& reply,
                              std::string_view error = {});

enum class TimeUnit { kSeconds, kMilliseconds };

// An expiry argument of SET/GETEX/SETEX turned into a Unix deadline in ms,
// as Redis's getExpireMillisecondsOrReply: positive, no overflow; relative
// times are added to `now_ms`. On error replies "invalid expire time in
// '<command>' command" and returns nullopt.
std::optional<int64_t> ExpireDeadlineArg(std::string_view arg, TimeUnit unit, bool absolute,
                                         int64_t now_ms, std::string_view command,
                                         protocol::ReplyBuilder& reply);

}  // namespace emberkv::server
