#include "protocol/reply_reader.h"

#include <catch2/catch.hpp>

using emberkv::protocol::ReadReply;
using emberkv::protocol::ReadStatus;
using emberkv::protocol::ReplyValue;
using emberkv::protocol::SkipReply;

TEST_CASE("reply reader decodes nested RESP3 and waits for partial replies") {
  std::string input = "*3\r\n:1\r\n%1\r\n+a\r\n$2\r\nbc\r\n_\r\n";
  ReplyValue value;
  size_t consumed = 0;
  REQUIRE(ReadReply(input, &value, &consumed) == ReadStatus::kComplete);
  CHECK(consumed == input.size());
  CHECK(value.DebugString() == "[:1, %[+a, \"bc\"], (nil)]");
  for (size_t cut = 0; cut < input.size(); ++cut) {
    REQUIRE(SkipReply(std::string_view(input).substr(0, cut), &consumed) ==
            ReadStatus::kIncomplete);
  }
  CHECK(SkipReply("?\r\n", &consumed) == ReadStatus::kMalformed);
}
