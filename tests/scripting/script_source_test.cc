#include "scripting/script_source.h"

#include <catch2/catch.hpp>

using namespace emberkv::scripting;

TEST_CASE("EVAL shebangs: flags, and Redis 7.0's errors") {
  auto plain = ParseEvalSource("return 1");
  REQUIRE(plain.ok());
  CHECK_FALSE(plain.value().has_shebang);
  CHECK(plain.value().code == "return 1");

  auto all = ParseEvalSource(
      "#!lua flags=no-writes,allow-oom,allow-stale,no-cluster,allow-cross-slot-keys\nreturn 1");
  REQUIRE(all.ok());
  CHECK(all.value().has_shebang);
  CHECK(all.value().flags == (kFlagNoWrites | kFlagAllowOom | kFlagAllowStale | kFlagNoCluster |
                              kFlagAllowCrossSlotKeys));
  // The shebang line stays, empty, so that line numbers match Redis's.
  CHECK(all.value().code == "\nreturn 1");

  auto none = ParseEvalSource("#!lua\nreturn 1");
  REQUIRE(none.ok());
  CHECK(none.value().has_shebang);
  CHECK(none.value().flags == 0);
  CHECK(ParseEvalSource("#!lua flags=\nreturn 1").ok());
  CHECK(ParseEvalSource("#!lua  flags=no-writes\nreturn 1").value().flags == kFlagNoWrites);
  CHECK(ParseEvalSource("#!lua flags=no-writes flags=allow-oom\nx").value().flags ==
        (kFlagNoWrites | kFlagAllowOom));

  CHECK(ParseEvalSource("#!lua").error() == "ERR Invalid script shebang");
  CHECK(ParseEvalSource("#!python\nreturn 1").error() ==
        "ERR Unexpected engine in script shebang: #!python");
  CHECK(ParseEvalSource("#!luax\nreturn 1").error() ==
        "ERR Unexpected engine in script shebang: #!luax");
  CHECK(ParseEvalSource("#!lua flags=bogus\nreturn 1").error() ==
        "ERR Unexpected flag in script shebang: bogus");
  CHECK(ParseEvalSource("#!lua name=x\nreturn 1").error() ==
        "ERR Unknown lua shebang option: name=x");
  CHECK(ParseEvalSource("#!lua foo\nreturn 1").error() == "ERR Unknown lua shebang option: foo");
}

TEST_CASE("Library metadata: name, and Redis 7.0's errors") {
  auto lib = ParseLibrarySource("#!lua name=mylib\nredis.register_function('f', f)");
  REQUIRE(lib.ok());
  CHECK(lib.value().name == "mylib");
  CHECK(lib.value().code == "\nredis.register_function('f', f)");
  CHECK(ParseLibrarySource("#!LUA name=x\n").ok());
  CHECK(ParseLibrarySource("#!lua name=l22 \n").ok());

  CHECK(ParseLibrarySource("no shebang").error() == "ERR Missing library metadata");
  CHECK(ParseLibrarySource("#!python name=x\n").error() == "ERR Engine 'python' not found");
  CHECK(ParseLibrarySource("#!lua\n").error() == "ERR Library name was not given");
  CHECK(ParseLibrarySource("#!lua name=x foo=bar\n").error() ==
        "ERR Invalid metadata value given: foo=bar");
  CHECK(ParseLibrarySource("#!lua name=bad-name\n").error() == kInvalidNameError);
  CHECK(ParseLibrarySource("#!lua name=\n").error() == kInvalidNameError);
}

TEST_CASE("Function names: letters, digits, underscores") {
  CHECK(IsValidFunctionName("f_1"));
  CHECK(IsValidFunctionName("ABC"));
  CHECK_FALSE(IsValidFunctionName(""));
  CHECK_FALSE(IsValidFunctionName("bad name"));
  CHECK_FALSE(IsValidFunctionName("a-b"));
  CHECK_FALSE(IsValidFunctionName("é"));
}

TEST_CASE("Flag names round trip") {
  CHECK(ScriptFlagByName("no-writes") == kFlagNoWrites);
  CHECK(ScriptFlagByName("allow-cross-slot-keys") == kFlagAllowCrossSlotKeys);
  CHECK(ScriptFlagByName("no-shebang") == 0);
  CHECK(ScriptFlagNames(kFlagNoWrites | kFlagNoCluster, ',') == "no-writes,no-cluster");
  CHECK(ScriptFlagNames(0, ',').empty());
}
