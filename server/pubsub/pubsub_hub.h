// Who is subscribed to what, for the whole server: one table per kind of
// subscription (channels, patterns, shard channels), all under one lock.
//
// SUBSCRIBE and UNSUBSCRIBE (and their P and S forms) change the tables
// before they reply, and PUBLISH (and SPUBLISH) reads them under the same
// lock, so a PUBLISH that arrives after an UNSUBSCRIBE's reply (on any
// connection) neither counts nor reaches the client, as in Redis. Under that lock PUBLISH also
// posts the message to each receiver's mailbox (pubsub/mailbox.h), which an UNSUBSCRIBE empties
// before its reply: every message PUBLISH counted reaches the client, and
// before the client's leaving is confirmed. After letting go, PUBLISH wakes
// each receiver's loop whose mailbox was empty: its own loop directly,
// others by one message each. A subscriber sees the messages in the order
// the table's lock let their PUBLISHes through.
//
// The lock is held for table lookups and mailbox posts only, never while
// writing to a socket, and is taken after shard locks, never before one.
//
// Thread safety: every method from any loop.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "server/pubsub/mailbox.h"
#include "server/pubsub/subscription_kind.h"

namespace emberkv::server {

class Client;
class Connection;
class Worker;

class PubSubHub {
 public:
  // Adds `client` to each channel, pattern or shard channel of `names`.
  void Subscribe(Client& client, SubscriptionKind kind, const std::vector<std::string>& names);
  void Unsubscribe(Client& client, SubscriptionKind kind, const std::vector<std::string>& names);
  // Drops every subscription of `client`, of every kind (on close and RESET).
  void UnsubscribeAll(Client& client);

  // Delivers `message` and returns how many receivers there were. `kind`
  // is kChannel for PUBLISH (the subscribers of `channel` and of the
  // patterns that match it) or kShardChannel for SPUBLISH (the subscribers
  // of the shard channel `channel`).
  size_t Publish(Worker& from, SubscriptionKind kind, std::string_view channel,
                 std::string_view message);

  // PUBSUB CHANNELS / SHARDCHANNELS [pattern]: the channels of `kind`
  // (kChannel or kShardChannel) with at least one subscriber.
  std::vector<std::string> Channels(SubscriptionKind kind, std::string_view pattern);
  // PUBSUB NUMSUB / SHARDNUMSUB: the subscribers of one channel of `kind`.
  size_t NumSubscribers(SubscriptionKind kind, std::string_view channel);
  // The distinct channels, patterns or shard channels subscribed to (INFO,
  // PUBSUB NUMPAT).
  size_t Count(SubscriptionKind kind);

 private:
  using Subscriber = MailRecipient;
  using Subscribers = std::vector<Subscriber>;
  using Table = absl::flat_hash_map<std::string, Subscribers>;

  static void Add(Table& table, std::string_view name, const Subscriber& subscriber);
  static void Remove(Table& table, std::string_view name, uint64_t id);
  static bool PatternMatches(std::string_view pattern, std::string_view channel);
  Table& TableOf(SubscriptionKind kind) { return tables_[IndexOf(kind)]; }

  std::mutex mutex_;
  Table tables_[kSubscriptionKinds];  // by SubscriptionKind
};

}  // namespace emberkv::server
