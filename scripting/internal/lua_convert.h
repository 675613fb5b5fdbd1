// The conversions between RESP replies and Lua values, with Redis 7.0's rules
// (its script_lua.c): a command's reply becomes what redis.call returns, and
// a script's return value becomes the reply its client reads.
#pragma once

#include <string_view>

#include "protocol/reply_builder.h"

struct lua_State;

namespace emberkv::scripting::internal {

// Pushes the Lua value of the one reply in `reply` (a host's answer):
//   integer -> number          bulk -> string          status -> {ok=text}
//   error -> {err="CODE msg"}  RESP2 null bulk / null array -> false
//   array -> table (1..n)      RESP3: null -> nil, boolean -> boolean,
//   map -> {map={k=v}}, set -> {set={k=true}}, double -> {double=d},
//   big number -> {big_number=text}, verbatim -> {verbatim_string={format=, string=}}
// Attributes are skipped. Returns false (pushing nothing) when `reply` is not
// exactly one well-formed reply, nests too deep or would overflow the Lua stack.
bool PushReply(lua_State* L, std::string_view reply);

// Pushes {err="CODE msg"} as Redis's luaPushError does: "-CODE msg" keeps its
// code ("-boom", without a blank, becomes "ERR boom"); text without the
// leading '-' is a message and gets "ERR ". CR and LF are trimmed at both ends.
void PushErrorTable(lua_State* L, std::string_view error);

// Pops the value on top of the stack and appends its reply to `out`:
// numbers are truncated to integers, strings are bulk strings, tables are
// {err=}, {ok=}, {double=}, {big_number=}, {verbatim_string=}, {map=}, {set=}
// or arrays cut at the first nil; booleans follow `lua_resp`, the protocol the
// script chose with redis.setresp (RESP2: true is 1 and false is a null).
void AppendReply(lua_State* L, protocol::ReplyBuilder& out, protocol::RespVersion lua_resp);

}  // namespace emberkv::scripting::internal
