#include "server/scripting/function_dump.h"

#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <vector>

using namespace emberkv::server;

TEST_CASE("Crc64 is Redis's (Jones, reflected)") {
  // Redis's crc64.c self-test value.
  REQUIRE(Crc64(0, "123456789") == 0xe9c6d914c4b8d9caULL);
}

TEST_CASE("A dump parses back into the libraries' codes") {
  std::map<std::string, std::string, std::less<>> libraries = {
      {"a", "#!lua name=a\nredis.register_function('fa', function() return 1 end)"},
      {"b", std::string(20000, 'x')}};  // a length of the 4-byte form
  std::string payload = DumpFunctions(libraries);
  std::vector<std::string> codes;
  REQUIRE_FALSE(ParseFunctionDump(payload, &codes).has_value());
  REQUIRE(codes == std::vector<std::string>{libraries["a"], libraries["b"]});
}

TEST_CASE("A damaged or truncated payload is refused, never over-read") {
  std::string payload = DumpFunctions({{"a", "#!lua name=a\nreturn 1"}});
  std::vector<std::string> codes;
  std::string flipped = payload;
  flipped[3] ^= 1;
  REQUIRE(*ParseFunctionDump(flipped, &codes) == "ERR DUMP payload version or checksum are wrong");
  for (size_t cut = 0; cut < payload.size(); ++cut) {
    codes.clear();
    REQUIRE(ParseFunctionDump(payload.substr(0, cut), &codes).has_value());
  }
}

TEST_CASE("LZF-compressed codes, as Redis writes them, are read") {
  // 0xF5, then an LZF string (0xC3, compressed length 5, length 8): a
  // literal "ab" and a back reference copying 6 bytes from 2 back.
  std::string body = std::string("\xF5\xC3\x05\x08", 4) + std::string(
                                                              "\x01"
                                                              "ab"
                                                              "\x80\x01",
                                                              5);
  std::string payload = body + std::string("\x0a\x00", 2);
  uint64_t crc = Crc64(0, payload);
  for (int i = 0; i < 8; ++i) payload.push_back(static_cast<char>(crc >> (8 * i)));
  std::vector<std::string> codes;
  REQUIRE_FALSE(ParseFunctionDump(payload, &codes).has_value());
  REQUIRE(codes == std::vector<std::string>{"abababab"});
}
