// One client connection: reads requests, routes each command to the shard
// that owns its keys, and writes the replies back in request order.
//
// Reading. A connection waits with an asio read into a buffer of its own that
// adapts to the client (512 bytes when idle, up to 16 KiB when it pipelines),
// so a request or a pipelined burst arrives in one system call. When that
// buffer fills, the rest is read at once with non-blocking recv calls, so a
// burst is parsed and answered with one write. Only an incomplete command's bytes are kept,
// in the connection's own buffer, which grows with what has arrived (never
// with what a header announced).
//
// Routing. The commands of one read form a round. Commands for this worker's
// own shard run at once; commands for other shards are batched per shard and
// sent as one message each. A command that spans shards (or needs all of
// them) is a barrier: the round's batches go first, the barrier runs when
// they are back, and parsing resumes after it. Replies are merged in request
// order, and a client always reads its own writes: commands on one key go to
// one shard, in order, and a barrier waits for everything before it.
//
// Flow control. While a round or barrier is in flight the connection reads
// nothing more, and it stops reading while unsent replies exceed a bound, so
// a client that pipelines without reading cannot grow the server's memory.
//
// Thread safety: everything runs on the owning worker's thread. Messages to
// other shards carry shared ownership of the connection, so it outlives any
// reply still on its way back.
#pragma once

#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/reply_builder.h"
#include "protocol/request_parser.h"
#include "server/command.h"
#include "server/net/io_buffer.h"

namespace emberkv::server {

class ShardBatch;
struct BlockedClient;
struct WatchState;

// A command queued between MULTI and EXEC, with its own copy of the arguments.
struct QueuedCommand {
  const CommandSpec* spec;
  std::vector<std::string> args;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(Worker& worker, asio::ip::tcp::socket socket);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void Start();
  // Writes pending replies now (the worker calls it at the end of a turn).
  void WriteNow();

  // ---- Client state, for commands ----
  uint64_t id() const { return id_; }
  Worker& worker() { return worker_; }
  int db() const { return db_; }
  void set_db(int db) { db_ = db; }
  protocol::RespVersion resp() const { return resp_; }
  void set_resp(protocol::RespVersion resp) { resp_ = resp; }
  const std::string& name() const { return name_; }
  void set_name(std::string name) { name_ = std::move(name); }
  bool authenticated() const { return authenticated_; }
  void set_authenticated(bool value) { authenticated_ = value; }
  ClientFlags& flags() { return flags_; }
  const std::string& peer_address() const { return peer_address_; }
  const std::string& local_address() const { return local_address_; }
  int64_t created_ms() const { return created_ms_; }
  int64_t last_interaction_ms() const { return last_interaction_ms_; }
  std::string_view last_command() const { return last_command_; }
  size_t query_buffer_size() const { return input_.size(); }
  size_t output_buffer_size() const { return output_.size() + sending_.size(); }
  int fd() const { return fd_; }
  size_t queued_commands() const { return multi_queue_.size(); }
  std::string lib_name;
  std::string lib_version;

  // ---- MULTI / EXEC / WATCH ----
  bool in_multi() const { return in_multi_; }
  void BeginMulti() {
    in_multi_ = true;
    multi_failed_ = false;
  }
  // Ends the transaction (EXEC, DISCARD, RESET) and hands over what was queued.
  std::vector<QueuedCommand> EndMulti(bool* failed);
  // Keys watched by this client, with the state the shards mark dirty.
  const std::shared_ptr<WatchState>& watch_state();
  void AddWatchedKey(int db, std::string_view key) { watched_keys_.emplace_back(db, key); }
  const std::vector<std::pair<int, std::string>>& watched_keys() const { return watched_keys_; }
  // Forgets every watched key (tells their shards).
  void Unwatch();

  // ---- Blocking commands ----
  // The wait this client is in (BLPOP & co.), or null; cancelled on close.
  // While it waits the socket is still watched, so that a client that hangs
  // up ends its wait at once (what it sends meanwhile is kept for later).
  void set_blocked(std::shared_ptr<BlockedClient> blocked);
  bool blocked() const { return blocked_ != nullptr; }

  // ---- Pub/Sub ----
  size_t subscriptions() const { return channels_.size() + patterns_.size(); }
  std::set<std::string>& channels() { return channels_; }
  std::set<std::string>& patterns() { return patterns_; }
  // A published message (pattern empty for a plain subscription), encoded
  // for this client's protocol and written out at once. A subscriber whose
  // unsent output passes the pub/sub output limit is disconnected.
  void DeliverMessage(std::string_view pattern, std::string_view channel, std::string_view message);
  // Drops every subscription (tells every worker). Used on close and RESET.
  void UnsubscribeAll();

  // ---- CLIENT REPLY ----
  enum class ReplyMode { kOn, kOff, kSkip };
  void SetReplyMode(ReplyMode mode);

  // ---- CLIENT PAUSE ----
  // Runs the command held back by a pause, if any, now that it has ended.
  void ResumeAfterPause();
  bool paused() const { return held_ != nullptr; }

  // ---- Shutdown ----
  // Reads nothing more: runs what was already read, writes the replies,
  // then closes.
  void Drain();

