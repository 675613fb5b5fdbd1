// Redis 7.0's error texts, in one place. Handlers reply with these; storage
// statuses map to them through ReplyError.
#pragma once

#include <cstdint>
#include <span>
#include <string>
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
inline constexpr std::string_view kNotHyperLogLog =
    "WRONGTYPE Key is not a valid HyperLogLog string value.";
inline constexpr std::string_view kCorruptHyperLogLog = "INVALIDOBJ Corrupted HLL object detected";
inline constexpr std::string_view kNotSortable =
    "ERR One or more scores can't be converted into double";
inline constexpr std::string_view kLcsTooLarge =
    "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len";
inline constexpr std::string_view kNoSuchMember = "ERR could not decode requested zset member";
inline constexpr std::string_view kDbIndexOutOfRange = "ERR DB index is out of range";
inline constexpr std::string_view kOutOfMemory =
    "OOM command not allowed when used memory > 'maxmemory'.";
inline constexpr std::string_view kNoAuth = "NOAUTH Authentication required.";
inline constexpr std::string_view kInvalidCursor = "ERR invalid cursor";
inline constexpr std::string_view kOffsetOutOfRange = "ERR offset is out of range";
// MONITOR: a monitoring client may not touch keys (a replica in Redis), and
// MONITOR cannot run where the client cannot wait (EXEC).
inline constexpr std::string_view kMonitorKeyspace = "ERR Replica can't interact with the keyspace";
inline constexpr std::string_view kMonitorDenyBlocking =
    "ERR MONITOR isn't allowed for DENY BLOCKING client";
// SSUBSCRIBE inside EXEC (where SUBSCRIBE is allowed).
inline constexpr std::string_view kSSubscribeDenyBlocking =
    "ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client";
// LATENCY GRAPH of an event with no samples.
inline std::string NoLatencySamples(std::string_view event) {
  return "ERR No samples available for event '" + std::string(event) + "'";
}
// DEBUG, refused by enable-debug-command; its PROTOCOL and
// QUICKLIST-PACKED-THRESHOLD subcommands.
inline constexpr std::string_view kDebugNotAllowed =
    "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you "
    "can run it from a local connection, otherwise you need to set this option in the "
    "configuration file, and then restart the server.";
inline constexpr std::string_view kPushNeedsResp3 = "ERR RESP2 is not supported by this command";
inline constexpr std::string_view kProtocolTypeName =
    "ERR Wrong protocol type name. Please use one of the following: "
    "string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false";
inline constexpr std::string_view kQuicklistThreshold =
    "ERR argument must be a memory value bigger than 1 and smaller than 4gb";
inline constexpr std::string_view kNotInTransaction =
    "ERR Command not allowed inside a transaction";
// A command inside a transaction or script reached a shard the transaction
// did not lock: our own invariant broken, answered rather than crashed on.
inline constexpr std::string_view kKeysOutsideTransaction =
    "ERR command accesses a key the transaction did not declare";

// ---- Scripting (EVAL, FCALL, SCRIPT, FUNCTION) ----
inline constexpr std::string_view kNoScript = "NOSCRIPT No matching script. Please use EVAL.";
inline constexpr std::string_view kNumKeysNegative = "ERR Number of keys can't be negative";
inline constexpr std::string_view kNumKeysTooMany =
    "ERR Number of keys can't be greater than number of args";
inline constexpr std::string_view kWriteFlagWithRo =
    "ERR Can not execute a script with write flag using *_ro command.";
inline constexpr std::string_view kScriptOom = "OOM allowed memory has exceeded 'maxmemory'";
inline constexpr std::string_view kNoSuchFunction = "ERR Function not found";
inline constexpr std::string_view kNoSuchLibrary = "ERR Library not found";
inline constexpr std::string_view kBusyScript =
    "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
inline constexpr std::string_view kBusyFunction =
    "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";
