// Who is subscribed to what, as seen by one worker.
//
// Every worker holds the whole table: SUBSCRIBE and UNSUBSCRIBE update every
// worker (they are rare), so PUBLISH needs no hop to find its receivers and
// sends each message straight from the publisher's worker to each
// subscriber's worker. Messages between two workers arrive in the order they
// were sent, so a subscriber sees one publisher's messages in publish order.
//
// Thread safety: each worker's registry is touched by its own thread only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <absl/container/flat_hash_map.h>

namespace emberkv::server {

class Connection;

struct Subscriber {
  int worker;              // where the connection lives
  Connection* connection;  // valid only on that worker, and only if `id` still matches
  uint64_t id;
};

class PubSubRegistry {
 public:
  void Subscribe(std::string_view channel, const Subscriber& subscriber);
  void Unsubscribe(std::string_view channel, uint64_t id);
  void PSubscribe(std::string_view pattern, const Subscriber& subscriber);
  void PUnsubscribe(std::string_view pattern, uint64_t id);

  // Calls on_channel(subscriber) for each subscriber of `channel` and
  // on_pattern(pattern, subscriber) for each pattern subscription that
  // matches it. Returns how many receivers there were.
  template <class OnChannel, class OnPattern>
  size_t ForEachReceiver(std::string_view channel, OnChannel&& on_channel, OnPattern&& on_pattern) const;

  // PUBSUB CHANNELS [pattern]: channels with at least one subscriber.
  std::vector<std::string> Channels(std::string_view pattern) const;
  size_t NumSubscribers(std::string_view channel) const;
  size_t NumPatterns() const { return patterns_.size(); }

 private:
  using Subscribers = std::vector<Subscriber>;
  static void Remove(absl::flat_hash_map<std::string, Subscribers>& map, std::string_view key, uint64_t id);
  static bool PatternMatches(std::string_view pattern, std::string_view channel);

  absl::flat_hash_map<std::string, Subscribers> channels_;
  absl::flat_hash_map<std::string, Subscribers> patterns_;
};

template <class OnChannel, class OnPattern>
size_t PubSubRegistry::ForEachReceiver(std::string_view channel, OnChannel&& on_channel,
                                       OnPattern&& on_pattern) const {
  size_t receivers = 0;
  auto it = channels_.find(absl::string_view(channel.data(), channel.size()));
  if (it != channels_.end()) {
    for (const Subscriber& s : it->second) on_channel(s);
    receivers += it->second.size();
  }
  for (const auto& [pattern, subscribers] : patterns_) {
    if (!PatternMatches(pattern, channel)) continue;
    for (const Subscriber& s : subscribers) on_pattern(std::string_view(pattern), s);
    receivers += subscribers.size();
  }
  return receivers;
}

}  // namespace emberkv::server
