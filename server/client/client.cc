#include "server/client/client.h"

#include <mutex>

#include "server/client/client_registry.h"
#include "server/transaction/watch.h"

namespace emberkv::server {

Client::Client(uint64_t id, ClientOrigin origin, Connection* connection, ClientRegistry* registry)
    : id_(id),
      origin_(std::move(origin)),
      connection_(connection),
      registry_(registry),
      watch_state_(std::make_shared<WatchState>()) {
  last_interaction_ms_.store(origin_.created_ms, std::memory_order_relaxed);
  if (registry_) registry_->Add(this);
}

Client::~Client() {
  if (registry_) registry_->Remove(this);
}

void Client::SetName(std::string_view name) {
  std::unique_lock lock = registry_ ? registry_->LockStrings() : std::unique_lock<std::mutex>();
  name_.assign(name);
}

void Client::SetLibName(std::string_view name) {
  std::unique_lock lock = registry_ ? registry_->LockStrings() : std::unique_lock<std::mutex>();
  lib_name_.assign(name);
}

void Client::SetLibVersion(std::string_view version) {
  std::unique_lock lock = registry_ ? registry_->LockStrings() : std::unique_lock<std::mutex>();
  lib_version_.assign(version);
}

void Client::BeginMulti() {
  in_multi_.store(true, std::memory_order_relaxed);
  multi_failed_ = false;
}

void Client::Queue(QueuedCommand command) {
  multi_queue_.push_back(std::move(command));
  queued_count_.store(multi_queue_.size(), std::memory_order_relaxed);
}

std::vector<QueuedCommand> Client::EndMulti(bool* failed) {
  *failed = multi_failed_;
  in_multi_.store(false, std::memory_order_relaxed);
  multi_failed_ = false;
  queued_count_.store(0, std::memory_order_relaxed);
  return std::exchange(multi_queue_, {});
}

bool Client::watch_dirty() const { return watch_state_->dirty.load(std::memory_order_acquire); }

std::vector<std::pair<int, std::string>> Client::TakeWatchedKeys() {
  return std::exchange(watched_keys_, {});
}

bool Client::AddChannel(std::string_view channel) {
  bool added = channels_.emplace(channel).second;
  CountSubscriptions();
  return added;
}

bool Client::RemoveChannel(std::string_view channel) {
  bool removed = channels_.erase(std::string(channel)) > 0;
  CountSubscriptions();
  return removed;
}

bool Client::AddPattern(std::string_view pattern) {
  bool added = patterns_.emplace(pattern).second;
  CountSubscriptions();
  return added;
}

bool Client::RemovePattern(std::string_view pattern) {
  bool removed = patterns_.erase(std::string(pattern)) > 0;
  CountSubscriptions();
  return removed;
}

bool Client::IsSubscribed(std::string_view pattern, std::string_view channel) const {
  if (pattern.empty()) return channels_.contains(std::string(channel));
  return patterns_.contains(std::string(pattern));
}

void Client::set_blocked(std::shared_ptr<BlockedClient> blocked) {
  blocked_flag_.store(blocked != nullptr, std::memory_order_relaxed);
  blocked_ = std::move(blocked);
}

void Client::SetReplyMode(ReplyMode mode) {
  switch (mode) {
    case ReplyMode::kOn:
      reply_off_ = false;
      skip_next_ = false;
      break;
    case ReplyMode::kOff:
      reply_off_ = true;
      break;
    case ReplyMode::kSkip:
      if (!reply_off_) skip_next_ = true;
      break;
  }
}

bool Client::TakeSuppressReply() {
  if (reply_off_) return true;
  return std::exchange(skip_next_, false);
}

}  // namespace emberkv::server
