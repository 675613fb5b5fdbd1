#include "server/observability/http_request.h"

#include <absl/strings/ascii.h>
#include <absl/strings/numbers.h>

#include "server/util/ascii.h"

namespace emberkv::server {
namespace {

// RFC 9110's token characters (methods and header names).
bool IsTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

bool IsToken(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!IsTokenChar(c)) return false;
  }
  return true;
}

std::string_view TrimSpaces(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// Splits off the next line (ended by LF, an optional CR before it dropped).
std::string_view NextLine(std::string_view& rest) {
  size_t end = rest.find('\n');
  std::string_view line = rest.substr(0, end);
  rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

// Whether a comma-separated header value lists `option` (case-insensitive).
bool ListsOption(std::string_view value, std::string_view option) {
  while (!value.empty()) {
    size_t comma = value.find(',');
    if (EqualsIgnoreCase(TrimSpaces(value.substr(0, comma)), option)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

HttpRequestParser::Status HttpRequestParser::Parse(std::string_view input) {
  // The header block ends with an empty line: CRLF CRLF, or bare LFs, which
  // RFC 9112 lets a server accept.
  size_t limit = std::min(input.size(), kMaxHeaderBytes);
  size_t from = scanned_ > 0 ? scanned_ - 1 : 0;
  for (size_t i = from; i < limit; ++i) {
    if (input[i] != '\n') continue;
    bool blank_before = (i >= 1 && input[i - 1] == '\n') ||
                        (i >= 2 && input[i - 1] == '\r' && input[i - 2] == '\n');
    if (i == 0 || (i == 1 && input[0] == '\r')) return Status::kBad;  // no request line
    if (blank_before) {
      consumed_ = i + 1;
      return ParseHead(input.substr(0, i + 1));
    }
  }
  scanned_ = limit;
  return input.size() >= kMaxHeaderBytes ? Status::kTooLarge : Status::kNeedMore;
}

HttpRequestParser::Status HttpRequestParser::ParseHead(std::string_view head) {
  std::string_view line = NextLine(head);
  // METHOD SP request-target SP HTTP-version
  size_t first = line.find(' ');
  if (first == std::string_view::npos) return Status::kBad;
  size_t second = line.find(' ', first + 1);
  if (second == std::string_view::npos || line.find(' ', second + 1) != std::string_view::npos)
    return Status::kBad;
  std::string_view method = line.substr(0, first);
  std::string_view target = line.substr(first + 1, second - first - 1);
  std::string_view version = line.substr(second + 1);
  if (!IsToken(method) || target.empty() || target[0] != '/') return Status::kBad;
  for (char c : target) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return Status::kBad;
  }
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || version[6] != '.' ||
      version[5] < '0' || version[5] > '9' || version[7] < '0' || version[7] > '9') {
    return Status::kBad;
  }
  if (version[5] != '1' || (version[7] != '0' && version[7] != '1')) return Status::kBadVersion;
  request_.method = std::string(method);
  request_.path = std::string(target.substr(0, target.find('?')));
  request_.minor_version = version[7] - '0';
  request_.keep_alive = request_.minor_version == 1;

  size_t headers = 0;
  while (true) {
    line = NextLine(head);
    if (line.empty()) break;
    if (++headers > kMaxHeaders) return Status::kTooLarge;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || !IsToken(line.substr(0, colon))) return Status::kBad;
    std::string_view name = line.substr(0, colon);
    std::string_view value = TrimSpaces(line.substr(colon + 1));
    for (char c : value) {
      if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f) return Status::kBad;
    }
    if (EqualsIgnoreCase(name, "Connection")) {
      if (ListsOption(value, "close")) request_.keep_alive = false;
      if (ListsOption(value, "keep-alive")) request_.keep_alive = true;
    } else if (EqualsIgnoreCase(name, "Content-Length")) {
      // No request we serve has a body.
      uint64_t length;
      if (!absl::SimpleAtoi(ToAbsl(value), &length) || length != 0) return Status::kBad;
    } else if (EqualsIgnoreCase(name, "Transfer-Encoding")) {
      return Status::kBad;
    }
  }
  return Status::kDone;
}

}  // namespace emberkv::server
