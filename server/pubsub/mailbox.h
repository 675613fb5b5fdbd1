// The messages PUBLISH has counted for one subscribed client and not yet
// written to it, in the order they were published (and, for a MONITOR
// client, the lines of the commands it watches: observability/monitors.h).
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
// A mailbox is bounded: a subscriber whose unwritten replies and letters
// together pass the pubsub class's hard client-output-buffer-limit refuses
// every letter after that, and its loop closes it. The limit is checked as
// letters arrive, not only when its loop writes them, because a publisher
// on another loop can post faster than that loop wakes.
//
// Thread safety: Post and WakeRecipient from any loop; Take, ReportBacklog
// and overflowed on the client's own loop.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/reply_builder.h"
#include "server/pubsub/subscription_kind.h"

namespace emberkv::server {

// One PUBLISH (or SPUBLISH), shared by the letters of all its receivers.
struct Publication {
  std::string channel;
  std::string message;
};

// A published message, or a MONITOR line (observability/monitors.h).
struct Letter {
  std::string pattern;  // the pattern that matched (kind kPattern), else empty
  std::shared_ptr<const Publication> publication;
  std::shared_ptr<const std::string> monitor_line;  // written as it is
  // The subscription that brought the message, which names its push.
  SubscriptionKind kind = SubscriptionKind::kChannel;
};

class Mailbox {
 public:
  struct Posted {
    bool accepted;  // false: the client is past its limit; PUBLISH does not count it
    bool wake;      // the caller must wake the client's loop (to deliver, or to close it)
  };
  // `hard_limit` is the pubsub class's hard limit in bytes (0: none).
  Posted Post(Letter letter, uint64_t hard_limit);
  std::vector<Letter> Take();
  // Whether a letter was refused: the client's loop closes the client.
  bool overflowed();
  // What the client's replies not yet written take, in bytes.
  void ReportBacklog(size_t bytes) { backlog_bytes_.store(bytes, std::memory_order_relaxed); }

 private:
  std::mutex mutex_;
  std::vector<Letter> letters_;
  uint64_t letter_bytes_ = 0;  // the messages in letters_, as they will be written
  bool overflowed_ = false;
  std::atomic<size_t> backlog_bytes_{0};
};

class Client;
class Connection;
class Worker;

// A client that has a mailbox, as the tables that post to it (the
// subscription table, the MONITOR table) keep it.
struct MailRecipient {
  int worker;              // the loop that serves the client
  Connection* connection;  // valid only on that loop, and only if `id` still matches
  uint64_t id;
  std::shared_ptr<Mailbox> mailbox;
  // On the client's loop (its mailbox is made there).
  static MailRecipient Of(Client& client);
};

// After a Post that asked for it: has the recipient's loop deliver its
// letters (or close it), at once when that loop is `from`, else by one
// message. Call it without the posting table's lock.
void WakeRecipient(Worker& from, const MailRecipient& to);

// Writes the "message" ("pmessage", "smessage") push that delivers `letter`.
void WriteMessagePush(protocol::ReplyBuilder& reply, const Letter& letter);

}  // namespace emberkv::server
