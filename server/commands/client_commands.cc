// The commands a client library sends when it connects (HELLO, AUTH, CLIENT
// SETNAME / SETINFO), the rest of CLIENT, and RESET.
//
// CLIENT LIST and CLIENT KILL reach every worker's connections by hopping to
// each worker in turn: a connection is only ever touched on its own worker.
// HELLO, RESET and CLIENT NO-TOUCH change how later commands are encoded or
// run, so they are barriers (coordinated handlers): commands read before them
// finish first, those after them see the change.
#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

#include "server/command_table.h"
#include "server/commands/arg_parsing.h"
#include "server/commands/help.h"
#include "server/engine/engine.h"
#include "server/errors.h"
#include "server/info.h"
#include "server/net/connection.h"
#include "server/transaction/watch.h"

namespace emberkv::server {
namespace {

// Names and library attributes must survive CLIENT LIST's "k=v k=v" format:
// printable ASCII without blanks, as Redis's validateClientAttr.
bool ValidClientAttribute(std::string_view value) {
  for (char ch : value) {
    if (ch < '!' || ch > '~') return false;
  }
  return true;
}

// Takes time that depends on the lengths only, not on where the texts differ.
bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
    unsigned char x = i < a.size() ? a[i] : 0;
    unsigned char y = i < b.size() ? b[i] : 0;
    diff |= x ^ y;
  }
  return diff == 0;
}

// emberkv has one user, Redis's "default": without requirepass it takes any
// password (nopass), with it only that one.
bool CheckCredentials(Engine& engine, std::string_view user, std::string_view password) {
  if (user != "default") return false;
  std::lock_guard lock(engine.config_mutex());
  const std::string& expected = engine.config().requirepass;
  return expected.empty() || ConstantTimeEquals(expected, password);
}

// ---- AUTH, HELLO, RESET ----

void ConnAuth(ConnContext& c) {
  if (c.args.size() > 3) return c.reply.Error(errors::kSyntax);
  std::string_view user = "default";
  std::string_view password = c.args[1];
  if (c.args.size() == 2) {
    if (!c.engine.auth_required()) {
      return c.reply.Error(errors::kAuthWithoutPassword);
    }
  } else {
    user = c.args[1];
    password = c.args[2];
  }
  if (!CheckCredentials(c.engine, user, password)) return c.reply.Error(errors::kWrongPass);
  c.connection.set_authenticated(true);
  c.reply.Ok();
}

Task<void> CoordHello(CoordContext& c) {
  Connection* connection = c.connection;
  if (!connection) co_return c.reply.Error(errors::NeedsClient("HELLO"));
  int64_t version = 0;
  size_t next = 1;
  if (c.args.size() >= 2) {
    std::optional<int64_t> requested =
        IntArg(c.args[1], c.reply, errors::kProtocolVersionNotInteger);
    if (!requested) co_return;
    if (*requested < 2 || *requested > 3) co_return c.reply.Error(errors::kNoProto);
    version = *requested;
    next = 2;
  }
  std::optional<std::pair<std::string_view, std::string_view>> credentials;
  std::optional<std::string_view> name;
  for (size_t i = next; i < c.args.size(); ++i) {
    size_t more = c.args.size() - 1 - i;
    if (Is(c.args[i], "AUTH") && more >= 2) {
      credentials.emplace(c.args[i + 1], c.args[i + 2]);
      i += 2;
    } else if (Is(c.args[i], "SETNAME") && more >= 1) {
      name = c.args[++i];
    } else {
      co_return c.reply.Error(errors::HelloOptionSyntax(c.args[i]));
    }
  }
  if (credentials) {
    if (!CheckCredentials(c.engine, credentials->first, credentials->second)) {
      co_return c.reply.Error(errors::kWrongPass);
    }
    connection->set_authenticated(true);
  }
  if (!connection->authenticated() && c.engine.auth_required()) {
    co_return c.reply.Error(errors::kHelloNoAuth);
  }
  if (name) {
    if (!ValidClientAttribute(*name)) co_return c.reply.Error(errors::kBadClientName);
    connection->set_name(std::string(*name));
  }
  if (version) connection->set_resp(static_cast<protocol::RespVersion>(version));
  // The reply already speaks the protocol just chosen. Fields and order are
  // Redis's: some clients read them by position.
  protocol::ReplyBuilder reply(c.reply.buffer(), connection->resp());
  reply.MapHeader(7);
  reply.Bulk("server");
  reply.Bulk("redis");
  reply.Bulk("version");
  reply.Bulk(kRedisCompatVersion);
  reply.Bulk("proto");
  reply.Integer(static_cast<int64_t>(connection->resp()));
  reply.Bulk("id");
  reply.Integer(static_cast<int64_t>(connection->id()));
  reply.Bulk("mode");
  reply.Bulk("standalone");
  reply.Bulk("role");
  reply.Bulk("master");
  reply.Bulk("modules");
  reply.ArrayHeader(0);
}