  // Closes the connection once the replies so far are written (QUIT).
  void CloseAfterReply() { close_after_reply_ = true; }
  // Closes the connection now (CLIENT KILL, errors, limits).
  void Close();
  bool closed() const { return closed_; }

 private:
  struct Round;

  void ArmRead();
  void OnRead(size_t n);
  // One non-blocking recv appended to `buffer`; false when nothing came.
  bool ReadInto(IoBuffer& buffer);
  // Drives the connection: writes what is ready, parses what was left over,
  // reads when the socket has data, until it must wait for something.
  void Pump();
  void ReadOnce();
  void WatchWhileBlocked();
  // Asks the CPU for the keys of the commands in `data` that this shard
  // owns, ahead of running them (see dispatch/key_prefetcher.h).
  void PrefetchOwnKeys(std::string_view data);
  void ProcessInput(std::string_view data, bool data_is_input_buffer);
  void Dispatch(ArgList args);
  void ReplyLocal(std::string_view reply);
  // An error reply on one line (CR and LF become blanks).
  void ReplyError(std::string_view error);
  // Refuses a command before it runs (unknown, arity, auth, ...).
  void Reject(const CommandSpec* spec, std::string_view error);
  template <class Write>
  void WithLocalReply(Write&& write);
  void StartBarrier(const CommandSpec* spec, ArgList args);
  void DispatchChecked(const CommandSpec* spec, ArgList args);
  bool HeldByPause(const CommandSpec& spec) const;
  void SendToShard(int shard, const CommandSpec* spec, ArgList args);
  void EndRound();
  void OnBatchDone();
  void MergeRound();
  // Sets the commands allowed in the next round from what the last one's
  // replies took.
  void AdaptRoundLimit(size_t commands, size_t reply_bytes);
  // Schedules the pending replies for the end of the worker's loop turn.
  void FlushOutput();
  void OnWritten(const asio::error_code& error, size_t bytes);
  bool OutputOverLimit() const;
  // Whether unsent replies are past client-output-buffer-limit for this
  // client's class (keeps the time the soft limit was first passed).
  bool PastOutputBufferLimit();
  bool busy() const;
  bool RequiresAuth() const;
  // Tells the shard what this connection's buffers take (maxmemory counts
  // them; see engine/memory_limit.h).
  void AccountBuffers();
  // Ends the client's state (subscriptions, watches, a wait); the socket is
  // left to the caller.
  void Release();
  // Closes once every reply is written (close_after_reply_): sends FIN and
  // discards input until the client closes, so no reply is lost to a RST.
  void Finish();
  void DiscardInput();

  Worker& worker_;
  asio::ip::tcp::socket socket_;
  int fd_;
  const uint64_t id_;

  protocol::RequestParser parser_;
  IoBuffer input_;       // bytes of an incomplete command, or left behind a barrier
  std::string output_;   // replies not yet handed to the socket
  std::string sending_;  // replies the socket is taking now
  bool readable_ = false;       // the socket may hold more than we read
  bool read_armed_ = false;     // an async read is pending
  std::unique_ptr<char[]> read_buffer_;  // what the pending async read fills
  size_t read_buffer_capacity_ = 0;
  size_t read_buffer_size_ = 512;        // the size the next read will use
  size_t accounted_bytes_ = 0;           // buffer bytes last added to the shard's count
  bool input_pending_ = false;  // input_ may hold whole commands not yet parsed
  bool writing_ = false;
  bool write_scheduled_ = false;
  bool closed_ = false;
  bool close_after_reply_ = false;

  std::unique_ptr<Round> round_;
  size_t round_limit_;  // commands per round (AdaptRoundLimit)
  bool barrier_running_ = false;
  std::vector<std::string> barrier_args_;  // owned copy of a barrier waiting for the round

  int db_ = 0;
  protocol::RespVersion resp_ = protocol::RespVersion::kResp2;
  std::string name_;
  bool authenticated_ = false;
  ClientFlags flags_;
  std::string peer_address_;
  std::string local_address_;
  int64_t created_ms_ = 0;
  int64_t last_interaction_ms_ = 0;
  std::string last_command_;

  bool in_multi_ = false;
  bool multi_failed_ = false;  // a command was refused while queueing
  std::vector<QueuedCommand> multi_queue_;
  std::shared_ptr<WatchState> watch_state_;
  std::vector<std::pair<int, std::string>> watched_keys_;

  // CLIENT REPLY state: OFF drops every reply until ON; SKIP drops the next
  // command's reply. `suppress_` applies to the command being dispatched.
  bool reply_off_ = false;
  bool skip_next_ = false;
  bool skip_current_ = false;
  bool suppress_ = false;

  // A command held back by CLIENT PAUSE, with its own copy of the arguments.
  std::unique_ptr<QueuedCommand> held_;
  bool draining_ = false;

  std::shared_ptr<BlockedClient> blocked_;
  bool watching_ = false;  // an async wait for readability while blocked
  std::set<std::string> channels_;
  std::set<std::string> patterns_;
  int64_t output_over_soft_limit_since_ms_ = 0;
  std::unique_ptr<asio::steady_timer> linger_timer_;  // bounds Finish's wait
};

}  // namespace emberkv::server
