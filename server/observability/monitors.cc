#include "server/observability/monitors.h"

#include <algorithm>
#include <asio/post.hpp>
#include <cctype>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <utility>

#include "server/client/client.h"
#include "server/engine/engine.h"
#include "server/engine/message.h"
#include "server/engine/worker.h"
#include "server/net/connection.h"

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
  std::lock_guard lock(mutex_);
  monitors_.push_back(
      Monitor{client.origin().home_worker, client.connection(), client.id(), client.mailbox()});
  count_.store(monitors_.size(), std::memory_order_relaxed);
}

void Monitors::Remove(const Client& client) {
  std::lock_guard lock(mutex_);
  std::erase_if(monitors_, [&](const Monitor& m) { return m.id == client.id(); });
  count_.store(monitors_.size(), std::memory_order_relaxed);
}

void Monitors::Feed(Worker& from, std::string line) {
  auto shared = std::make_shared<const std::string>(std::move(line));
  uint64_t hard_limit = from.engine().config().pubsub_output_limit.hard;
  std::vector<Monitor> to_wake;
  {
    std::lock_guard lock(mutex_);
    for (const Monitor& m : monitors_) {
      if (m.mailbox->Post(Letter{.monitor_line = shared}, hard_limit).wake) to_wake.push_back(m);
    }
  }
  // Delivered from the monitor's loop, never from inside the command that
  // fed it (which may be the monitor's own).
  for (const Monitor& to : to_wake) {
    auto deliver = [to] {
      if (Connection* c = Worker::Current()->FindConnection(to.connection, to.id)) c->DeliverMail();
    };
    if (to.worker == from.id()) {
      asio::post(from.io(), deliver);
    } else {
      from.Send(to.worker, MakeMessage(deliver));
    }
  }
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