Task<void> CoordReset(CoordContext& c) {
  Connection* connection = c.connection;
  if (!connection) co_return c.reply.Error(errors::NeedsClient("RESET"));
  // Back to the state of a new connection, as Redis's
  // clearClientConnectionState; the library name and version stay. NO-EVICT
  // goes too, as in Redis 7.2 (7.0 keeps it).
  bool failed;
  connection->EndMulti(&failed);
  connection->Unwatch();
  connection->UnsubscribeAll();
  connection->set_db(0);
  connection->set_resp(protocol::RespVersion::kResp2);
  connection->set_name("");
  connection->SetReplyMode(Connection::ReplyMode::kOn);
  connection->flags() = ClientFlags{};
  connection->set_authenticated(!c.engine.auth_required());
  c.reply.SimpleString("RESET");
}

// ---- CLIENT ----

enum class ClientType { kNormal, kMaster, kReplica, kPubSub };

std::optional<ClientType> ClientTypeByName(std::string_view name) {
  if (Is(name, "normal")) return ClientType::kNormal;
  if (Is(name, "master")) return ClientType::kMaster;
  if (Is(name, "replica") || Is(name, "slave")) return ClientType::kReplica;
  if (Is(name, "pubsub")) return ClientType::kPubSub;
  return std::nullopt;
}

ClientType TypeOf(Connection& connection) {
  return connection.subscriptions() > 0 ? ClientType::kPubSub : ClientType::kNormal;
}

// One line of CLIENT LIST / CLIENT INFO, with Redis 7.0's fields in Redis's
// order (and 7.2's lib-name and lib-ver at the end). Runs on the
// connection's own worker.
std::string ClientInfoLine(Connection& connection) {
  int64_t now = connection.worker().now_ms();
  std::string flags;
  if (connection.subscriptions() > 0) flags += 'P';
  if (connection.in_multi()) flags += 'x';
  if (connection.blocked()) flags += 'b';
  if (!connection.watched_keys().empty() &&
      connection.watch_state()->dirty.load(std::memory_order_acquire)) {
    flags += 'd';
  }
  if (connection.flags().no_evict) flags += 'e';
  if (connection.flags().no_touch) flags += 'T';
  if (flags.empty()) flags = "N";
  std::string_view command = connection.last_command();
  size_t qbuf = connection.query_buffer_size();
  size_t omem = connection.output_buffer_size();
  std::string line;
  auto field = [&line](std::string_view name, const auto& value) {
    if (!line.empty()) line += ' ';
    line.append(name).append("=");
    if constexpr (std::is_arithmetic_v<std::decay_t<decltype(value)>>) {
      line += std::to_string(value);
    } else {
      line.append(value);
    }
  };
  field("id", connection.id());
  field("addr", connection.peer_address());
  field("laddr", connection.local_address());
  field("fd", connection.fd());
  field("name", connection.name());
  field("age", (now - connection.created_ms()) / 1000);
  field("idle", (now - connection.last_interaction_ms()) / 1000);
  field("flags", flags);
  field("db", connection.db());
  field("sub", connection.channels().size());
  field("psub", connection.patterns().size());
  field("ssub", 0);
  field("multi", connection.in_multi() ? static_cast<int64_t>(connection.queued_commands()) : -1);
  field("qbuf", qbuf);
  field("qbuf-free", 0);
  field("argv-mem", 0);
  field("multi-mem", 0);
  field("rbs", 0);
  field("rbp", 0);
  field("obl", 0);
  field("oll", 0);
  field("omem", omem);
  field("tot-mem", qbuf + omem);
  field("events", "r");
  field("cmd", command.empty() ? std::string_view("NULL") : command);
  field("user", "default");
  field("redir", -1);
  field("resp", static_cast<int>(connection.resp()));
  field("lib-name", connection.lib_name);
  field("lib-ver", connection.lib_version);
  return line;
}

