// LCS (longest common subsequence of two strings) with Redis 7.0's dynamic
// program, so that the subsequence it prints and the match ranges of IDX
// come out exactly as Redis's: the table is walked back from its end,
// preferring to drop a character of the first string on ties, and ranges are
// reported from the end of the strings towards their start.
//
// The table takes (|a|+1) * (|b|+1) four-byte cells; Compute refuses, before
// allocating, when that exceeds `max_table_bytes` (proto-max-bulk-len, as
// Redis does). The keys are read with strings::Get (a missing key is an
// empty string; another type is "The specified keys must contain string
// values"), possibly on two shards. Pure function, safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "storage/op_status.h"

namespace emberkv::storage::lcs {

struct Options {
  bool want_string = true;    // the subsequence itself (neither LEN nor IDX)
  bool want_matches = false;  // IDX
  int64_t min_match_len = 0;  // MINMATCHLEN (negative counts as 0)
};

struct Match {
  uint32_t a_start, a_end;  // inclusive positions in the first string
  uint32_t b_start, b_end;  // and in the second
  uint32_t length() const { return a_end - a_start + 1; }
};

struct Result {
  uint32_t length = 0;         // LEN, and IDX's "len"
  std::string subsequence;     // when want_string
  std::vector<Match> matches;  // when want_matches, in Redis's order
};

// kStringTooLong when a string reaches UINT32_MAX - 1 bytes ("String too
// long for LCS"); kTooLarge when the table would exceed max_table_bytes
// ("Insufficient memory, transient memory for LCS exceeds
// proto-max-bulk-len"); kOutOfMemory when it cannot be allocated
// ("Insufficient memory, failed allocating transient memory for LCS").
OpResult<Result> Compute(std::string_view a, std::string_view b, const Options& options,
                         uint64_t max_table_bytes);

}  // namespace emberkv::storage::lcs
