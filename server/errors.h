// Redis 7.0's error texts, in one place. Handlers reply with these; storage
// statuses map to them through ReplyError.
#pragma once

#include <string>
#include <span>
#include <string_view>

#include "protocol/reply_builder.h"
#include "storage/op_status.h"

namespace emberkv::server::errors {

inline constexpr std::string_view kSyntax = "ERR syntax error";
inline constexpr std::string_view kWrongType =
    "WRONGTYPE Operation against a key holding the wrong kind of value";
inline constexpr std::string_view kNotInteger = "ERR value is not an integer or out of range";
inline constexpr std::string_view kIntOutOfRange =
    "ERR value is out of range, value must between -2147483648 and 2147483647";
inline constexpr std::string_view kNotFloat = "ERR value is not a valid float";
inline constexpr std::string_view kIncrOverflow = "ERR increment or decrement would overflow";
inline constexpr std::string_view kNanOrInfinity = "ERR increment would produce NaN or Infinity";
inline constexpr std::string_view kStringTooLong =
    "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
inline constexpr std::string_view kNoSuchKey = "ERR no such key";
inline constexpr std::string_view kSameObject = "ERR source and destination objects are the same";
inline constexpr std::string_view kDbIndexOutOfRange = "ERR DB index is out of range";
inline constexpr std::string_view kOutOfMemory =
    "OOM command not allowed when used memory > 'maxmemory'.";
inline constexpr std::string_view kNoAuth = "NOAUTH Authentication required.";
inline constexpr std::string_view kInvalidCursor = "ERR invalid cursor";
inline constexpr std::string_view kOffsetOutOfRange = "ERR offset is out of range";
inline constexpr std::string_view kNotInTransaction = "ERR Command not allowed inside a transaction";
// A command inside a transaction or script reached a shard the transaction
// did not lock: our own invariant broken, answered rather than crashed on.
inline constexpr std::string_view kKeysOutsideTransaction =
    "ERR command accesses a key the transaction did not declare";

std::string WrongArity(std::string_view command_name);
std::string UnknownCommand(std::string_view name, std::span<const std::string_view> args_after_name);
std::string UnknownSubcommand(std::string_view sub, std::string_view container);
std::string InvalidExpireTime(std::string_view command_name);
// What a RESP2 subscriber gets for a command other than (P|S)(UN)SUBSCRIBE,
// PING, QUIT and RESET.
std::string OnlySubscribeCommands(std::string_view command_name);

// Replies with the error text for a failed storage status.
void ReplyStatus(protocol::ReplyBuilder& reply, storage::OpStatus status);

}  // namespace emberkv::server::errors
