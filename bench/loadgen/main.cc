// loadgen: emberkv's load generator. Opens the connections, shares them out
// among threads, runs them to a common plan and prints the report. See
// options.cc's Usage() for the command line and client.h for how the open
// loop stays free of coordinated omission.
//
// Exit status: 0 when every request got a fitting reply (error replies such
// as OOM count as fitting; they are reported), 1 when a connection failed, a
// reply was malformed or did not answer its request, or replies were missing
// at the end; 2 for a bad command line.
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "bench/loadgen/client.h"
#include "bench/loadgen/options.h"
#include "bench/loadgen/report.h"
#include "bench/loadgen/wire.h"

namespace emberkv::loadgen {
namespace {

constexpr uint64_t kSecond = 1'000'000'000ULL;
// Fills and runs of a fixed request count end when their last reply is in;
// this limit only stops one whose server stopped answering.
constexpr uint64_t kCountedRunLimit = 24 * 3600 * kSecond;
// Time for the threads to start before the first scheduled send.
constexpr uint64_t kStartDelay = 20'000'000;

// Returns a connected non-blocking socket, or -1 with *error set.
int Connect(const Options& options, std::string* error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  std::string port = std::to_string(options.port);
  if (int rc = getaddrinfo(options.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    error->assign(options.host).append(": ").append(gai_strerror(rc));
    return -1;
  }
  int fd = -1;
  for (addrinfo* a = found; a && fd < 0; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    if (connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      error->assign(options.host)
          .append(":")
          .append(port)
          .append(": ")
          .append(std::strerror(errno));
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(found);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

int Run(Options& options) {
  const bool counted = options.mode == Mode::kFill || options.requests > 0;
  const uint64_t total = options.mode == Mode::kFill ? options.keys : options.requests;
  // Every connection must have something to do: a quota of 0 means "no limit".
  if (counted && total < static_cast<uint64_t>(options.connections)) {
    options.connections = static_cast<int>(total);
  }
  if (options.threads > options.connections) options.threads = options.connections;

  std::vector<std::vector<ConnectionWork>> per_thread(options.threads);
  for (int i = 0; i < options.connections; ++i) {
    ConnectionWork work;
    std::string error;
    work.fd = Connect(options, &error);
    if (work.fd < 0) {
      std::fprintf(stderr, "loadgen: cannot connect: %s\n", error.c_str());
      return 1;
    }
    work.index = i;
    if (counted) {
      // Connection i takes the i-th share of the keys (fill) or requests.
      uint64_t first = total * i / options.connections;
      uint64_t next = total * (i + 1) / options.connections;
      work.first_key = first;
      work.quota = next - first;
    }
    per_thread[i % options.threads].push_back(work);
  }

  Plan plan;
  plan.start_ns = MonotonicNs() + kStartDelay;
  plan.measure_from_ns = plan.start_ns + static_cast<uint64_t>(options.warmup_s * kSecond);
  if (counted) plan.measure_from_ns = plan.start_ns;
  plan.end_ns = plan.start_ns +
                (counted ? kCountedRunLimit : static_cast<uint64_t>(options.duration_s * kSecond));
  plan.drain_deadline_ns = plan.end_ns + static_cast<uint64_t>(options.drain_timeout_s * kSecond);

  const Wire wire(options);
  std::vector<ThreadResult> results(options.threads);
  std::vector<std::thread> threads;
  for (int t = 0; t < options.threads; ++t) {
    threads.emplace_back(RunClientThread, std::cref(options), std::cref(wire), std::cref(plan), t,
                         per_thread[t], &results[t]);
  }
  for (std::thread& thread : threads) thread.join();
  for (const auto& works : per_thread) {
    for (const ConnectionWork& work : works) close(work.fd);
  }

  Summary summary = Summarize(options, plan, results);
  std::printf("%s\n", JsonLine(options, summary).c_str());
  std::fflush(stdout);
  if (!options.quiet) std::fputs(HumanReport(options, summary).c_str(), stderr);
  return summary.ok() ? 0 : 1;
}

}  // namespace
}  // namespace emberkv::loadgen

int main(int argc, char** argv) {
  emberkv::loadgen::Options options;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::fputs(emberkv::loadgen::Usage().c_str(), stdout);
      return 0;
    }
  }
  if (auto error = emberkv::loadgen::ParseOptions(argc, argv, &options)) {
    std::fprintf(stderr, "loadgen: %s\n\n%s", error->c_str(), emberkv::loadgen::Usage().c_str());
    return 2;
  }
  return emberkv::loadgen::Run(options);
}
