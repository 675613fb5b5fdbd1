#include "storage/glob.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <string>

using emberkv::storage::GlobMatch;

TEST_CASE("glob matches like Redis's stringmatchlen") {
  CHECK(GlobMatch("*", "abc"));
  CHECK(GlobMatch("a*c", "abbbc"));
  CHECK_FALSE(GlobMatch("a*c", "abbbd"));
  CHECK(GlobMatch("h?llo", "hello"));
  CHECK(GlobMatch("h[ae]llo", "hallo"));
  CHECK_FALSE(GlobMatch("h[^e]llo", "hello"));
  CHECK(GlobMatch("h[a-b]llo", "hbllo"));
  CHECK(GlobMatch("h[b-a]llo", "hbllo"));
  CHECK(GlobMatch("a\\*b", "a*b"));
  CHECK_FALSE(GlobMatch("a\\*b", "axb"));
  CHECK(GlobMatch("[a", "a"));
  CHECK(GlobMatch("*a*", "banana"));
  CHECK_FALSE(GlobMatch("**", ""));
  CHECK(GlobMatch("", ""));
  CHECK(GlobMatch("HELLO", "hello", /*nocase=*/true));
}

TEST_CASE("glob has no exponential blow-up") {
  std::string text(5000, 'a');
  std::string pattern;
  for (int i = 0; i < 50; ++i) pattern += "a*";
  pattern += "b";
  auto start = std::chrono::steady_clock::now();
  CHECK_FALSE(GlobMatch(pattern, text));
  // Generous: this is a complexity check, not a timing benchmark; the
  // exponential matcher would take longer than the universe has.
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
}
