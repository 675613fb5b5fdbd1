#include "server/pubsub/mailbox.h"

#include <utility>

namespace emberkv::server {

bool Mailbox::Post(Letter letter) {
  std::lock_guard lock(mutex_);
  letters_.push_back(std::move(letter));
  return letters_.size() == 1;
}

std::vector<Letter> Mailbox::Take() {
  std::lock_guard lock(mutex_);
  return std::exchange(letters_, {});
}

void WriteMessagePush(protocol::ReplyBuilder& reply, const Letter& letter) {
  if (letter.pattern.empty()) {
    reply.PushHeader(3);
    reply.Bulk("message");
  } else {
    reply.PushHeader(4);
    reply.Bulk("pmessage");
    reply.Bulk(letter.pattern);
  }
  reply.Bulk(letter.publication->channel);
  reply.Bulk(letter.publication->message);
}

}  // namespace emberkv::server
