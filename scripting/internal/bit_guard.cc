// bit: Debian's lua-bitop 1.0.2 (the library Redis embeds), with tohex
// guarded. bit.tohex(x, n) negates a negative n to ask for upper case; for
// n = -2^31 the negation overflows, the length check passes, and the digits
// are written far past an 8-byte stack buffer (CVE-2024-31449, fixed in
// Redis's copy, not in Debian's). The guard maps that one n to -(2^31 - 1),
// which asks for the same thing (upper case, at most 8 digits).
#include <climits>
#include <cstdint>
#include <cstring>

extern "C" {
#include <lauxlib.h>
int luaopen_bit(lua_State* L);
}

#include "scripting/internal/sandbox.h"

namespace emberkv::scripting::internal {
namespace {

// lua-bitop's conversion of a number to 32 bits: add 2^52 + 2^51 and take
// the low word of the double (rounding, modulo 2^32).
int32_t ToBits(lua_Number n) {
  double shifted = n + 6755399441055744.0;
  uint64_t bits;
  std::memcpy(&bits, &shifted, sizeof(bits));
  return static_cast<int32_t>(static_cast<uint32_t>(bits));
}

int GuardedTohex(lua_State* L) {
  if (lua_gettop(L) >= 2 && lua_isnumber(L, 2) && ToBits(lua_tonumber(L, 2)) == INT32_MIN) {
    lua_pushnumber(L, -INT32_MAX);
    lua_replace(L, 2);
  }
  return OriginalAt(L, 1)(L);
}

}  // namespace

int OpenBit(lua_State* L) {
  lua_pushcfunction(L, luaopen_bit);
  lua_call(L, 0, 1);
  lua_getfield(L, -1, "tohex");
  PushCFunctionPointer(L, -1);
  lua_remove(L, -2);
  lua_pushcclosure(L, GuardedTohex, 1);
  lua_setfield(L, -2, "tohex");
  return 1;
}

}  // namespace emberkv::scripting::internal
