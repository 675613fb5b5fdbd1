#include "server/pubsub/mailbox.h"

#include <catch2/catch.hpp>
#include <memory>
#include <string>

namespace emberkv::server {
namespace {

Letter LetterOf(size_t message_bytes) {
  return Letter{"", std::make_shared<const Publication>(
                        Publication{"channel", std::string(message_bytes, 'x')})};
}

TEST_CASE("a mailbox wakes its loop once per batch of letters", "[mailbox]") {
  Mailbox mailbox;
  Mailbox::Posted first = mailbox.Post(LetterOf(10), 0);
  Mailbox::Posted second = mailbox.Post(LetterOf(10), 0);
  CHECK((first.accepted && first.wake));
  CHECK((second.accepted && !second.wake));
  CHECK(mailbox.Take().size() == 2);
  CHECK(mailbox.Post(LetterOf(10), 0).wake);
}

TEST_CASE("a mailbox refuses letters past the hard limit, for good", "[mailbox]") {
  Mailbox mailbox;
  const uint64_t limit = 10'000;
  int accepted = 0;
  Mailbox::Posted posted{};
  while ((posted = mailbox.Post(LetterOf(1000), limit)).accepted) ++accepted;
  CHECK(accepted == 9);  // about 1,055 bytes each, with the push's framing
  CHECK(posted.wake);    // the refusal wakes the loop, which closes the client
  CHECK(mailbox.overflowed());
  CHECK(mailbox.Take().empty());  // what was queued is let go at once
  Mailbox::Posted later = mailbox.Post(LetterOf(1), limit);
  CHECK((!later.accepted && !later.wake));
}

TEST_CASE("a mailbox counts the replies its client has not yet written", "[mailbox]") {
  Mailbox mailbox;
  mailbox.ReportBacklog(9'500);
  CHECK(mailbox.Post(LetterOf(100), 10'000).accepted);
  CHECK_FALSE(mailbox.Post(LetterOf(400), 10'000).accepted);
}

}  // namespace
}  // namespace emberkv::server
