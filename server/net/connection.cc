#include "server/net/connection.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <asio/post.hpp>
#include <cerrno>

#include "server/blocking/blocking.h"
#include "server/engine/engine.h"
#include "server/pubsub/pubsub_hub.h"
#include "server/transaction/watch.h"

namespace emberkv::server {
namespace {

constexpr size_t kReadChunk = 64 * 1024;
// Reads in a row before yielding to other connections.
constexpr int kReadsPerTurn = 4;
// How long a connection closed after its last reply (QUIT, a protocol
// error, shutdown) waits for the client to close its side (see Finish).
constexpr int kLingerMs = 2000;
constexpr size_t kDiscardBuffer = 512;
// What an idle connection keeps of its buffers. Client buffers count toward
// maxmemory (each shard's share), so with a thousand clients every byte kept
// per connection is a kilobyte less for data: a connection gives back its
// input buffer once a partial command in it has run, and an output buffer
// past this size once it is written (Redis shrinks its query and reply
// buffers from its cron for the same reason).
constexpr size_t kIdleBufferBytes = 16 * 1024;
// How long CLIENT LIST's rbp remembers a peak of the reply buffers.
constexpr int64_t kReplyPeakPeriodMs = 5000;

// The loop's read buffer: a read lands here, and only an incomplete
// command's tail is copied into the connection's own buffer.
char* ReadBuffer() {
  static thread_local std::unique_ptr<char[]> buffer(new char[kReadChunk]);
  return buffer.get();
}

std::string EndpointText(const asio::ip::tcp::endpoint& endpoint) {
  return endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
}

ClientOrigin OriginOf(Worker& worker, asio::ip::tcp::socket& socket) {
  ClientOrigin origin;
  asio::error_code error;
  auto peer = socket.remote_endpoint(error);
  if (!error) origin.peer_address = EndpointText(peer);
  auto local = socket.local_endpoint(error);
  if (!error) origin.local_address = EndpointText(local);
  origin.fd = socket.native_handle();
  origin.home_worker = worker.id();
  origin.created_ms = worker.now_ms();
  return origin;
}

}  // namespace

Connection::Connection(Worker& worker, asio::ip::tcp::socket socket)
    : worker_(worker),
      socket_(std::move(socket)),
      fd_(socket_.native_handle()),
      client_(worker.engine().NextClientId(), OriginOf(worker, socket_), this,
              &worker.engine().clients()),
      pipeline_(worker, client_, *this),
      ring_(worker.ring()) {
  asio::error_code error;
  if (ring_) {
    // The socket leaves asio's reactor (its epoll would report every
    // arrival for nothing) and blocks: the ring then waits for room or data
    // itself (poll-driven retry) rather than completing with -EAGAIN.
    socket_.release(error);
    int flags = fcntl(fd_, F_GETFL);
    if (flags >= 0) fcntl(fd_, F_SETFL, flags & ~O_NONBLOCK);
  } else {
    socket_.native_non_blocking(true, error);
  }
  socket_.set_option(asio::ip::tcp::no_delay(true), error);
  if (int interval = worker.engine().config().tcp_keepalive; interval > 0) {
    // As Redis's anetKeepAlive: probe after `interval` idle seconds, then
    // every interval/3, and give up after three unanswered probes.
    int on = 1, count = 3, every = std::max(1, interval / 3);
    setsockopt(fd_, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
    setsockopt(fd_, IPPROTO_TCP, TCP_KEEPIDLE, &interval, sizeof(interval));
    setsockopt(fd_, IPPROTO_TCP, TCP_KEEPINTVL, &every, sizeof(every));
    setsockopt(fd_, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof(count));
  }
  // As Redis's default user: a client that connects while no password is
  // set stays authenticated if one is set later.
  client_.set_authenticated(!worker.engine().auth_required());
}

Connection::~Connection() = default;

void Connection::Start() {
  worker_.RegisterConnection(shared_from_this());
  if (!worker_.engine().accepting()) {  // arrived while the server stops
    Close();
    return;
  }
  WaitReadable();
}

void Connection::WaitReadable() {
  if (ring_) {
    ArmReceive();
    return;
  }
  if (readable_wait_.pending() || closed_) return;
  readable_wait_.Arm(socket_, shared_from_this());
}

void Connection::OnReadable(void* target, const asio::error_code& error) {
  auto* self = static_cast<Connection*>(target);
  if (self->closed_) return;
  if (error) {
    self->Close();
    return;
  }
  self->readable_ = true;
  self->Pump();
}

bool Connection::ReadOnce() {
  char* dest;
  size_t room;
  const bool into_input = !input_.empty() || suspended();
  if (into_input) {
    // Grow with what has arrived, never with what a header announced.
    room = kReadChunk;
    size_t wanted = pipeline_.bytes_wanted();
    if (wanted > input_.size())
      room = std::max(room, std::min(wanted - input_.size(), input_.size()));
    dest = input_.Reserve(room);
  } else {
    room = kReadChunk;
    dest = ReadBuffer();
  }
  ssize_t n = ::recv(fd_, dest, room, MSG_DONTWAIT);
  if (n < 0) {
    if (errno == EINTR) return true;
    readable_ = false;
    if (errno != EAGAIN && errno != EWOULDBLOCK) Close();
    return false;
  }
  if (n == 0) {  // the client closed its side
    Close();
    return false;
  }
  // A read that did not fill the buffer drained the socket: the next data
  // will come with a new readiness.
  readable_ = static_cast<size_t>(n) == room;
  worker_.stats().net_input_bytes.Add(n);
  client_.set_last_interaction_ms(worker_.now_ms());
  if (into_input) {
    input_.Commit(n);
    if (input_.size() > worker_.engine().config().client_query_buffer_limit) {
      Close();  // as in Redis, a client past the query buffer limit is dropped
      return false;
    }
    input_pending_ = true;
    if (!suspended()) ProcessInput(input_.view(), true);
  } else {
    ProcessInput(std::string_view(dest, n), false);
  }
  return true;
}

void Connection::Pump() {
  int reads = 0;
  while (!closed_) {
    FlushOutput();
    if (closed_ || close_after_reply_) break;
    const bool may_run = !suspended() && !OutputOverLimit();
    if (may_run && input_pending_) {
      ProcessInput(input_.view(), true);
      continue;
    }
    if (draining_) {
      // Shutting down: what was read has run; close once it is written.
      if (may_run) {
        close_after_reply_ = true;
        FlushOutput();
      }
      break;
    }
    // Replies wait to be written: read nothing more until they are.
    if (!may_run && !suspended()) break;
    if (!readable_) {
      WaitReadable();
      break;
    }
    if (reads++ == kReadsPerTurn) {
      // Let the loop's other connections have a turn.
      asio::post(worker_.io(), [self = shared_from_this()] { self->Pump(); });
      break;
    }
    ReadOnce();
  }
  AccountBuffers();
}

void Connection::ProcessInput(std::string_view data, bool data_is_input_buffer) {
  input_pending_ = false;
  worker_.RefreshClock();
  Pipeline::Stop why;
  size_t consumed = pipeline_.Run(data, &output_, &why);
  if (why == Pipeline::Stop::kClose) {
    // A protocol error, QUIT or a kill: nothing after it runs.
    consumed = data.size();
    if (client_.kill_requested()) {
      Close();
      return;
    }
    close_after_reply_ = true;
  }
  if (data_is_input_buffer) {
    input_.Consume(consumed);
    input_.ShrinkIfIdle(kIdleBufferBytes);
  } else if (consumed < data.size()) {
    input_.Append(data.substr(consumed));
  }
  // Commands left behind a wait or a full output run later; an incomplete
  // one waits for more bytes.
  input_pending_ =
      (why == Pipeline::Stop::kSuspended || why == Pipeline::Stop::kOutputFull) && !input_.empty();
}

void Connection::EndBlockedWait(std::string_view reply) {
  const std::shared_ptr<BlockedClient>& blocked = client_.blocked();
  bool suppressed = blocked && blocked->reply_suppressed;
  client_.set_blocked(nullptr);
  if (closed_) return;
  if (!suppressed) output_.append(reply);
  input_pending_ = !input_.empty();
  Pump();
}

void Connection::ResumeAfterPause() {
  if (closed_) return;
  worker_.RefreshClock();
  if (!pipeline_.RunHeldCommand(&output_)) return;  // paused again
  input_pending_ = !input_.empty();
  Pump();
}

void Connection::Drain() {
  draining_ = true;
  readable_ = false;
  Pump();
}

void Connection::FlushOutput() {
  if (writing_ || closed_) return;
  if (!output_.empty() && PastOutputBufferLimit()) {
    Close();
    return;
  }
  if (output_.empty()) {
    if (close_after_reply_ && !suspended()) Finish();
    return;
  }
  // Replies leave at the end of the loop's turn, all connections' together
  // (as Redis does before it sleeps): the client is woken once for
  // everything it gets in this turn.
  if (!write_scheduled_) {
    write_scheduled_ = true;
    worker_.ScheduleWrite(shared_from_this());
  }
}

void Connection::WriteNow() {
  write_scheduled_ = false;
  if (writing_ || closed_) return;
  if (output_.empty()) {
    if (close_after_reply_ && !suspended()) Finish();
    return;
  }
  if (ring_) {
    // The turn's replies leave as one send; what comes meanwhile waits in
    // output_ for its completion.
    sending_.swap(output_);
    send_offset_ = 0;
    writing_ = true;
    SubmitSend();
    return;
  }
  const bool was_over_limit = OutputOverLimit();
  ssize_t n = ::send(fd_, output_.data(), output_.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
    Close();
    return;
  }
  size_t sent = n > 0 ? static_cast<size_t>(n) : 0;
  worker_.stats().net_output_bytes.Add(sent);
  if (sent == output_.size()) {
    output_.clear();
    if (output_.capacity() > kIdleBufferBytes) GiveBack(output_);
    AccountBuffers();
    if (close_after_reply_ && !suspended()) {
      Finish();
      return;
    }
    // The pipeline may have stopped on the output bound.
    if (was_over_limit || input_pending_) Pump();
    return;
  }
  // The socket is full: keep the rest and wait for room.
  sending_.assign(output_, sent, std::string::npos);
  output_.clear();
  AccountBuffers();
  writing_ = true;
  WaitWritable();
}

void Connection::WaitWritable() {
  socket_.async_wait(asio::ip::tcp::socket::wait_write,
                     [self = shared_from_this()](const asio::error_code& error) {
                       if (self->closed_) return;
                       if (error) {
                         self->Close();
                         return;
                       }
                       ssize_t n = ::send(self->fd_, self->sending_.data(), self->sending_.size(),
                                          MSG_NOSIGNAL | MSG_DONTWAIT);
                       if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                         self->Close();
                         return;
                       }
                       size_t sent = n > 0 ? static_cast<size_t>(n) : 0;
                       self->worker_.stats().net_output_bytes.Add(sent);
                       self->sending_.erase(0, sent);
                       self->AccountBuffers();
                       if (!self->sending_.empty()) {
                         self->WaitWritable();
                         return;
                       }
                       std::string().swap(self->sending_);
                       self->writing_ = false;
                       self->Pump();
                     });
}

void Connection::DeliverMail() {
  std::vector<Letter> letters = client_.mailbox()->Take();
  if (closed_) return;
  if (client_.mailbox()->overflowed()) {
    // A publisher found this client past its output limit.
    Close();
    return;
  }
  protocol::ReplyBuilder reply(&output_, client_.resp());
  for (const Letter& letter : letters) {
    if (letter.monitor_line) {
      // Lines fed before a RESET ended the monitoring are dropped.
      if (!client_.is_monitor()) continue;
      output_.append(*letter.monitor_line);
    } else {
      // UNSUBSCRIBE writes the letters PUBLISH counted before its reply, so
      // one left here for a channel the client has left was posted before a
      // RESET or a hang-up: a RESP2 client no longer subscribed would take
      // it for the reply to its next command.
      if (!client_.Receives(letter)) continue;
      WriteMessagePush(reply, letter);
    }
    // Checked here, not only when writing: while the socket is full,
    // messages pile up behind the pending write.
    if (PastOutputBufferLimit()) {
      Close();
      return;
    }
  }
  FlushOutput();
  AccountBuffers();  // publishers on other loops check the backlog (Mailbox::Post)
}

bool Connection::PastOutputBufferLimit() {
  // client-output-buffer-limit: the pubsub class for a subscriber (32 MB at
  // once, or 8 MB for 60 seconds by default) and for a monitor (which Redis
  // leaves in the normal class: observability/monitors.h), else the normal
  // class (no limit by default).
  const ServerConfig& config = worker_.engine().config();
  const OutputBufferLimit& limit = client_.subscribed() || client_.is_monitor()
                                       ? config.pubsub_output_limit
                                       : config.normal_output_limit;
  uint64_t hard = limit.hard, soft = limit.soft;
  int64_t soft_ms = limit.soft_seconds * 1000;
  size_t pending = output_.size() + sending_.size();
  int64_t now = worker_.now_ms();
  bool past_soft = false;
  if (soft > 0 && pending > soft) {
    // As in Redis, the first time over the soft limit only starts the clock.
    if (output_over_soft_limit_since_ms_ == 0) {
      output_over_soft_limit_since_ms_ = now;
    } else {
      past_soft = now - output_over_soft_limit_since_ms_ > soft_ms;
    }
  } else {
    output_over_soft_limit_since_ms_ = 0;
  }
  return (hard > 0 && pending > hard) || past_soft;
}

size_t Connection::ReplyCapacity() const {
  // Heap bytes only: a short string's room is inside the Connection.
  auto heap_bytes = [](const std::string& buffer) {
    return buffer.capacity() > std::string().capacity() ? buffer.capacity() : 0;
  };
  return heap_bytes(output_) + heap_bytes(sending_);
}

void Connection::GiveBack(std::string& reply_buffer) {
  reply_peak_ = std::max(reply_peak_, ReplyCapacity());
  std::string().swap(reply_buffer);
}

void Connection::AccountBuffers() {
  const size_t reply_capacity = ReplyCapacity();
  size_t bytes = closed_ ? 0 : input_.capacity() + reply_capacity;
  if (bytes != accounted_bytes_) {
    worker_.engine().AccountClientBytes(
        worker_.id(), static_cast<int64_t>(bytes) - static_cast<int64_t>(accounted_bytes_));
    accounted_bytes_ = bytes;
  }
  // rbp is the peak of the last few seconds, as Redis's (which its client
  // cron restarts every 5 s).
  const int64_t now = worker_.now_ms();
  if (now - reply_peak_since_ms_ >= kReplyPeakPeriodMs) {
    reply_peak_ = 0;
    reply_peak_since_ms_ = now;
  }
  reply_peak_ = std::max(reply_peak_, reply_capacity);
  client_.ReportBuffers({.query = input_.size(),
                         .query_free = input_.capacity() - input_.size(),
                         .replies_waiting = output_.size(),
                         .replies_sending = sending_.size() - send_offset_,
                         .reply_capacity = reply_capacity,
                         .reply_peak = reply_peak_,
                         .allocated = bytes});
}

void Connection::Release() {
  closed_ = true;
  AccountBuffers();
  // The client's subscriptions, watched keys and wait live in shared tables
  // under their own locks: let go of them from the loop, never from inside a
  // command that may hold those locks (a publisher that finds this client
  // over its output limit, a CLIENT KILL of itself).
  asio::post(worker_.io(), [self = shared_from_this()] {
    Worker& worker = self->worker_;
    worker.locks().set_now_ms(worker.now_ms());
    Unwatch(worker, self->client_);
    worker.locks().ReleaseAll();
    worker.engine().pubsub().UnsubscribeAll(self->client_);
    worker.engine().monitors().Remove(self->client_);
    if (std::shared_ptr<BlockedClient> blocked = self->client_.blocked()) {
      self->client_.set_blocked(nullptr);
      CancelBlockedClient(worker, blocked);
    }
  });
}

void Connection::Close() {
  if (closed_) return;
  Release();
  if (ring_) {
    CloseRingSocket();
    worker_.UnregisterConnection(this);
    return;
  }
  asio::error_code error;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, error);
  socket_.close(error);
  worker_.UnregisterConnection(this);
}

