#include "server/client/client.h"

#include <mutex>

#include "server/blocking/blocking.h"
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
  std::unique_lock lock =
      registry_ ? registry_->LockClientFields() : std::unique_lock<std::mutex>();
  name_.assign(name);
}

void Client::SetLibName(std::string_view name) {
  std::unique_lock lock =
      registry_ ? registry_->LockClientFields() : std::unique_lock<std::mutex>();
  lib_name_.assign(name);
}

void Client::SetLibVersion(std::string_view version) {
  std::unique_lock lock =
      registry_ ? registry_->LockClientFields() : std::unique_lock<std::mutex>();
  lib_version_.assign(version);
}

void Client::BeginMulti() {
  in_multi_.store(true, std::memory_order_relaxed);
  multi_failed_ = false;
}

namespace {

// The bytes a copy of `args` holds: the strings, and their text where it
// does not fit in the string itself.
size_t ArgumentBytes(const std::vector<std::string>& args) {
  size_t bytes = args.capacity() * sizeof(std::string);
  for (const std::string& arg : args) {
    if (arg.capacity() > std::string().capacity()) bytes += arg.capacity() + 1;
  }
  return bytes;
}

}  // namespace

void Client::Queue(QueuedCommand command) {
  const size_t bytes = sizeof(QueuedCommand) + ArgumentBytes(command.args);
  multi_queue_.push_back(std::move(command));
  queued_count_.store(multi_queue_.size(), std::memory_order_relaxed);
  queued_bytes_.fetch_add(bytes, std::memory_order_relaxed);
}

std::vector<QueuedCommand> Client::EndMulti(bool* failed) {
  *failed = multi_failed_;
  in_multi_.store(false, std::memory_order_relaxed);
  multi_failed_ = false;
  queued_count_.store(0, std::memory_order_relaxed);
  queued_bytes_.store(0, std::memory_order_relaxed);
  return std::exchange(multi_queue_, {});
}

bool Client::watch_dirty() const { return watch_state_->dirty.load(std::memory_order_acquire); }

std::vector<std::pair<int, std::string>> Client::TakeWatchedKeys() {
  return std::exchange(watched_keys_, {});
}

bool Client::subscribed() const {
  for (const std::atomic<size_t>& count : subscription_counts_) {
    if (count.load(std::memory_order_relaxed) > 0) return true;
  }
  return false;
}

bool Client::Subscribe(SubscriptionKind kind, std::string_view name) {
  std::set<std::string>& names = subscriptions_[IndexOf(kind)];
  bool added = names.emplace(name).second;
  subscription_counts_[IndexOf(kind)].store(names.size(), std::memory_order_relaxed);
  return added;
}

bool Client::Unsubscribe(SubscriptionKind kind, std::string_view name) {
  std::set<std::string>& names = subscriptions_[IndexOf(kind)];
  bool removed = names.erase(std::string(name)) > 0;
  subscription_counts_[IndexOf(kind)].store(names.size(), std::memory_order_relaxed);
  return removed;
}

bool Client::Receives(const Letter& letter) const {
  const std::set<std::string>& names = subscriptions_[IndexOf(letter.kind)];
  return names.contains(letter.kind == SubscriptionKind::kPattern ? letter.pattern
                                                                  : letter.publication->channel);
}

void Client::set_blocked(std::shared_ptr<BlockedClient> blocked) {
  std::unique_lock lock =
      registry_ ? registry_->LockClientFields() : std::unique_lock<std::mutex>();
  blocked_flag_.store(blocked != nullptr, std::memory_order_relaxed);
  blocked_argument_bytes_.store(blocked ? ArgumentBytes(blocked->args) : 0,
                                std::memory_order_relaxed);
  blocked.swap(blocked_);
  lock.unlock();
  // The wait that ended, if this was its last owner, goes without the lock.
}

BufferFigures Client::buffers() const {
  return {.query = buffers_.query,
          .query_free = buffers_.query_free,
          .replies_waiting = buffers_.replies_waiting,
          .replies_sending = buffers_.replies_sending,
          .reply_capacity = buffers_.reply_capacity,
          .reply_peak = buffers_.reply_peak,
          .allocated = buffers_.allocated};
}

void Client::ReportBuffers(const BufferFigures& figures) {
  buffers_.query = figures.query;
  buffers_.query_free = figures.query_free;
  buffers_.replies_waiting = figures.replies_waiting;
  buffers_.replies_sending = figures.replies_sending;
  buffers_.reply_capacity = figures.reply_capacity;
  buffers_.reply_peak = figures.reply_peak;
  buffers_.allocated = figures.allocated;
  if (mailbox_) mailbox_->ReportBacklog(figures.unsent());
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