inline constexpr std::string_view kNotBusy = "NOTBUSY No scripts in execution right now.";
inline constexpr std::string_view kUnkillable =
    "UNKILLABLE Sorry the script already executed write commands against the dataset. You can "
    "either wait the script termination or kill the server in a hard way using the SHUTDOWN "
    "NOSAVE command.";
// redis.call inside a script: Redis's refusals.
inline constexpr std::string_view kScriptUnknownCommand =
    "ERR Unknown Redis command called from script";
inline constexpr std::string_view kScriptWrongArity =
    "ERR Wrong number of args calling Redis command from script";
inline constexpr std::string_view kScriptNotAllowed =
    "ERR This Redis command is not allowed from script";
inline constexpr std::string_view kScriptWriteInReadOnly =
    "ERR Write commands are not allowed from read-only scripts.";
// emberkv's own: a script that had already written touched a key on a shard
// it had not locked, below one it holds (docs/compatibility.md, "Scripts").
inline constexpr std::string_view kScriptUndeclaredAfterWrite =
    "ERR emberkv: this script accessed an undeclared key after a write; it now runs with every "
    "shard locked, call it again";

// ---- Arguments shared by several commands ----
inline constexpr std::string_view kNotPositive = "ERR value is out of range, must be positive";
inline constexpr std::string_view kCountOutOfRange =
    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";
inline constexpr std::string_view kNumkeysNotPositive = "ERR numkeys should be greater than 0";
inline constexpr std::string_view kTooManyNumkeys =
    "ERR Number of keys can't be greater than number of args";
inline constexpr std::string_view kCountNotPositive = "ERR count should be greater than 0";
inline constexpr std::string_view kLimitNegative = "ERR LIMIT can't be negative";

// ---- Keys: EXPIRE and its kind, SWAPDB ----
inline constexpr std::string_view kExpireNxWithOthers =
    "ERR NX and XX, GT or LT options at the same time are not compatible";
inline constexpr std::string_view kExpireGtWithLt =
    "ERR GT and LT options at the same time are not compatible";
inline constexpr std::string_view kInvalidFirstDbIndex = "ERR invalid first DB index";
inline constexpr std::string_view kInvalidSecondDbIndex = "ERR invalid second DB index";

// ---- Strings, hashes, lists ----
inline constexpr std::string_view kDecrementOverflow = "ERR decrement would overflow";
inline constexpr std::string_view kHashValueNotInteger = "ERR hash value is not an integer";
inline constexpr std::string_view kHashValueNotFloat = "ERR hash value is not a float";
inline constexpr std::string_view kIncrementNanOrInfinity = "ERR value is NaN or Infinity";
inline constexpr std::string_view kIndexOutOfRange = "ERR index out of range";
inline constexpr std::string_view kRankZero =
    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use "
    "negative to start from the end of the list";
inline constexpr std::string_view kCountNegative = "ERR COUNT can't be negative";
inline constexpr std::string_view kMaxlenNegative = "ERR MAXLEN can't be negative";

// ---- Sorted sets ----
inline constexpr std::string_view kMinMaxNotFloat = "ERR min or max is not a float";
inline constexpr std::string_view kMinMaxNotLex = "ERR min or max not valid string range item";
inline constexpr std::string_view kZAddXxWithNx =
    "ERR XX and NX options at the same time are not compatible";
inline constexpr std::string_view kZAddGtLtWithNx =
    "ERR GT, LT, and/or NX options at the same time are not compatible";
inline constexpr std::string_view kZAddIncrOnePair =
    "ERR INCR option supports a single increment-element pair";
inline constexpr std::string_view kScoreNan = "ERR resulting score is not a number (NaN)";
inline constexpr std::string_view kLimitWithoutByScoreOrLex =
    "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX";
inline constexpr std::string_view kWithScoresWithByLex =
    "ERR syntax error, WITHSCORES not supported in combination with BYLEX";
