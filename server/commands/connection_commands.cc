// Commands about the client's own connection: PING, ECHO, SELECT, QUIT.
// (HELLO, AUTH, CLIENT and RESET live in client_commands.cc.)
#include "server/command_table.h"
#include "server/commands/arg_parsing.h"
#include "server/engine/engine.h"
#include "server/errors.h"
#include "server/net/connection.h"

namespace emberkv::server {
namespace {

void ConnPing(ConnContext& c) {
  if (c.args.size() > 2) return c.reply.Error(errors::WrongArity("ping"));
  if (c.connection.subscriptions() > 0 && !c.reply.resp3()) {
    // A subscribed RESP2 client gets PING's answer in the shape of a message.
    c.reply.ArrayHeader(2);
    c.reply.Bulk("pong");
    c.reply.Bulk(c.args.size() == 2 ? c.args[1] : "");
    return;
  }
  if (c.args.size() == 2) return c.reply.Bulk(c.args[1]);
  c.reply.SimpleString("PONG");
}

void ConnEcho(ConnContext& c) { c.reply.Bulk(c.args[1]); }

void ConnSelect(ConnContext& c) {
  std::optional<int> index = DbIndexArg(c.args[1], c.engine.config().databases, c.reply);
  if (!index) return;
  c.connection.set_db(*index);
  c.reply.Ok();
}

void ConnQuit(ConnContext& c) {
  c.reply.Ok();
  c.connection.CloseAfterReply();
}

}  // namespace

void RegisterConnectionCommands(CommandTable& table) {
  auto add = [&](std::string_view name, int arity, uint32_t flags, ConnHandler handler,
                 std::string_view summary, std::string_view acl) -> CommandSpec& {
    CommandSpec spec;
    spec.name = name;
    spec.arity = arity;
    spec.flags = flags;
    spec.conn = handler;
    spec.group = "connection";
    spec.summary = summary;
    spec.acl_categories = acl;
    return table.Register(std::move(spec));
  };
  add("ping", -1, kCmdFast | kCmdSentinel, ConnPing, "Ping the server", "@fast @connection")
      .Docs("1.0.0", "O(1)", {arg::String("message").Optional()})
      .Tips("request_policy:all_shards response_policy:all_succeeded");
  add("echo", 2, kCmdLoading | kCmdStale | kCmdFast, ConnEcho, "Echo the given string", "@fast @connection")
      .Docs("1.0.0", "O(1)", {arg::String("message")});
  add("select", 2, kCmdLoading | kCmdStale | kCmdFast, ConnSelect, "Change the selected database for the current connection", "@fast @connection")
      .Docs("1.0.0", "O(1)", {arg::Integer("index")});
  add("quit", -1, kCmdAllowBusy | kCmdNoAuth | kCmdNoScript | kCmdLoading | kCmdStale | kCmdFast, ConnQuit, "Close the connection", "@fast @connection")
      .Docs("1.0.0", "O(1)");
}

}  // namespace emberkv::server
