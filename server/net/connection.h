// One client's socket: reading requests, writing replies, and the flow
// control between the two. What the client is (its settings, transaction,
// subscriptions) is its Client (client/client.h); what runs its commands is
// its Pipeline (dispatch/pipeline.h).
//
// Reading. A connection waits for readability (net/readable_wait.h: no read
// is tried before the kernel says data is there), then reads once into the
// loop's 64 KiB buffer. A read that fills the buffer means more may be
// waiting, and the next read follows at once (at most kReadsPerTurn before
// other connections get their turn); a shorter one means the socket is
// drained, and the connection waits again. Only an incomplete command's
// bytes are kept, in the connection's own buffer, which grows with what has
// arrived (never with what a header announced). So a request-response client
// costs one recv and one send per request.
//
// Writing. Replies accumulate in the output buffer and leave with one send
// at the end of the loop's turn, every connection's together (as Redis
// writes before it sleeps). A full socket hands the rest to asio, which
// waits for room.
//
// Flow control. While unsent replies exceed Pipeline::kOutputPauseBytes, or
// the client waits (a blocking command, CLIENT PAUSE), no command is run;
// the socket is still read while the client waits, so that a hang-up ends
// the wait at once (what it sends meanwhile is kept, up to the query buffer
// limit).
//
// With io_uring (net/io_engine.h) only the socket I/O differs: the socket
// leaves asio, one multishot receive stays armed for it (net/uring_loop.h)
// and each arrival is run as a read would be; the replies of a turn leave as
// one send request, submitted with every other connection's at the turn's
// end. Past the output bound the receive is cancelled, and armed again once
// the replies are written, so the bound holds as with epoll.
//
// Thread safety: everything runs on the owning loop. Other loops reach a
// connection only by message (a blocked client's reply, a published
// message, CLIENT KILL), holding it by weak_ptr.
#pragma once

#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "server/client/client.h"
#include "server/dispatch/pipeline.h"
#include "server/net/io_buffer.h"
#include "server/net/readable_wait.h"
#include "server/net/uring_loop.h"

namespace emberkv::server {

class Worker;

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(Worker& worker, asio::ip::tcp::socket socket);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void Start();
  // Writes pending replies now (the loop calls it at the end of a turn).
  void WriteNow();

  // A completion of one of a connection's ring requests (the loop reaps
  // them; see Worker::Run).
  static void OnRingCompletion(const UringLoop::Completion& completion);

  Client& client() { return client_; }
  Worker& worker() { return worker_; }

  // ---- From the loop's messages and timers ----
  // A blocked command's wait is over: its reply (empty when it has none to
  // send) goes out, and the commands read meanwhile run.
  void EndBlockedWait(std::string_view reply);
  // Writes out the messages waiting in the client's mailbox
  // (pubsub/mailbox.h), encoded for its protocol. A subscriber whose unsent
  // output passes the pub/sub output limit is disconnected.
  void DeliverMail();
  // A pause ended: the command it held back runs.
  void ResumeAfterPause();
  // Shutdown: reads nothing more; runs what was already read, writes the
  // replies, then closes.
  void Drain();

  // Closes the connection once the replies so far are written (QUIT).
  void CloseAfterReply() { close_after_reply_ = true; }
  bool closing() const { return close_after_reply_ || closed_; }
  // Closes the connection now (CLIENT KILL, errors, limits).
  void Close();
  bool closed() const { return closed_; }

 private:
  // Drives the connection: writes what is ready, runs what was read, reads
  // when the socket has data, until it must wait for something.
  void Pump();
  void WaitReadable();
  static void OnReadable(void* target, const asio::error_code& error);
  // One recv; false when nothing came (or the connection closed).
  bool ReadOnce();
  // Runs the commands in `data` (the input buffer's contents, or a fresh
  // read that the input buffer does not hold).
  void ProcessInput(std::string_view data, bool data_is_input_buffer);
  bool suspended() const { return client_.is_blocked() || pipeline_.holding_command(); }
  bool OutputOverLimit() const {
    return output_.size() + sending_.size() > Pipeline::kOutputPauseBytes;
  }
  // Schedules the pending replies for the end of the loop's turn.
  void FlushOutput();
  void WaitWritable();
  // Whether unsent replies are past client-output-buffer-limit for this
  // client's class (keeps the time the soft limit was first passed).
  bool PastOutputBufferLimit();
  // Tells the client and the memory accounting what the buffers take.
  void AccountBuffers();
  // Frees an idle reply buffer that grew large (rbp remembers its size).
  void GiveBack(std::string& reply_buffer);
  // Heap bytes of the reply buffers (CLIENT LIST's rbs).
  size_t ReplyCapacity() const;
  // Ends the client's state (subscriptions, watches, a wait); the socket is
  // left to the caller.
  void Release();
  // Closes once every reply is written (close_after_reply_): sends FIN and
  // discards input until the client closes, so no reply is lost to a RST.
  void Finish();
  void DiscardInput();

  // ---- The io_uring path ----
  enum RingOp : uint64_t { kReceiveOp = 1, kSendOp = 2, kRingOpMask = 3 };
  uint64_t RingTag(RingOp op) const { return reinterpret_cast<uint64_t>(this) | op; }
  void ArmReceive();
  void OnReceived(const UringLoop::Completion& completion);
  void SubmitSend();
  void OnSent(int result);
  // Cancels the ring's requests and closes the descriptor.
  void CloseRingSocket();

  Worker& worker_;
  asio::ip::tcp::socket socket_;
  const int fd_;
  Client client_;
  Pipeline pipeline_;
  ReadableWait readable_wait_{&Connection::OnReadable, this};  // with epoll

  IoBuffer input_;              // bytes of an incomplete command, or read while suspended
  std::string output_;          // replies not yet handed to the socket
  std::string sending_;         // replies the socket is taking now
  bool readable_ = false;       // the last read filled the buffer: more may wait
  bool input_pending_ = false;  // input_ may hold whole commands not yet run
  bool writing_ = false;        // an async_wait for writing is pending
  bool write_scheduled_ = false;
  bool closed_ = false;
  bool close_after_reply_ = false;
  bool draining_ = false;
  size_t accounted_bytes_ = 0;  // buffer bytes last added to the memory count
  size_t reply_peak_ = 0;       // the most reply capacity since reply_peak_since_ms_
  int64_t reply_peak_since_ms_ = 0;
  int64_t output_over_soft_limit_since_ms_ = 0;
  std::unique_ptr<asio::steady_timer> linger_timer_;  // bounds Finish's wait
  std::unique_ptr<char[]> discard_buffer_;

  UringLoop* const ring_;           // the loop's ring, or nullptr with epoll
  bool receive_armed_ = false;      // a multishot receive is in the ring
  bool receive_cancelled_ = false;  // ... and its cancellation too
  bool send_in_flight_ = false;     // sending_ is in the ring
  size_t send_offset_ = 0;          // bytes of sending_ already sent
  bool lingering_ = false;          // Finish waits for the client's FIN
};

}  // namespace emberkv::server
