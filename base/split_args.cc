#include "base/split_args.h"

namespace emberkv::base {
namespace {

bool IsBlank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<std::vector<std::string>> SplitArgs(std::string_view line) {
  // Treat the end of the view like the NUL that ends a C string.
  auto at = [&](size_t i) -> char { return i < line.size() ? line[i] : '\0'; };

  std::vector<std::string> args;
  size_t p = 0;
  while (true) {
    while (at(p) != '\0' && IsBlank(at(p))) ++p;
    if (at(p) == '\0') return args;

    std::string current;
    enum { kPlain, kDouble, kSingle } mode = kPlain;
    bool done = false;
    while (!done) {
      char c = at(p);
      if (mode == kDouble) {
        if (c == '\\' && at(p + 1) == 'x' && HexValue(at(p + 2)) >= 0 && HexValue(at(p + 3)) >= 0) {
          current.push_back(static_cast<char>(HexValue(at(p + 2)) * 16 + HexValue(at(p + 3))));
          p += 3;
        } else if (c == '\\' && at(p + 1) != '\0') {
          ++p;
          switch (at(p)) {
            case 'n':
              current.push_back('\n');
              break;
            case 'r':
              current.push_back('\r');
              break;
            case 't':
              current.push_back('\t');
              break;
            case 'b':
              current.push_back('\b');
              break;
            case 'a':
              current.push_back('\a');
              break;
            default:
              current.push_back(at(p));
              break;
          }
        } else if (c == '"') {
          // A closing quote must be followed by a blank or the end of the line.
          if (at(p + 1) != '\0' && !IsBlank(at(p + 1))) return std::nullopt;
          done = true;
        } else if (c == '\0') {
          return std::nullopt;  // unterminated quotes
        } else {
          current.push_back(c);
        }
      } else if (mode == kSingle) {
        if (c == '\\' && at(p + 1) == '\'') {
          ++p;
          current.push_back('\'');
        } else if (c == '\'') {
          if (at(p + 1) != '\0' && !IsBlank(at(p + 1))) return std::nullopt;
          done = true;
        } else if (c == '\0') {
          return std::nullopt;
        } else {
          current.push_back(c);
        }
      } else {
        switch (c) {
          case ' ':
          case '\n':
          case '\r':
          case '\t':
          case '\0':
            done = true;
            break;
          case '"':
            mode = kDouble;
            break;
          case '\'':
            mode = kSingle;
            break;
          default:
            current.push_back(c);
            break;
        }
      }
      if (at(p) != '\0') ++p;
    }
    args.push_back(std::move(current));
  }
}

}  // namespace emberkv::base
