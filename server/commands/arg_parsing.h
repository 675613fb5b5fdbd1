// Argument parsing shared by command families, with Redis's error texts.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "protocol/reply_builder.h"
#include "server/util/ascii.h"

namespace emberkv::server {

// Argument text as Redis's C code sees it when it compares or prints an
// option: up to the first NUL byte.
inline std::string_view AsCString(std::string_view arg) { return arg.substr(0, arg.find('\0')); }

// Whether an option word is `word`, as Redis's strcasecmp decides: "NX\0..."
// is NX.
inline bool Is(std::string_view arg, std::string_view word) {
  return EqualsIgnoreCase(AsCString(arg), word);
}

// An integer argument, or replies "value is not an integer or out of range"
// (or `error` if given) and returns nullopt.
std::optional<int64_t> IntArg(std::string_view arg, protocol::ReplyBuilder& reply,
                              std::string_view error = {});

// An int argument as Redis's getIntFromObjectOrReply reads it: not an
// integer gives "value is not an integer or out of range", an integer outside
// int's range "value is out of range, value must between -2147483648 and
// 2147483647". A non-empty `error` replaces both texts (as SWAPDB's "invalid
// first DB index").
std::optional<int> Int32Arg(std::string_view arg, protocol::ReplyBuilder& reply,
                            std::string_view error = {});

// A database number for SELECT, MOVE and COPY ... DB: an int as above, then
// "DB index is out of range" unless 0 <= index < databases.
std::optional<int> DbIndexArg(std::string_view arg, int databases, protocol::ReplyBuilder& reply);

enum class TimeUnit { kSeconds, kMilliseconds };

// An expiry argument of SET/GETEX/SETEX turned into a Unix deadline in ms,
// as Redis's getExpireMillisecondsOrReply: positive, no overflow; relative
// times are added to `now_ms`. On error replies "invalid expire time in
// '<command>' command" and returns nullopt.
std::optional<int64_t> ExpireDeadlineArg(std::string_view arg, TimeUnit unit, bool absolute,
                                         int64_t now_ms, std::string_view command,
                                         protocol::ReplyBuilder& reply);

}  // namespace emberkv::server
