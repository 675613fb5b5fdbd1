// What the server knows about one client apart from its socket: the
// settings its commands change (SELECT, HELLO, CLIENT SETNAME, CLIENT
// NO-TOUCH, ...), its transaction, its watched keys, its subscriptions and
// the wait it may be in. Commands receive it in their context; a connection
// owns one (server/net/connection.h), and so will a script's caller.
//
// Thread safety: the client's own loop reads and writes everything. Other
// loops read what CLIENT LIST, CLIENT KILL and INFO show, through the
// registry (client_registry.h): those fields are relaxed atomics, and the
// strings (name, library name and version) and the blocked wait (for
// CLIENT UNBLOCK) are written only under the registry's lock, which other
// loops take to read them.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/reply_builder.h"
#include "server/config.h"
#include "server/pubsub/mailbox.h"
#include "server/pubsub/subscription_kind.h"

namespace emberkv::server {

class Connection;
class ClientRegistry;
struct BlockedClient;
struct CommandSpec;
struct WatchState;

// Per-client switches that change how commands run.
struct ClientFlags {
  bool no_touch = false;  // CLIENT NO-TOUCH: reads do not refresh the access clock
  bool no_evict = false;  // CLIENT NO-EVICT: the client's own memory is not evicted
};

// A connection's buffers as it last reported them, under CLIENT LIST's
// names. Redis has a reply buffer and a list of reply blocks; a connection
// here has a reply buffer it writes into and one block the socket is
// taking.
struct BufferFigures {
  size_t query = 0;            // qbuf: input received and not yet run
  size_t query_free = 0;       // qbuf-free: room left in the input buffer
  size_t replies_waiting = 0;  // obl: replies not yet handed to the socket
  size_t replies_sending = 0;  // unsent bytes of the block the socket is taking
  size_t reply_capacity = 0;   // rbs: bytes the reply buffer and block hold
  size_t reply_peak = 0;       // rbp: the most rbs in the last few seconds
  size_t allocated = 0;        // every buffer's capacity, input and replies

  // omem: every reply not yet sent (what output limits bound).
  size_t unsent() const { return replies_waiting + replies_sending; }
};

// A command queued between MULTI and EXEC, with its own copy of the arguments.
struct QueuedCommand {
  const CommandSpec* spec;
  std::vector<std::string> args;
};

// Where a client came from; fixed for its lifetime.
struct ClientOrigin {
  std::string peer_address;   // ip:port
  std::string local_address;  // ip:port
  int fd = -1;
  int home_worker = 0;  // the loop that serves it
  int64_t created_ms = 0;
};

class Client {
 public:
  Client(uint64_t id, ClientOrigin origin, Connection* connection, ClientRegistry* registry);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  uint64_t id() const { return id_; }
  const ClientOrigin& origin() const { return origin_; }
  // The connection behind the client, or nullptr for one without a socket.
  Connection* connection() const { return connection_; }

  // ---- Settings ----
  int db() const { return db_.load(std::memory_order_relaxed); }
  void set_db(int db) { db_.store(db, std::memory_order_relaxed); }
  protocol::RespVersion resp() const {
    return static_cast<protocol::RespVersion>(resp_.load(std::memory_order_relaxed));
  }
  void set_resp(protocol::RespVersion resp) {
    resp_.store(static_cast<int>(resp), std::memory_order_relaxed);
  }
  bool authenticated() const { return authenticated_; }
  void set_authenticated(bool value) { authenticated_ = value; }
  ClientFlags flags() const {
    return ClientFlags{no_touch_.load(std::memory_order_relaxed),
                       no_evict_.load(std::memory_order_relaxed)};
  }
  void set_flags(ClientFlags flags) {
    no_touch_.store(flags.no_touch, std::memory_order_relaxed);
    no_evict_.store(flags.no_evict, std::memory_order_relaxed);
  }

  // The strings other loops read: the owner reads them freely, writes them
  // under the registry's lock (SetName, ...); other loops read them under it.
  const std::string& name() const { return name_; }
  const std::string& lib_name() const { return lib_name_; }
  const std::string& lib_version() const { return lib_version_; }
  void SetName(std::string_view name);
  void SetLibName(std::string_view name);
  void SetLibVersion(std::string_view version);

  // ---- Activity ----
  int64_t last_interaction_ms() const {
    return last_interaction_ms_.load(std::memory_order_relaxed);
  }
  void set_last_interaction_ms(int64_t ms) {
    last_interaction_ms_.store(ms, std::memory_order_relaxed);
  }
  // The last command it ran (CLIENT LIST's cmd), or nullptr.
  const CommandSpec* last_command() const { return last_command_.load(std::memory_order_relaxed); }
  void set_last_command(const CommandSpec* spec) {
    last_command_.store(spec, std::memory_order_relaxed);
  }
  // Its buffers, as its connection last reported them (each figure is
  // exact; read together from another loop, they may be from two reports).
  BufferFigures buffers() const;
  size_t query_buffer_bytes() const { return buffers_.query; }
  size_t output_buffer_bytes() const { return buffers_.replies_waiting + buffers_.replies_sending; }
  void ReportBuffers(const BufferFigures& figures);
  // Bytes held by the arguments of the command it is blocked in (CLIENT
  // LIST's argv-mem, with those of the command running on its own loop).
  size_t blocked_argument_bytes() const {
    return blocked_argument_bytes_.load(std::memory_order_relaxed);
  }

  // ---- CLIENT KILL ----
  // Set by whoever kills the client (any loop); its own loop closes it and
  // runs nothing more for it.
  bool kill_requested() const { return kill_requested_.load(std::memory_order_relaxed); }
  bool RequestKill() { return !kill_requested_.exchange(true, std::memory_order_relaxed); }

