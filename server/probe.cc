#include "server/probe.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>

namespace emberkv::server {
namespace {

using Clock = std::chrono::steady_clock;

int RemainingMs(Clock::time_point deadline) {
  auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

std::string Bulk(std::string_view s) {
  return "$" + std::to_string(s.size()) + "\r\n" + std::string(s) + "\r\n";
}

class Probe {
 public:
  Probe(int timeout_ms) : deadline_(Clock::now() + std::chrono::milliseconds(timeout_ms)) {}
  ~Probe() {
    if (fd_ >= 0) close(fd_);
  }

  // Connects without blocking past the deadline; an error message or "".
  std::string Connect(const std::string& address, int port) {
    sockaddr_storage storage{};
    socklen_t length = 0;
    auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
    if (inet_pton(AF_INET, address.c_str(), &v4->sin_addr) == 1) {
      v4->sin_family = AF_INET;
      v4->sin_port = htons(static_cast<uint16_t>(port));
      length = sizeof(*v4);
    } else if (inet_pton(AF_INET6, address.c_str(), &v6->sin6_addr) == 1) {
      v6->sin6_family = AF_INET6;
      v6->sin6_port = htons(static_cast<uint16_t>(port));
      length = sizeof(*v6);
    } else {
      return "not a numeric address: " + address;
    }
    fd_ = socket(storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd_ < 0) return std::strerror(errno);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&storage), length) != 0) {
      if (errno != EINPROGRESS) return std::strerror(errno);
      pollfd p{fd_, POLLOUT, 0};
      if (poll(&p, 1, RemainingMs(deadline_)) != 1) return "timed out connecting";
      int error = 0;
      socklen_t size = sizeof(error);
      getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &size);
      if (error != 0) return std::strerror(error);
    }
    return "";
  }

  bool Send(const std::string& data) {
    size_t sent = 0;
    while (sent < data.size()) {
      ssize_t n = send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n > 0) {
        sent += static_cast<size_t>(n);
      } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        pollfd p{fd_, POLLOUT, 0};
        if (poll(&p, 1, RemainingMs(deadline_)) != 1) return false;
      } else {
        return false;
      }
    }
    return true;
  }

  // The next reply line without its CRLF, or nullopt on timeout or close.
  std::optional<std::string> ReadLine() {
    while (true) {
      if (size_t end = buffer_.find("\r\n"); end != std::string::npos) {
        std::string line = buffer_.substr(0, end);
        buffer_.erase(0, end + 2);
        return line;
      }
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, RemainingMs(deadline_)) != 1) return std::nullopt;
      char chunk[512];
      ssize_t n = recv(fd_, chunk, sizeof(chunk), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return std::nullopt;
      buffer_.append(chunk, static_cast<size_t>(n));
      if (buffer_.size() > 64 * 1024) return std::nullopt;
    }
  }

 private:
  Clock::time_point deadline_;
  int fd_ = -1;
  std::string buffer_;
};

// Where a server bound to `bind` can be reached from its own host.
std::string ProbeAddress(const std::string& bind) {
  std::string address = bind;
  if (!address.empty() && address.front() == '-') address.erase(0, 1);  // Redis's "optional" mark
  if (address.empty() || address == "*" || address == "0.0.0.0") return "127.0.0.1";
  if (address == "::" || address == "::*") return "::1";
  return address;
}

}  // namespace

int RunProbe(const ServerConfig& config, int timeout_ms) {
  std::string address = ProbeAddress(config.bind.empty() ? "" : config.bind.front());
  Probe probe(timeout_ms);
  if (std::string error = probe.Connect(address, config.port); !error.empty()) {
    std::fprintf(stderr, "emberkv --probe: %s:%d: %s\n", address.c_str(), config.port,
                 error.c_str());
    return 1;
  }
  std::string request;
  if (!config.requirepass.empty()) request += "*2\r\n" + Bulk("AUTH") + Bulk(config.requirepass);
  request += "*1\r\n" + Bulk("PING");
  if (!probe.Send(request)) {
    std::fprintf(stderr, "emberkv --probe: %s:%d: could not send\n", address.c_str(), config.port);
    return 1;
  }
  if (!config.requirepass.empty()) {
    std::optional<std::string> auth = probe.ReadLine();
    if (auth != "+OK") {
      std::fprintf(stderr, "emberkv --probe: AUTH answered '%s'\n",
                   auth ? auth->c_str() : "(nothing)");
      return 1;
    }
  }
  std::optional<std::string> reply = probe.ReadLine();
  if (reply != "+PONG") {
    std::fprintf(stderr, "emberkv --probe: PING answered '%s'\n",
                 reply ? reply->c_str() : "(nothing in time)");
    return 1;
  }
  return 0;
}

}  // namespace emberkv::server
