// What a connection has read, run in order: the request parser, the checks
// that depend on the client (unknown command, arity, AUTH, the subscribed
// context, MULTI queueing, CLIENT PAUSE, CLIENT REPLY) and then the executor
// (dispatch/executor.h). Replies are appended to the connection's output in
// request order, so a client always reads its own writes.
//
// Which commands may run while subscribed, act at once inside MULTI, or wait
// out a CLIENT PAUSE WRITE comes from flags in the command table, never from
// their names.
//
// Between commands the pipeline keeps the shard locks it holds (a burst of
// commands on one shard locks once), at most kCommandsPerLockHold commands
// in a row, and lets go of them all before it returns: a loop holds no lock
// while it waits for anything.
//
// Thread safety: one per connection, on its loop.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/request_parser.h"
#include "server/command.h"
#include "server/dispatch/key_prefetcher.h"

namespace emberkv::server {

class Client;
class Connection;
class Worker;

class Pipeline {
 public:
  // Why Run stopped.
  enum class Stop {
    kNeedMore,    // every complete command ran; the rest is an incomplete one
    kSuspended,   // the client waits (a blocking command, CLIENT PAUSE)
    kOutputFull,  // unsent replies passed the bound: write before reading on
    kClose,       // close once the replies are written (protocol error, QUIT, kill)
  };
  // Unsent replies above this stop the pipeline (and the connection's reads).
  static constexpr size_t kOutputPauseBytes = 1024 * 1024;
  // Commands run under the same shard locks before letting others in.
  static constexpr int kCommandsPerLockHold = 32;

  Pipeline(Worker& worker, Client& client, Connection& connection);
  ~Pipeline();

  // Runs the complete commands at the start of `data`, appending replies to
  // *out. Returns the bytes consumed; *why says why it stopped.
  size_t Run(std::string_view data, std::string* out, Stop* why);

  // After a pause ended: runs the command it held back, if any. False if it
  // is still held (paused again).
  bool RunHeldCommand(std::string* out);
  bool holding_command() const { return held_ != nullptr; }

  // Bytes the parser needs before it can make progress (0: unknown).
  size_t bytes_wanted() const { return parser_.bytes_wanted(); }

 private:
  // Looks the command up and runs its checks; runs, queues or holds it.
  void Dispatch(ArgList args, std::string* out);
  void DispatchChecked(const CommandSpec& spec, ArgList args, std::string* out);
  bool HeldByPause(const CommandSpec& spec) const;
  // Refuses a command before it runs (unknown, arity, auth, ...).
  void Reject(const CommandSpec* spec, std::string_view error, std::string* out);
  bool RequiresAuth() const;
  // Asks the CPU for the keys of the commands at the start of `data`.
  void Prefetch(std::string_view data);

  Worker& worker_;
  Client& client_;
  Connection& connection_;
  protocol::RequestParser parser_;
  std::unique_ptr<QueuedCommand> held_;  // held back by CLIENT PAUSE
  std::string discarded_;                // replies dropped by CLIENT REPLY
  int commands_under_locks_ = 0;
};

}  // namespace emberkv::server
