#include "protocol/request_parser.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using emberkv::protocol::ParserLimits;
using emberkv::protocol::ParseStatus;
using emberkv::protocol::ProtocolError;
using emberkv::protocol::RequestParser;

namespace {

using Command = std::vector<std::string>;

// Feeds `input` in pieces that end at the given split points and collects the
// parsed commands, dropping consumed bytes the way a connection does.
struct Outcome {
  std::vector<Command> commands;
  ParseStatus last = ParseStatus::kNeedMore;
  std::string error;
  size_t pending = 0;  // bytes left unconsumed
};

Outcome Feed(const std::string& input, const std::vector<size_t>& splits, ParserLimits limits = {},
             bool auth_required = false) {
  RequestParser parser(limits);
  parser.set_auth_required(auth_required);
  Outcome out;
  std::string buffer;
  size_t fed = 0;
  std::vector<size_t> ends = splits;
  ends.push_back(input.size());
  for (size_t end : ends) {
    buffer.append(input, fed, end - fed);
    fed = end;
    while (true) {
      ParseStatus status = parser.Parse(buffer);
      out.last = status;
      if (status == ParseStatus::kError) {
        out.error = parser.ErrorMessage();
        return out;
      }
      // Copy the arguments before dropping the bytes they point into.
      if (status == ParseStatus::kCommand) {
        out.commands.emplace_back(parser.args().begin(), parser.args().end());
      }
      buffer.erase(0, parser.consumed());
      if (status == ParseStatus::kNeedMore) break;
    }
  }
  out.pending = buffer.size();
  return out;
}

Outcome FeedWhole(const std::string& input) { return Feed(input, {}); }

}  // namespace

TEST_CASE("multibulk commands parse, one or many per buffer") {
  Outcome out = FeedWhole("*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n*1\r\n$4\r\nPING\r\n");
  REQUIRE(out.commands.size() == 2);
  CHECK(out.commands[0] == Command{"GET", "key"});
  CHECK(out.commands[1] == Command{"PING"});
  CHECK(out.pending == 0);
}

TEST_CASE("binary-safe bulk strings keep CR, LF and NUL") {
  std::string value("a\r\nb\0c", 6);
  Outcome out = FeedWhole("*2\r\n$3\r\nSET\r\n$6\r\n" + value + "\r\n");
  REQUIRE(out.commands.size() == 1);
  CHECK(out.commands[0][1] == value);
}

TEST_CASE("every message split at every byte parses the same") {
  const std::string input =
      "*3\r\n$3\r\nSET\r\n$5\r\nhello\r\n$10\r\nworld\r\nfoo\r\n"
      "PING\r\n"
      "*0\r\n"
      "set  \"a b\"  'c\\'d'\n"
      "*-1\r\n"
      "\r\n"
      "*2\r\n$4\r\nECHO\r\n$0\r\n\r\n";
  const std::vector<Command> expected = {
      {"SET", "hello", "world\r\nfoo"}, {"PING"}, {"set", "a b", "c'd"}, {"ECHO", ""}};
  REQUIRE(FeedWhole(input).commands == expected);
  for (size_t a = 1; a < input.size(); ++a) {
    Outcome one = Feed(input, {a});
    INFO("split at " << a);
    REQUIRE(one.commands == expected);
    REQUIRE(one.pending == 0);
  }
  // Two split points, a sample of pairs (all pairs would be slow).
  for (size_t a = 1; a < input.size(); a += 3) {
    for (size_t b = a + 1; b < input.size(); b += 5) {
      INFO("splits at " << a << ", " << b);
      REQUIRE(Feed(input, {a, b}).commands == expected);
    }
  }
  // One byte at a time.
  std::vector<size_t> every;
  for (size_t i = 1; i < input.size(); ++i) every.push_back(i);
  REQUIRE(Feed(input, every).commands == expected);
}

