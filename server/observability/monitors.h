// MONITOR: every command the server runs, as one line to each client that
// asked for them, in Redis's format:
//
//   +1796679270.528315 [0 127.0.0.1:49126] "set" "foo" "bar"
//   +1796679270.528460 [0 lua] "set" "foo" "a b\"c\\n"
//
// What is fed, as Redis 7.0: a command once it has run (so SELECT shows
// the database it selected, and the commands EXEC runs come before EXEC),
// whatever its reply; not a command refused before it ran (unknown, wrong
// arity, NOAUTH, queued by MULTI); never an admin command. Scripts
// (skip_monitor: EVAL, EVALSHA, FCALL, ...) are fed before they run,
// whatever comes of them, so that their own commands ("lua") follow them
// (dispatch/executor.cc does both). Secrets
// (AUTH's arguments, HELLO's AUTH pair) show as "(redacted)": the handler
// marks them (CommandContext::Redact).
//
// Delivery goes through each monitor's mailbox (pubsub/mailbox.h), posted
// under this table's lock, so every monitor sees the lines in one order,
// and woken as subscribers are (WakeRecipient);
// a monitor is bounded by the pubsub class's client-output-buffer-limit
// (Redis leaves monitors in the normal class, unbounded by default): a
// monitor that reads too slowly is closed rather than growing memory.
//
// Cost: with no monitor, one relaxed atomic load per command.
//
// Thread safety: every method from any loop.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "server/command.h"
#include "server/pubsub/mailbox.h"

namespace emberkv::server {

class Client;
class Worker;

class Monitors {
 public:
  // Makes `client` a monitor (MONITOR), from its own loop.
  void Add(Client& client);
  // Stops feeding `client` (RESET, close); nothing if it was not a monitor.
  void Remove(const Client& client);
  bool any() const { return count_.load(std::memory_order_relaxed) > 0; }
  // Sends `line` to every monitor.
  void Feed(Worker& from, std::string line);

 private:
  std::mutex mutex_;
  std::vector<MailRecipient> monitors_;
  std::atomic<size_t> count_{0};
};

// The line for a command: `origin` is the client's address, or "lua" for a
// script's command; bit i of `redacted` hides args[i].
std::string MonitorLine(int64_t unix_us, int db, std::string_view origin, ArgList args,
                        uint64_t redacted);

// Feeds a command that `client` ran (`from_script`: that a script of the
// client's ran) in database `db` to the monitors, if there are any.
void FeedMonitors(Worker& worker, const Client& client, bool from_script, int db, ArgList args,
                  uint64_t redacted = 0);

}  // namespace emberkv::server
