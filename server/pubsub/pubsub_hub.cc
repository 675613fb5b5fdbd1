#include "server/pubsub/pubsub_hub.h"

#include <algorithm>
#include <memory>
#include <set>

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

void PubSubHub::Subscribe(Client& client, SubscriptionKind kind,
                          const std::vector<std::string>& names) {
  Subscriber self = MailRecipient::Of(client);
  std::lock_guard lock(mutex_);
  for (const std::string& name : names) Add(TableOf(kind), name, self);
}

void PubSubHub::Unsubscribe(Client& client, SubscriptionKind kind,
                            const std::vector<std::string>& names) {
  std::lock_guard lock(mutex_);
  for (const std::string& name : names) Remove(TableOf(kind), name, client.id());
}

void PubSubHub::UnsubscribeAll(Client& client) {
  if (!client.subscribed()) return;
  std::vector<std::string> names[kSubscriptionKinds];
  for (size_t k = 0; k < kSubscriptionKinds; ++k) {
    const std::set<std::string>& mine = client.subscriptions(static_cast<SubscriptionKind>(k));
    names[k].assign(mine.begin(), mine.end());
  }
  {
    std::lock_guard lock(mutex_);
    for (size_t k = 0; k < kSubscriptionKinds; ++k) {
      for (const std::string& name : names[k]) Remove(tables_[k], name, client.id());
    }
  }
  for (size_t k = 0; k < kSubscriptionKinds; ++k) {
    for (const std::string& name : names[k])
      client.Unsubscribe(static_cast<SubscriptionKind>(k), name);
  }
}

size_t PubSubHub::Publish(Worker& from, SubscriptionKind kind, std::string_view channel,
                          std::string_view message) {
  size_t receivers = 0;
  std::vector<Subscriber> to_wake;
  uint64_t hard_limit = from.engine().config().pubsub_output_limit.hard;
  {
    std::lock_guard lock(mutex_);
    std::shared_ptr<const Publication> publication;  // shared by every letter
    auto post = [&](const Subscriber& to, SubscriptionKind by, std::string_view pattern) {
      if (!publication) {
        publication = std::make_shared<const Publication>(
            Publication{std::string(channel), std::string(message)});
      }
      Letter letter{.pattern = std::string(pattern), .publication = publication, .kind = by};
      Mailbox::Posted posted = to.mailbox->Post(std::move(letter), hard_limit);
      if (posted.accepted) ++receivers;
      if (posted.wake) to_wake.push_back(to);
    };
    const Table& channels = TableOf(kind);
    auto it = channels.find(ToAbsl(channel));
    if (it != channels.end()) {
      for (const Subscriber& s : it->second) post(s, kind, {});
    }
    // Patterns match PUBLISH's channels only: shard channels have none.
    if (kind == SubscriptionKind::kChannel) {
      for (const auto& [pattern, subscribers] : TableOf(SubscriptionKind::kPattern)) {
        if (!PatternMatches(pattern, channel)) continue;
        for (const Subscriber& s : subscribers) post(s, SubscriptionKind::kPattern, pattern);
      }
    }
  }
  for (const Subscriber& to : to_wake) WakeRecipient(from, to);
  return receivers;
}

std::vector<std::string> PubSubHub::Channels(SubscriptionKind kind, std::string_view pattern) {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (const auto& [channel, subscribers] : TableOf(kind)) {
    if (pattern.empty() || PatternMatches(pattern, channel)) out.push_back(channel);
  }
  return out;
}

size_t PubSubHub::NumSubscribers(SubscriptionKind kind, std::string_view channel) {
  std::lock_guard lock(mutex_);
  const Table& table = TableOf(kind);
  auto it = table.find(ToAbsl(channel));
  return it == table.end() ? 0 : it->second.size();
}

size_t PubSubHub::Count(SubscriptionKind kind) {
  std::lock_guard lock(mutex_);
  return TableOf(kind).size();
}

}  // namespace emberkv::server