  // ---- MULTI / EXEC ----
  bool in_multi() const { return in_multi_.load(std::memory_order_relaxed); }
  void BeginMulti();
  // Refuses the transaction: EXEC will answer EXECABORT.
  void FailMulti() { multi_failed_ = true; }
  void Queue(QueuedCommand command);
  size_t queued_commands() const { return queued_count_.load(std::memory_order_relaxed); }
  // What the queued commands hold (CLIENT LIST's multi-mem).
  size_t queued_bytes() const { return queued_bytes_.load(std::memory_order_relaxed); }
  const std::vector<QueuedCommand>& queued() const { return multi_queue_; }
  // Ends the transaction (EXEC, DISCARD, RESET) and hands over what was queued.
  std::vector<QueuedCommand> EndMulti(bool* failed);

  // ---- WATCH ----
  // The state its watched keys' shards mark dirty. One for the client's
  // lifetime, so other loops may read it (CLIENT LIST's flag d); it is clean
  // whenever nothing is watched.
  const std::shared_ptr<WatchState>& watch_state() const { return watch_state_; }
  bool watch_dirty() const;
  void AddWatchedKey(int db, std::string_view key) { watched_keys_.emplace_back(db, key); }
  const std::vector<std::pair<int, std::string>>& watched_keys() const { return watched_keys_; }
  // Forgets the watched keys; the caller tells their shards (Unwatch in
  // transaction/watch.h does both).
  std::vector<std::pair<int, std::string>> TakeWatchedKeys();

  // ---- MONITOR ----
  // Whether it is fed every command (observability/monitors.h); it may then
  // not touch the keyspace, as a replica in Redis.
  bool is_monitor() const { return monitor_.load(std::memory_order_relaxed); }
  void set_monitor(bool on) { monitor_.store(on, std::memory_order_relaxed); }

  // ---- Pub/Sub ----
  // Its channels, patterns or shard channels (pubsub/subscription_kind.h).
  const std::set<std::string>& subscriptions(SubscriptionKind kind) const {
    return subscriptions_[IndexOf(kind)];
  }
  size_t subscription_count(SubscriptionKind kind) const {
    return subscription_counts_[IndexOf(kind)].load(std::memory_order_relaxed);
  }
  // Whether it holds any subscription, of any kind: Redis's pub/sub mode
  // (CLIENT LIST's flag P and type pubsub; a RESP2 client then runs only the
  // commands flagged kCmdOkWhileSubscribed).
  bool subscribed() const;
  // Each returns whether the set changed.
  bool Subscribe(SubscriptionKind kind, std::string_view name);
  bool Unsubscribe(SubscriptionKind kind, std::string_view name);
  // Whether a letter of its mailbox is still for it: it may have left the
  // letter's channel or pattern since the letter was posted.
  bool Receives(const Letter& letter) const;
  // Where PUBLISH leaves the client's messages (pubsub/mailbox.h); made on
  // the client's loop at its first subscription.
  const std::shared_ptr<Mailbox>& mailbox() {
    if (!mailbox_) mailbox_ = std::make_shared<Mailbox>();
    return mailbox_;
  }

  // ---- Blocking commands ----
  // The wait the client is in (BLPOP & co.), or null. Set on its own loop
  // under the registry's lock; other loops copy it inside
  // ClientRegistry::ForEach (CLIENT UNBLOCK).
  const std::shared_ptr<BlockedClient>& blocked() const { return blocked_; }
  void set_blocked(std::shared_ptr<BlockedClient> blocked);
  bool is_blocked() const { return blocked_flag_.load(std::memory_order_relaxed); }

  // ---- CLIENT REPLY ----
  enum class ReplyMode { kOn, kOff, kSkip };
  void SetReplyMode(ReplyMode mode);
  // Whether the reply of the command about to run is dropped; advances SKIP.
  bool TakeSuppressReply();
  bool replies_off() const { return reply_off_; }

 private:
  const uint64_t id_;
  const ClientOrigin origin_;
  Connection* const connection_;
  ClientRegistry* const registry_;

  std::atomic<int> db_{0};
  std::atomic<int> resp_{static_cast<int>(protocol::RespVersion::kResp2)};
  std::atomic<bool> no_touch_{false};
  std::atomic<bool> monitor_{false};
  std::atomic<bool> no_evict_{false};
  bool authenticated_ = false;
  std::string name_;
  std::string lib_name_;
  std::string lib_version_;

  std::atomic<int64_t> last_interaction_ms_{0};
  std::atomic<const CommandSpec*> last_command_{nullptr};
  struct {
    Relaxed<size_t> query, query_free, replies_waiting, replies_sending, reply_capacity, reply_peak,
        allocated;
  } buffers_;
  std::atomic<size_t> blocked_argument_bytes_{0};
  std::atomic<bool> kill_requested_{false};

  std::atomic<bool> in_multi_{false};
  bool multi_failed_ = false;
  std::vector<QueuedCommand> multi_queue_;
  std::atomic<size_t> queued_count_{0};
  std::atomic<size_t> queued_bytes_{0};

  const std::shared_ptr<WatchState> watch_state_;
  std::vector<std::pair<int, std::string>> watched_keys_;

  std::set<std::string> subscriptions_[kSubscriptionKinds];
  // Their sizes, which other loops read (CLIENT LIST).
  std::atomic<size_t> subscription_counts_[kSubscriptionKinds] = {};
  std::shared_ptr<Mailbox> mailbox_;

  std::shared_ptr<BlockedClient> blocked_;
  std::atomic<bool> blocked_flag_{false};

  bool reply_off_ = false;
  bool skip_next_ = false;
};

}  // namespace emberkv::server