inline constexpr std::string_view kWeightNotFloat = "ERR weight value is not a float";

// ---- Bitmaps ----
inline constexpr std::string_view kBitOffset = "ERR bit offset is not an integer or out of range";
inline constexpr std::string_view kBitValue = "ERR bit is not an integer or out of range";
inline constexpr std::string_view kBitArgument = "ERR The bit argument must be 1 or 0.";
inline constexpr std::string_view kBitOpNotOneKey =
    "ERR BITOP NOT must be called with a single source key.";
inline constexpr std::string_view kBitfieldOverflow = "ERR Invalid OVERFLOW type specified";
inline constexpr std::string_view kBitfieldType =
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 "
    "is.";
inline constexpr std::string_view kBitfieldReadOnly =
    "ERR BITFIELD_RO only supports the GET subcommand";

// ---- LCS ----
inline constexpr std::string_view kLcsNotStrings =
    "ERR The specified keys must contain string values";
inline constexpr std::string_view kLcsLenWithIdx =
    "ERR If you want both the length and indexes, please just use IDX.";
inline constexpr std::string_view kLcsStringTooLong = "ERR String too long for LCS";
inline constexpr std::string_view kLcsNoMemory =
    "ERR Insufficient memory, failed allocating transient memory for LCS";

// ---- HyperLogLog ----
inline constexpr std::string_view kPfDebugNoKey = "ERR The specified key does not exist";
inline constexpr std::string_view kPfDebugNotSparse = "ERR HLL encoding is not sparse";

// ---- OBJECT ----
inline constexpr std::string_view kObjectFreqNotLfu =
    "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that "
    "when switching between policies at runtime LRU and LFU data will take some time to adjust.";
inline constexpr std::string_view kObjectIdleTimeLfu =
    "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when "
    "switching between policies at runtime LRU and LFU data will take some time to adjust.";

// ---- Geo ----
inline constexpr std::string_view kGeoUnit =
    "ERR unsupported unit provided. please use M, KM, FT, MI";
inline constexpr std::string_view kGeoNeedRadius = "ERR need numeric radius";
inline constexpr std::string_view kGeoNegativeRadius = "ERR radius cannot be negative";
inline constexpr std::string_view kGeoNeedWidth = "ERR need numeric width";
inline constexpr std::string_view kGeoNeedHeight = "ERR need numeric height";
inline constexpr std::string_view kGeoNegativeBox = "ERR height or width cannot be negative";
inline constexpr std::string_view kGeoCountNotPositive = "ERR COUNT must be > 0";
inline constexpr std::string_view kGeoAnyWithoutCount =
    "ERR the ANY argument requires COUNT argument";

// ---- Connections and clients: AUTH, HELLO, CLIENT ----
inline constexpr std::string_view kWrongPass =
    "WRONGPASS invalid username-password pair or user is disabled.";
inline constexpr std::string_view kAuthWithoutPassword =
    "ERR AUTH <password> called without any password configured for the default user. "
    "Are you sure your configuration is correct?";
inline constexpr std::string_view kProtocolVersionNotInteger =
    "ERR Protocol version is not an integer or out of range";
inline constexpr std::string_view kNoProto = "NOPROTO unsupported protocol version";
inline constexpr std::string_view kHelloNoAuth =
    "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO "
    "AUTH <user> <pass> option can be used to authenticate the client and select the RESP "
    "protocol version at the same time";
inline constexpr std::string_view kBadClientName =
    "ERR Client names cannot contain spaces, newlines or special characters.";
inline constexpr std::string_view kInvalidClientId = "ERR Invalid client ID";
inline constexpr std::string_view kClientIdNotPositive = "ERR client-id should be greater than 0";
inline constexpr std::string_view kNoSuchClient = "ERR No such client";
inline constexpr std::string_view kPauseMode = "ERR CLIENT PAUSE mode must be WRITE or ALL";
inline constexpr std::string_view kUnblockReason =
    "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR";
