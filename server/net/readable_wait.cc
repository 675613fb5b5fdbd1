#include "server/net/readable_wait.h"

#include <asio/detail/epoll_reactor.hpp>
#include <type_traits>
#include <utility>

namespace emberkv::server {
namespace {

static_assert(std::is_same_v<asio::detail::reactor, asio::detail::epoll_reactor>,
              "ReadableWait is written for asio's epoll reactor");

// The socket's per-descriptor reactor state is in a protected member of
// basic_socket; a derived class may name it, and the pointer to that member
// then applies to any socket.
struct SocketInternals : asio::ip::tcp::socket {
  static asio::detail::epoll_reactor::per_descriptor_data& ReactorData(
      asio::ip::tcp::socket& socket) {
    return (socket.*&SocketInternals::impl_).get_implementation().reactor_data_;
  }
};

}  // namespace

ReadableWait::ReadableWait(Callback callback, void* target)
    : reactor_op(asio::error_code(), &ReadableWait::Perform, &ReadableWait::Complete),
      callback_(callback),
      target_(target) {}

void ReadableWait::Arm(asio::ip::tcp::socket& socket, std::shared_ptr<void> keep_alive) {
  keep_alive_ = std::move(keep_alive);
  ec_ = asio::error_code();
  bytes_transferred_ = 0;
  auto& reactor = asio::use_service<asio::detail::epoll_reactor>(
      asio::query(socket.get_executor(), asio::execution::context));
  // allow_speculative: complete at once if an edge came since the last
  // exhausting operation, else queue without touching the registration.
  reactor.start_op(asio::detail::epoll_reactor::read_op, socket.native_handle(),
                   SocketInternals::ReactorData(socket), this, /*is_continuation=*/false,
                   /*allow_speculative=*/true);
}

asio::detail::reactor_op::status ReadableWait::Perform(reactor_op*) {
  // The caller reads until a short read, so whenever this completes the
  // socket will have been drained before the next wait is armed.
  return done_and_exhausted;
}

void ReadableWait::Complete(void* owner, asio::detail::operation* base, const asio::error_code&,
                            std::size_t) {
  auto* wait = static_cast<ReadableWait*>(base);
  // The owner lives through the callback, and may arm again inside it.
  std::shared_ptr<void> keep_alive = std::move(wait->keep_alive_);
  if (owner == nullptr) return;              // the loop is being destroyed: no callback
  const asio::error_code error = wait->ec_;  // Arm resets it
  wait->callback_(wait->target_, error);
}

}  // namespace emberkv::server