void Connection::Finish() {
  if (closed_) return;
  Release();
  worker_.UnregisterConnection(this);
  // Every reply has been handed to the kernel, but some may not have left
  // yet. Closing a socket that still holds unread input makes the kernel
  // send RST at once and drop what is unsent, so the client could lose the
  // last replies (a pipeline behind QUIT or SHUTDOWN, a protocol error).
  // Instead: FIN after the replies, then read and discard until the client
  // closes its side, for a bounded time. The connection no longer counts as
  // a client meanwhile, and a stopping server does not wait for it.
  if (ring_) {
    // The armed receive discards what still comes (OnReceived).
    if (::shutdown(fd_, SHUT_WR) != 0) {
      CloseRingSocket();
      return;
    }
    lingering_ = true;
    ArmReceive();
    linger_timer_ =
        std::make_unique<asio::steady_timer>(worker_.io(), std::chrono::milliseconds(kLingerMs));
    linger_timer_->async_wait([self = shared_from_this()](const asio::error_code& error) {
      if (!error && self->lingering_) self->CloseRingSocket();
    });
    return;
  }
  asio::error_code error;
  // A readable wait still queued would take the next arrival's edge from the
  // discarding read (the reactor stops at an exhausting operation).
  socket_.cancel(error);
  socket_.shutdown(asio::ip::tcp::socket::shutdown_send, error);
  if (error) {
    socket_.close(error);
    return;
  }
  linger_timer_ =
      std::make_unique<asio::steady_timer>(worker_.io(), std::chrono::milliseconds(kLingerMs));
  linger_timer_->async_wait([self = shared_from_this()](const asio::error_code& error) {
    if (error) return;  // the client closed first
    asio::error_code ignored;
    self->socket_.close(ignored);
  });
  DiscardInput();
}