TEST_CASE("an announced bulk is waited for without being allocated") {
  RequestParser parser;
  std::string buffer = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$500000000\r\nabc";
  REQUIRE(parser.Parse(buffer) == ParseStatus::kNeedMore);
  // The parser tells how much it needs: the header plus 500 MB and CRLF.
  CHECK(parser.bytes_wanted() == buffer.size() - 3 + 500000000 + 2);
  CHECK(parser.consumed() == 0);
}

TEST_CASE("protocol errors carry Redis's texts") {
  auto error_of = [](const std::string& input, bool auth = false) {
    return Feed(input, {}, {}, auth).error;
  };
  CHECK(error_of("*abc\r\n") == "ERR Protocol error: invalid multibulk length");
  CHECK(error_of("*3000000000\r\n") == "ERR Protocol error: invalid multibulk length");
  CHECK(error_of("*01\r\n") == "ERR Protocol error: invalid multibulk length");
  CHECK(error_of("*1\r\n$-1\r\n") == "ERR Protocol error: invalid bulk length");
  CHECK(error_of("*1\r\n$x\r\n") == "ERR Protocol error: invalid bulk length");
  CHECK(error_of("*1\r\n$600000000\r\n") == "ERR Protocol error: invalid bulk length");
  // Lengths of 18 digits take the one-pass path, longer ones the careful one.
  CHECK(error_of("*1\r\n$123456789012345678\r\n") == "ERR Protocol error: invalid bulk length");
  CHECK(error_of("*1\r\n$1234567890123456789\r\n") == "ERR Protocol error: invalid bulk length");
  CHECK(error_of("*1\r\n$007\r\n") == "ERR Protocol error: invalid bulk length");
  CHECK(error_of("*123456789012345678\r\n") == "ERR Protocol error: invalid multibulk length");
  CHECK(error_of("*1\r\n:3\r\n") == "ERR Protocol error: expected '$', got ':'");
  CHECK(error_of("GET \"abc\r\n") == "ERR Protocol error: unbalanced quotes in request");
  CHECK(error_of("GET \"a\"b\r\n") == "ERR Protocol error: unbalanced quotes in request");
  CHECK(error_of(std::string(70000, 'a')) == "ERR Protocol error: too big inline request");
  CHECK(error_of("*1" + std::string(70000, '1')) ==
        "ERR Protocol error: too big mbulk count string");
  CHECK(error_of("*1\r\n$" + std::string(70000, '1')) ==
        "ERR Protocol error: too big bulk count string");
  CHECK(error_of("*11\r\n", true) == "ERR Protocol error: unauthenticated multibulk length");
  CHECK(error_of("*1\r\n$16385\r\n", true) == "ERR Protocol error: unauthenticated bulk length");
  CHECK(error_of("*10\r\n", true).empty());
  CHECK(error_of("*1\r\n$16384\r\n", true).empty());
}

TEST_CASE("a line past the inline limit is refused however it arrives") {
  std::string line = "SET k " + std::string(70000, 'v') + "\r\n";
  CHECK(Feed(line, {}).error == "ERR Protocol error: too big inline request");
  CHECK(Feed(line, {100, 40000}).error == "ERR Protocol error: too big inline request");
  std::string header = "*1" + std::string(70000, '0') + "\r\n";
  CHECK(Feed(header, {}).error == "ERR Protocol error: too big mbulk count string");
}

TEST_CASE("commands before a protocol error are delivered") {
  Outcome out = FeedWhole("*1\r\n$4\r\nPING\r\n*x\r\n");
  REQUIRE(out.commands.size() == 1);
  CHECK(out.last == ParseStatus::kError);
}

TEST_CASE("inline commands accept LF alone and skip blank lines") {
  Outcome out = FeedWhole("\n\r\nPING\nECHO x\r\n   \n");
  REQUIRE(out.commands.size() == 2);
  CHECK(out.commands[0] == Command{"PING"});
  CHECK(out.commands[1] == Command{"ECHO", "x"});
}
