// Which socket I/O a server's loops use: epoll (through asio) or io_uring
// (net/uring_loop.h), chosen once at start from the io-engine setting.
//
// "auto" probes io_uring and falls back to epoll when it cannot work: a
// kernel without it, io_uring disabled by sysctl, or a seccomp profile that
// refuses io_uring_setup (Docker's and Kubernetes' default profiles do,
// with EPERM). "io_uring" insists: the server does not start without it.
// "epoll" never tries.
//
// Thread safety: ChooseIoEngine runs once, before the loops start.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace emberkv::server {

enum class IoEngine { kEpoll, kIoUring };

// INFO's multiplexing_api: "epoll" or "io_uring".
std::string_view IoEngineName(IoEngine engine);

struct IoEngineChoice {
  IoEngine engine = IoEngine::kEpoll;
  // One line for the log: what is used and, after a fallback, why.
  std::string log_line;
};

// Resolves the io-engine setting ("auto", "epoll" or "io_uring"). Returns
// the choice, or nullopt and `error` when io_uring was asked for and cannot
// work.
std::optional<IoEngineChoice> ChooseIoEngine(std::string_view setting, std::string* error);

// Whether io_uring works here with every feature the io_uring path uses: a
// ring, a provided-buffer ring, and a multishot receive that delivers into
// it, tried on a socket pair. Empty when it does; else what refused.
std::string ProbeIoUring();

}  // namespace emberkv::server