void Connection::DiscardInput() {
  if (!discard_buffer_) discard_buffer_.reset(new char[kDiscardBuffer]);
  socket_.async_read_some(asio::buffer(discard_buffer_.get(), kDiscardBuffer),
                          [self = shared_from_this()](const asio::error_code& error, size_t) {
                            if (!error) {
                              self->DiscardInput();
                              return;
                            }
                            // End of input, or the timer closed the socket.
                            asio::error_code ignored;
                            self->linger_timer_->cancel();
                            self->socket_.close(ignored);
                          });
}

// ---- The io_uring path ----

void Connection::ArmReceive() {
  if (receive_armed_ || (closed_ && !lingering_)) return;
  receive_armed_ = true;
  receive_cancelled_ = false;
  worker_.HoldForRing(shared_from_this());
  ring_->Receive(RingTag(kReceiveOp), fd_);
}

void Connection::OnRingCompletion(const UringLoop::Completion& completion) {
  if (completion.tag == 0) return;  // a cancellation's own completion
  auto* connection = reinterpret_cast<Connection*>(completion.tag & ~uint64_t{kRingOpMask});
  // Held by the loop while the request was in flight; kept to the end of
  // this call, which may close it.
  std::shared_ptr<Connection> self = connection->shared_from_this();
  if ((completion.tag & kRingOpMask) == kReceiveOp) {
    connection->OnReceived(completion);
  } else {
    connection->OnSent(completion.result);
  }
  if (!connection->receive_armed_ && !connection->send_in_flight_)
    connection->worker_.ReleaseFromRing(connection);
}

