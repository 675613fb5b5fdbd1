// Who is subscribed to what, for the whole server: one table under one lock.
//
// SUBSCRIBE and UNSUBSCRIBE change the table before they reply, and PUBLISH
// reads it under the same lock, so a PUBLISH that arrives after an
// UNSUBSCRIBE's reply (on any connection) neither counts nor reaches the
// client, as in Redis. PUBLISH collects the receivers under the lock and
// delivers after letting go: to subscribers of its own loop directly, to
// others by one message each to their loop. Messages between two loops
// arrive in the order they were sent, so a subscriber sees one publisher's
// messages in publish order.
//
// The lock is held for table lookups only, never while delivering, and is
// taken after shard locks, never before one.
//
// Thread safety: every method from any loop.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <absl/container/flat_hash_map.h>

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
  struct Subscriber {
    int worker;              // where the connection lives
    Connection* connection;  // valid only on that loop, and only if `id` still matches
    uint64_t id;
  };
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
