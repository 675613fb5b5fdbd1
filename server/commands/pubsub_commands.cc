// SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE, their UN- forms, PUBLISH, SPUBLISH and
// PUBSUB, on the server's one subscription table (pubsub/pubsub_hub.h).
// Each command is one template over the kind of subscription it serves
// (pubsub/subscription_kind.h).
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "server/blocking/blocking.h"
#include "server/command_table.h"
#include "server/commands/arg_parsing.h"
#include "server/commands/help.h"
#include "server/engine/engine.h"
#include "server/errors.h"
#include "server/pubsub/pubsub_hub.h"

namespace emberkv::server {
namespace {

// The count a confirmation carries, as Redis 7.0 counts: channels and
// patterns together, shard channels apart.
size_t ConfirmationCount(const Client& client, SubscriptionKind kind) {
  if (kind == SubscriptionKind::kShardChannel)
    return client.subscription_count(SubscriptionKind::kShardChannel);
  return client.subscription_count(SubscriptionKind::kChannel) +
         client.subscription_count(SubscriptionKind::kPattern);
}

void ReplySubscription(protocol::ReplyBuilder& reply, std::string_view word,
                       const std::string* name, size_t count) {
  reply.PushHeader(3);
  reply.Bulk(word);
  if (name) {
    reply.Bulk(*name);
  } else {
    reply.Null();
  }
  reply.Integer(static_cast<int64_t>(count));
}

// Subscribes the client to the channels (patterns, shard channels) named:
// the server's table changes before the reply, so a PUBLISH after it counts
// the client.
template <SubscriptionKind kind>
void SubscribeTo(CommandContext& c) {
  Client& client = *c.client;
  // Redis refuses SSUBSCRIBE where the client cannot wait for messages
  // (inside EXEC), though it lets SUBSCRIBE and PSUBSCRIBE through there.
  if (kind == SubscriptionKind::kShardChannel && !MayBlock(c))
    return c.reply.Error(errors::kSSubscribeDenyBlocking);
  if (!client.connection()) return c.reply.Error(errors::NeedsClient(c.spec.name));
  std::vector<std::string> added;
  for (size_t i = 1; i < c.args.size(); ++i) {
    if (client.Subscribe(kind, c.args[i])) added.emplace_back(c.args[i]);
  }
  if (!added.empty()) c.engine().pubsub().Subscribe(client, kind, added);
  // One confirmation per argument, counting subscriptions as they grow.
  size_t count = ConfirmationCount(client, kind) - added.size();
  std::set<std::string_view> seen;
  for (size_t i = 1; i < c.args.size(); ++i) {
    std::string name(c.args[i]);
    if (std::find(added.begin(), added.end(), name) != added.end() && seen.insert(c.args[i]).second)
      ++count;
    ReplySubscription(c.reply, WordsOf(kind).subscribe, &name, count);
  }
}

// Writes the messages PUBLISH counted for the client before it left: they
// go out ahead of the confirmation (pubsub/mailbox.h).
// Inside EXEC the replies form one array, which a push would break: there
// the letters wait for their wake-up and, for channels the client has left
// by then, are dropped (Connection::DeliverMail).
void WritePendingMessages(CommandContext& c, Client& client) {
  if (c.shards.pinned()) return;
  for (const Letter& letter : client.mailbox()->Take()) {
    if (client.Receives(letter)) WriteMessagePush(c.reply, letter);
  }
}

// Unsubscribes the client from the channels (patterns, shard channels)
// named, or from all of that kind when none are: the table changes before
// the reply, so a PUBLISH after it neither counts nor reaches the client.
template <SubscriptionKind kind>
void UnsubscribeFrom(CommandContext& c) {
  Client& client = *c.client;
  const std::set<std::string>& mine = client.subscriptions(kind);
  std::string_view word = WordsOf(kind).unsubscribe;
  std::vector<std::string> names;
  if (c.args.size() == 1) {
    names.assign(mine.begin(), mine.end());
    if (names.empty())
      return ReplySubscription(c.reply, word, nullptr, ConfirmationCount(client, kind));
  } else {
    for (size_t i = 1; i < c.args.size(); ++i) names.emplace_back(c.args[i]);
  }
  std::vector<std::string> removed;
  for (const std::string& name : names) {
    if (mine.contains(name)) removed.push_back(name);
  }
  if (!removed.empty()) c.engine().pubsub().Unsubscribe(client, kind, removed);
  WritePendingMessages(c, client);
  for (const std::string& name : names) {
    client.Unsubscribe(kind, name);
    ReplySubscription(c.reply, word, &name, ConfirmationCount(client, kind));
  }
}

// PUBLISH (channels) and SPUBLISH (shard channels).
template <SubscriptionKind kind>
void PublishTo(CommandContext& c) {
  size_t receivers = c.engine().pubsub().Publish(c.worker, kind, c.args[1], c.args[2]);
  c.reply.Integer(static_cast<int64_t>(receivers));
}

// PUBSUB CHANNELS and SHARDCHANNELS.
template <SubscriptionKind kind>
void PubsubChannels(CommandContext& c) {
  if (c.args.size() > 3) return c.reply.Error(errors::SubcommandSyntax(c.args[1], "pubsub"));
  std::vector<std::string> channels =
      c.engine().pubsub().Channels(kind, c.args.size() > 2 ? c.args[2] : "");
  c.reply.ArrayHeader(channels.size());
  for (const std::string& channel : channels) c.reply.Bulk(channel);
}

// PUBSUB NUMSUB and SHARDNUMSUB.
template <SubscriptionKind kind>
void PubsubNumsub(CommandContext& c) {
  c.reply.ArrayHeader((c.args.size() - 2) * 2);
  for (size_t i = 2; i < c.args.size(); ++i) {
    c.reply.Bulk(c.args[i]);
    c.reply.Integer(static_cast<int64_t>(c.engine().pubsub().NumSubscribers(kind, c.args[i])));
  }
}

void PubsubNumpat(CommandContext& c) {
  c.reply.Integer(static_cast<int64_t>(c.engine().pubsub().Count(SubscriptionKind::kPattern)));
}

void PubsubHelp(CommandContext& c) {
  ReplyHelp(c.reply, "PUBSUB",
            {
                "CHANNELS [<pattern>]",
                "    Return the currently active channels matching a <pattern> (default: '*').",
                "NUMPAT",
                "    Return number of subscriptions to patterns.",
                "NUMSUB [<channel> ...]",
                "    Return the number of subscribers for the specified channels, excluding",
                "    pattern subscriptions(default: no channels).",
                "SHARDCHANNELS [<pattern>]",
                "    Return the currently active shard level channels matching a <pattern> "
                "(default: '*').",
                "SHARDNUMSUB [<shardchannel> ...]",
                "    Return the number of subscribers for the specified shard level channel(s)",
            });
}

}  // namespace

void RegisterPubSubCommands(CommandTable& table) {
  table.Register({
      {.name = "subscribe",
       .handler = SubscribeTo<SubscriptionKind::kChannel>,
       .flags = kCmdOkWhileSubscribed},
      {.name = "psubscribe",
       .handler = SubscribeTo<SubscriptionKind::kPattern>,
       .flags = kCmdOkWhileSubscribed},
      {.name = "ssubscribe",
       .handler = SubscribeTo<SubscriptionKind::kShardChannel>,
       .flags = kCmdOkWhileSubscribed},
      {.name = "unsubscribe",
       .handler = UnsubscribeFrom<SubscriptionKind::kChannel>,
       .flags = kCmdOkWhileSubscribed},
      {.name = "punsubscribe",
       .handler = UnsubscribeFrom<SubscriptionKind::kPattern>,
       .flags = kCmdOkWhileSubscribed},
      {.name = "sunsubscribe",
       .handler = UnsubscribeFrom<SubscriptionKind::kShardChannel>,
       .flags = kCmdOkWhileSubscribed},
      {.name = "publish", .handler = PublishTo<SubscriptionKind::kChannel>},
      {.name = "spublish", .handler = PublishTo<SubscriptionKind::kShardChannel>},
      {.name = "pubsub",
       .subcommands =
           {{.name = "pubsub|channels", .handler = PubsubChannels<SubscriptionKind::kChannel>},
            {.name = "pubsub|shardchannels",
             .handler = PubsubChannels<SubscriptionKind::kShardChannel>},
            {.name = "pubsub|numsub", .handler = PubsubNumsub<SubscriptionKind::kChannel>},
            {.name = "pubsub|shardnumsub",
             .handler = PubsubNumsub<SubscriptionKind::kShardChannel>},
            {.name = "pubsub|numpat", .handler = PubsubNumpat},
            {.name = "pubsub|help", .handler = PubsubHelp}}},
  });
}

}  // namespace emberkv::server
