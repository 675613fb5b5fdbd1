#include "server/command_docs.h"

#include <catch2/catch.hpp>
#include <string_view>
#include <vector>

#include "server/command_table.h"

using namespace emberkv::server;

namespace {

std::vector<int> Keys(const KeySpec& spec, std::vector<std::string_view> args) { return spec.KeysIn(args); }

}  // namespace

TEST_CASE("key specs find keys as Redis's getKeysUsingKeySpecs") {
  // GET key
  CHECK(Keys(KeySpec::Range("RO", 1), {"get", "k"}) == std::vector<int>{1});
  // DEL key [key ...]
  CHECK(Keys(KeySpec::Range("RM", 1, -1), {"del", "a", "b", "c"}) == std::vector<int>{1, 2, 3});
  // MSET key value [key value ...], and a call missing its last value
  CHECK(Keys(KeySpec::Range("OW", 1, -1, 2), {"mset", "a", "1", "b", "2"}) == std::vector<int>{1, 3});
  CHECK(Keys(KeySpec::Range("OW", 1, -1, 2), {"mset", "a", "1", "b"}) == std::vector<int>{1, 3});
  // RENAME key newkey: the second spec starts at 2
  CHECK(Keys(KeySpec::Range("OW", 2), {"rename", "a", "b"}) == std::vector<int>{2});
  // ZUNIONSTORE destination numkeys key [key ...] WEIGHTS ...
  KeySpec numkeys = KeySpec::Keynum("RO", 2, 0, 1, 1);
  CHECK(Keys(numkeys, {"zunionstore", "d", "2", "a", "b", "WEIGHTS", "1", "2"}) == std::vector<int>{3, 4});
  CHECK(Keys(numkeys, {"zunionstore", "d", "0"}).empty());
  CHECK(Keys(numkeys, {"zunionstore", "d", "9", "a"}).empty());  // more keys announced than given
  CHECK(Keys(numkeys, {"zunionstore", "d", "x", "a"}).empty());  // not a number
  // XREAD ... STREAMS key [key ...] id [id ...]: half of what follows
  KeySpec streams = KeySpec::KeywordRange("RO", "STREAMS", 1, -1, 1, 2);
  CHECK(Keys(streams, {"xread", "COUNT", "2", "streams", "a", "b", "0", "0"}) == std::vector<int>{4, 5});
  CHECK(Keys(streams, {"xread", "COUNT", "2"}).empty());
  // A spec whose first key is past the end finds nothing.
  CHECK(Keys(KeySpec::Range("RO", 1), {"get"}).empty());
}

TEST_CASE("every command in the table is documented for COMMAND DOCS") {
  for (const CommandSpec* spec : CommandTable::Get().by_id()) {
    INFO(spec->name);
    CHECK(!spec->summary.empty());
    CHECK(!spec->since.empty());
    CHECK(!spec->group.empty());
    CHECK(!spec->complexity.empty());
    // Keyed commands say how their keys are found.
    if (spec->first_key > 0) CHECK(!spec->key_specs.empty());
  }
}
