#include "scripting/internal/lua_convert.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" {
#include <lua.h>
}

namespace emberkv::scripting::internal {
namespace {

using protocol::RespVersion;

// Replies nest at most this deep (our server's deepest is a few levels).
constexpr int kMaxReplyDepth = 64;

// A bounds-checked reader of one reply that pushes Lua values as it goes: no
// intermediate tree, and RESP2's null ($-1, *-1 -> false) stays apart from
// RESP3's (_ -> nil), which protocol::ReplyValue merges.
class ReplyToLua {
 public:
  ReplyToLua(lua_State* L, std::string_view in) : L_(L), in_(in) {}

  bool ReadAll() {
    int top = lua_gettop(L_);
    if (!Read(0) || pos_ != in_.size()) {
      lua_settop(L_, top);
      return false;
    }
    return true;
  }

 private:
  // The line at pos_ without its CRLF; advances past it.
  bool Line(std::string_view* line) {
    size_t end = in_.find("\r\n", pos_);
    if (end == std::string_view::npos) return false;
    *line = in_.substr(pos_, end - pos_);
    pos_ = end + 2;
    return true;
  }
  static bool ParseInt(std::string_view text, int64_t* value) {
    if (text.empty() || text.size() > 20) return false;
    size_t i = text[0] == '-' ? 1 : 0;
    if (i == text.size()) return false;
    uint64_t magnitude = 0;
    for (; i < text.size(); i++) {
      if (text[i] < '0' || text[i] > '9') return false;
      if (magnitude > (UINT64_MAX - 9) / 10) return false;
      magnitude = magnitude * 10 + (text[i] - '0');
    }
    bool negative = text[0] == '-';
    if (magnitude > (negative ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1)) return false;
    *value = negative ? static_cast<int64_t>(0 - magnitude) : static_cast<int64_t>(magnitude);
    return true;
  }
  // A length-prefixed payload of `length` bytes at pos_.
  bool Payload(int64_t length, std::string_view* payload) {
    if (length < 0 || static_cast<uint64_t>(length) > in_.size() - pos_ ||
        in_.size() - pos_ - length < 2 || in_.substr(pos_ + length, 2) != "\r\n") {
      return false;
    }
    *payload = in_.substr(pos_, length);
    pos_ += length + 2;
    return true;
  }
  // One table field: t[key] = value on top.
  void SetField(const char* key) { lua_setfield(L_, -2, key); }

