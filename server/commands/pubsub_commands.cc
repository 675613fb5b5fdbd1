// SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, PUBLISH, PUBSUB.
//
// Subscriptions are recorded on (and removed from) every worker before
// SUBSCRIBE (UNSUBSCRIBE) replies, so a PUBLISH that starts after the reply
// counts the subscriber exactly.
// PUBLISH looks up receivers in its own worker's copy of the table and sends
// one message per receiving worker.
#include <memory>
#include <string>
#include <vector>

#include "server/command_table.h"
#include "server/commands/arg_parsing.h"
#include "server/engine/engine.h"
#include "server/net/connection.h"
#include "server/pubsub/pubsub_registry.h"

namespace emberkv::server {
namespace {

void ReplySubscription(protocol::ReplyBuilder& reply, std::string_view kind, const std::string* name,
                       size_t count) {
  reply.PushHeader(3);
  reply.Bulk(kind);
  if (name) {
    reply.Bulk(*name);
  } else {
    reply.Null();
  }
  reply.Integer(static_cast<int64_t>(count));
}

// Subscribes the client to `names` (channels or patterns) on every worker.
Task<void> SubscribeGeneric(CoordContext& c, bool patterns) {
  Connection* connection = c.connection;
  if (!connection) co_return;
  std::vector<std::string> added;
  std::set<std::string>& mine = patterns ? connection->patterns() : connection->channels();
  for (size_t i = 1; i < c.args.size(); ++i) {
    std::string name(c.args[i]);
    if (mine.insert(name).second) added.push_back(name);
  }
  Subscriber self{c.worker.id(), connection, connection->id()};
  if (!added.empty()) {
    for (int w = 0; w < c.engine.shard_count(); ++w) {
      co_await c.worker.RunOn(w, [&](Worker& worker) {
        for (const std::string& name : added) {
          if (patterns) {
            worker.pubsub().PSubscribe(name, self);
          } else {
            worker.pubsub().Subscribe(name, self);
          }
        }
      });
    }
  }
  // One confirmation per argument, counting subscriptions as they grow.
  size_t count = connection->subscriptions() - added.size();
  std::set<std::string> seen;
  for (size_t i = 1; i < c.args.size(); ++i) {
    std::string name(c.args[i]);
    if (std::find(added.begin(), added.end(), name) != added.end() && seen.insert(name).second) ++count;
    ReplySubscription(c.reply, patterns ? "psubscribe" : "subscribe", &name, count);
  }
}

Task<void> CoordSubscribe(CoordContext& c) { return SubscribeGeneric(c, false); }
Task<void> CoordPSubscribe(CoordContext& c) { return SubscribeGeneric(c, true); }

// Unsubscribes the client from `names` (all of its channels or patterns
// when none are given) on every worker before it replies, as SUBSCRIBE
// subscribes: a PUBLISH that starts after the reply neither counts the
// client nor reaches it (a worker's deliveries sent before it learnt of the
// change arrive before the reply, in the order messages between two workers
// keep).
Task<void> UnsubscribeGeneric(CoordContext& c, bool patterns) {
  Connection* connection = c.connection;
  if (!connection) co_return;
  std::set<std::string>& mine = patterns ? connection->patterns() : connection->channels();
  std::string_view kind = patterns ? "punsubscribe" : "unsubscribe";
  std::vector<std::string> names;
  if (c.args.size() == 1) {
    names.assign(mine.begin(), mine.end());
    if (names.empty()) co_return ReplySubscription(c.reply, kind, nullptr, connection->subscriptions());
  } else {
    for (size_t i = 1; i < c.args.size(); ++i) names.emplace_back(c.args[i]);
  }
  // The client stays subscribed until every worker has forgotten it, so
  // that what PUBLISH counted until then is delivered.
  std::set<std::string> remaining = mine;
  const size_t others = connection->subscriptions() - mine.size();
  std::vector<std::string> removed;
  std::vector<size_t> counts;  // the subscription count after each name
  for (const std::string& name : names) {
    if (remaining.erase(name)) removed.push_back(name);
    counts.push_back(remaining.size() + others);
  }
  uint64_t id = connection->id();
  if (!removed.empty()) {
    for (int w = 0; w < c.engine.shard_count(); ++w) {
      co_await c.worker.RunOn(w, [&](Worker& worker) {
        for (const std::string& name : removed) {
          if (patterns) {
            worker.pubsub().PUnsubscribe(name, id);
          } else {
            worker.pubsub().Unsubscribe(name, id);
          }
        }
      });
    }
  }
  for (const std::string& name : removed) mine.erase(name);
  for (size_t i = 0; i < names.size(); ++i) ReplySubscription(c.reply, kind, &names[i], counts[i]);
}

Task<void> CoordUnsubscribe(CoordContext& c) { return UnsubscribeGeneric(c, false); }
Task<void> CoordPUnsubscribe(CoordContext& c) { return UnsubscribeGeneric(c, true); }

struct Publication {
  std::string channel;
  std::string message;
};

void Deliver(Worker& from, const Subscriber& to, std::string_view pattern,
             const std::shared_ptr<const Publication>& publication) {
  if (to.worker == from.id()) {
    if (Connection* c = from.FindConnection(to.connection, to.id)) {
      c->DeliverMessage(pattern, publication->channel, publication->message);
    }
    return;
  }
  from.Send(to.worker, MakeMessage([to, pattern = std::string(pattern), publication] {
    if (Connection* c = Worker::Current()->FindConnection(to.connection, to.id)) {
      c->DeliverMessage(pattern, publication->channel, publication->message);
    }
  }));
}

void ConnPublish(ConnContext& c) {
  auto publication = std::make_shared<const Publication>(Publication{std::string(c.args[1]), std::string(c.args[2])});
  size_t receivers = c.worker.pubsub().ForEachReceiver(
      publication->channel, [&](const Subscriber& s) { Deliver(c.worker, s, "", publication); },
      [&](std::string_view pattern, const Subscriber& s) { Deliver(c.worker, s, pattern, publication); });
  c.reply.Integer(static_cast<int64_t>(receivers));
}

void ConnPubsubChannels(ConnContext& c) {
  std::vector<std::string> channels = c.worker.pubsub().Channels(c.args.size() > 2 ? c.args[2] : "");
  c.reply.ArrayHeader(channels.size());
  for (const std::string& channel : channels) c.reply.Bulk(channel);
}

void ConnPubsubNumsub(ConnContext& c) {
  c.reply.ArrayHeader((c.args.size() - 2) * 2);
  for (size_t i = 2; i < c.args.size(); ++i) {
    c.reply.Bulk(c.args[i]);
    c.reply.Integer(static_cast<int64_t>(c.worker.pubsub().NumSubscribers(c.args[i])));
  }
}

void ConnPubsubNumpat(ConnContext& c) { c.reply.Integer(static_cast<int64_t>(c.worker.pubsub().NumPatterns())); }

}  // namespace

void RegisterPubSubCommands(CommandTable& table) {
  table.Register({
      {.name = "subscribe", .coordinated = CoordSubscribe, .flags = kCmdOkWhileSubscribed},
      {.name = "psubscribe", .coordinated = CoordPSubscribe, .flags = kCmdOkWhileSubscribed},
      {.name = "unsubscribe", .coordinated = CoordUnsubscribe, .flags = kCmdOkWhileSubscribed},
      {.name = "punsubscribe", .coordinated = CoordPUnsubscribe, .flags = kCmdOkWhileSubscribed},
      {.name = "publish", .conn = ConnPublish},
      {.name = "pubsub",
       .subcommands = {{.name = "pubsub|channels", .conn = ConnPubsubChannels},
                       {.name = "pubsub|numsub", .conn = ConnPubsubNumsub},
                       {.name = "pubsub|numpat", .conn = ConnPubsubNumpat}}},
  });
}

}  // namespace emberkv::server
