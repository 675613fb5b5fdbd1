#include "server/observability/monitors.h"

#include <catch2/catch.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace emberkv::server {
namespace {

std::string Line(const std::vector<std::string_view>& args, uint64_t redacted = 0,
                 std::string_view origin = "127.0.0.1:5000") {
  return MonitorLine(1796679270'000042, 3, origin, ArgList(args.data(), args.size()), redacted);
}

TEST_CASE("a MONITOR line is Redis's: time, database, origin, quoted arguments", "[monitor]") {
  CHECK(Line({"set", "foo", "bar"}) ==
        "+1796679270.000042 [3 127.0.0.1:5000] \"set\" \"foo\" \"bar\"\r\n");
  CHECK(Line({"get", "x"}, 0, "lua") == "+1796679270.000042 [3 lua] \"get\" \"x\"\r\n");
}

TEST_CASE("a MONITOR line escapes as Redis's sdscatrepr", "[monitor]") {
  std::string binary = "a\"b\\c\n\r\t\a\b\x01\xff";
  CHECK(Line({"set", binary}) ==
        "+1796679270.000042 [3 127.0.0.1:5000] \"set\" "
        "\"a\\\"b\\\\c\\n\\r\\t\\a\\b\\x01\\xff\"\r\n");
}

TEST_CASE("a MONITOR line hides redacted arguments", "[monitor]") {
  CHECK(Line({"hello", "3", "AUTH", "user", "secret"}, (1u << 3) | (1u << 4)) ==
        "+1796679270.000042 [3 127.0.0.1:5000] \"hello\" \"3\" \"AUTH\" \"(redacted)\" "
        "\"(redacted)\"\r\n");
}

TEST_CASE("monitor lines travel in the mailbox, bounded like messages", "[monitor][mailbox]") {
  Mailbox mailbox;
  auto line = std::make_shared<const std::string>(600, 'x');
  CHECK(mailbox.Post(Letter{.monitor_line = line}, 1000).accepted);
  CHECK_FALSE(mailbox.Post(Letter{.monitor_line = line}, 1000).accepted);
  CHECK(mailbox.overflowed());
}

}  // namespace
}  // namespace emberkv::server
