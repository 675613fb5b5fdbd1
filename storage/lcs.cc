#include "storage/lcs.h"

#include <algorithm>
#include <memory>
#include <new>

namespace emberkv::storage::lcs {

OpResult<Result> Compute(std::string_view a, std::string_view b, const Options& options,
                         uint64_t max_table_bytes) {
  if (a.size() >= UINT32_MAX - 1 || b.size() >= UINT32_MAX - 1) return OpStatus::kStringTooLong;
  const uint64_t rows = a.size() + 1, columns = b.size() + 1;
  // Neither factor reaches 2^32, so the product fits; the byte count may not.
  const uint64_t cells = rows * columns;
  if (cells > UINT64_MAX / sizeof(uint32_t) || cells * sizeof(uint32_t) > max_table_bytes) {
    return OpStatus::kTooLarge;
  }
  std::unique_ptr<uint32_t[]> table(new (std::nothrow) uint32_t[cells]);
  if (!table) return OpStatus::kOutOfMemory;
  // table[i * columns + j]: the LCS length of a[0..i) and b[0..j).
  auto at = [&](uint64_t i, uint64_t j) -> uint32_t& { return table[i * columns + j]; };
  for (uint64_t j = 0; j < columns; ++j) at(0, j) = 0;
  for (uint64_t i = 1; i < rows; ++i) {
    at(i, 0) = 0;
    for (uint64_t j = 1; j < columns; ++j) {
      if (a[i - 1] == b[j - 1]) {
        at(i, j) = at(i - 1, j - 1) + 1;
      } else {
        at(i, j) = std::max(at(i - 1, j), at(i, j - 1));
      }
    }
  }

  Result result;
  result.length = at(rows - 1, columns - 1);
  if (!options.want_string && !options.want_matches) return result;
  if (options.want_string) result.subsequence.resize(result.length);

  // Walk back from the end. A range of matches grows backwards while the
  // matches are contiguous in both strings and is reported when it ends.
  const uint64_t min_length =
      options.min_match_len < 0 ? 0 : static_cast<uint64_t>(options.min_match_len);
  uint32_t remaining = result.length;
  uint64_t i = a.size(), j = b.size();
  bool in_range = false;
  Match range{};
  while (i > 0 && j > 0) {
    bool emit = false;
    if (a[i - 1] == b[j - 1]) {
      if (options.want_string) result.subsequence[--remaining] = a[i - 1];
      const auto ai = static_cast<uint32_t>(i - 1), bj = static_cast<uint32_t>(j - 1);
      if (!in_range) {
        range = Match{ai, ai, bj, bj};
        in_range = true;
      } else if (range.a_start == ai + 1 && range.b_start == bj + 1) {
        range.a_start = ai;
        range.b_start = bj;
      } else {
        emit = true;
      }
      // A range that reached the start of either string is complete.
      if (range.a_start == 0 || range.b_start == 0) emit = true;
      --i;
      --j;
    } else {
      if (at(i - 1, j) > at(i, j - 1)) {
        --i;
      } else {
        --j;
      }
      if (in_range) emit = true;
    }
    if (emit) {
      if (options.want_matches && (min_length == 0 || range.length() >= min_length)) {
        result.matches.push_back(range);
      }
      in_range = false;
    }
  }
  return result;
}

}  // namespace emberkv::storage::lcs
