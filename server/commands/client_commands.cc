// The commands a client library sends when it connects (HELLO, AUTH, CLIENT
// SETNAME / SETINFO), the rest of CLIENT, and RESET.
//
// CLIENT LIST and CLIENT KILL see every loop's clients through the client
// registry (client/client_registry.h), without asking the loops: what they
// read is atomic or guarded by the registry's lock. A killed client is
// marked at once (it runs nothing more and CLIENT LIST no longer shows it)
// and closed by its own loop, which a message wakes. CLIENT UNBLOCK ends a
// wait at once, from where it runs, and sends only the reply to the
// client's loop.
#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

#include "server/blocking/blocking.h"
#include "server/command_table.h"
#include "server/commands/arg_parsing.h"
#include "server/commands/help.h"
#include "server/engine/engine.h"
#include "server/errors.h"
#include "server/info.h"
#include "server/net/connection.h"
#include "server/observability/command_observer.h"
#include "server/pubsub/pubsub_hub.h"
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

void Auth(CommandContext& c) {
  for (size_t i = 1; i < c.args.size(); ++i) c.Redact(i);  // MONITOR shows no password
  if (c.args.size() > 3) return c.reply.Error(errors::kSyntax);
  std::string_view user = "default";
  std::string_view password = c.args[1];
  if (c.args.size() == 2) {
    if (!c.engine().auth_required()) {
      return c.reply.Error(errors::kAuthWithoutPassword);
    }
  } else {
    user = c.args[1];
    password = c.args[2];
  }
  if (!CheckCredentials(c.engine(), user, password)) return c.reply.Error(errors::kWrongPass);
  c.client->set_authenticated(true);
  c.reply.Ok();
}

void Hello(CommandContext& c) {
  Client& client = *c.client;
  int64_t version = 0;
  size_t next = 1;
  if (c.args.size() >= 2) {
    std::optional<int64_t> requested =
        IntArg(c.args[1], c.reply, errors::kProtocolVersionNotInteger);
    if (!requested) return;
    if (*requested < 2 || *requested > 3) return c.reply.Error(errors::kNoProto);
    version = *requested;
    next = 2;
  }
  std::optional<std::pair<std::string_view, std::string_view>> credentials;
  std::optional<std::string_view> name;
  for (size_t i = next; i < c.args.size(); ++i) {
    size_t more = c.args.size() - 1 - i;
    if (Is(c.args[i], "AUTH") && more >= 2) {
      credentials.emplace(c.args[i + 1], c.args[i + 2]);
      c.Redact(i + 1);
      c.Redact(i + 2);
      i += 2;
    } else if (Is(c.args[i], "SETNAME") && more >= 1) {
      name = c.args[++i];
    } else {
      return c.reply.Error(errors::HelloOptionSyntax(c.args[i]));
    }
  }
  if (credentials) {
    if (!CheckCredentials(c.engine(), credentials->first, credentials->second)) {
      return c.reply.Error(errors::kWrongPass);
    }
    client.set_authenticated(true);
  }
  if (!client.authenticated() && c.engine().auth_required()) {
    return c.reply.Error(errors::kHelloNoAuth);
  }
  if (name) {
    if (!ValidClientAttribute(*name)) return c.reply.Error(errors::kBadClientName);
    client.SetName(*name);
  }
  if (version) client.set_resp(static_cast<protocol::RespVersion>(version));
  // The reply already speaks the protocol just chosen. Fields and order are
  // Redis's: some clients read them by position.
  protocol::ReplyBuilder reply(c.reply.buffer(), client.resp());
  reply.MapHeader(7);
  reply.Bulk("server");
  reply.Bulk("redis");
  reply.Bulk("version");
  reply.Bulk(kRedisCompatVersion);
  reply.Bulk("proto");
  reply.Integer(static_cast<int64_t>(client.resp()));
  reply.Bulk("id");
  reply.Integer(static_cast<int64_t>(client.id()));
  reply.Bulk("mode");
  reply.Bulk("standalone");
  reply.Bulk("role");
  reply.Bulk("master");
  reply.Bulk("modules");
  reply.ArrayHeader(0);
}

