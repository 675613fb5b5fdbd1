#include "server/pubsub/mailbox.h"

#include <utility>

#include "server/client/client.h"
#include "server/engine/message.h"
#include "server/engine/worker.h"
#include "server/net/connection.h"

namespace emberkv::server {

namespace {
// A message push's framing (array header, kind, the lengths of its bulk
// strings), rounded up: close enough to bound the buffer.
constexpr uint64_t kPushOverheadBytes = 48;
}  // namespace

Mailbox::Posted Mailbox::Post(Letter letter, uint64_t hard_limit) {
  uint64_t bytes = letter.monitor_line ? letter.monitor_line->size()
                                       : kPushOverheadBytes + letter.pattern.size() +
                                             letter.publication->channel.size() +
                                             letter.publication->message.size();
  std::lock_guard lock(mutex_);
  if (overflowed_) return {.accepted = false, .wake = false};
  uint64_t backlog = backlog_bytes_.load(std::memory_order_relaxed);
  if (hard_limit > 0 && backlog + letter_bytes_ + bytes > hard_limit) {
    // Past the limit: what is queued will never be written, so let it go now.
    overflowed_ = true;
    letters_.clear();
    letter_bytes_ = 0;
    return {.accepted = false, .wake = true};
  }
  letters_.push_back(std::move(letter));
  letter_bytes_ += bytes;
  return {.accepted = true, .wake = letters_.size() == 1};
}

std::vector<Letter> Mailbox::Take() {
  std::lock_guard lock(mutex_);
  letter_bytes_ = 0;
  return std::exchange(letters_, {});
}

bool Mailbox::overflowed() {
  std::lock_guard lock(mutex_);
  return overflowed_;
}

MailRecipient MailRecipient::Of(Client& client) {
  return {client.origin().home_worker, client.connection(), client.id(), client.mailbox()};
}

void WakeRecipient(Worker& from, const MailRecipient& to) {
  if (to.worker == from.id()) {
    if (Connection* c = from.FindConnection(to.connection, to.id)) c->DeliverMail();
    return;
  }
  from.Send(to.worker, MakeMessage([to] {
              if (Connection* c = Worker::Current()->FindConnection(to.connection, to.id))
                c->DeliverMail();
            }));
}

void WriteMessagePush(protocol::ReplyBuilder& reply, const Letter& letter) {
  const bool pattern = letter.kind == SubscriptionKind::kPattern;
  reply.PushHeader(pattern ? 4 : 3);
  reply.Bulk(WordsOf(letter.kind).message);
  if (pattern) reply.Bulk(letter.pattern);
  reply.Bulk(letter.publication->channel);
  reply.Bulk(letter.publication->message);
}

}  // namespace emberkv::server
