// Who is subscribed to what, for the whole server: one table under one lock.
//
// SUBSCRIBE and UNSUBSCRIBE change the table before they reply, and PUBLISH
// reads it under the same lock, so a PUBLISH that arrives after an
// UNSUBSCRIBE's reply (on any connection) neither counts nor reaches the
// client, as in Redis. Under that lock PUBLISH also posts the message to
// each receiver's mailbox (pubsub/mailbox.h), which an UNSUBSCRIBE empties
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

namespace emberkv::server {

class Client;
class Connection;
class Worker;

class PubSubHub {
 public:
  // Adds `client` to each channel (or pattern) of `names`.
  void Subscribe(Client& client, const std::vector<std::string>& names, bool patterns);
  void Unsubscribe(Client& client, const std::vector<std::string>& names, bool patterns);
  // Drops every subscription of `client` (on close and RESET).
  void UnsubscribeAll(Client& client);

  // Delivers `message` to the subscribers of `channel` and of the patterns
  // that match it; returns how many receivers there were.
  size_t Publish(Worker& from, std::string_view channel, std::string_view message);

  // PUBSUB CHANNELS [pattern]: channels with at least one subscriber.
  std::vector<std::string> Channels(std::string_view pattern);
  size_t NumSubscribers(std::string_view channel);
  size_t NumPatterns();
  size_t NumChannels();

 private:
  using Subscriber = MailRecipient;
  using Subscribers = std::vector<Subscriber>;
  using Table = absl::flat_hash_map<std::string, Subscribers>;

  static void Add(Table& table, std::string_view name, const Subscriber& subscriber);
  static void Remove(Table& table, std::string_view name, uint64_t id);
  static bool PatternMatches(std::string_view pattern, std::string_view channel);

  std::mutex mutex_;
  Table channels_;
  Table patterns_;
};

}  // namespace emberkv::server
