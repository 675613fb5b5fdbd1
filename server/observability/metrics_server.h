// The HTTP listener for scrapers and probes (--metrics-port, --metrics-bind):
//
//   GET /metrics   the Prometheus text format (prometheus.h)
//   GET /healthz   200 while the process serves (liveness)
//   GET /readyz    200 while the server accepts commands, 503 from the
//                  moment shutdown begins (readiness: Engine::accepting())
//
// It runs on worker 0's io_context, beside the client listener, rather than
// on a thread of its own: a scrape is one small request every few seconds,
// and its work is a message to every worker (each copies its own counters)
// plus formatting on worker 0, tens to hundreds of microseconds; an extra
// thread would wake on two shared cores for that and add locking. It also
// makes /healthz honest: it answers only while a worker's loop turns.
//
// The request comes from the network: at most HttpRequestParser's header
// limit, kRequestTimeout to send it and its answer, kMaxSessions connections
// at once (a new one replaces the oldest that has not sent a request yet, so
// idle connections cannot lock probes out); a bad request gets 400 (431,
// 505) and a close.
//
// Thread safety: Open() before the workers start; Start() and Close() on
// worker 0.
#pragma once

#include <asio/ip/tcp.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace emberkv::server {

class Engine;
class MetricsSession;

class MetricsServer {
 public:
  static constexpr std::chrono::seconds kRequestTimeout{10};
  static constexpr int kMaxSessions = 64;

  explicit MetricsServer(Engine& engine);
  ~MetricsServer();

  // Binds metrics-bind:metrics-port (a free port when it is 0); returns an
  // error message on failure.
  std::optional<std::string> Open();
  void Start();
  // Stops accepting and closes every connection.
  void Close();
  bool open() const { return acceptor_ != nullptr; }
  int port() const { return port_; }
  const std::string& address() const { return address_; }

  // What the sessions share with the server; outlives it while they do.
  struct Shared {
    Engine* engine;
    int sessions = 0;
    bool closed = false;
    std::vector<std::weak_ptr<MetricsSession>> live;  // for Close()
  };

 private:
  void Accept();

  Engine& engine_;
  std::shared_ptr<Shared> shared_;
  std::unique_ptr<asio::ip::tcp::acceptor> acceptor_;
  std::string address_;
  int port_ = 0;
};

}  // namespace emberkv::server
