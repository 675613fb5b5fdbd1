#include "base/numbers.h"

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace emberkv::base {

bool ParseInt64(std::string_view text, int64_t* value) {
  if (text.empty() || text.size() > 20) return false;
  if (text.size() == 1 && text[0] == '0') {
    *value = 0;
    return true;
  }
  size_t i = 0;
  bool negative = false;
  if (text[0] == '-') {
    negative = true;
    if (++i == text.size()) return false;
  }
  if (text[i] < '1' || text[i] > '9') return false;
  // An int64 has at most 19 digits, and 19 digits cannot overflow a
  // uint64: no overflow test per digit (this parses every length of every
  // request, and the test was a third of its instructions).
  if (text.size() - i > 19) return false;
  uint64_t parsed = 0;
  for (; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    parsed = parsed * 10 + static_cast<uint64_t>(text[i] - '0');
  }
  if (negative) {
    if (parsed > static_cast<uint64_t>(INT64_MAX) + 1) return false;
    *value = static_cast<int64_t>(0 - parsed);
  } else {
    if (parsed > static_cast<uint64_t>(INT64_MAX)) return false;
    *value = static_cast<int64_t>(parsed);
  }
  return true;
}

bool ParseLongDouble(std::string_view text, long double* value) {
  constexpr size_t kMaxChars = 5 * 1024;  // Redis's MAX_LONG_DOUBLE_CHARS
  if (text.empty() || text.size() >= kMaxChars) return false;
  char buf[kMaxChars];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  errno = 0;
  char* end;
  long double parsed = std::strtold(buf, &end);
  // Every byte must be consumed: a NUL inside the text ends strtold early,
  // and "\0abc" would otherwise read as 0 (Redis's string2ld checks this too).
  if (std::isspace(static_cast<unsigned char>(buf[0])) || *end != '\0' ||
      static_cast<size_t>(end - buf) != text.size() ||
      (errno == ERANGE && (parsed == HUGE_VALL || parsed == -HUGE_VALL || parsed == 0)) ||
      std::isnan(parsed)) {
    return false;
  }
  *value = parsed;
  return true;
}

bool ParseDouble(std::string_view text, double* value) {
  if (text.empty() || text.size() >= 5 * 1024) return false;
  char buf[5 * 1024];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  errno = 0;
  char* end;
  double parsed = std::strtod(buf, &end);
  if (std::isspace(static_cast<unsigned char>(buf[0])) ||
      static_cast<size_t>(end - buf) != text.size() ||
      (errno == ERANGE && (parsed == HUGE_VAL || parsed == -HUGE_VAL || parsed == 0)) ||
      std::isnan(parsed)) {
    return false;
  }
  *value = parsed;
  return true;
}

std::string FormatInt64(int64_t value) {
  char buf[24];
  char* end = std::to_chars(buf, buf + sizeof(buf), value).ptr;
  return std::string(buf, end);
}

std::string FormatLongDoubleHuman(long double value) {
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char buf[5 * 1024];
  int len = std::snprintf(buf, sizeof(buf), "%.17Lf", value);
  if (len <= 0 || static_cast<size_t>(len) >= sizeof(buf)) return "0";
  if (std::strchr(buf, '.')) {
    while (len > 0 && buf[len - 1] == '0') --len;
    if (len > 0 && buf[len - 1] == '.') --len;
  }
  if (len == 2 && buf[0] == '-' && buf[1] == '0') return "0";
  return std::string(buf, len);
}

}  // namespace emberkv::base
