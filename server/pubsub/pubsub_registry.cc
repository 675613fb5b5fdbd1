#include "server/pubsub/pubsub_registry.h"

#include <algorithm>

#include "server/util/ascii.h"
#include "storage/glob.h"

namespace emberkv::server {

void PubSubRegistry::Subscribe(std::string_view channel, const Subscriber& subscriber) {
  Subscribers& list = channels_[ToAbsl(channel)];
  for (const Subscriber& s : list) {
    if (s.id == subscriber.id) return;
  }
  list.push_back(subscriber);
}

void PubSubRegistry::PSubscribe(std::string_view pattern, const Subscriber& subscriber) {
  Subscribers& list = patterns_[ToAbsl(pattern)];
  for (const Subscriber& s : list) {
    if (s.id == subscriber.id) return;
  }
  list.push_back(subscriber);
}

void PubSubRegistry::Remove(absl::flat_hash_map<std::string, Subscribers>& map, std::string_view key,
                            uint64_t id) {
  auto it = map.find(ToAbsl(key));
  if (it == map.end()) return;
  Subscribers& list = it->second;
  list.erase(std::remove_if(list.begin(), list.end(), [id](const Subscriber& s) { return s.id == id; }),
             list.end());
  if (list.empty()) map.erase(it);
}

void PubSubRegistry::Unsubscribe(std::string_view channel, uint64_t id) { Remove(channels_, channel, id); }
void PubSubRegistry::PUnsubscribe(std::string_view pattern, uint64_t id) { Remove(patterns_, pattern, id); }

bool PubSubRegistry::PatternMatches(std::string_view pattern, std::string_view channel) {
  return pattern == "*" || storage::GlobMatch(pattern, channel);
}

std::vector<std::string> PubSubRegistry::Channels(std::string_view pattern) const {
  std::vector<std::string> out;
  for (const auto& [channel, subscribers] : channels_) {
    if (pattern.empty() || PatternMatches(pattern, channel)) out.push_back(channel);
  }
  return out;
}

size_t PubSubRegistry::NumSubscribers(std::string_view channel) const {
  auto it = channels_.find(ToAbsl(channel));
  return it == channels_.end() ? 0 : it->second.size();
}

}  // namespace emberkv::server