  bool Read(int depth) {
    if (depth > kMaxReplyDepth || pos_ >= in_.size() || !lua_checkstack(L_, 6)) return false;
    char type = in_[pos_++];
    std::string_view line;
    if (!Line(&line)) return false;
    int64_t n = 0;
    switch (type) {
      case ':':
        if (!ParseInt(line, &n)) return false;
        lua_pushnumber(L_, static_cast<lua_Number>(n));
        return true;
      case '+':
        lua_createtable(L_, 0, 1);
        lua_pushlstring(L_, line.data(), line.size());
        SetField("ok");
        return true;
      case '-':
        PushErrorTable(L_, std::string("-").append(line));
        // Like Redis: the command already counted its error in the stats.
        lua_pushboolean(L_, 1);
        SetField("ignore_error_stats_update");
        return true;
      case '$':
      case '=': {
        if (!ParseInt(line, &n)) return false;
        if (n == -1 && type == '$') {
          lua_pushboolean(L_, 0);
          return true;
        }
        std::string_view payload;
        if (!Payload(n, &payload)) return false;
        if (type == '$') {
          lua_pushlstring(L_, payload.data(), payload.size());
          return true;
        }
        if (payload.size() < 4 || payload[3] != ':') return false;
        lua_createtable(L_, 0, 1);
        lua_createtable(L_, 0, 2);
        lua_pushlstring(L_, payload.data() + 4, payload.size() - 4);
        SetField("string");
        lua_pushlstring(L_, payload.data(), 3);
        SetField("format");
        SetField("verbatim_string");
        return true;
      }
      case '!': {  // blob error
        if (!ParseInt(line, &n)) return false;
        std::string_view payload;
        if (!Payload(n, &payload)) return false;
        PushErrorTable(L_, std::string("-").append(payload));
        return true;
      }
      case '_':
        if (!line.empty()) return false;
        lua_pushnil(L_);
        return true;
      case '#':
        if (line != "t" && line != "f") return false;
        lua_pushboolean(L_, line == "t");
        return true;
      case ',': {
        std::string text(line);
        char* end = nullptr;
        double d = std::strtod(text.c_str(), &end);
        if (text.empty() || end != text.c_str() + text.size()) return false;
        lua_createtable(L_, 0, 1);
        lua_pushnumber(L_, d);
        SetField("double");
        return true;
      }
      case '(':
        lua_createtable(L_, 0, 1);
        lua_pushlstring(L_, line.data(), line.size());
        SetField("big_number");
        return true;
      case '*':
      case '>': {
        if (!ParseInt(line, &n) || n < -1) return false;
        if (n == -1) {
          lua_pushboolean(L_, 0);
          return true;
        }
        // Never trust a count: each element takes at least 3 bytes.
        if (static_cast<uint64_t>(n) > (in_.size() - pos_) / 3) return false;
        lua_createtable(L_, static_cast<int>(n), 0);
        for (int64_t i = 1; i <= n; i++) {
          if (!Read(depth + 1)) return false;
          lua_rawseti(L_, -2, static_cast<int>(i));
        }
        return true;
      }
      case '%':
      case '~': {
        if (!ParseInt(line, &n) || n < 0) return false;
        int64_t items = type == '%' ? 2 * n : n;
        if (items < n || static_cast<uint64_t>(items) > (in_.size() - pos_) / 3) return false;
        lua_createtable(L_, 0, 1);
        lua_createtable(L_, 0, static_cast<int>(n));
        for (int64_t i = 0; i < n; i++) {
          if (!Read(depth + 1)) return false;
          if (type == '%') {
            if (!Read(depth + 1)) return false;
          } else {
            lua_pushboolean(L_, 1);
          }
          // A nil key (RESP3 null) cannot index a table: Lua would raise.
          if (lua_isnil(L_, -2)) return false;
          lua_rawset(L_, -3);
        }
        SetField(type == '%' ? "map" : "set");
        return true;
      }
      case '|': {  // attributes: read and dropped, then the reply they annotate
        if (!ParseInt(line, &n) || n < 0 || static_cast<uint64_t>(n) > (in_.size() - pos_) / 6) {
          return false;
        }
        for (int64_t i = 0; i < 2 * n; i++) {
          if (!Read(depth + 1)) return false;
          lua_pop(L_, 1);
        }
        return Read(depth + 1);
      }
      default:
        return false;
    }
  }