void Reset(CommandContext& c) {
  Client& client = *c.client;
  // Back to the state of a new connection, as Redis's
  // clearClientConnectionState; the library name and version stay. NO-EVICT
  // goes too, as in Redis 7.2 (7.0 keeps it).
  bool failed;
  client.EndMulti(&failed);
  Unwatch(c.worker, client);
  c.engine().pubsub().UnsubscribeAll(client);
  c.engine().monitors().Remove(client);
  client.set_monitor(false);
  client.set_db(0);
  client.set_resp(protocol::RespVersion::kResp2);
  client.SetName("");
  client.SetReplyMode(Client::ReplyMode::kOn);
  client.set_flags(ClientFlags{});
  client.set_authenticated(!c.engine().auth_required());
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

ClientType TypeOf(const Client& client) {
  return client.subscribed() ? ClientType::kPubSub : ClientType::kNormal;
}

// The bytes the arguments of the running command hold, as Redis counts
// its argv (argv-mem): here they point into the input buffer, so this is
// their length.
size_t RunningArgumentBytes(const CommandContext& c) {
  size_t bytes = 0;
  for (std::string_view arg : c.args) bytes += arg.size();
  return bytes;
}

// One line of CLIENT LIST / CLIENT INFO, with Redis 7.0's fields in Redis's
// order (and 7.2's lib-name and lib-ver at the end), asked for by the
// command `c`. Reads only what other loops may read (see client/client.h);
// the caller holds the registry's lock, or is the client's own loop.
std::string ClientInfoLine(const Client& client, const CommandContext& c) {
  const int64_t now = c.now_ms();
  std::string flags;
  if (client.is_monitor()) flags += 'O';
  if (client.subscribed()) flags += 'P';
  if (client.in_multi()) flags += 'x';
  if (client.is_blocked()) flags += 'b';
  if (client.watch_dirty()) flags += 'd';
  ClientFlags switches = client.flags();
  if (switches.no_evict) flags += 'e';
  if (switches.no_touch) flags += 'T';
  if (flags.empty()) flags = "N";
  const CommandSpec* command = client.last_command();
  const BufferFigures buffers = client.buffers();
  // A client runs one command at a time: the one asking, or one it is
  // blocked in (between commands it holds no arguments, as in Redis).
  const size_t argv_mem =
      &client == c.client ? RunningArgumentBytes(c) : client.blocked_argument_bytes();
  const size_t multi_mem = client.queued_bytes();
  const ClientOrigin& origin = client.origin();
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
  field("id", client.id());
  field("addr", origin.peer_address);
  field("laddr", origin.local_address);
  field("fd", origin.fd);
  field("name", client.name());
  field("age", (now - origin.created_ms) / 1000);
  field("idle", (now - client.last_interaction_ms()) / 1000);
  field("flags", flags);
  field("db", client.db());
  field("sub", client.subscription_count(SubscriptionKind::kChannel));
  field("psub", client.subscription_count(SubscriptionKind::kPattern));
  field("ssub", client.subscription_count(SubscriptionKind::kShardChannel));
  field("multi", client.in_multi() ? static_cast<int64_t>(client.queued_commands()) : -1);
  field("qbuf", buffers.query);
  field("qbuf-free", buffers.query_free);
  field("argv-mem", argv_mem);
  field("multi-mem", multi_mem);
  field("rbs", buffers.reply_capacity);
  field("rbp", buffers.reply_peak);
  field("obl", buffers.replies_waiting);
  field("oll", buffers.replies_sending > 0 ? 1 : 0);
  field("omem", buffers.unsent());
  field("tot-mem", sizeof(Connection) + buffers.allocated + argv_mem + multi_mem);
  // Always reading; writing while replies wait for the socket.
  field("events", buffers.unsent() > 0 ? "rw" : "r");
  field("cmd", command ? command->name : std::string_view("NULL"));
  field("user", "default");
  field("redir", -1);
  field("resp", static_cast<int>(client.resp()));
  field("lib-name", client.lib_name());
  field("lib-ver", client.lib_version());
  return line;
}

void ClientId(CommandContext& c) { c.reply.Integer(static_cast<int64_t>(c.client->id())); }

void ClientGetName(CommandContext& c) {
  if (c.client->name().empty()) return c.reply.Null();
  c.reply.Bulk(c.client->name());
}

void ClientSetName(CommandContext& c) {
  if (!ValidClientAttribute(c.args[2])) return c.reply.Error(errors::kBadClientName);
  c.client->SetName(c.args[2]);
  c.reply.Ok();
}

void ClientSetInfo(CommandContext& c) {
  std::string_view attribute = c.args[2];
  const bool name = Is(attribute, "lib-name");
  if (!name && !Is(attribute, "lib-ver"))
    return c.reply.Error(errors::UnrecognizedClientOption(attribute));
  if (!ValidClientAttribute(c.args[3])) {
    return c.reply.Error(errors::BadClientAttribute(attribute));
  }
  if (name) {
    c.client->SetLibName(c.args[3]);
  } else {
    c.client->SetLibVersion(c.args[3]);
  }
  c.reply.Ok();
}

void ClientInfo(CommandContext& c) { c.reply.Verbatim("txt", ClientInfoLine(*c.client, c) + "\n"); }

void ClientList(CommandContext& c) {
  std::optional<ClientType> type;
  std::vector<uint64_t> ids;
  if (c.args.size() == 4 && Is(c.args[2], "TYPE")) {
    type = ClientTypeByName(c.args[3]);
    if (!type) return c.reply.Error(errors::UnknownClientType(c.args[3]));
  } else if (c.args.size() > 3 && Is(c.args[2], "ID")) {
    for (size_t i = 3; i < c.args.size(); ++i) {
      std::optional<int64_t> id = IntArg(c.args[i], c.reply, errors::kInvalidClientId);
      if (!id) return;
      ids.push_back(static_cast<uint64_t>(*id));
    }
  } else if (c.args.size() != 2) {
    return c.reply.Error(errors::kSyntax);
  }
  std::set<uint64_t> wanted(ids.begin(), ids.end());
  std::map<uint64_t, std::string> lines;
  c.engine().clients().ForEach([&](const Client& client) {
    if (client.kill_requested()) return;
    if (type && TypeOf(client) != *type) return;
    if (!wanted.empty() && !wanted.contains(client.id())) return;
    lines.emplace(client.id(), ClientInfoLine(client, c));
  });
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

void ClientKill(CommandContext& c) {
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
      if (i + 1 >= c.args.size()) return c.reply.Error(errors::kSyntax);
      std::string_view option = c.args[i];
      std::string_view value = c.args[i + 1];
      if (Is(option, "ID")) {
        std::optional<int64_t> parsed = IntArg(value, c.reply, errors::kClientIdNotPositive);
        if (!parsed) return;
        if (*parsed < 1) return c.reply.Error(errors::kClientIdNotPositive);
        id = static_cast<uint64_t>(*parsed);
      } else if (Is(option, "TYPE")) {
        type = ClientTypeByName(value);
        if (!type) return c.reply.Error(errors::UnknownClientType(value));
      } else if (Is(option, "ADDR")) {
        addr = value;
      } else if (Is(option, "LADDR")) {
        laddr = value;
      } else if (Is(option, "USER")) {
        if (value != "default") return c.reply.Error(errors::NoSuchUser(value));
      } else if (Is(option, "SKIPME")) {
        if (Is(value, "yes")) {
          skip_me = true;
        } else if (Is(value, "no")) {
          skip_me = false;
        } else {
          return c.reply.Error(errors::kSyntax);
        }
      } else {
        return c.reply.Error(errors::kSyntax);
      }
    }
  }
  // Matching clients are marked at once and closed by their own loops; this
  // client, if it matches, is closed once its reply is written.
  Client* self = c.client;
  int64_t killed = 0;
  bool kill_self = false;
  std::vector<std::shared_ptr<BlockedClient>> waits;  // of the killed clients
  c.engine().clients().ForEach([&](Client& client) {
    if (client.kill_requested() || !client.connection()) return;
    const ClientOrigin& origin = client.origin();
    if (addr && origin.peer_address != *addr) return;
    if (laddr && origin.local_address != *laddr) return;
    if (type && TypeOf(client) != *type) return;
    if (id != 0 && client.id() != id) return;
    if (&client == self) {
      if (skip_me) return;
      kill_self = true;
      ++killed;
      return;
    }
    if (!client.RequestKill()) return;
    ++killed;
    if (std::shared_ptr<BlockedClient> wait = client.blocked()) waits.push_back(std::move(wait));
    // The connection is found again on its loop by pointer and id: it may
    // have gone by the time the message runs.
    c.worker.Send(origin.home_worker,
                  MakeMessage([connection = client.connection(), id = client.id()] {
                    if (Connection* target = Worker::Current()->FindConnection(connection, id))
                      target->Close();
                  }));
  });
  // Outside the registry's lock: ending a wait may wait out a claim.
  for (std::shared_ptr<BlockedClient>& wait : waits) AbandonWait(c.worker, std::move(wait));
  if (old_form) {
    if (killed == 0) return c.reply.Error(errors::kNoSuchClient);
    c.reply.Ok();
  } else {
    c.reply.Integer(killed);
  }
  if (kill_self && self->connection()) self->connection()->CloseAfterReply();
}

