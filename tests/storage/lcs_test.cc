#include "storage/lcs.h"

#include <catch2/catch.hpp>
#include <random>
#include <string>

using namespace emberkv::storage;

namespace {
constexpr uint64_t kLimit = 512ULL * 1024 * 1024;

std::string Describe(const lcs::Result& r) {
  std::string out;
  for (const lcs::Match& m : r.matches) {
    out += "[" + std::to_string(m.a_start) + "-" + std::to_string(m.a_end) + "," +
           std::to_string(m.b_start) + "-" + std::to_string(m.b_end) + "]";
  }
  return out;
}

bool IsSubsequence(const std::string& s, const std::string& of) {
  size_t i = 0;
  for (char c : of) {
    if (i < s.size() && s[i] == c) ++i;
  }
  return i == s.size();
}
}  // namespace

TEST_CASE("LCS: Redis's documented example, with IDX, MINMATCHLEN and LEN") {
  lcs::Options idx{true, true, 0};
  auto r = lcs::Compute("ohmytext", "mynewtext", idx, kLimit);
  REQUIRE(r.ok());
  CHECK(r.value.subsequence == "mytext");
  CHECK(r.value.length == 6);
  // LCS key1 key2 IDX: matches [[4,7],[5,8]] and [[2,3],[0,1]], len 6.
  CHECK(Describe(r.value) == "[4-7,5-8][2-3,0-1]");
  lcs::Options min4{false, true, 4};
  CHECK(Describe(lcs::Compute("ohmytext", "mynewtext", min4, kLimit).value) == "[4-7,5-8]");
  lcs::Options len_only{false, false, 0};
  auto l = lcs::Compute("ohmytext", "mynewtext", len_only, kLimit);
  CHECK(l.value.length == 6);
  CHECK(l.value.subsequence.empty());
  CHECK(lcs::Compute("", "abc", idx, kLimit).value.length == 0);
  CHECK(lcs::Compute("", "", idx, kLimit).value.matches.empty());
  // Ranges that reach the start of a string are reported too.
  CHECK(Describe(lcs::Compute("abc", "abc", idx, kLimit).value) == "[0-2,0-2]");
  CHECK(Describe(lcs::Compute("xabc", "abcy", idx, kLimit).value) == "[1-3,0-2]");
}

TEST_CASE("LCS: the table's size is refused before it is allocated") {
  std::string a(1000, 'a'), b(1000, 'b');
  // 1001 * 1001 * 4 bytes = 4008004.
  CHECK(lcs::Compute(a, b, {}, 4008003).status == OpStatus::kTooLarge);
  CHECK(lcs::Compute(a, b, {}, 4008004).ok());
  CHECK(lcs::Compute(std::string(1 << 20, 'x'), std::string(1 << 20, 'y'), {}, kLimit).status ==
        OpStatus::kTooLarge);
}

TEST_CASE("LCS: results are common subsequences of the longest length") {
  std::mt19937 rng(9);
  for (int round = 0; round < 300; ++round) {
    std::string a(rng() % 40, ' '), b(rng() % 40, ' ');
    for (char& c : a) c = static_cast<char>('a' + rng() % 3);
    for (char& c : b) c = static_cast<char>('a' + rng() % 3);
    lcs::Options idx{true, true, 0};
    auto r = lcs::Compute(a, b, idx, kLimit);
    REQUIRE(r.ok());
    REQUIRE(IsSubsequence(r.value.subsequence, a));
    REQUIRE(IsSubsequence(r.value.subsequence, b));
    REQUIRE(r.value.subsequence.size() == r.value.length);
    // The ranges, read backwards, spell the subsequence.
    std::string spelled;
    for (auto it = r.value.matches.rbegin(); it != r.value.matches.rend(); ++it) {
      REQUIRE(a.substr(it->a_start, it->length()) == b.substr(it->b_start, it->length()));
      spelled += a.substr(it->a_start, it->length());
    }
    REQUIRE(spelled == r.value.subsequence);
  }
}