void Connection::OnReceived(const UringLoop::Completion& completion) {
  if (!completion.more) receive_armed_ = false;
  const int result = completion.result;
  if (lingering_) {
    // Finish: discard until the client closes (or the timer gives up).
    if (result > 0 || result == -ENOBUFS) {
      ArmReceive();
    } else {
      CloseRingSocket();
    }
    return;
  }
  if (closed_) return;
  if (draining_ && result > 0) return;  // shutting down: nothing more runs
  if (result == 0) {                    // the client closed its side
    Close();
    return;
  }
  if (result < 0) {
    // Out of provided buffers, or our own cancellation (the output bound):
    // the receive ends and Pump arms it again when it may.
    if (result != -ENOBUFS && result != -ECANCELED && result != -EINTR) {
      Close();
      return;
    }
  } else {
    worker_.stats().net_input_bytes.Add(result);
    client_.set_last_interaction_ms(worker_.now_ms());
    if (!input_.empty() || suspended() || OutputOverLimit()) {
      input_.Append(completion.data);
      if (input_.size() > worker_.engine().config().client_query_buffer_limit) {
        Close();  // as in Redis, a client past the query buffer limit is dropped
        return;
      }
      input_pending_ = true;
    } else {
      ProcessInput(completion.data, false);
      if (closed_) return;
    }
  }
  // Replies wait to be written: receive nothing more until they are (with
  // epoll the socket is simply not read).
  if (OutputOverLimit() && receive_armed_ && !receive_cancelled_) {
    receive_cancelled_ = true;
    ring_->Cancel(RingTag(kReceiveOp));
  }
  Pump();
}