// "on" / "off" for NO-EVICT and NO-TOUCH, or a syntax error.
std::optional<bool> OnOff(CommandContext& c) {
  if (Is(c.args[2], "ON")) return true;
  if (Is(c.args[2], "OFF")) return false;
  c.reply.Error(errors::kSyntax);
  return std::nullopt;
}

void ClientNoEvict(CommandContext& c) {
  std::optional<bool> on = OnOff(c);
  if (!on) return;
  ClientFlags flags = c.client->flags();
  flags.no_evict = *on;
  c.client->set_flags(flags);
  c.reply.Ok();
}

void ClientNoTouch(CommandContext& c) {
  std::optional<bool> on = OnOff(c);
  if (!on) return;
  ClientFlags flags = c.client->flags();
  flags.no_touch = *on;
  c.client->set_flags(flags);
  c.reply.Ok();
}

void ClientReply(CommandContext& c) {
  // Only ON answers; OFF and SKIP are silent (the dispatcher drops replies).
  if (Is(c.args[2], "ON")) {
    c.client->SetReplyMode(Client::ReplyMode::kOn);
    c.reply.Ok();
  } else if (Is(c.args[2], "OFF")) {
    c.client->SetReplyMode(Client::ReplyMode::kOff);
  } else if (Is(c.args[2], "SKIP")) {
    c.client->SetReplyMode(Client::ReplyMode::kSkip);
  } else {
    c.reply.Error(errors::kSyntax);
  }
}

