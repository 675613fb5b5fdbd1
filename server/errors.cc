#include "server/errors.h"

#include <algorithm>

#include "server/util/ascii.h"

namespace emberkv::server::errors {
namespace {

// What Redis's printf("%.Ns") takes of an argument: up to the first NUL byte,
// at most `max` bytes.
std::string_view AsCString(std::string_view arg, size_t max) {
  return arg.substr(0, std::min(arg.find('\0'), max));
}

// Redis's rejectCommandFormat turns CR and LF into blanks: an error reply is
// one line, whatever the client sent.
std::string OneLine(std::string text) {
  for (char& ch : text) {
    if (ch == '\r' || ch == '\n') ch = ' ';
  }
  return text;
}

}  // namespace

std::string WrongArity(std::string_view command_name) {
  return "ERR wrong number of arguments for '" + std::string(command_name) + "' command";
}

std::string UnknownCommand(std::string_view name, std::span<const std::string_view> args) {
  // Redis 7.0: the name cut at 128 bytes, then arguments quoted, each
  // followed by a blank, until their text passes 128 bytes; each cut at a
  // NUL byte as C strings are.
  std::string message =
      "ERR unknown command '" + std::string(AsCString(name, 128)) + "', with args beginning with: ";
  std::string listed;
  for (std::string_view arg : args) {
    if (listed.size() >= 128) break;
    std::string_view part = AsCString(arg, 128 - listed.size());
    listed.push_back('\'');
    listed.append(part);
    listed.append("' ");
  }
  return OneLine(message + listed);
}

std::string UnknownSubcommand(std::string_view sub, std::string_view container) {
  return OneLine("ERR unknown subcommand '" + std::string(AsCString(sub, 128)) + "'. Try " +
                 AsciiUppered(container) + " HELP.");
}

std::string InvalidExpireTime(std::string_view command_name) {
  return "ERR invalid expire time in '" + std::string(command_name) + "' command";
}

std::string SubcommandSyntax(std::string_view sub, std::string_view container) {
  return "ERR unknown subcommand or wrong number of arguments for '" + std::string(sub) +
         "'. Try " + AsciiUppered(container) + " HELP.";
}

std::string NeedsClient(std::string_view command) {
  return "ERR " + std::string(command) + " needs a client";
}

std::string UnsupportedOption(std::string_view option) {
  return "ERR Unsupported option " + std::string(option);
}

std::string NegativeCountTooLarge(int64_t most) {
  return "ERR value is out of range, a negative count may ask for at most " + std::to_string(most) +
         " elements";
}

std::string NoInputKeys(std::string_view command_name) {
  return "ERR at least 1 input key is needed for '" + std::string(command_name) + "' command";
}

std::string HelloOptionSyntax(std::string_view option) {
  return "ERR Syntax error in HELLO option '" + std::string(option) + "'";
}

std::string UnrecognizedClientOption(std::string_view option) {
  return "ERR Unrecognized option '" + std::string(option) + "'";
}

std::string BadClientAttribute(std::string_view attribute) {
  return "ERR " + std::string(attribute) +
         " cannot contain spaces, newlines or special characters.";
}

std::string UnknownClientType(std::string_view type) {
  return "ERR Unknown client type '" + std::string(type) + "'";
}

std::string NoSuchUser(std::string_view user) {
  return "ERR No such user '" + std::string(user) + "'";
}

std::string ConfigSetFailed(std::string_view argument, std::string_view why) {
  return "ERR CONFIG SET failed (possibly related to argument '" + std::string(argument) + "') - " +
         std::string(why);
}

std::string UnknownConfigSetOption(std::string_view option) {
  return "ERR Unknown option or number of arguments for CONFIG SET - '" + std::string(option) + "'";
}

std::string ConfigRewriteFailed(std::string_view why) { return "ERR " + std::string(why); }

std::string PfDebugUnknownSubcommand(std::string_view sub) {
  return OneLine("ERR Unknown PFDEBUG subcommand '" + std::string(AsCString(sub, 1024)) + "'");
}

std::string GeoStoreWithOptions(bool search_store) {
  return std::string("ERR ") + (search_store ? "GEOSEARCHSTORE" : "STORE option in GEORADIUS") +
         " is not compatible with WITHDIST, WITHHASH and WITHCOORD options";
}

std::string GeoSearchNeedsOne(std::string_view choices, std::string_view command) {
  return "ERR exactly one of " + std::string(choices) + " can be specified for " +
         std::string(AsCString(command, 1024));
}

void ReplyStatus(protocol::ReplyBuilder& reply, storage::OpStatus status) {
  using storage::OpStatus;
  switch (status) {
    case OpStatus::kOk:
    case OpStatus::kNotFound:
    case OpStatus::kConditionNotMet:
      reply.Null();
      return;
    case OpStatus::kWrongType:
      reply.Error(kWrongType);
      return;
    case OpStatus::kNotInteger:
      reply.Error(kNotInteger);
      return;
    case OpStatus::kNotFloat:
      reply.Error(kNotFloat);
      return;
    case OpStatus::kIncrOverflow:
      reply.Error(kIncrOverflow);
      return;
    case OpStatus::kNanOrInfinity:
      reply.Error(kNanOrInfinity);
      return;
    case OpStatus::kStringTooLong:
      reply.Error(kStringTooLong);
      return;
    case OpStatus::kOutOfMemory:
      reply.Error(kOutOfMemory);
      return;
    case OpStatus::kSameObject:
      reply.Error(kSameObject);
      return;
    case OpStatus::kNotHyperLogLog:
      reply.Error(kNotHyperLogLog);
      return;
    case OpStatus::kCorruptHyperLogLog:
      reply.Error(kCorruptHyperLogLog);
      return;
    case OpStatus::kNotSortable:
      reply.Error(kNotSortable);
      return;
    case OpStatus::kTooLarge:
      reply.Error(kLcsTooLarge);
      return;
    case OpStatus::kNoSuchMember:
      reply.Error(kNoSuchMember);
      return;
  }
}

std::string OnlySubscribeCommands(std::string_view command_name) {
  return "ERR Can't execute '" + std::string(command_name) +
         "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this "
         "context";
}

}  // namespace emberkv::server::errors
