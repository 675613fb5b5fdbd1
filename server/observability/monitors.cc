#include "server/observability/monitors.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <utility>

#include "server/client/client.h"
#include "server/engine/engine.h"
#include "server/engine/worker.h"

namespace emberkv::server {
namespace {

// An argument as Redis's sdscatrepr writes it: quoted, with backslash
// escapes for quotes, backslashes and control characters.
void AppendQuoted(std::string& line, std::string_view arg) {
  line += '"';
  for (unsigned char ch : arg) {
    switch (ch) {
      case '\\':
      case '"':
        line += '\\';
        line += static_cast<char>(ch);
        break;
      case '\n':
        line += "\\n";
        break;
      case '\r':
        line += "\\r";
        break;
      case '\t':
        line += "\\t";
        break;
      case '\a':
        line += "\\a";
        break;
      case '\b':
        line += "\\b";
        break;
      default:
        if (std::isprint(ch)) {
          line += static_cast<char>(ch);
        } else {
          char hex[5];
          std::snprintf(hex, sizeof(hex), "\\x%02x", ch);
          line += hex;
        }
    }
  }
  line += '"';
}

int64_t UnixMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

void Monitors::Add(Client& client) {
  MailRecipient monitor = MailRecipient::Of(client);
  std::lock_guard lock(mutex_);
  monitors_.push_back(std::move(monitor));
  count_.store(monitors_.size(), std::memory_order_relaxed);
}

void Monitors::Remove(const Client& client) {
  std::lock_guard lock(mutex_);
  std::erase_if(monitors_, [&](const MailRecipient& m) { return m.id == client.id(); });
  count_.store(monitors_.size(), std::memory_order_relaxed);
}

void Monitors::Feed(Worker& from, std::string line) {
  auto shared = std::make_shared<const std::string>(std::move(line));
  uint64_t hard_limit = from.engine().config().pubsub_output_limit.hard;
  std::vector<MailRecipient> to_wake;
  {
    std::lock_guard lock(mutex_);
    for (const MailRecipient& m : monitors_) {
      if (m.mailbox->Post(Letter{.monitor_line = shared}, hard_limit).wake) to_wake.push_back(m);
    }
  }
  for (const MailRecipient& to : to_wake) WakeRecipient(from, to);
}

std::string MonitorLine(int64_t unix_us, int db, std::string_view origin, ArgList args,
                        uint64_t redacted) {
  char head[64];
  std::snprintf(head, sizeof(head), "+%" PRId64 ".%06" PRId64 " [%d ", unix_us / 1000000,
                unix_us % 1000000, db);
  std::string line = head;
  line.append(origin);
  line += ']';
  for (size_t i = 0; i < args.size(); ++i) {
    line += ' ';
    bool hidden = i < 64 && (redacted >> i) & 1;
    AppendQuoted(line, hidden ? std::string_view("(redacted)") : args[i]);
  }
  line += "\r\n";
  return line;
}

void FeedMonitors(Worker& worker, const Client& client, bool from_script, int db, ArgList args,
                  uint64_t redacted) {
  Monitors& monitors = worker.engine().monitors();
  if (!monitors.any()) return;
  std::string_view origin =
      from_script ? std::string_view("lua") : std::string_view(client.origin().peer_address);
  monitors.Feed(worker, MonitorLine(UnixMicros(), db, origin, args, redacted));
}

}  // namespace emberkv::server
