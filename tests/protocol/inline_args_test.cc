#include "protocol/inline_args.h"

#include <catch2/catch.hpp>

using emberkv::protocol::SplitInlineArgs;
using Args = std::vector<std::string>;

TEST_CASE("inline splitting follows Redis's quoting rules") {
  CHECK(*SplitInlineArgs("set a b") == Args{"set", "a", "b"});
  CHECK(*SplitInlineArgs("  set\t a  ") == Args{"set", "a"});
  CHECK(*SplitInlineArgs("\"a b\" 'c d'") == Args{"a b", "c d"});
  CHECK(*SplitInlineArgs("\"\\x41\\n\\t\\\\\\\"\"") == Args{"A\n\t\\\""});
  CHECK(*SplitInlineArgs("'it\\'s'") == Args{"it's"});
  CHECK(*SplitInlineArgs("foo\"bar baz\"") == Args{"foobar baz"});
  CHECK(*SplitInlineArgs("\"\"") == Args{""});
  CHECK(SplitInlineArgs("").value().empty());
  CHECK_FALSE(SplitInlineArgs("\"abc").has_value());
  CHECK_FALSE(SplitInlineArgs("'abc").has_value());
  CHECK_FALSE(SplitInlineArgs("\"a\"b").has_value());
  CHECK(*SplitInlineArgs(std::string_view("a\0b c", 5)) == Args{"a"});
}
