// Commands about the client's own connection: PING, ECHO, SELECT, QUIT.
// (HELLO, AUTH, CLIENT and RESET live in client_commands.cc.)
#include "server/command_table.h"
#include "server/commands/arg_parsing.h"
#include "server/engine/engine.h"
#include "server/errors.h"
#include "server/net/connection.h"

namespace emberkv::server {
namespace {

void Ping(CommandContext& c) {
  if (c.args.size() > 2) return c.reply.Error(errors::WrongArity("ping"));
  if (c.client->subscribed() && !c.reply.resp3()) {
    // A subscribed RESP2 client gets PING's answer in the shape of a message.
    c.reply.ArrayHeader(2);
    c.reply.Bulk("pong");
    c.reply.Bulk(c.args.size() == 2 ? c.args[1] : "");
    return;
  }
  if (c.args.size() == 2) return c.reply.Bulk(c.args[1]);
  c.reply.SimpleString("PONG");
}

void Echo(CommandContext& c) { c.reply.Bulk(c.args[1]); }

void Select(CommandContext& c) {
  std::optional<int> index = DbIndexArg(c.args[1], c.engine().config().databases, c.reply);
  if (!index) return;
  c.client->set_db(*index);
  c.reply.Ok();
}

void Quit(CommandContext& c) {
  c.reply.Ok();
  if (Connection* connection = c.client->connection()) connection->CloseAfterReply();
}

}  // namespace

void RegisterConnectionCommands(CommandTable& table) {
  table.Register({
      {.name = "ping", .handler = Ping, .flags = kCmdOkWhileSubscribed},
      {.name = "echo", .handler = Echo},
      {.name = "select", .handler = Select},
      {.name = "quit", .handler = Quit, .flags = kCmdOkWhileSubscribed | kCmdNeverQueued},
  });
}

}  // namespace emberkv::server
