// struct: binary packing for scripts, with the API and format language of
// Roberto Ierusalimschy's struct library that Redis embeds (Debian has no
// package of it; this one is ours):
//
//   struct.pack(fmt, v1, v2, ...)   -> string
//   struct.unpack(fmt, s [, pos])   -> v1, v2, ..., next position
//   struct.size(fmt)                -> bytes
//
//   >  big endian       <  little endian      !n  align to n (! alone: 8)
//   x  a zero byte      b/B  signed/unsigned char     h/H  short (2)
//   l/L  long (8)       T  size_t (8)         i/I[n]  int of n bytes (4)
//   f  float            d  double             c[n]  n chars (c0: all / the
//   s  zero-terminated string                       previous number)
//
// Sizes are bounded (integers up to 32 bytes, counts up to 2^31); every read
// is checked against the data (CVE-2020-14147 was an unchecked size here);
// the output is built in a luaL_Buffer, inside the Lua heap.
#include <climits>
#include <cstdint>
#include <cstring>

extern "C" {
#include <lauxlib.h>
}

#include "scripting/internal/sandbox.h"

namespace emberkv::scripting::internal {
namespace {

constexpr int kMaxIntSize = 32;
constexpr size_t kNativeAlign = 8;

struct Header {
  bool little = true;  // x86-64's order, struct's default
  size_t align = 1;
};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// A count after an option, or `fallback`; raises past INT_MAX.
size_t Number(lua_State* L, const char** fmt, size_t fallback) {
  if (!IsDigit(**fmt)) return fallback;
  size_t n = 0;
  while (IsDigit(**fmt)) {
    n = n * 10 + (*(*fmt)++ - '0');
    if (n > INT_MAX) luaL_error(L, "integral size overflow");
  }
  return n;
}

// The size of option `opt` (0 for 'c0' and 's', whose size is the data's).
size_t OptionSize(lua_State* L, char opt, const char** fmt) {
  switch (opt) {
    case 'B':
    case 'b':
    case 'x':
      return 1;
    case 'H':
    case 'h':
      return 2;
    case 'L':
    case 'l':
    case 'T':
      return 8;
    case 'f':
      return 4;
    case 'd':
      return 8;
    case 'c':
      return Number(L, fmt, 1);
    case 's':
      return 0;
    case 'i':
    case 'I': {
      size_t n = Number(L, fmt, 4);
      if (n > kMaxIntSize)
        luaL_error(L, "integral size %d is larger than limit of %d", static_cast<int>(n),
                   kMaxIntSize);
      if (n == 0) luaL_error(L, "integral size 0 is not valid");
      return n;
    }
    default:
      return 0;
  }
}

// The lower-case integer formats are signed, the upper-case ones (and T,
// size_t) unsigned.
bool IsSignedInteger(char opt) { return opt == 'b' || opt == 'h' || opt == 'l' || opt == 'i'; }

// Padding before an option of `size` at offset `length`.
size_t Padding(lua_State* L, size_t length, const Header& h, char opt, size_t size) {
  if (size == 0 || opt == 'c' || opt == 's') return 0;
  if (size > h.align) size = h.align;
  if ((size & (size - 1)) != 0) luaL_argerror(L, 1, "format asks for alignment not power of 2");
  return (size - (length & (size - 1))) & (size - 1);
}

// Header options; true when `opt` was one.
bool HeaderOption(lua_State* L, char opt, const char** fmt, Header* h) {
  switch (opt) {
    case ' ':
      return true;
    case '>':
      h->little = false;
      return true;
    case '<':
      h->little = true;
      return true;
    case '!':
      h->align = Number(L, fmt, kNativeAlign);
      return true;
    default:
      return false;
  }
}

void CheckOption(lua_State* L, char opt) {
  if (!std::strchr("BbxHhLlTfdcsiI", opt) || opt == '\0') {
    luaL_argerror(L, 1, lua_pushfstring(L, "invalid format option '%c'", opt));
  }
}

// pack's values. The luaL_Buffer lives above the arguments on the stack, so
// a missing argument is caught against the count taken before it started
// (and reported as nil, as Redis's copy words it).
lua_Number NumberArgument(lua_State* L, int arg, int argc) {
  if (arg > argc) luaL_argerror(L, arg, "number expected, got nil");
  return luaL_checknumber(L, arg);
}
const char* StringArgument(lua_State* L, int arg, int argc, size_t* length) {
  if (arg > argc) luaL_argerror(L, arg, "string expected, got nil");
  return luaL_checklstring(L, arg, length);
}

void PutInteger(luaL_Buffer* b, uint64_t value, bool little, size_t size, bool negative) {
  char bytes[kMaxIntSize];
  for (size_t i = 0; i < size; i++) {
    uint8_t byte = i < 8 ? static_cast<uint8_t>(value >> (8 * i)) : (negative ? 0xff : 0);
    bytes[little ? i : size - 1 - i] = static_cast<char>(byte);
  }
  luaL_addlstring(b, bytes, size);
}

int StructPack(lua_State* L) {
  const char* fmt = luaL_checkstring(L, 1);
  const int argc = lua_gettop(L);
  Header h;
  int arg = 2;
  size_t total = 0;
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  while (*fmt) {
    char opt = *fmt++;
    if (HeaderOption(L, opt, &fmt, &h)) continue;
    CheckOption(L, opt);
    size_t size = OptionSize(L, opt, &fmt);
    size_t pad = Padding(L, total, h, opt, size);
    for (size_t i = 0; i < pad; i++) luaL_addchar(&b, '\0');
    total += pad;
    switch (opt) {
      case 'x':
        luaL_addchar(&b, '\0');
        break;
      case 'b':
      case 'B':
      case 'h':
      case 'H':
      case 'l':
      case 'L':
      case 'T':
      case 'i':
      case 'I': {
        lua_Number n = NumberArgument(L, arg++, argc);
        bool is_signed = IsSignedInteger(opt);
        uint64_t value;
        if (is_signed || n < 0) {
          value = n >= 9223372036854775807.0 || n < -9223372036854775808.0 || n != n
                      ? static_cast<uint64_t>(INT64_MIN)
                      : static_cast<uint64_t>(static_cast<int64_t>(n));
        } else {
          value = n >= 18446744073709551615.0 ? UINT64_MAX : static_cast<uint64_t>(n);
        }
        PutInteger(&b, value, h.little, size, n < 0);
        break;
      }
      case 'f': {
        float f = static_cast<float>(NumberArgument(L, arg++, argc));
        uint32_t bits;
        std::memcpy(&bits, &f, 4);
        PutInteger(&b, bits, h.little, 4, false);
        break;
      }
      case 'd': {
        double d = NumberArgument(L, arg++, argc);
        uint64_t bits;
        std::memcpy(&bits, &d, 8);
        PutInteger(&b, bits, h.little, 8, false);
        break;
      }
      case 'c':
      case 's': {
        size_t length;
        const char* s = StringArgument(L, arg, argc, &length);
        if (size == 0) size = length;
        luaL_argcheck(L, length >= size, arg, "string too short");
        arg++;
        luaL_addlstring(&b, s, size);
        if (opt == 's') {
          luaL_addchar(&b, '\0');
          size++;
        }
        break;
      }
    }
    total += size;
  }
  luaL_pushresult(&b);
  return 1;
}

uint64_t GetInteger(const char* data, bool little, size_t size) {
  uint64_t value = 0;
  size_t used = size < 8 ? size : 8;
  for (size_t i = 0; i < used; i++) {
    auto byte = static_cast<uint8_t>(data[little ? i : size - 1 - i]);
    value |= uint64_t{byte} << (8 * i);
  }
  return value;
}

int StructUnpack(lua_State* L) {
  const char* fmt = luaL_checkstring(L, 1);
  size_t length;
  const char* data = luaL_checklstring(L, 2, &length);
  // As Redis's copy: offset 0 is refused; a negative one wraps around and
  // fails the first length check ("data string too short").
  lua_Integer start = luaL_optinteger(L, 3, 1);
  luaL_argcheck(L, start != 0, 3, "offset must be 1 or greater");
  size_t pos = static_cast<size_t>(start) - 1;
  Header h;
  int values = 0;
  while (*fmt) {
    char opt = *fmt++;
    if (HeaderOption(L, opt, &fmt, &h)) continue;
    CheckOption(L, opt);
    size_t size = OptionSize(L, opt, &fmt);
    pos += Padding(L, pos, h, opt, size);
    luaL_argcheck(L, pos <= length && size <= length - pos, 2, "data string too short");
    luaL_checkstack(L, 2, "too many results");
    switch (opt) {
      case 'x':
        break;
      case 'b':
      case 'B':
      case 'h':
      case 'H':
      case 'l':
      case 'L':
      case 'T':
      case 'i':
      case 'I': {
        uint64_t raw = GetInteger(data + pos, h.little, size);
        bool is_signed = IsSignedInteger(opt);
        if (is_signed && size < 8) {
          int shift = 64 - 8 * static_cast<int>(size);
          lua_pushnumber(L, static_cast<lua_Number>(static_cast<int64_t>(raw << shift) >> shift));
        } else if (is_signed) {
          lua_pushnumber(L, static_cast<lua_Number>(static_cast<int64_t>(raw)));
        } else {
          lua_pushnumber(L, static_cast<lua_Number>(raw));
        }
        values++;
        break;
      }
      case 'f': {
        auto bits = static_cast<uint32_t>(GetInteger(data + pos, h.little, 4));
        float f;
        std::memcpy(&f, &bits, 4);
        lua_pushnumber(L, f);
        values++;
        break;
      }
      case 'd': {
        uint64_t bits = GetInteger(data + pos, h.little, 8);
        double d;
        std::memcpy(&d, &bits, 8);
        lua_pushnumber(L, d);
        values++;
        break;
      }
      case 'c': {
        if (size == 0) {
          if (values == 0 || !lua_isnumber(L, -1))
            luaL_error(L, "format 'c0' needs a previous size");
          lua_Number n = lua_tonumber(L, -1);
          lua_pop(L, 1);
          values--;
          luaL_argcheck(L, n >= 0 && n <= static_cast<lua_Number>(length - pos), 2,
                        "data string too short");
          size = static_cast<size_t>(n);
        }
        lua_pushlstring(L, data + pos, size);
        values++;
        break;
      }
      case 's': {
        const void* end = std::memchr(data + pos, '\0', length - pos);
        if (end == nullptr) luaL_error(L, "unfinished string in data");
        size = static_cast<const char*>(end) - (data + pos) + 1;
        lua_pushlstring(L, data + pos, size - 1);
        values++;
        break;
      }
    }
    pos += size;
  }
  lua_pushnumber(L, static_cast<lua_Number>(pos + 1));
  return values + 1;
}

int Size(lua_State* L) {
  const char* fmt = luaL_checkstring(L, 1);
  Header h;
  size_t pos = 0;
  while (*fmt) {
    char opt = *fmt++;
    if (HeaderOption(L, opt, &fmt, &h)) continue;
    CheckOption(L, opt);
    size_t size = OptionSize(L, opt, &fmt);
    if (size == 0 && (opt == 's' || opt == 'c'))
      luaL_argerror(L, 1, "options 'c0' - 's' have undefined sizes");
    pos += Padding(L, pos, h, opt, size) + size;
    if (pos > INT_MAX) luaL_error(L, "format result too large");
  }
  lua_pushnumber(L, static_cast<lua_Number>(pos));
  return 1;
}

}  // namespace

int OpenStruct(lua_State* L) {
  lua_newtable(L);
  lua_pushcfunction(L, StructPack);
  lua_setfield(L, -2, "pack");
  lua_pushcfunction(L, StructUnpack);
  lua_setfield(L, -2, "unpack");
  lua_pushcfunction(L, Size);
  lua_setfield(L, -2, "size");
  return 1;
}

}  // namespace emberkv::scripting::internal