void ConnClientId(ConnContext& c) { c.reply.Integer(static_cast<int64_t>(c.connection.id())); }

void ConnClientGetName(ConnContext& c) {
  if (c.connection.name().empty()) return c.reply.Null();
  c.reply.Bulk(c.connection.name());
}

void ConnClientSetName(ConnContext& c) {
  if (!ValidClientAttribute(c.args[2])) return c.reply.Error(errors::kBadClientName);
  c.connection.set_name(std::string(c.args[2]));
  c.reply.Ok();
}

void ConnClientSetInfo(ConnContext& c) {
  std::string_view attribute = c.args[2];
  std::string* field = nullptr;
  if (Is(attribute, "lib-name")) {
    field = &c.connection.lib_name;
  } else if (Is(attribute, "lib-ver")) {
    field = &c.connection.lib_version;
  } else {
    return c.reply.Error(errors::UnrecognizedClientOption(attribute));
  }
  if (!ValidClientAttribute(c.args[3])) {
    return c.reply.Error(errors::BadClientAttribute(attribute));
  }
  *field = std::string(c.args[3]);
  c.reply.Ok();
}

void ConnClientInfo(ConnContext& c) { c.reply.Verbatim("txt", ClientInfoLine(c.connection) + "\n"); }

Task<void> CoordClientList(CoordContext& c) {
  std::optional<ClientType> type;
  std::vector<uint64_t> ids;
  if (c.args.size() == 4 && Is(c.args[2], "TYPE")) {
    type = ClientTypeByName(c.args[3]);
    if (!type) co_return c.reply.Error(errors::UnknownClientType(c.args[3]));
  } else if (c.args.size() > 3 && Is(c.args[2], "ID")) {
    for (size_t i = 3; i < c.args.size(); ++i) {
      std::optional<int64_t> id = IntArg(c.args[i], c.reply, errors::kInvalidClientId);
      if (!id) co_return;
      ids.push_back(static_cast<uint64_t>(*id));
    }
  } else if (c.args.size() != 2) {
    co_return c.reply.Error(errors::kSyntax);
  }
  // Every worker describes its own connections; lines come back by id.
  std::set<uint64_t> wanted(ids.begin(), ids.end());
  std::map<uint64_t, std::string> lines;
  for (int w = 0; w < c.engine.shard_count(); ++w) {
    co_await c.worker.RunOn(w, [&](Worker& worker) {
      worker.RefreshClock();
      for (const auto& [raw, connection] : worker.connections()) {
        if (connection->closed()) continue;
        if (type && TypeOf(*connection) != *type) continue;
        if (!wanted.empty() && !wanted.contains(connection->id())) continue;
        lines.emplace(connection->id(), ClientInfoLine(*connection));
      }
    });
  }
  std::string text;
  if (ids.empty()) {
    for (const auto& [id, line] : lines) text.append(line).append("\n");
  } else {
    for (uint64_t id : ids) {
      if (auto it = lines.find(id); it != lines.end()) text.append(it->second).append("\n");
    }
  }
  c.reply.Verbatim("txt", text);
}

