#include "base/split_args.h"

#include <catch2/catch.hpp>

using emberkv::base::SplitArgs;
using Args = std::vector<std::string>;

TEST_CASE("lines split with sdssplitargs's quoting rules") {
  CHECK(*SplitArgs("set a b") == Args{"set", "a", "b"});
  CHECK(*SplitArgs("  set\t a  ") == Args{"set", "a"});
  CHECK(*SplitArgs("\"a b\" 'c d'") == Args{"a b", "c d"});
  CHECK(*SplitArgs("\"\\x41\\n\\t\\\\\\\"\"") == Args{"A\n\t\\\""});
  CHECK(*SplitArgs("'it\\'s'") == Args{"it's"});
  CHECK(*SplitArgs("foo\"bar baz\"") == Args{"foobar baz"});
  CHECK(*SplitArgs("\"\"") == Args{""});
  CHECK(SplitArgs("").value().empty());
  CHECK_FALSE(SplitArgs("\"abc").has_value());
  CHECK_FALSE(SplitArgs("'abc").has_value());
  CHECK_FALSE(SplitArgs("\"a\"b").has_value());
  CHECK(*SplitArgs(std::string_view("a\0b c", 5)) == Args{"a"});
}

TEST_CASE("redis.conf lines split as Redis splits them") {
  CHECK(*SplitArgs("  bind  127.0.0.1   ::1\t") == Args{"bind", "127.0.0.1", "::1"});
  CHECK(*SplitArgs("requirepass \"a b\\\"c\\n\\x41\"") == Args{"requirepass", "a b\"c\nA"});
  // Single quotes know only \' as an escape.
  CHECK(*SplitArgs("requirepass 'it\\'s \\n'") == Args{"requirepass", "it's \\n"});
  CHECK(*SplitArgs("save \"\"") == Args{"save", ""});
  CHECK_FALSE(SplitArgs("requirepass 'a'b").has_value());  // a closing quote needs a blank after it
}

TEST_CASE("every blank isspace() knows separates arguments, but only outside a word") {
  CHECK(*SplitArgs("\v\fa\v") == Args{"a\v"});  // as sdssplitargs: a word ends at ' ', \t, \r, \n
  CHECK(*SplitArgs("\"a\"\vb") == Args{"a", "b"});  // a closing quote may be followed by \v
  CHECK(SplitArgs("\v\f").value().empty());
}
