// cmsgpack: MessagePack for scripts, with the API and encoding choices of the
// lua-cmsgpack Redis embeds (Debian has no package of it; this one is ours):
//
//   cmsgpack.pack(v1, v2, ...)          -> the encodings of each, concatenated
//   cmsgpack.unpack(s)                  -> every value in s
//   cmsgpack.unpack_one(s [, offset])   -> next offset (-1 at the end), value
//   cmsgpack.unpack_limit(s, n [, off]) -> next offset (-1 at the end), up to n values
//
// Encoding: integral numbers as the smallest integer type, others as float
// when a float holds them exactly, else double; strings as str (fixstr, str8,
// str16, str32); tables whose keys are exactly 1..n as arrays, others as
// maps; nesting deeper than 16 and values of other types as nil.
//
// Decoding never trusts a length: a string or a container is checked against
// the bytes that remain before anything is allocated for it, and nesting is
// bounded by the Lua stack. Malformed input raises "Missing bytes in input."
// or "Bad data format in input.".
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

extern "C" {
#include <lauxlib.h>
}

#include "scripting/internal/engine_state.h"
#include "scripting/internal/sandbox.h"

namespace emberkv::scripting::internal {
namespace {

constexpr int kMaxEncodeNesting = 16;
constexpr int kMaxDecodeNesting = 1000;

// ---- Encoding ----
//
// Into a std::string (a luaL_Buffer wants the top of the Lua stack, which
// the table walk needs), bounded by what the engine's memory limit leaves,
// so that the output cannot escape the limit. Nothing here raises: the
// caller raises once the string is gone.

struct Encoder {
  lua_State* L;
  std::string out;
  size_t budget;
  bool over_budget = false;

  void Byte(uint8_t c) { out.push_back(static_cast<char>(c)); }
  void BigEndian(uint64_t value, int bytes) {
    for (int i = bytes - 1; i >= 0; i--) Byte(static_cast<uint8_t>(value >> (8 * i)));
  }
  void Tagged(uint8_t tag, uint64_t value, int bytes) {
    Byte(tag);
    BigEndian(value, bytes);
  }

  void Integer(int64_t n) {
    if (n >= 0) {
      auto u = static_cast<uint64_t>(n);
      if (u <= 127) {
        Byte(static_cast<uint8_t>(u));
      } else if (u <= 0xff) {
        Tagged(0xcc, u, 1);
      } else if (u <= 0xffff) {
        Tagged(0xcd, u, 2);
      } else if (u <= 0xffffffffULL) {
        Tagged(0xce, u, 4);
      } else {
        Tagged(0xcf, u, 8);
      }
    } else if (n >= -32) {
      Byte(static_cast<uint8_t>(n));
    } else if (n >= -128) {
      Tagged(0xd0, static_cast<uint8_t>(n), 1);
    } else if (n >= -32768) {
      Tagged(0xd1, static_cast<uint16_t>(n), 2);
    } else if (n >= INT32_MIN) {
      Tagged(0xd2, static_cast<uint32_t>(n), 4);
    } else {
      Tagged(0xd3, static_cast<uint64_t>(n), 8);
    }
  }

  void Number(lua_Number n) {
    if (std::isfinite(n) && n >= -9223372036854775808.0 && n < 9223372036854775808.0 &&
        static_cast<lua_Number>(static_cast<int64_t>(n)) == n) {
      Integer(static_cast<int64_t>(n));
      return;
    }
    float f = static_cast<float>(n);
    if (static_cast<lua_Number>(f) == n || std::isnan(n)) {
      uint32_t bits;
      std::memcpy(&bits, &f, 4);
      Tagged(0xca, bits, 4);
    } else {
      uint64_t bits;
      std::memcpy(&bits, &n, 8);
      Tagged(0xcb, bits, 8);
    }
  }

  void Length(size_t n, uint8_t fix, size_t fix_max, uint8_t tag16, uint8_t tag32) {
    if (n <= fix_max) {
      Byte(static_cast<uint8_t>(fix | n));
    } else if (n <= 0xffff) {
      Tagged(tag16, n, 2);
    } else {
      Tagged(tag32, n, 4);
    }
  }

