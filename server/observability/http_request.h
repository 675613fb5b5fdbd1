// The request line and headers of an HTTP/1.x request, for the metrics
// listener. Everything here comes from the network: the parser never trusts
// a length, bounds what it keeps, and answers anything unusual with a status
// rather than an assertion.
//
// Only what GET /metrics, /healthz and /readyz need is accepted: requests
// without a body (a Content-Length other than 0, or any Transfer-Encoding,
// is refused), at most kMaxHeaderBytes of request line and headers.
//
// Thread safety: none; one parser per connection.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace emberkv::server {

struct HttpRequest {
  std::string method;  // as sent (methods are case-sensitive)
  std::string path;    // the target without its query string
  int minor_version = 1;
  bool keep_alive = true;
};

class HttpRequestParser {
 public:
  static constexpr size_t kMaxHeaderBytes = 8192;
  static constexpr size_t kMaxHeaders = 64;

  enum class Status {
    kNeedMore,    // no complete header block yet
    kDone,        // request() is ready; consumed() bytes were its own
    kBad,         // malformed: answer 400 and close
    kTooLarge,    // header block over the limit: answer 431 and close
    kBadVersion,  // not HTTP/1.0 or 1.1: answer 505 and close
  };

  // Parses `input`: the bytes received since the previous request ended
  // (the same bytes again, plus more, after kNeedMore).
  Status Parse(std::string_view input);

  const HttpRequest& request() const { return request_; }
  size_t consumed() const { return consumed_; }
  // Forgets the request, for the next one on the connection.
  void Reset() { *this = HttpRequestParser(); }

 private:
  Status ParseHead(std::string_view head);

  HttpRequest request_;
  size_t consumed_ = 0;
  size_t scanned_ = 0;  // bytes already searched for the end of the headers
};

}  // namespace emberkv::server
