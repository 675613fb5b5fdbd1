#include "server/net/listener.h"

#include <sys/socket.h>

#include "server/engine/engine.h"
#include "server/net/connection.h"

namespace emberkv::server {
namespace {

// Redis 7.0's words, byte for byte (clients and operators search for them).
constexpr char kProtectedModeRefusal[] =
    "-DENIED Redis is running in protected mode because protected mode is enabled and no password "
    "is "
    "set for the default user. In this mode connections are only accepted from the loopback "
    "interface. If you want to connect from external computers to Redis you may adopt one of the "
    "following solutions: 1) Just disable protected mode sending the command 'CONFIG SET "
    "protected-mode no' from the loopback interface by connecting to Redis from the same host the "
    "server is running, however MAKE SURE Redis is not publicly accessible from internet if you do "
    "so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable "
    "the "
    "protected mode by editing the Redis configuration file, and setting the protected mode option "
    "to 'no', and then restarting the server. 3) If you started the server manually just for "
    "testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication "
    "password for the default user. NOTE: You only need to do one of the above things in order for "
    "the server to start accepting connections from the outside.\r\n";

bool IsLoopback(const asio::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).is_loopback();
  }
  return address.is_loopback();
}

// Protected mode, as in Redis 7: with no password set, a client that is not
// on the loopback interface is refused (whatever the bind addresses).
bool RefusedByProtectedMode(const ServerConfig& config, const asio::ip::tcp::socket& socket) {
  if (!config.protected_mode || !config.requirepass.empty()) return false;
  asio::error_code error;
  asio::ip::tcp::endpoint peer = socket.remote_endpoint(error);
  return !error && !IsLoopback(peer.address());
}

// Sends a refusal on a new connection (its send buffer is empty, so it
// fits) and closes it.
void Refuse(asio::ip::tcp::socket& socket, std::string_view refusal) {
  [[maybe_unused]] ssize_t n =
      ::send(socket.native_handle(), refusal.data(), refusal.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  asio::error_code ignored;
  socket.close(ignored);
}

}  // namespace

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
    if (error)
      return "could not listen on " + address_text + ":" + std::to_string(port) + ": " +
             error.message();
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
  Worker& target = engine_.worker(static_cast<int>(next_worker_++ % engine_.worker_count()));
  acceptors_[index]->async_accept(target.io(), [this, index, &target](
                                                   const asio::error_code& error,
                                                   asio::ip::tcp::socket socket) {
    if (error == asio::error::operation_aborted || !acceptors_[index]->is_open()) return;
    if (!error) {
      Worker& home = engine_.worker(0);
      home.stats().connections_received.Add(1);
      int64_t clients = engine_.connected_clients().fetch_add(1, std::memory_order_relaxed);
      if (clients >= engine_.config().maxclients) {
        engine_.connected_clients().fetch_sub(1, std::memory_order_relaxed);
        home.stats().rejected_connections.Add(1);
        Refuse(socket, "-ERR max number of clients reached\r\n");
      } else if (RefusedByProtectedMode(engine_.config(), socket)) {
        engine_.connected_clients().fetch_sub(1, std::memory_order_relaxed);
        home.stats().rejected_connections.Add(1);
        Refuse(socket, std::string_view(kProtectedModeRefusal, sizeof(kProtectedModeRefusal) - 1));
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
