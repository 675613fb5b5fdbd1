// SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, PUBLISH, PUBSUB, on the
// server's one subscription table (pubsub/pubsub_hub.h).
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "server/command_table.h"
#include "server/commands/arg_parsing.h"
#include "server/engine/engine.h"
#include "server/errors.h"
#include "server/pubsub/pubsub_hub.h"

namespace emberkv::server {
namespace {

void ReplySubscription(protocol::ReplyBuilder& reply, std::string_view kind,
                       const std::string* name, size_t count) {
  reply.PushHeader(3);
  reply.Bulk(kind);
  if (name) {
    reply.Bulk(*name);
  } else {
    reply.Null();
  }
  reply.Integer(static_cast<int64_t>(count));
}

// Subscribes the client to `names` (channels or patterns): the server's
// table changes before the reply, so a PUBLISH after it counts the client.
void SubscribeGeneric(CommandContext& c, bool patterns) {
  Client& client = *c.client;
  if (!client.connection()) return c.reply.Error(errors::NeedsClient(c.spec.name));
  std::vector<std::string> added;
  for (size_t i = 1; i < c.args.size(); ++i) {
    bool is_new = patterns ? client.AddPattern(c.args[i]) : client.AddChannel(c.args[i]);
    if (is_new) added.emplace_back(c.args[i]);
  }
  if (!added.empty()) c.engine().pubsub().Subscribe(client, added, patterns);
  // One confirmation per argument, counting subscriptions as they grow.
  size_t count = client.subscriptions() - added.size();
  std::set<std::string_view> seen;
  for (size_t i = 1; i < c.args.size(); ++i) {
    std::string name(c.args[i]);
    if (std::find(added.begin(), added.end(), name) != added.end() && seen.insert(c.args[i]).second)
      ++count;
    ReplySubscription(c.reply, patterns ? "psubscribe" : "subscribe", &name, count);
  }
}

void Subscribe(CommandContext& c) { SubscribeGeneric(c, false); }
void PSubscribe(CommandContext& c) { SubscribeGeneric(c, true); }

// Unsubscribes the client from `names` (all of its channels or patterns when
// none are given); the table changes before the reply, so a PUBLISH after it
// neither counts nor reaches the client, and the messages PUBLISH counted
// before it are written ahead of the reply (pubsub/mailbox.h).
// Inside EXEC the replies form one array, which a push would break: there
// the letters wait for their wake-up and, for channels the client has left
// by then, are dropped (Connection::DeliverMail).
void WritePendingMessages(CommandContext& c, Client& client) {
  if (c.shards.pinned()) return;
  for (const Letter& letter : client.mailbox()->Take()) {
    if (client.IsSubscribed(letter.pattern, letter.publication->channel))
      WriteMessagePush(c.reply, letter);
  }
}

void UnsubscribeGeneric(CommandContext& c, bool patterns) {
  Client& client = *c.client;
  const std::set<std::string>& mine = patterns ? client.patterns() : client.channels();
  std::string_view kind = patterns ? "punsubscribe" : "unsubscribe";
  std::vector<std::string> names;
  if (c.args.size() == 1) {
    names.assign(mine.begin(), mine.end());
    if (names.empty()) return ReplySubscription(c.reply, kind, nullptr, client.subscriptions());
  } else {
    for (size_t i = 1; i < c.args.size(); ++i) names.emplace_back(c.args[i]);
  }
  std::vector<std::string> removed;
  for (const std::string& name : names) {
    if (mine.contains(name)) removed.push_back(name);
  }
  if (!removed.empty()) c.engine().pubsub().Unsubscribe(client, removed, patterns);
  WritePendingMessages(c, client);
  for (const std::string& name : names) {
    if (patterns) {
      client.RemovePattern(name);
    } else {
      client.RemoveChannel(name);
    }
    ReplySubscription(c.reply, kind, &name, client.subscriptions());
  }
}

void Unsubscribe(CommandContext& c) { UnsubscribeGeneric(c, false); }
void PUnsubscribe(CommandContext& c) { UnsubscribeGeneric(c, true); }

void Publish(CommandContext& c) {
  size_t receivers = c.engine().pubsub().Publish(c.worker, c.args[1], c.args[2]);
  c.reply.Integer(static_cast<int64_t>(receivers));
}

void PubsubChannels(CommandContext& c) {
  std::vector<std::string> channels =
      c.engine().pubsub().Channels(c.args.size() > 2 ? c.args[2] : "");
  c.reply.ArrayHeader(channels.size());
  for (const std::string& channel : channels) c.reply.Bulk(channel);
}

void PubsubNumsub(CommandContext& c) {
  c.reply.ArrayHeader((c.args.size() - 2) * 2);
  for (size_t i = 2; i < c.args.size(); ++i) {
    c.reply.Bulk(c.args[i]);
    c.reply.Integer(static_cast<int64_t>(c.engine().pubsub().NumSubscribers(c.args[i])));
  }
}

void PubsubNumpat(CommandContext& c) {
  c.reply.Integer(static_cast<int64_t>(c.engine().pubsub().NumPatterns()));
}

}  // namespace

void RegisterPubSubCommands(CommandTable& table) {
  table.Register({
      {.name = "subscribe", .handler = Subscribe, .flags = kCmdOkWhileSubscribed},
      {.name = "psubscribe", .handler = PSubscribe, .flags = kCmdOkWhileSubscribed},
      {.name = "unsubscribe", .handler = Unsubscribe, .flags = kCmdOkWhileSubscribed},
      {.name = "punsubscribe", .handler = PUnsubscribe, .flags = kCmdOkWhileSubscribed},
      {.name = "publish", .handler = Publish},
      {.name = "pubsub",
       .subcommands = {{.name = "pubsub|channels", .handler = PubsubChannels},
                       {.name = "pubsub|numsub", .handler = PubsubNumsub},
                       {.name = "pubsub|numpat", .handler = PubsubNumpat}}},
  });
}

}  // namespace emberkv::server