void ClientPause(CommandContext& c) {
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
  int64_t now = c.now_ms();
  int64_t until = *timeout > INT64_MAX - now ? INT64_MAX : now + *timeout;
  c.engine().Pause(until, mode, now);
  c.reply.Ok();
}

void ClientUnpause(CommandContext& c) {
  c.engine().Unpause(c.worker);
  c.reply.Ok();
}

// Ends the wait of a client blocked in BLPOP & co., on whichever loop it
// lives: its wait is claimed from here, as a writer would claim it, and
// only its reply travels to its loop (blocking/blocking.h).
void ClientUnblock(CommandContext& c) {
  if (c.args.size() > 4) return c.reply.Error(errors::SubcommandSyntax(c.args[1], "client"));
  bool as_error = false;
  if (c.args.size() == 4) {
    if (Is(c.args[3], "ERROR")) {
      as_error = true;
    } else if (!Is(c.args[3], "TIMEOUT")) {
      return c.reply.Error(errors::kUnblockReason);
    }
  }
  std::optional<int64_t> id = IntArg(c.args[2], c.reply, errors::kNotInteger);
  if (!id) return;
  std::shared_ptr<BlockedClient> wait;
  c.engine().clients().ForEach([&](Client& client) {
    if (static_cast<int64_t>(client.id()) == *id && !client.kill_requested())
      wait = client.blocked();
  });
  if (!wait) return c.reply.Integer(0);
  std::string reply = wait->timeout_reply;
  if (as_error) {
    reply.clear();
    protocol::ReplyBuilder(&reply, wait->resp).Error(errors::kUnblockedByClient);
  }
  if (!UnblockClient(c.worker, std::move(wait), std::move(reply))) return c.reply.Integer(0);
  // Counted where it is decided, as Redis counts it (errorstat_UNBLOCKED).
  if (as_error) CountErrorReply(c.worker.stats(), errors::kUnblockedByClient);
  c.reply.Integer(1);
}

void ClientHelp(CommandContext& c) {
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
                "UNBLOCK <clientid> [TIMEOUT|ERROR]",
                "    Unblock the specified blocked client.",
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
      {.name = "hello", .handler = Hello},
      {.name = "auth", .handler = Auth},
      {.name = "reset", .handler = Reset, .flags = kCmdOkWhileSubscribed | kCmdNeverQueued},
      {.name = "client",
       .subcommands =
           {{.name = "client|getname", .handler = ClientGetName},
            {.name = "client|id", .handler = ClientId},
            {.name = "client|info", .handler = ClientInfo},
            {.name = "client|list", .handler = ClientList},
            {.name = "client|kill", .handler = ClientKill},
            {.name = "client|setname", .handler = ClientSetName},
            {.name = "client|setinfo", .handler = ClientSetInfo},
            {.name = "client|no-evict", .handler = ClientNoEvict},
            {.name = "client|no-touch", .handler = ClientNoTouch},
            {.name = "client|reply", .handler = ClientReply, .flags = kCmdControlsReplies},
            {.name = "client|pause", .handler = ClientPause},
            {.name = "client|unpause", .handler = ClientUnpause},
            {.name = "client|unblock", .handler = ClientUnblock},
            {.name = "client|help", .handler = ClientHelp}}},
  });
}

}  // namespace emberkv::server
