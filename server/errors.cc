#include "server/errors.h"

#include "server/util/ascii.h"

namespace emberkv::server::errors {

std::string WrongArity(std::string_view command_name) {
  return "ERR wrong number of arguments for '" + std::string(command_name) + "' command";
}

std::string UnknownCommand(std::string_view name, std::span<const std::string_view> args) {
  // Redis 7.0: the name cut at 128 bytes, then arguments quoted, each
  // followed by a blank, until their text passes 128 bytes.
  std::string message = "ERR unknown command '" + std::string(name.substr(0, 128)) +
                        "', with args beginning with: ";
  std::string listed;
  for (std::string_view arg : args) {
    if (listed.size() >= 128) break;
    listed += "'" + std::string(arg.substr(0, 128 - listed.size())) + "' ";
  }
  return message + listed;
}

std::string UnknownSubcommand(std::string_view sub, std::string_view container) {
  return "ERR unknown subcommand '" + std::string(sub.substr(0, 128)) + "'. Try " +
         AsciiUppered(container) + " HELP.";
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

}  // namespace emberkv::server::errors
