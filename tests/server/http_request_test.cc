#include "server/observability/http_request.h"

#include <catch2/catch.hpp>
#include <string>

using emberkv::server::HttpRequestParser;
using Status = HttpRequestParser::Status;

namespace {

// Feeds `text` growing one byte at a time, as a slow client would send it,
// and returns the first status other than kNeedMore.
Status FeedByByte(HttpRequestParser& parser, const std::string& text, size_t* at) {
  for (size_t n = 1; n <= text.size(); ++n) {
    Status status = parser.Parse(std::string_view(text).substr(0, n));
    if (status != Status::kNeedMore) {
      *at = n;
      return status;
    }
  }
  *at = text.size();
  return Status::kNeedMore;
}

}  // namespace

TEST_CASE("a scrape request parses whole and split at every byte") {
  std::string request =
      "GET /metrics?name[]=x HTTP/1.1\r\nHost: 127.0.0.1:9121\r\nUser-Agent: Prometheus/2.42.0\r\n"
      "Accept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5\r\n"
      "Accept-Encoding: gzip\r\nX-Prometheus-Scrape-Timeout-Seconds: 10\r\n\r\n";
  HttpRequestParser whole;
  REQUIRE(whole.Parse(request) == Status::kDone);
  REQUIRE(whole.consumed() == request.size());
  REQUIRE(whole.request().method == "GET");
  REQUIRE(whole.request().path == "/metrics");
  REQUIRE(whole.request().keep_alive);

  HttpRequestParser split;
  size_t at = 0;
  REQUIRE(FeedByByte(split, request, &at) == Status::kDone);
  REQUIRE(at == request.size());
  REQUIRE(split.consumed() == request.size());
  REQUIRE(split.request().path == "/metrics");
}

TEST_CASE("a pipelined request after the first is left alone") {
  std::string two = "GET /healthz HTTP/1.1\r\n\r\nGET /readyz HTTP/1.1\r\n\r\n";
  HttpRequestParser parser;
  REQUIRE(parser.Parse(two) == Status::kDone);
  REQUIRE(parser.request().path == "/healthz");
  std::string rest = two.substr(parser.consumed());
  parser.Reset();
  REQUIRE(parser.Parse(rest) == Status::kDone);
  REQUIRE(parser.request().path == "/readyz");
}

TEST_CASE("connection options and HTTP/1.0") {
  HttpRequestParser parser;
  REQUIRE(parser.Parse("GET / HTTP/1.1\r\nConnection: close\r\n\r\n") == Status::kDone);
  REQUIRE_FALSE(parser.request().keep_alive);
  parser.Reset();
  REQUIRE(parser.Parse("GET / HTTP/1.0\r\n\r\n") == Status::kDone);
  REQUIRE_FALSE(parser.request().keep_alive);
  parser.Reset();
  REQUIRE(parser.Parse("GET / HTTP/1.0\r\nconnection: Keep-Alive\r\n\r\n") == Status::kDone);
  REQUIRE(parser.request().keep_alive);
  parser.Reset();
  REQUIRE(parser.Parse("HEAD /readyz HTTP/1.1\nHost: x\n\n") == Status::kDone);  // bare LFs
  REQUIRE(parser.request().method == "HEAD");
}

TEST_CASE("malformed requests are refused, never trusted") {
  for (const char* bad :
       {"\r\n\r\n", "GET\r\n\r\n", "GET /x\r\n\r\n", "GET x HTTP/1.1\r\n\r\n",
        "GET /x HTTP/1.1 extra\r\n\r\n", "G(T /x HTTP/1.1\r\n\r\n", "GET /x HTTP/x.y\r\n\r\n",
        "GET /x HTTP/1.1\r\nNo colon here\r\n\r\n", "GET /x HTTP/1.1\r\nBad Name: v\r\n\r\n",
        "GET /x HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello",
        "GET /x HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
        "GET /x HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n",
        "GET /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", "GET /a\x01 HTTP/1.1\r\n\r\n",
        "GET /x HTTP/1.1\r\nX: a\x01\r\n\r\n"}) {
    HttpRequestParser parser;
    INFO(bad);
    REQUIRE(parser.Parse(bad) == Status::kBad);
  }
  HttpRequestParser parser;
  REQUIRE(parser.Parse("GET /x HTTP/2.0\r\n\r\n") == Status::kBadVersion);
  parser.Reset();
  REQUIRE(parser.Parse("GET /x HTTP/1.1\r\nContent-Length: 0\r\n\r\n") == Status::kDone);
}

TEST_CASE("an endless header block stops at the limit") {
  std::string endless = "GET /metrics HTTP/1.1\r\n";
  while (endless.size() < HttpRequestParser::kMaxHeaderBytes + 100)
    endless += "X-Filler: aaaaaaaaaaaaaaaa\r\n";
  HttpRequestParser parser;
  size_t at = 0;
  REQUIRE(FeedByByte(parser, endless, &at) == Status::kTooLarge);
  REQUIRE(at == HttpRequestParser::kMaxHeaderBytes);

  std::string many = "GET /metrics HTTP/1.1\r\n";
  for (size_t i = 0; i <= HttpRequestParser::kMaxHeaders; ++i) many += "A: b\r\n";
  many += "\r\n";
  parser.Reset();
  REQUIRE(parser.Parse(many) == Status::kTooLarge);
}

TEST_CASE("random bytes never crash the parser") {
  std::string junk;
  uint32_t state = 12345;
  for (int round = 0; round < 2000; ++round) {
    junk.clear();
    size_t length = state % 300;
    for (size_t i = 0; i < length; ++i) {
      state = state * 1103515245 + 12345;
      const char alphabet[] = "GET /HTP1.0\r\n: \t\x00\xff,;=aZ";
      junk.push_back(alphabet[(state >> 16) % (sizeof(alphabet) - 1)]);
    }
    HttpRequestParser parser;
    Status status = parser.Parse(junk);
    if (status == Status::kDone) REQUIRE(parser.consumed() <= junk.size());
  }
}
