#include "server/net/listener.h"

#include <sys/socket.h>

#include "server/engine/engine.h"
#include "server/net/connection.h"

namespace emberkv::server {

std::optional<std::string> Listener::Open() {
  Worker& home = engine_.worker(0);
  int port = engine_.config().port;
  for (const std::string& address_text : engine_.config().bind) {
    asio::error_code error;
    asio::ip::address address = asio::ip::make_address(address_text, error);
    if (error) return "invalid bind address '" + address_text + "'";
    auto acceptor = std::make_unique<asio::ip::tcp::acceptor>(home.io());
    asio::ip::tcp::endpoint endpoint(address, static_cast<unsigned short>(port));
    acceptor->open(endpoint.protocol(), error);
    if (!error) acceptor->set_option(asio::ip::tcp::acceptor::reuse_address(true), error);
    if (!error) acceptor->bind(endpoint, error);
    if (!error) acceptor->listen(511, error);
    if (error) return "could not listen on " + address_text + ":" + std::to_string(port) + ": " + error.message();
    // With port 0 the first address picks a port and the others reuse it.
    port = acceptor->local_endpoint().port();
    acceptors_.push_back(std::move(acceptor));
  }
  port_ = port;
  return std::nullopt;
}

void Listener::Start() {
  for (size_t i = 0; i < acceptors_.size(); ++i) Accept(i);
}

void Listener::Close() {
  for (auto& acceptor : acceptors_) {
    asio::error_code error;
    acceptor->close(error);
  }
}

void Listener::Accept(size_t index) {
  Worker& target = engine_.worker(static_cast<int>(next_worker_++ % engine_.shard_count()));
  acceptors_[index]->async_accept(target.io(), [this, index, &target](const asio::error_code& error,
                                                                      asio::ip::tcp::socket socket) {
    if (error == asio::error::operation_aborted || !acceptors_[index]->is_open()) return;
    if (!error) {
      Worker& home = engine_.worker(0);
      ++home.stats().connections_received;
      int64_t clients = engine_.connected_clients().fetch_add(1, std::memory_order_relaxed);
      if (clients >= engine_.config().maxclients) {
        engine_.connected_clients().fetch_sub(1, std::memory_order_relaxed);
        ++home.stats().rejected_connections;
        static constexpr char kRefusal[] = "-ERR max number of clients reached\r\n";
        [[maybe_unused]] ssize_t n =
            ::send(socket.native_handle(), kRefusal, sizeof(kRefusal) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
        asio::error_code ignored;
        socket.close(ignored);
      } else {
        // The socket already belongs to the target's reactor; move it there.
        auto moved = std::make_shared<asio::ip::tcp::socket>(std::move(socket));
        home.Send(target.id(), MakeMessage([moved] {
          Worker* here = Worker::Current();
          std::make_shared<Connection>(*here, std::move(*moved))->Start();
        }));
      }
    }
    Accept(index);
  });
}

}  // namespace emberkv::server
