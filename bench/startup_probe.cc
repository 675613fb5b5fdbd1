// startup_probe: how long a server takes from exec to its first answer.
//
//   startup_probe [--runs 20] [--protocol resp|memcache] [--timeout 10] -- server args...
//
// Each run picks a free loopback port, substitutes it for "{port}" in the
// arguments, forks, starts the clock and execs the server (its output goes
// to /dev/null). It then tries to connect every 100 us and, once connected,
// sends PING (memcache: "version") and stops the clock when the reply line
// arrives. The server's resident memory at that moment is read from /proc,
// then it is stopped (SIGTERM, SIGKILL after 5 s). Prints one JSON line with
// the median, min and max over the runs. Written in C++ so that no
// interpreter's start-up noise lands in the figure.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int port = -1;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

// One attempt to connect and get a reply line; false if not (yet) possible.
bool Ask(int port, const std::string& request, const std::string& expect, int timeout_ms) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = false;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(request.size())) {
    std::string got;
    pollfd p{fd, POLLIN, 0};
    while (got.find('\n') == std::string::npos && poll(&p, 1, timeout_ms) == 1) {
      char buf[256];
      ssize_t n = recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) break;
      got.append(buf, static_cast<size_t>(n));
    }
    ok = got.starts_with(expect);
  }
  close(fd);
  return ok;
}

long ResidentKb(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmRSS:")) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return -1;
}

void Stop(pid_t pid) {
  kill(pid, SIGTERM);
  auto deadline = Clock::now() + std::chrono::seconds(5);
  while (Clock::now() < deadline) {
    if (waitpid(pid, nullptr, WNOHANG) == pid) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
}

struct Sample {
  double ms;
  long rss_kb;
};

// One start; nullopt when the server exited or did not answer in time.
std::optional<Sample> StartOnce(const std::vector<std::string>& command, bool memcache,
                                double timeout_s) {
  int port = FreePort();
  std::vector<std::string> args = command;
  for (std::string& arg : args) {
    for (size_t at; (at = arg.find("{port}")) != std::string::npos;)
      arg.replace(at, 6, std::to_string(port));
  }
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);

  auto start = Clock::now();
  pid_t pid = fork();
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the probe
    freopen("/dev/null", "w", stdout);
    freopen("/dev/null", "w", stderr);
    execvp(argv[0], argv.data());
    _exit(127);
  }
  const std::string request = memcache ? "version\r\n" : "*1\r\n$4\r\nPING\r\n";
  const std::string expect = memcache ? "VERSION" : "+PONG";
  auto deadline = start + std::chrono::duration<double>(timeout_s);
  while (Clock::now() < deadline) {
    if (Ask(port, request, expect, 1000)) {
      double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
      Sample sample{ms, ResidentKb(pid)};
      Stop(pid);
      return sample;
    }
    if (waitpid(pid, nullptr, WNOHANG) == pid) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  Stop(pid);
  return std::nullopt;
}

int Usage() {
  std::fprintf(
      stderr,
      "usage: startup_probe [--runs N] [--protocol resp|memcache] [--timeout S] -- server args...\n"
      "       (\"{port}\" in the arguments becomes a free loopback port)\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 20;
  bool memcache = false;
  double timeout_s = 10;
  int i = 1;
  for (; i < argc && std::strcmp(argv[i], "--") != 0; ++i) {
    std::string arg = argv[i];
    if (i + 1 >= argc) return Usage();
    if (arg == "--runs")
      runs = std::atoi(argv[++i]);
    else if (arg == "--timeout")
      timeout_s = std::atof(argv[++i]);
    else if (arg == "--protocol")
      memcache = std::strcmp(argv[++i], "memcache") == 0;
    else
      return Usage();
  }
  if (i + 1 >= argc || runs < 1) return Usage();
  std::vector<std::string> command(argv + i + 1, argv + argc);

  std::vector<Sample> samples;
  int failures = 0;
  // A run can fail when another process takes the chosen port first: retry a few.
  while (static_cast<int>(samples.size()) < runs && failures < 3) {
    if (auto sample = StartOnce(command, memcache, timeout_s)) {
      samples.push_back(*sample);
    } else {
      ++failures;
    }
  }
  if (static_cast<int>(samples.size()) < runs) {
    std::printf("{\"ok\":false,\"runs\":%zu,\"failures\":%d}\n", samples.size(), failures);
    std::fprintf(stderr, "startup_probe: %s did not answer\n", command[0].c_str());
    return 1;
  }
  std::vector<double> ms;
  std::vector<long> rss;
  for (const Sample& s : samples) {
    ms.push_back(s.ms);
    rss.push_back(s.rss_kb);
  }
  std::sort(ms.begin(), ms.end());
  std::sort(rss.begin(), rss.end());
  auto median = [](const auto& v) {
    return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
  };
  std::printf(
      "{\"ok\":true,\"runs\":%d,\"median_ms\":%.3f,\"min_ms\":%.3f,\"max_ms\":%.3f,\"median_rss_"
      "kb\":%ld}\n",
      runs, median(ms), ms.front(), ms.back(), median(rss));
  return 0;
}
