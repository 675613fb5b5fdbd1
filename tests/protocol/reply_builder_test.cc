#include "protocol/reply_builder.h"

#include <catch2/catch.hpp>
#include <limits>

using emberkv::protocol::ReplyBuilder;
using emberkv::protocol::RespVersion;

TEST_CASE("RESP2 encodings") {
  std::string out;
  ReplyBuilder r(&out, RespVersion::kResp2);
  r.Ok();
  r.Error("ERR bad\r\nthing");
  r.Integer(-42);
  r.Bulk("hi");
  r.Null();
  r.NullArray();
  r.MapHeader(1);
  r.SetHeader(2);
  r.Double(1.5);
  r.Bool(true);
  r.Verbatim("txt", "abc");
  CHECK(
      out ==
      "+OK\r\n-ERR bad  thing\r\n:-42\r\n$2\r\nhi\r\n$-1\r\n*-1\r\n*2\r\n*2\r\n$3\r\n1.5\r\n:1\r\n"
      "$3\r\nabc\r\n");
}

TEST_CASE("RESP3 encodings") {
  std::string out;
  ReplyBuilder r(&out, RespVersion::kResp3);
  r.Null();
  r.NullArray();
  r.MapHeader(1);
  r.SetHeader(2);
  r.PushHeader(3);
  r.Double(std::numeric_limits<double>::infinity());
  r.Bool(false);
  r.Verbatim("txt", "abc");
  CHECK(out == "_\r\n_\r\n%1\r\n~2\r\n>3\r\n,inf\r\n#f\r\n=7\r\ntxt:abc\r\n");
}

TEST_CASE("big numbers and attributes") {
  std::string resp2, resp3;
  ReplyBuilder two(&resp2, RespVersion::kResp2);
  ReplyBuilder three(&resp3, RespVersion::kResp3);
  two.BigNumber("1234567999999999999999999999999999999");
  three.BigNumber("1234567999999999999999999999999999999");
  three.AttributeHeader(1);
  CHECK(resp2 == "$37\r\n1234567999999999999999999999999999999\r\n");
  CHECK(resp3 == "(1234567999999999999999999999999999999\r\n|1\r\n");
}

TEST_CASE("doubles print like Redis 7.0") {
  CHECK(ReplyBuilder::FormatDouble(0.1) == "0.10000000000000001");
  CHECK(ReplyBuilder::FormatDouble(3) == "3");
  CHECK(ReplyBuilder::FormatDouble(-std::numeric_limits<double>::infinity()) == "-inf");
}