void Connection::SubmitSend() {
  send_in_flight_ = true;
  worker_.HoldForRing(shared_from_this());
  ring_->Send(RingTag(kSendOp), fd_, sending_.data() + send_offset_,
              sending_.size() - send_offset_);
}

void Connection::OnSent(int result) {
  send_in_flight_ = false;
  if (closed_) return;
  if (result < 0) {
    if (result == -EINTR || result == -EAGAIN) {
      SubmitSend();
    } else {
      Close();
    }
    return;
  }
  worker_.stats().net_output_bytes.Add(result);
  send_offset_ += static_cast<size_t>(result);
  if (send_offset_ < sending_.size()) {  // a short send: the rest follows
    AccountBuffers();
    SubmitSend();
    return;
  }
  sending_.clear();
  send_offset_ = 0;
  if (sending_.capacity() > kIdleBufferBytes) GiveBack(sending_);
  writing_ = false;
  Pump();
}

void Connection::CloseRingSocket() {
  lingering_ = false;
  if (linger_timer_) linger_timer_->cancel();
  // By tag, not by descriptor: the number may belong to a new socket by the
  // time the cancellation is submitted. Requests in flight keep the socket
  // itself open until they complete.
  if (receive_armed_ && !receive_cancelled_) {
    receive_cancelled_ = true;
    ring_->Cancel(RingTag(kReceiveOp));
  }
  if (send_in_flight_) ring_->Cancel(RingTag(kSendOp));
  ::shutdown(fd_, SHUT_RDWR);
  ::close(fd_);
}

}  // namespace emberkv::server
