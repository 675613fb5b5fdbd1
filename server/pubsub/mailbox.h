// The messages PUBLISH has counted for one subscribed client and not yet
// written to it, in the order they were published.
//
// PUBLISH posts a letter while it holds the subscription table's lock, and
// UNSUBSCRIBE takes that lock before it reads the mailbox. So when a client
// leaves a channel, every message a PUBLISH counted for it is already here,
// and UNSUBSCRIBE writes them before its own reply: a counted message always
// arrives, as in Redis, where one thread orders the two commands. Without
// the mailbox, a message in flight from another loop would arrive after the
// client had left and have to be dropped.
//
// The client's loop is woken once per batch of letters, not once per letter.
//
// Thread safety: Post from any loop; Take on the client's own loop.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/reply_builder.h"

namespace emberkv::server {

// One PUBLISH, shared by the letters of all its receivers.
struct Publication {
  std::string channel;
  std::string message;
};

struct Letter {
  std::string pattern;  // the pattern that matched, empty for a channel subscription
  std::shared_ptr<const Publication> publication;
};

class Mailbox {
 public:
  // Returns true when the mailbox was empty: the caller must wake the
  // client's loop to deliver. Otherwise a wake-up is already on its way.
  bool Post(Letter letter);
  std::vector<Letter> Take();

 private:
  std::mutex mutex_;
  std::vector<Letter> letters_;
};

// Writes the "message" (or "pmessage") push that delivers `letter`.
void WriteMessagePush(protocol::ReplyBuilder& reply, const Letter& letter);

}  // namespace emberkv::server
