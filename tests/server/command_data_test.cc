#include "server/command_data.h"

#include <catch2/catch.hpp>
#include <string_view>
#include <vector>

using namespace emberkv::server;

namespace {

std::vector<int> Keys(const KeySpec& spec, std::vector<std::string_view> args) {
  std::vector<int> keys;
  KeyRun run = spec.RunIn(args);
  for (int i = run.first; i <= run.last; i += run.step) keys.push_back(i);
  return keys;
}

KeySpec Range(int index, int lastkey = 0, int keystep = 1, int limit = 0) {
  return KeySpec{
      .flags = kKeyRW, .index = index, .lastkey = lastkey, .keystep = keystep, .limit = limit};
}

// COMMAND INFO's first key, last key and step, as Redis 7.0 reported them.
struct ReportedRange {
  std::string_view name;
  int first, last, step;
};
constexpr ReportedRange kReportedRanges[] = {
#include "command_data_legacy_ranges.inc"
};

}  // namespace

TEST_CASE("key specs find keys as Redis's getKeysUsingKeySpecs") {
  // GET key
  CHECK(Keys(Range(1), {"get", "k"}) == std::vector<int>{1});
  // DEL key [key ...]
  CHECK(Keys(Range(1, -1), {"del", "a", "b", "c"}) == std::vector<int>{1, 2, 3});
  // MSET key value [key value ...], and a call missing its last value
  CHECK(Keys(Range(1, -1, 2), {"mset", "a", "1", "b", "2"}) == std::vector<int>{1, 3});
  CHECK(Keys(Range(1, -1, 2), {"mset", "a", "1", "b"}) == std::vector<int>{1, 3});
  // RENAME key newkey: the second spec starts at 2
  CHECK(Keys(Range(2), {"rename", "a", "b"}) == std::vector<int>{2});
  // ZUNIONSTORE destination numkeys key [key ...] WEIGHTS ...
  KeySpec numkeys{.flags = kKeyRO,
                  .index = 2,
                  .find = KeySpec::Find::kKeynum,
                  .keystep = 1,
                  .keynumidx = 0,
                  .firstkey = 1};
  CHECK(Keys(numkeys, {"zunionstore", "d", "2", "a", "b", "WEIGHTS", "1", "2"}) ==
        std::vector<int>{3, 4});
  CHECK(Keys(numkeys, {"zunionstore", "d", "0"}).empty());
  CHECK(Keys(numkeys, {"zunionstore", "d", "9", "a"}).empty());  // more keys announced than given
  CHECK(Keys(numkeys, {"zunionstore", "d", "x", "a"}).empty());  // not a number
  // XREAD ... STREAMS key [key ...] id [id ...]: half of what follows (Redis's own spec)
  const KeySpec& streams = FindCommandData("xread")->key_specs[0];
  REQUIRE(streams.begin == KeySpec::Begin::kKeyword);
  CHECK(streams.keyword == "STREAMS");
  CHECK(Keys(streams, {"xread", "COUNT", "2", "streams", "a", "b", "0", "0"}) ==
        std::vector<int>{4, 5});
  CHECK(Keys(streams, {"xread", "COUNT", "2"}).empty());
  // A spec whose first key is past the end finds nothing; an unknown one never does.
  CHECK(Keys(Range(1), {"get"}).empty());
  CHECK(Keys(KeySpec{.begin = KeySpec::Begin::kUnknown, .find = KeySpec::Find::kUnknown},
             {"sort", "k"})
            .empty());
}

TEST_CASE("key spec flags are named as Redis names them") {
  constexpr uint16_t flags = KeySpecFlagsOf("RW access update variable_flags");
  CHECK(flags == (kKeyRW | kKeyAccess | kKeyUpdate | kKeyVariableFlags));
  KeySpec spec{.flags = flags};
  CHECK(spec.Has(kKeyRW));
  CHECK(spec.Has(kKeyVariableFlags));
  CHECK_FALSE(spec.Has(kKeyRO));
  CHECK(KeySpecFlagsOf("") == 0);
}

TEST_CASE("the data has every Redis 7.0 command, in lookup order") {
  std::span<const CommandData> all = AllCommandData();
  CHECK(all.size() > 300);
  for (size_t i = 1; i < all.size(); ++i) {
    std::string_view a = all[i - 1].name, b = all[i].name;
    CHECK((a.size() < b.size() || (a.size() == b.size() && a < b)));
  }
  for (const CommandData& data : all) CHECK(FindCommandData(data.name) == &data);
  for (std::string_view name : {"get", "config|get", "xreadgroup", "client|no-touch", "sort_ro"}) {
    INFO(name);
    CHECK(FindCommandData(name) != nullptr);
  }
  CHECK(FindCommandData("nosuch") == nullptr);
  CHECK(FindCommandData("GET") == nullptr);  // names are lower case
  CHECK(FindCommandData("config|nosuch") == nullptr);

  const CommandData& set = *FindCommandData("set");
  CHECK(set.arity == -3);
  CHECK(set.flags == (kCmdWrite | kCmdDenyOom));
  CHECK(set.acl_categories == "@write @string @slow");
  CHECK(set.group == "string");
  REQUIRE(set.key_specs.size() == 1);
  CHECK(set.key_specs[0].flags == (kKeyRW | kKeyAccess | kKeyUpdate | kKeyVariableFlags));
  CHECK(set.key_specs[0].notes == "RW and ACCESS due to the optional `GET` argument");
  CHECK(set.history.size() == 4);
  REQUIRE(set.arguments.size() == 5);
  CHECK(set.arguments[4].name == "expiration");
  CHECK(set.arguments[4].arguments.size() == 5);
  // Hidden by COMMAND INFO, kept by the data.
  CHECK(FindCommandData("publish")->flags & kCmdMayReplicate);
}

TEST_CASE("first/last/step come from the key specs exactly as Redis derives them") {
  // Every Redis 7.0 command: the range COMMAND INFO reported, and its
  // movablekeys flag, which Redis derives the same way.
  CHECK(std::size(kReportedRanges) == AllCommandData().size());
  for (const ReportedRange& reported : kReportedRanges) {
    INFO(reported.name);
    const CommandData* data = FindCommandData(reported.name);
    REQUIRE(data != nullptr);
    LegacyRange derived = DeriveLegacyRange(data->key_specs);
    CHECK(derived.first == reported.first);
    CHECK(derived.last == reported.last);
    CHECK(derived.step == reported.step);
    CHECK(derived.movable == ((data->flags & kCmdMovableKeys) != 0));
  }
}