  // The length of the table on top if its keys are exactly 1..n, else -1.
  int64_t ArrayLength() {
    int64_t count = 0, max = 0;
    lua_pushnil(L);
    while (lua_next(L, -2)) {
      lua_pop(L, 1);
      lua_Number k = lua_type(L, -1) == LUA_TNUMBER ? lua_tonumber(L, -1) : 0;
      if (!(k > 0 && k < 9.0e15 && std::floor(k) == k)) {
        lua_pop(L, 1);
        return -1;
      }
      if (k > max) max = static_cast<int64_t>(k);
      count++;
    }
    return count == max ? count : -1;
  }

  void Table(int level) {
    int64_t length = ArrayLength();
    if (length >= 0) {
      Length(static_cast<size_t>(length), 0x90, 15, 0xdc, 0xdd);
      for (int64_t i = 1; i <= length && !over_budget; i++) {
        lua_rawgeti(L, -1, static_cast<int>(i));
        Value(level + 1);
      }
      return;
    }
    size_t pairs = 0;
    lua_pushnil(L);
    while (lua_next(L, -2)) {
      pairs++;
      lua_pop(L, 1);
    }
    Length(pairs, 0x80, 15, 0xde, 0xdf);
    lua_pushnil(L);
    while (lua_next(L, -2)) {
      if (over_budget) {
        lua_pop(L, 2);
        return;
      }
      lua_pushvalue(L, -2);
      Value(level + 1);  // the key
      Value(level + 1);  // the value
    }
  }

