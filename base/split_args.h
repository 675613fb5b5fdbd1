// Splits a line into arguments as Redis's sdssplitargs does, the rules Redis
// applies both to inline commands (typed into telnet) and to redis.conf lines:
// blanks separate arguments; "double quotes" understand \n \r \t \b \a \",
// backslash-backslash and \xHH; 'single quotes' understand \'. So
// `SET k "a b"` typed into telnet, or `requirepass "a b"` in a config file,
// means the same to us as to Redis.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace emberkv::base {

// Returns the arguments of `line` (without its line ending), or nullopt when
// the quoting is unbalanced (an unterminated quote, or a closing quote followed
// by something other than a blank). A NUL byte ends the line, as the end of a
// C string ends it in Redis.
std::optional<std::vector<std::string>> SplitArgs(std::string_view line);

}  // namespace emberkv::base
