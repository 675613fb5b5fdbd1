// Waiting for a socket to become readable through asio's epoll reactor,
// without the epoll_ctl that asio's own async_wait makes on every wait.
//
// Why. socket.async_wait(wait_read) cannot know whether the edge it waits
// for came before it was queued, so asio re-arms the descriptor
// (EPOLL_CTL_MOD) on every call: for a client that sends one request at a
// time that is a third system call per request, beside recv and send
// (counted with `perf stat -e syscalls:sys_enter_epoll_ctl` around
// redis-benchmark -P 1: one per request). The reactor already keeps, per
// descriptor, whether an edge came since an operation last found the socket
// exhausted (its "try speculative" flag; it sets the flag on every event,
// with or without an operation queued). A wait that reports itself as
// exhausting lets the reactor use that record instead: armed after an edge,
// it completes at once; armed with nothing new, it is queued with no system
// call, and the next edge completes it.
//
// The contract this relies on: the caller arms only after a read found the
// socket drained (a short read), or before its first read. An edge that comes
// between that read and the arming is not lost: the reactor records it.
//
// This reaches into asio::detail (reactor_op, epoll_reactor::start_op, the
// socket's per-descriptor data) of the asio that Debian packages (1.22);
// tests/integration's epoll runs and the system-call count in bench/compare
// show at once if an upgrade changes them.
//
// Thread safety: as the socket's; one wait at a time per ReadableWait.
#pragma once

#include <asio/detail/reactor.hpp>
#include <asio/detail/reactor_op.hpp>
#include <asio/ip/tcp.hpp>
#include <cstddef>
#include <memory>

namespace emberkv::server {

class ReadableWait : private asio::detail::reactor_op {
 public:
  // Runs once per wait, on the socket's loop: with no error when the socket
  // may be read, or with the error that ended the wait (operation_aborted
  // when the socket is closed or the wait cancelled).
  using Callback = void (*)(void* target, const asio::error_code& error);

  ReadableWait(Callback callback, void* target);
  ReadableWait(const ReadableWait&) = delete;
  ReadableWait& operator=(const ReadableWait&) = delete;

  bool pending() const { return keep_alive_ != nullptr; }

  // Waits for `socket` (registered with its loop's reactor) to become
  // readable. `keep_alive` (the owner of this object) is held until the
  // callback has run, or until the loop is destroyed with the wait pending.
  void Arm(asio::ip::tcp::socket& socket, std::shared_ptr<void> keep_alive);

 private:
  static status Perform(reactor_op* op);
  static void Complete(void* owner, asio::detail::operation* base, const asio::error_code& result,
                       std::size_t bytes);

  const Callback callback_;
  void* const target_;
  std::shared_ptr<void> keep_alive_;
};

}  // namespace emberkv::server