  // Encodes and pops the value on top of the stack.
  void Value(int level) {
    if (out.size() > budget) over_budget = true;
    int type = over_budget ? LUA_TNIL : lua_type(L, -1);
    switch (type) {
      case LUA_TSTRING: {
        size_t length;
        const char* s = lua_tolstring(L, -1, &length);
        if (length > budget - out.size()) {
          over_budget = true;
          break;
        }
        if (length < 32) {
          Byte(static_cast<uint8_t>(0xa0 | length));
        } else if (length <= 0xff) {
          Tagged(0xd9, length, 1);
        } else if (length <= 0xffff) {
          Tagged(0xda, length, 2);
        } else {
          Tagged(0xdb, length, 4);
        }
        out.append(s, length);
        break;
      }
      case LUA_TBOOLEAN:
        Byte(lua_toboolean(L, -1) ? 0xc3 : 0xc2);
        break;
      case LUA_TNUMBER:
        Number(lua_tonumber(L, -1));
        break;
      case LUA_TTABLE:
        if (level < kMaxEncodeNesting && lua_checkstack(L, 4)) {
          Table(level);
          break;
        }
        [[fallthrough]];
      default:
        Byte(0xc0);
    }
    lua_pop(L, 1);
  }
};

// What the engine's memory limit leaves for an encoding (512 MiB without one).
size_t EncodeBudget(lua_State* L) {
  size_t budget = size_t{512} << 20;
  LuaEngine* engine = EngineOf(L);
  if (engine != nullptr && engine->memory_limit() != 0) {
    size_t used = engine->lua_memory(), limit = engine->memory_limit();
    budget = std::min(budget, used < limit ? limit - used : 0);
  }
  return budget;
}

bool EncodeAll(lua_State* L, int argc, size_t budget) {
  Encoder encoder{L, {}, budget};
  for (int i = 1; i <= argc && !encoder.over_budget; i++) {
    lua_pushvalue(L, i);
    encoder.Value(0);
  }
  if (encoder.over_budget) return false;
  lua_pushlstring(L, encoder.out.data(), encoder.out.size());
  return true;
}

int MsgpackPack(lua_State* L) {
  int argc = lua_gettop(L);
  if (argc == 0) return luaL_argerror(L, 0, "MessagePack pack needs input.");
  if (!EncodeAll(L, argc, EncodeBudget(L))) {
    return luaL_error(L, "MessagePack pack: output larger than the script memory left");
  }
  return 1;
}

// ---- Decoding ----

struct Reader {
  const uint8_t* p;
  size_t left;
};

[[noreturn]] void Missing(lua_State* L) {
  luaL_error(L, "Missing bytes in input.");
  __builtin_unreachable();
}
[[noreturn]] void BadFormat(lua_State* L) {
  luaL_error(L, "Bad data format in input.");
  __builtin_unreachable();
}

uint64_t TakeBigEndian(lua_State* L, Reader* r, int bytes) {
  if (r->left < static_cast<size_t>(bytes)) Missing(L);
  uint64_t value = 0;
  for (int i = 0; i < bytes; i++) value = value << 8 | r->p[i];
  r->p += bytes;
  r->left -= bytes;
  return value;
}

void Decode(lua_State* L, Reader* r, int depth);

void DecodeString(lua_State* L, Reader* r, uint64_t length) {
  if (length > r->left) Missing(L);
  lua_pushlstring(L, reinterpret_cast<const char*>(r->p), length);
  r->p += length;
  r->left -= length;
}

void DecodeArray(lua_State* L, Reader* r, uint64_t count, int depth) {
  if (count > r->left) Missing(L);  // each element takes at least one byte
  lua_createtable(L, static_cast<int>(count), 0);
  for (uint64_t i = 1; i <= count; i++) {
    Decode(L, r, depth + 1);
    lua_rawseti(L, -2, static_cast<int>(i));
  }
}

void DecodeMap(lua_State* L, Reader* r, uint64_t count, int depth) {
  if (count > r->left / 2) Missing(L);  // each pair takes at least two bytes
  lua_createtable(L, 0, static_cast<int>(count));
  for (uint64_t i = 0; i < count; i++) {
    Decode(L, r, depth + 1);
    Decode(L, r, depth + 1);
    if (lua_isnil(L, -2)) BadFormat(L);  // a nil key cannot index a table
    lua_rawset(L, -3);
  }
}

lua_Number SignedNumber(uint64_t raw, int bytes) {
  int shift = 64 - 8 * bytes;
  return static_cast<lua_Number>(static_cast<int64_t>(raw << shift) >> shift);
}

void Decode(lua_State* L, Reader* r, int depth) {
  if (depth > kMaxDecodeNesting || !lua_checkstack(L, 4)) BadFormat(L);
  if (r->left == 0) Missing(L);
  uint8_t tag = *r->p;
  r->p++;
  r->left--;
  if (tag <= 0x7f) return lua_pushnumber(L, tag);
  if (tag >= 0xe0) return lua_pushnumber(L, static_cast<int8_t>(tag));
  if ((tag & 0xe0) == 0xa0) return DecodeString(L, r, tag & 0x1f);
  if ((tag & 0xf0) == 0x90) return DecodeArray(L, r, tag & 0x0f, depth);
  if ((tag & 0xf0) == 0x80) return DecodeMap(L, r, tag & 0x0f, depth);
  switch (tag) {
    case 0xc0:
      return lua_pushnil(L);
    case 0xc2:
      return lua_pushboolean(L, 0);
    case 0xc3:
      return lua_pushboolean(L, 1);
    case 0xcc:
      return lua_pushnumber(L, static_cast<lua_Number>(TakeBigEndian(L, r, 1)));
    case 0xcd:
      return lua_pushnumber(L, static_cast<lua_Number>(TakeBigEndian(L, r, 2)));
    case 0xce:
      return lua_pushnumber(L, static_cast<lua_Number>(TakeBigEndian(L, r, 4)));
    case 0xcf:
      return lua_pushnumber(L, static_cast<lua_Number>(TakeBigEndian(L, r, 8)));
    case 0xd0:
      return lua_pushnumber(L, SignedNumber(TakeBigEndian(L, r, 1), 1));
    case 0xd1:
      return lua_pushnumber(L, SignedNumber(TakeBigEndian(L, r, 2), 2));
    case 0xd2:
      return lua_pushnumber(L, SignedNumber(TakeBigEndian(L, r, 4), 4));
    case 0xd3:
      return lua_pushnumber(L, SignedNumber(TakeBigEndian(L, r, 8), 8));
    case 0xca: {
      auto bits = static_cast<uint32_t>(TakeBigEndian(L, r, 4));
      float f;
      std::memcpy(&f, &bits, 4);
      return lua_pushnumber(L, f);
    }
    case 0xcb: {
      uint64_t bits = TakeBigEndian(L, r, 8);
      double d;
      std::memcpy(&d, &bits, 8);
      return lua_pushnumber(L, d);
    }
    case 0xd9:
    case 0xc4:
      return DecodeString(L, r, TakeBigEndian(L, r, 1));
    case 0xda:
    case 0xc5:
      return DecodeString(L, r, TakeBigEndian(L, r, 2));
    case 0xdb:
    case 0xc6:
      return DecodeString(L, r, TakeBigEndian(L, r, 4));
    case 0xdc:
      return DecodeArray(L, r, TakeBigEndian(L, r, 2), depth);
    case 0xdd:
      return DecodeArray(L, r, TakeBigEndian(L, r, 4), depth);
    case 0xde:
      return DecodeMap(L, r, TakeBigEndian(L, r, 2), depth);
    case 0xdf:
      return DecodeMap(L, r, TakeBigEndian(L, r, 4), depth);
    default:
      BadFormat(L);
  }
}

// Decodes up to `limit` values (0: all) from offset `offset`; pushes the
// next offset (-1 when the input is exhausted) first when `with_offset`.
int MsgpackUnpack(lua_State* L, size_t offset, int64_t limit, bool with_offset) {
  size_t length;
  const char* s = luaL_checklstring(L, 1, &length);
  if (offset > length) offset = length;
  Reader r{reinterpret_cast<const uint8_t*>(s) + offset, length - offset};
  int base = lua_gettop(L);
  if (with_offset) lua_pushnil(L);  // replaced by the offset
  int64_t decoded = 0;
  while (r.left > 0 && (limit == 0 || decoded < limit)) {
    if (!lua_checkstack(L, 2)) return luaL_error(L, "too many values to unpack");
    Decode(L, &r, 0);
    decoded++;
  }
  if (with_offset) {
    lua_Number next = r.left == 0 ? -1 : static_cast<lua_Number>(length - r.left);
    lua_pushnumber(L, next);
    lua_replace(L, base + 1);
  }
  return lua_gettop(L) - base;
}

size_t OffsetArgument(lua_State* L, int index) {
  lua_Number offset = luaL_optnumber(L, index, 0);
  return offset > 0 ? static_cast<size_t>(offset) : 0;
}

int UnpackAll(lua_State* L) { return MsgpackUnpack(L, 0, 0, false); }
int UnpackOne(lua_State* L) { return MsgpackUnpack(L, OffsetArgument(L, 2), 1, true); }
int UnpackLimit(lua_State* L) {
  auto limit = static_cast<int64_t>(luaL_checknumber(L, 2));
  return MsgpackUnpack(L, OffsetArgument(L, 3), limit > 0 ? limit : 0, true);
}

}  // namespace

int OpenCmsgpack(lua_State* L) {
  lua_newtable(L);
  lua_pushcfunction(L, MsgpackPack);
  lua_setfield(L, -2, "pack");
  lua_pushcfunction(L, UnpackAll);
  lua_setfield(L, -2, "unpack");
  lua_pushcfunction(L, UnpackOne);
  lua_setfield(L, -2, "unpack_one");
  lua_pushcfunction(L, UnpackLimit);
  lua_setfield(L, -2, "unpack_limit");
  // The module's identity as scripts written for Redis read it.
  lua_pushliteral(L, "cmsgpack");
  lua_setfield(L, -2, "_NAME");
  lua_pushliteral(L, "lua-cmsgpack 0.4.0");
  lua_setfield(L, -2, "_VERSION");
  lua_pushliteral(L, "emberkv's implementation of the lua-cmsgpack API");
  lua_setfield(L, -2, "_COPYRIGHT");
  lua_pushliteral(L, "MessagePack C implementation for Lua");
  lua_setfield(L, -2, "_DESCRIPTION");
  return 1;
}

}  // namespace emberkv::scripting::internal
