// Glob-style matching for KEYS, SCAN MATCH and PSUBSCRIBE, with Redis's
// syntax (*, ?, [abc], [^a-z], \x) and Redis's answers, but in O(pattern x
// text) time: Redis's recursive matcher can be driven into exponential time by
// patterns like "a*a*a*a*...b"; this one backtracks only to the last star.
#pragma once

#include <string_view>

namespace emberkv::storage {

bool GlobMatch(std::string_view pattern, std::string_view text, bool nocase = false);

}  // namespace emberkv::storage