// What a client blocked in BLPOP & co. gets from CLIENT UNBLOCK ... ERROR.
inline constexpr std::string_view kUnblockedByClient =
    "UNBLOCKED client unblocked via CLIENT UNBLOCK";
inline constexpr std::string_view kTimeoutNotInteger =
    "ERR timeout is not an integer or out of range";
inline constexpr std::string_view kTimeoutNegative = "ERR timeout is negative";

// ---- Server: SHUTDOWN, SLOWLOG, COMMAND GETKEYS ----
inline constexpr std::string_view kNoShutdownInProgress = "ERR No shutdown in progress.";
inline constexpr std::string_view kSlowlogCount = "ERR count should be greater than or equal to -1";
inline constexpr std::string_view kInvalidCommandSpecified = "ERR Invalid command specified";
inline constexpr std::string_view kNoKeyArguments = "ERR The command has no key arguments";
inline constexpr std::string_view kInvalidArgumentCount =
    "ERR Invalid number of arguments specified for command";
inline constexpr std::string_view kInvalidArguments = "ERR Invalid arguments specified for command";

// ---- Transactions ----
inline constexpr std::string_view kNestedMulti = "ERR MULTI calls can not be nested";
inline constexpr std::string_view kDiscardWithoutMulti = "ERR DISCARD without MULTI";
inline constexpr std::string_view kExecWithoutMulti = "ERR EXEC without MULTI";
inline constexpr std::string_view kWatchInsideMulti = "ERR WATCH inside MULTI is not allowed";
inline constexpr std::string_view kExecAbort =
    "EXECABORT Transaction discarded because of previous errors.";

// ---- Texts built from the command line ----
std::string WrongArity(std::string_view command_name);
std::string UnknownCommand(std::string_view name,
                           std::span<const std::string_view> args_after_name);
std::string UnknownSubcommand(std::string_view sub, std::string_view container);
// "unknown subcommand or wrong number of arguments for 'sub'. Try CONTAINER HELP."
std::string SubcommandSyntax(std::string_view sub, std::string_view container);
std::string InvalidExpireTime(std::string_view command_name);
// What a RESP2 subscriber gets for a command other than (P|S)(UN)SUBSCRIBE,
// PING, QUIT and RESET.
std::string OnlySubscribeCommands(std::string_view command_name);
// A command that works on its client's connection, run without one (from
// inside the server): "ERR HELLO needs a client".
std::string NeedsClient(std::string_view command);
std::string UnsupportedOption(std::string_view option);  // EXPIRE's
std::string NegativeCountTooLarge(int64_t most);         // SRANDMEMBER and its kind
std::string NoInputKeys(std::string_view command_name);  // ZUNIONSTORE 0 ...
std::string HelloOptionSyntax(std::string_view option);
std::string UnrecognizedClientOption(std::string_view option);  // CLIENT SETINFO
std::string BadClientAttribute(std::string_view attribute);     // CLIENT SETINFO
std::string UnknownClientType(std::string_view type);
std::string NoSuchUser(std::string_view user);
std::string ConfigSetFailed(std::string_view argument, std::string_view why);
std::string UnknownConfigSetOption(std::string_view option);
std::string ConfigRewriteFailed(std::string_view why);

// GEORADIUS ... STORE or GEOSEARCHSTORE with WITHDIST, WITHHASH or WITHCOORD.
std::string GeoStoreWithOptions(bool search_store);
// "exactly one of <choices> can be specified for <command as typed>".
std::string GeoSearchNeedsOne(std::string_view choices, std::string_view command);

// "Unknown PFDEBUG subcommand '<sub>'".
std::string PfDebugUnknownSubcommand(std::string_view sub);

// Replies with the error text for a failed storage status.
void ReplyStatus(protocol::ReplyBuilder& reply, storage::OpStatus status);

}  // namespace emberkv::server::errors
