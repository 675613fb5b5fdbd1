#include "protocol/reply_reader.h"

#include <charconv>
#include <cstdlib>
#include <cstring>

namespace emberkv::protocol {
namespace {

constexpr int kMaxDepth = 64;

// Finds the CRLF-terminated line starting at `pos`; returns its end (the CR).
bool FindLine(std::string_view in, size_t pos, size_t* cr) {
  if (pos >= in.size()) return false;
  const void* hit = std::memchr(in.data() + pos, '\r', in.size() - pos);
  if (!hit) return false;
  *cr = static_cast<const char*>(hit) - in.data();
  return *cr + 1 < in.size();
}

bool ToInt(std::string_view s, int64_t* out) {
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

// Decodes (or skips, when out == nullptr) one reply starting at `pos`.
ReadStatus Read(std::string_view in, size_t pos, ReplyValue* out, size_t* next, int depth) {
  if (depth > kMaxDepth) return ReadStatus::kMalformed;
  size_t cr;
  if (!FindLine(in, pos, &cr)) return ReadStatus::kIncomplete;
  char type = in[pos];
  std::string_view line = in.substr(pos + 1, cr - pos - 1);
  size_t after = cr + 2;
  using T = ReplyValue::Type;
  auto set = [&](T t, std::string_view text) {
    if (!out) return;
    out->type = t;
    out->text.assign(text);
  };
  switch (type) {
    case '+':
      set(T::kSimpleString, line);
      *next = after;
      return ReadStatus::kComplete;
    case '-':
      set(T::kError, line);
      *next = after;
      return ReadStatus::kComplete;
    case '(':
      set(T::kBigNumber, line);
      *next = after;
      return ReadStatus::kComplete;
    case '_':
      set(T::kNull, "");
      *next = after;
      return ReadStatus::kComplete;
    case ',':
      set(T::kDouble, line);
      *next = after;
      return ReadStatus::kComplete;
    case '#':
      if (line != "t" && line != "f") return ReadStatus::kMalformed;
      if (out) {
        out->type = T::kBool;
        out->integer = line == "t";
      }
      *next = after;
      return ReadStatus::kComplete;
    case ':': {
      int64_t v;
      if (!ToInt(line, &v)) return ReadStatus::kMalformed;
      if (out) {
        out->type = T::kInteger;
        out->integer = v;
      }
      *next = after;
      return ReadStatus::kComplete;
    }
    case '$':
    case '=':
    case '!': {
      int64_t len;
      if (!ToInt(line, &len)) return ReadStatus::kMalformed;
      if (len < 0) {
        set(T::kNull, "");
        *next = after;
        return ReadStatus::kComplete;
      }
      if (in.size() < after + len + 2) return ReadStatus::kIncomplete;
      set(type == '=' ? T::kVerbatim : type == '!' ? T::kError : T::kBulk, in.substr(after, len));
      *next = after + len + 2;
      return ReadStatus::kComplete;
    }
    case '*':
    case '%':
    case '~':
    case '>': {
      int64_t count;
      if (!ToInt(line, &count)) return ReadStatus::kMalformed;
      if (count < 0) {
        set(T::kNull, "");
        *next = after;
        return ReadStatus::kComplete;
      }
      int64_t items = type == '%' ? count * 2 : count;
      if (out) {
        out->type = type == '*'   ? T::kArray
                    : type == '%' ? T::kMap
                    : type == '~' ? T::kSet
                                  : T::kPush;
        out->elements.clear();
      }
      size_t at = after;
      for (int64_t i = 0; i < items; ++i) {
        ReplyValue* child = nullptr;
        if (out) child = &out->elements.emplace_back();
        ReadStatus s = Read(in, at, child, &at, depth + 1);
        if (s != ReadStatus::kComplete) return s;
      }
      *next = at;
      return ReadStatus::kComplete;
    }
    default:
      return ReadStatus::kMalformed;
  }
}

}  // namespace

ReadStatus ReadReply(std::string_view input, ReplyValue* out, size_t* consumed) {
  return Read(input, 0, out, consumed, 0);
}

ReadStatus SkipReply(std::string_view input, size_t* consumed) {
  return Read(input, 0, nullptr, consumed, 0);
}

std::string ReplyValue::DebugString() const {
  switch (type) {
    case Type::kSimpleString:
      return "+" + text;
    case Type::kError:
      return "-" + text;
    case Type::kInteger:
      return ":" + std::to_string(integer);
    case Type::kBulk:
      return "\"" + text + "\"";
    case Type::kNull:
      return "(nil)";
    case Type::kDouble:
      return "," + text;
    case Type::kBool:
      return integer ? "#t" : "#f";
    case Type::kVerbatim:
      return "=" + text;
    case Type::kBigNumber:
      return "(" + text;
    default: {
      std::string s = type == Type::kMap    ? "%["
                      : type == Type::kSet  ? "~["
                      : type == Type::kPush ? ">["
                                            : "[";
      for (size_t i = 0; i < elements.size(); ++i) {
        if (i) s += ", ";
        s += elements[i].DebugString();
      }
      return s + "]";
    }
  }
}

}  // namespace emberkv::protocol
