// Splits an inline command line into arguments the way redis-cli users expect:
// blanks separate arguments, "double quotes" understand \n \r \t \b \a \" \\ and
// \xHH, 'single quotes' understand \'. Same rules as Redis's sdssplitargs, so
// that `SET k "a b"` typed into telnet means the same to us as to Redis.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace emberkv::protocol {

// Returns the arguments of `line` (without its line ending), or nullopt when
// the quoting is unbalanced (an unterminated quote, or a closing quote followed
// by something other than a blank). A NUL byte ends the line, as in Redis.
std::optional<std::vector<std::string>> SplitInlineArgs(std::string_view line);

}  // namespace emberkv::protocol
