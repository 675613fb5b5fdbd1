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
  std::string message = "ERR unknown command '" + std::string(AsCString(name, 128)) +
                        "', with args beginning with: ";
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

void ReplyStatus(protocol::ReplyBuilder& reply, storage::OpStatus status) {
  using storage::OpStatus;
  switch (status) {
    case OpStatus::kOk:
    case OpStatus::kNotFound:
    case OpStatus::kConditionNotMet:
      reply.Null();
      return;
    case OpStatus::kWrongType: reply.Error(kWrongType); return;
    case OpStatus::kNotInteger: reply.Error(kNotInteger); return;
    case OpStatus::kNotFloat: reply.Error(kNotFloat); return;
    case OpStatus::kIncrOverflow: reply.Error(kIncrOverflow); return;
    case OpStatus::kNanOrInfinity: reply.Error(kNanOrInfinity); return;
    case OpStatus::kStringTooLong: reply.Error(kStringTooLong); return;
    case OpStatus::kOutOfMemory: reply.Error(kOutOfMemory); return;
    case OpStatus::kSameObject: reply.Error(kSameObject); return;
  }
}

std::string OnlySubscribeCommands(std::string_view command_name) {
  return "ERR Can't execute '" + std::string(command_name) +
         "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context";
}

}  // namespace emberkv::server::errors