Task<void> CoordClientKill(CoordContext& c) {
  Connection* self = c.connection;
  std::optional<std::string_view> addr, laddr;
  std::optional<ClientType> type;
  uint64_t id = 0;
  bool skip_me = true;
  const bool old_form = c.args.size() == 3;
  if (old_form) {
    addr = c.args[2];
    skip_me = false;  // with the old form a client may kill itself
  } else {
    for (size_t i = 2; i < c.args.size(); i += 2) {
      if (i + 1 >= c.args.size()) co_return c.reply.Error(errors::kSyntax);
      std::string_view option = c.args[i];
      std::string_view value = c.args[i + 1];
      if (Is(option, "ID")) {
        std::optional<int64_t> parsed = IntArg(value, c.reply, errors::kClientIdNotPositive);
        if (!parsed) co_return;
        if (*parsed < 1) co_return c.reply.Error(errors::kClientIdNotPositive);
        id = static_cast<uint64_t>(*parsed);
      } else if (Is(option, "TYPE")) {
        type = ClientTypeByName(value);
        if (!type) co_return c.reply.Error(errors::UnknownClientType(value));
      } else if (Is(option, "ADDR")) {
        addr = value;
      } else if (Is(option, "LADDR")) {
        laddr = value;
      } else if (Is(option, "USER")) {
        if (value != "default") co_return c.reply.Error(errors::NoSuchUser(value));
      } else if (Is(option, "SKIPME")) {
        if (Is(value, "yes")) {
          skip_me = true;
        } else if (Is(value, "no")) {
          skip_me = false;
        } else {
          co_return c.reply.Error(errors::kSyntax);
        }
      } else {
        co_return c.reply.Error(errors::kSyntax);
      }
    }
  }
  // Each worker closes its own matching connections; this client, if it
  // matches, is closed once the reply is written.
  int64_t killed = 0;
  bool kill_self = false;
  for (int w = 0; w < c.engine.shard_count(); ++w) {
    co_await c.worker.RunOn(w, [&](Worker& worker) {
      std::vector<std::shared_ptr<Connection>> doomed;
      for (const auto& [raw, connection] : worker.connections()) {
        if (connection->closed()) continue;
        if (addr && connection->peer_address() != *addr) continue;
        if (laddr && connection->local_address() != *laddr) continue;
        if (type && TypeOf(*connection) != *type) continue;
        if (id != 0 && connection->id() != id) continue;
        if (connection.get() == self) {
          if (skip_me) continue;
          kill_self = true;
        } else {
          doomed.push_back(connection);
        }
        ++killed;
      }
      // Closing unregisters, so not while iterating the registry.
      for (auto& connection : doomed) connection->Close();
    });
  }
  if (old_form) {
    if (killed == 0) co_return c.reply.Error(errors::kNoSuchClient);
    c.reply.Ok();
  } else {
    c.reply.Integer(killed);
  }
  if (kill_self) self->CloseAfterReply();
}

// "on" / "off" for NO-EVICT and NO-TOUCH, or a syntax error.
std::optional<bool> OnOff(ConnContext& c) {
  if (Is(c.args[2], "ON")) return true;
  if (Is(c.args[2], "OFF")) return false;
  c.reply.Error(errors::kSyntax);
  return std::nullopt;
}

void ConnClientNoEvict(ConnContext& c) {
  std::optional<bool> on = OnOff(c);
  if (!on) return;
  c.connection.flags().no_evict = *on;
  c.reply.Ok();
}

Task<void> CoordClientNoTouch(CoordContext& c) {
  if (!c.connection) co_return c.reply.Error(errors::NeedsClient("CLIENT NO-TOUCH"));
  bool on;
  if (Is(c.args[2], "ON")) {
    on = true;
  } else if (Is(c.args[2], "OFF")) {
    on = false;
  } else {
    co_return c.reply.Error(errors::kSyntax);
  }
  c.connection->flags().no_touch = on;
  c.reply.Ok();
}

void ConnClientReply(ConnContext& c) {
  // Only ON answers; OFF and SKIP are silent (the dispatcher drops replies).
  if (Is(c.args[2], "ON")) {
    c.connection.SetReplyMode(Connection::ReplyMode::kOn);
    c.reply.Ok();
  } else if (Is(c.args[2], "OFF")) {
    c.connection.SetReplyMode(Connection::ReplyMode::kOff);
  } else if (Is(c.args[2], "SKIP")) {
    c.connection.SetReplyMode(Connection::ReplyMode::kSkip);
  } else {
    c.reply.Error(errors::kSyntax);
  }
}

