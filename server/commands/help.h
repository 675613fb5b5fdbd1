// The HELP subcommand's reply, shaped as Redis's addReplyHelp: a header line,
// the given lines, and HELP itself, each a status string.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include "protocol/reply_builder.h"

namespace emberkv::server {

inline void ReplyHelp(protocol::ReplyBuilder& reply, std::string_view command,
                      std::initializer_list<std::string_view> lines) {
  reply.ArrayHeader(lines.size() + 3);
  reply.SimpleString(std::string(command) +
                     " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
  for (std::string_view line : lines) reply.SimpleString(line);
  reply.SimpleString("HELP");
  reply.SimpleString("    Prints this help.");
}

}  // namespace emberkv::server
