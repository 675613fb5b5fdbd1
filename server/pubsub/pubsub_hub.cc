#include "server/pubsub/pubsub_hub.h"

#include <algorithm>
#include <memory>

#include "server/client/client.h"
#include "server/engine/engine.h"
#include "server/net/connection.h"
#include "server/util/ascii.h"
#include "storage/glob.h"

namespace emberkv::server {
void PubSubHub::Add(Table& table, std::string_view name, const Subscriber& subscriber) {
  Subscribers& list = table[ToAbsl(name)];
  for (const Subscriber& s : list) {
    if (s.id == subscriber.id) return;
  }
  list.push_back(subscriber);
}

void PubSubHub::Remove(Table& table, std::string_view name, uint64_t id) {
  auto it = table.find(ToAbsl(name));
  if (it == table.end()) return;
  Subscribers& list = it->second;
  list.erase(
      std::remove_if(list.begin(), list.end(), [id](const Subscriber& s) { return s.id == id; }),
      list.end());
  if (list.empty()) table.erase(it);
}

bool PubSubHub::PatternMatches(std::string_view pattern, std::string_view channel) {
  return pattern == "*" || storage::GlobMatch(pattern, channel);
}

void PubSubHub::Subscribe(Client& client, const std::vector<std::string>& names, bool patterns) {
  Subscriber self = MailRecipient::Of(client);
  std::lock_guard lock(mutex_);
  for (const std::string& name : names) Add(patterns ? patterns_ : channels_, name, self);
}

void PubSubHub::Unsubscribe(Client& client, const std::vector<std::string>& names, bool patterns) {
  std::lock_guard lock(mutex_);
  for (const std::string& name : names) Remove(patterns ? patterns_ : channels_, name, client.id());
}

void PubSubHub::UnsubscribeAll(Client& client) {
  std::vector<std::string> channels(client.channels().begin(), client.channels().end());
  std::vector<std::string> patterns(client.patterns().begin(), client.patterns().end());
  if (channels.empty() && patterns.empty()) return;
  {
    std::lock_guard lock(mutex_);
    for (const std::string& channel : channels) Remove(channels_, channel, client.id());
    for (const std::string& pattern : patterns) Remove(patterns_, pattern, client.id());
  }
  for (const std::string& channel : channels) client.RemoveChannel(channel);
  for (const std::string& pattern : patterns) client.RemovePattern(pattern);
}

size_t PubSubHub::Publish(Worker& from, std::string_view channel, std::string_view message) {
  size_t receivers = 0;
  std::vector<Subscriber> to_wake;
  uint64_t hard_limit = from.engine().config().pubsub_output_limit.hard;
  {
    std::lock_guard lock(mutex_);
    std::shared_ptr<const Publication> publication;  // shared by every letter
    auto post = [&](const Subscriber& to, std::string_view pattern) {
      if (!publication) {
        publication = std::make_shared<const Publication>(
            Publication{std::string(channel), std::string(message)});
      }
      Mailbox::Posted posted =
          to.mailbox->Post(Letter{std::string(pattern), publication}, hard_limit);
      if (posted.accepted) ++receivers;
      if (posted.wake) to_wake.push_back(to);
    };
    auto it = channels_.find(ToAbsl(channel));
    if (it != channels_.end()) {
      for (const Subscriber& s : it->second) post(s, {});
    }
    for (const auto& [pattern, subscribers] : patterns_) {
      if (!PatternMatches(pattern, channel)) continue;
      for (const Subscriber& s : subscribers) post(s, pattern);
    }
  }
  for (const Subscriber& to : to_wake) WakeRecipient(from, to);
  return receivers;
}

std::vector<std::string> PubSubHub::Channels(std::string_view pattern) {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (const auto& [channel, subscribers] : channels_) {
    if (pattern.empty() || PatternMatches(pattern, channel)) out.push_back(channel);
  }
  return out;
}

size_t PubSubHub::NumSubscribers(std::string_view channel) {
  std::lock_guard lock(mutex_);
  auto it = channels_.find(ToAbsl(channel));
  return it == channels_.end() ? 0 : it->second.size();
}

size_t PubSubHub::NumPatterns() {
  std::lock_guard lock(mutex_);
  return patterns_.size();
}

size_t PubSubHub::NumChannels() {
  std::lock_guard lock(mutex_);
  return channels_.size();
}

}  // namespace emberkv::server