void ConnClientPause(ConnContext& c) {
  if (c.args.size() > 4) {
    return c.reply.Error(errors::SubcommandSyntax(c.args[1], "client"));
  }
  PauseMode mode = PauseMode::kAll;
  if (c.args.size() == 4) {
    if (Is(c.args[3], "WRITE")) {
      mode = PauseMode::kWrite;
    } else if (!Is(c.args[3], "ALL")) {
      return c.reply.Error(errors::kPauseMode);
    }
  }
  std::optional<int64_t> timeout = IntArg(c.args[2], c.reply, errors::kTimeoutNotInteger);
  if (!timeout) return;
  if (*timeout < 0) return c.reply.Error(errors::kTimeoutNegative);
  int64_t now = c.worker.now_ms();
  int64_t until = *timeout > INT64_MAX - now ? INT64_MAX : now + *timeout;
  c.engine.Pause(until, mode, now);
  c.reply.Ok();
}

void ConnClientUnpause(ConnContext& c) {
  c.engine.Unpause(c.worker);
  c.reply.Ok();
}

void ConnClientHelp(ConnContext& c) {
  ReplyHelp(c.reply, "CLIENT",
            {
                "GETNAME",
                "    Return the name of the current connection.",
                "ID",
                "    Return the ID of the current connection.",
                "INFO",
                "    Return information about the current client connection.",
                "KILL <ip:port>",
                "    Kill connection made from <ip:port>.",
                "KILL <option> <value> [<option> <value> [...]]",
                "    Kill connections. Options are:",
                "    * ADDR (<ip:port>|<unixsocket>:0)",
                "      Kill connections made from the specified address",
                "    * LADDR (<ip:port>|<unixsocket>:0)",
                "      Kill connections made to specified local address",
                "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
                "      Kill connections by type.",
                "    * USER <username>",
                "      Kill connections authenticated by <username>.",
                "    * SKIPME (YES|NO)",
                "      Skip killing current connection (default: yes).",
                "LIST [options ...]",
                "    Return information about client connections. Options:",
                "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
                "      Return clients of specified type.",
                "UNPAUSE",
                "    Stop the current client pause, resuming traffic.",
                "PAUSE <timeout> [WRITE|ALL]",
                "    Suspend all, or just write, clients for <timeout> milliseconds.",
                "REPLY (ON|OFF|SKIP)",
                "    Control the replies sent to the current connection.",
                "SETNAME <name>",
                "    Assign the name <name> to the current connection.",
                "SETINFO <option> <value>",
                "    Set client meta attr. Options are:",
                "    * LIB-NAME: the client lib name.",
                "    * LIB-VER: the client lib version.",
                "NO-EVICT (ON|OFF)",
                "    Protect current client connection from eviction.",
                "NO-TOUCH (ON|OFF)",
                "    Will not touch LRU/LFU stats when this mode is on.",
            });
}

}  // namespace

void RegisterClientCommands(CommandTable& table) {
  table.Register({
      {.name = "hello", .coordinated = CoordHello},
      {.name = "auth", .conn = ConnAuth},
      {.name = "reset",
       .coordinated = CoordReset,
       .flags = kCmdOkWhileSubscribed | kCmdNeverQueued},
      {.name = "client",
       .subcommands =
           {{.name = "client|getname", .conn = ConnClientGetName},
            {.name = "client|id", .conn = ConnClientId},
            {.name = "client|info", .conn = ConnClientInfo},
            {.name = "client|list", .coordinated = CoordClientList},
            {.name = "client|kill", .coordinated = CoordClientKill},
            {.name = "client|setname", .conn = ConnClientSetName},
            {.name = "client|setinfo", .conn = ConnClientSetInfo},
            {.name = "client|no-evict", .conn = ConnClientNoEvict},
            {.name = "client|no-touch", .coordinated = CoordClientNoTouch},
            {.name = "client|reply", .conn = ConnClientReply, .flags = kCmdControlsReplies},
            {.name = "client|pause", .conn = ConnClientPause},
            {.name = "client|unpause", .conn = ConnClientUnpause},
            {.name = "client|help", .conn = ConnClientHelp}}},
  });
}

}  // namespace emberkv::server