  lua_State* L_;
  std::string_view in_;
  size_t pos_ = 0;
};

// (long long)lua_Number as Redis compiles it on x86-64: values out of range,
// and NaN, become INT64_MIN (cvttsd2si's "integer indefinite"), not UB.
int64_t TruncateToInteger(lua_Number n) {
  if (std::isnan(n) || n >= 9223372036854775808.0 || n < -9223372036854775808.0) return INT64_MIN;
  return static_cast<int64_t>(n);
}

// t[field] without metamethods, pushed; returns its type.
int RawField(lua_State* L, int index, const char* field) {
  lua_pushstring(L, field);
  lua_rawget(L, index < 0 ? index - 1 : index);
  return lua_type(L, -1);
}

std::string WithoutNewlines(const char* text, size_t length) {
  std::string s(text, length);
  for (char& c : s) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  return s;
}

}  // namespace

bool PushReply(lua_State* L, std::string_view reply) { return ReplyToLua(L, reply).ReadAll(); }

void PushErrorTable(lua_State* L, std::string_view error) {
  // "-CODE msg" names its code; anything else is a message that gets "ERR".
  std::string_view code = "ERR", message = error;
  if (!error.empty() && error[0] == '-') {
    error.remove_prefix(1);
    size_t blank = error.find(' ');
    if (blank == std::string_view::npos) {
      message = error;
    } else {
      code = error.substr(0, blank);
      message = error.substr(blank + 1);
    }
  }
  auto newline = [](char c) { return c == '\r' || c == '\n'; };
  while (!message.empty() && newline(message.front())) message.remove_prefix(1);
  while (!message.empty() && newline(message.back())) message.remove_suffix(1);
  std::string text;
  text.reserve(code.size() + 1 + message.size());
  text.append(code).append(" ").append(message);
  lua_createtable(L, 0, 2);
  lua_pushlstring(L, text.data(), text.size());
  lua_setfield(L, -2, "err");
}

void AppendReply(lua_State* L, protocol::ReplyBuilder& out, RespVersion lua_resp) {
  // Four slots: a map's key and value with the table and iteration key.
  if (!lua_checkstack(L, 4)) {
    out.Error("ERR reached lua stack limit");
    lua_pop(L, 1);
    return;
  }
  switch (lua_type(L, -1)) {
    case LUA_TSTRING: {
      size_t length;
      const char* s = lua_tolstring(L, -1, &length);
      out.Bulk(std::string_view(s, length));
      break;
    }
    case LUA_TBOOLEAN:
      if (lua_resp == RespVersion::kResp2) {
        if (lua_toboolean(L, -1)) {
          out.Integer(1);
        } else {
          out.Null();
        }
      } else {
        out.Bool(lua_toboolean(L, -1));
      }
      break;
    case LUA_TNUMBER:
      out.Integer(TruncateToInteger(lua_tonumber(L, -1)));
      break;
    case LUA_TTABLE: {
      size_t length;
      if (RawField(L, -1, "err") == LUA_TSTRING) {
        const char* s = lua_tolstring(L, -1, &length);
        out.Error(std::string_view(s, length));
        lua_pop(L, 2);
        return;
      }
      lua_pop(L, 1);
      if (RawField(L, -1, "ok") == LUA_TSTRING) {
        const char* s = lua_tolstring(L, -1, &length);
        out.SimpleString(WithoutNewlines(s, length));
        lua_pop(L, 2);
        return;
      }
      lua_pop(L, 1);
      if (RawField(L, -1, "double") == LUA_TNUMBER) {
        out.Double(lua_tonumber(L, -1));
        lua_pop(L, 2);
        return;
      }
      lua_pop(L, 1);
      if (RawField(L, -1, "big_number") == LUA_TSTRING) {
        const char* s = lua_tolstring(L, -1, &length);
        std::string digits = WithoutNewlines(s, length);
        if (out.resp3()) {
          out.Raw("(");
          out.Raw(digits);
          out.Raw("\r\n");
        } else {
          out.Bulk(digits);
        }
        lua_pop(L, 2);
        return;
      }
      lua_pop(L, 1);
      if (RawField(L, -1, "verbatim_string") == LUA_TTABLE) {
        if (RawField(L, -1, "format") == LUA_TSTRING) {
          if (RawField(L, -2, "string") == LUA_TSTRING) {
            size_t format_length;
            const char* format = lua_tolstring(L, -2, &format_length);
            const char* s = lua_tolstring(L, -1, &length);
            // RESP3 verbatim formats are three characters.
            std::string three(format, format_length < 3 ? format_length : 3);
            three.resize(3, ' ');
            out.Verbatim(three, std::string_view(s, length));
            lua_pop(L, 4);
            return;
          }
          lua_pop(L, 1);
        }
        lua_pop(L, 1);
      }
      lua_pop(L, 1);
      if (RawField(L, -1, "map") == LUA_TTABLE) {
        size_t pairs = 0;
        lua_pushnil(L);
        while (lua_next(L, -2)) {
          pairs++;
          lua_pop(L, 1);
        }
        out.MapHeader(pairs);
        lua_pushnil(L);
        while (lua_next(L, -2)) {
          lua_pushvalue(L, -2);  // the key, converted (and popped) before the value
          AppendReply(L, out, lua_resp);
          AppendReply(L, out, lua_resp);
        }
        lua_pop(L, 2);
        return;
      }
      lua_pop(L, 1);
      if (RawField(L, -1, "set") == LUA_TTABLE) {
        size_t members = 0;
        lua_pushnil(L);
        while (lua_next(L, -2)) {
          members++;
          lua_pop(L, 1);
        }
        out.SetHeader(members);
        lua_pushnil(L);
        while (lua_next(L, -2)) {
          lua_pop(L, 1);
          lua_pushvalue(L, -1);
          AppendReply(L, out, lua_resp);
        }
        lua_pop(L, 2);
        return;
      }
      lua_pop(L, 1);
      // An array, cut at the first nil.
      size_t count = 0;
      while (true) {
        lua_rawgeti(L, -1, static_cast<int>(count + 1));
        bool end = lua_isnil(L, -1);
        lua_pop(L, 1);
        if (end) break;
        count++;
      }
      out.ArrayHeader(count);
      for (size_t i = 1; i <= count; i++) {
        lua_rawgeti(L, -1, static_cast<int>(i));
        AppendReply(L, out, lua_resp);
      }
      break;
    }
    default:
      out.Null();
  }
  lua_pop(L, 1);
}

}  // namespace emberkv::scripting::internal
