#include "server/net/io_engine.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "server/net/uring_loop.h"

namespace emberkv::server {
namespace {

// Closes a descriptor at the end of a scope.
struct FdCloser {
  int fd = -1;
  ~FdCloser() {
    if (fd >= 0) close(fd);
  }
};

}  // namespace

std::string_view IoEngineName(IoEngine engine) {
  return engine == IoEngine::kIoUring ? "io_uring" : "epoll";
}

std::string ProbeIoUring() {
  std::string error;
  std::unique_ptr<UringLoop> loop = UringLoop::Create(&error);
  if (!loop) return error;
  // A multishot receive only shows that it works by receiving: kernels
  // before 6.0 reject it only when it runs.
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
    return std::string("socketpair: ") + std::strerror(errno);
  }
  FdCloser left{pair[0]}, right{pair[1]};
  constexpr uint64_t kTag = 1;
  loop->Receive(kTag, left.fd);
  loop->Submit();
  if (write(right.fd, "x", 1) != 1) return std::string("write: ") + std::strerror(errno);
  // The byte is in the socket before the wait, so the completion is due
  // at once; a short poll bounds the wait should the kernel never post it.
  std::string result = "io_uring: no completion for a multishot receive";
  for (int attempt = 0; attempt < 100 && result.starts_with("io_uring: no completion"); ++attempt) {
    loop->Reap([&](const UringLoop::Completion& completion) {
      if (completion.tag != kTag) return;
      if (completion.result < 0) {
        result = std::string("io_uring multishot receive: ") + std::strerror(-completion.result);
      } else if (completion.data != "x" || !completion.more) {
        result = "io_uring: a multishot receive did not deliver into a provided buffer";
      } else {
        result.clear();
      }
    });
    if (result.starts_with("io_uring: no completion")) usleep(1000);
  }
  // The ring's teardown ends the receive before the sockets close.
  loop.reset();
  return result;
}

std::optional<IoEngineChoice> ChooseIoEngine(std::string_view setting, std::string* error) {
  IoEngineChoice choice;
  if (setting == "epoll") {
    choice.log_line = "io-engine: epoll (as configured)";
    return choice;
  }
  std::string refusal = ProbeIoUring();
  if (refusal.empty()) {
    choice.engine = IoEngine::kIoUring;
    choice.log_line =
        std::string("io-engine: io_uring (") + (setting == "auto" ? "auto" : "as configured") + ")";
    return choice;
  }
  if (setting == "io_uring") {
    *error =
        "io-engine io_uring: io_uring cannot be used here: " + refusal +
        " (Docker's and Kubernetes' default seccomp profiles refuse io_uring); use io-engine auto "
        "or epoll";
    return std::nullopt;
  }
  choice.log_line = "io-engine: epoll (auto: io_uring is not available: " + refusal + ")";
  return choice;
}

}  // namespace emberkv::server
