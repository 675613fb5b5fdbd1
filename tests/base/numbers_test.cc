#include "base/numbers.h"

#include <catch2/catch.hpp>

using namespace emberkv::base;

TEST_CASE("integers parse with string2ll's strictness") {
  int64_t v = 0;
  CHECK(ParseInt64("0", &v));
  CHECK(ParseInt64("-9223372036854775808", &v));
  CHECK(v == INT64_MIN);
  CHECK(ParseInt64("9223372036854775807", &v));
  CHECK_FALSE(ParseInt64("9223372036854775808", &v));
  CHECK_FALSE(ParseInt64("01", &v));
  CHECK_FALSE(ParseInt64("+1", &v));
  CHECK_FALSE(ParseInt64(" 1", &v));
  CHECK_FALSE(ParseInt64("-0", &v));
  CHECK_FALSE(ParseInt64("", &v));
  CHECK_FALSE(ParseInt64("1a", &v));
  // The edges of the length test: 19 digits may overflow int64, 20 always do.
  CHECK_FALSE(ParseInt64("9999999999999999999", &v));
  CHECK_FALSE(ParseInt64("-9223372036854775809", &v));
  CHECK_FALSE(ParseInt64("18446744073709551615", &v));
  CHECK_FALSE(ParseInt64("18446744073709551616", &v));
  CHECK_FALSE(ParseInt64("-18446744073709551616", &v));
  CHECK(ParseInt64("1000000000000000000", &v));
  CHECK(v == 1000000000000000000);
  CHECK(ParseInt64("-1000000000000000000", &v));
  CHECK(v == -1000000000000000000);
}

TEST_CASE("floats parse and print like INCRBYFLOAT") {
  long double ld = 0;
  CHECK(ParseLongDouble("1.5", &ld));
  CHECK(ParseLongDouble("1e10", &ld));
  CHECK_FALSE(ParseLongDouble(" 1", &ld));
  CHECK_FALSE(ParseLongDouble("nan", &ld));
  CHECK_FALSE(ParseLongDouble("1x", &ld));
  CHECK_FALSE(ParseLongDouble(std::string_view("\0", 1), &ld));
  CHECK_FALSE(ParseLongDouble(std::string_view("\0\0abc", 5), &ld));
  CHECK_FALSE(ParseLongDouble(std::string_view("1.5\0", 4), &ld));
  CHECK_FALSE(ParseLongDouble(std::string_view("2\0003", 3), &ld));
  CHECK(FormatLongDoubleHuman(10.5L) == "10.5");
  CHECK(FormatLongDoubleHuman(3.0L) == "3");
  CHECK(FormatLongDoubleHuman(1.1L) == "1.1");
  CHECK(FormatLongDoubleHuman(-0.0L) == "0");
  double d = 0;
  CHECK(ParseDouble("-inf", &d));
  CHECK_FALSE(ParseDouble("nan", &d));
  CHECK_FALSE(ParseDouble("", &d));
}
