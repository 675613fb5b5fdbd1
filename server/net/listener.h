// Accepts client connections on the configured addresses and hands each to a
// worker, round robin. Accepting runs on worker 0's loop; the accepted socket
// is registered with its new worker's reactor and moved there by a message.
//
// Thread safety: Open() before the workers start; Close() from worker 0.
#pragma once

#include <asio/ip/tcp.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace emberkv::server {

class Engine;

class Listener {
 public:
  explicit Listener(Engine& engine) : engine_(engine) {}

  // Binds every configured address; returns an error message on failure.
  std::optional<std::string> Open();
  // Starts accepting.
  void Start();
  // Stops accepting; must run on worker 0's thread.
  void Close();
  // The port actually bound (differs from the configured one for port 0).
  int port() const { return port_; }

 private:
  void Accept(size_t index);

  Engine& engine_;
  std::vector<std::unique_ptr<asio::ip::tcp::acceptor>> acceptors_;
  size_t next_worker_ = 0;
  int port_ = 0;
};

}  // namespace emberkv::server
