#include "bench/loadgen/client.h"

#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <deque>

#include "bench/common/key_format.h"
#include "bench/loadgen/key_chooser.h"

namespace emberkv::loadgen {

uint64_t MonotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ULL + static_cast<uint64_t>(ts.tv_nsec);
}

namespace {

constexpr size_t kReadChunk = 64 * 1024;

struct Pending {
  uint64_t scheduled_ns;
  bool is_get;
};

struct Connection {
  ConnectionWork work;
  std::string out;
  size_t out_offset = 0;
  std::string in;               // the start of a reply whose end has not arrived
  std::deque<Pending> pending;  // sent, in order; replies arrive in the same order
  uint64_t sent = 0;
  uint64_t next_send_ns = 0;  // open loop
  bool watching_writes = false;
  bool done = false;  // broken, or nothing more to send and receive
};

class ClientThread {
 public:
  ClientThread(const Options& options, const Wire& wire, const Plan& plan, int thread_index,
               ThreadResult* result)
      : options_(options),
        wire_(wire),
        plan_(plan),
        chooser_(options, options.seed * 1000003 + static_cast<uint64_t>(thread_index)),
        result_(result),
        key_(options.key_prefix.size() + 40, '\0') {}

  void Run(std::vector<ConnectionWork> work);

 private:
  bool Sending(const Connection& c, uint64_t now) const;
  void Generate(Connection& c, uint64_t now);
  void Enqueue(Connection& c, uint64_t scheduled_ns);
  void Flush(Connection& c);
  void Receive(Connection& c);
  // Accounts for the whole replies in data[*offset..]; false if the
  // connection failed.
  bool TakeReplies(Connection& c, std::string_view data, size_t* offset);
  void Fail(Connection& c, std::string why);
  void Watch(Connection& c, bool writes);

  const Options& options_;
  const Wire& wire_;
  const Plan& plan_;
  KeyChooser chooser_;
  ThreadResult* result_;
  std::string key_;  // scratch for the key being formatted
  std::vector<char> read_buffer_ = std::vector<char>(kReadChunk);
  std::vector<Connection> connections_;
  int epoll_fd_ = -1;
  uint64_t interval_ns_ = 0;  // open loop: between one connection's sends
};

void ClientThread::Run(std::vector<ConnectionWork> work) {
  // Wake-ups within a microsecond of the scheduled send, not the default 50.
  prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  connections_.resize(work.size());
  const int total = options_.connections;
  if (options_.mode == Mode::kOpen) {
    interval_ns_ = static_cast<uint64_t>(1e9 * total * options_.pipeline / options_.rate);
  }
  for (size_t i = 0; i < work.size(); ++i) {
    Connection& c = connections_[i];
    c.work = work[i];
    c.next_send_ns = plan_.start_ns + interval_ns_ * static_cast<uint64_t>(c.work.index) / total;
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = i;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, c.work.fd, &event);
  }

  // Every thread starts sending at the same instant.
  timespec start{static_cast<time_t>(plan_.start_ns / 1'000'000'000ULL),
                 static_cast<long>(plan_.start_ns % 1'000'000'000ULL)};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &start, nullptr) == EINTR) {
  }

  std::vector<epoll_event> events(64);
  while (true) {
    uint64_t now = MonotonicNs();
    bool active = false;
    uint64_t wake = plan_.drain_deadline_ns;
    for (Connection& c : connections_) {
      if (c.done) continue;
      Generate(c, now);
      if (!c.out.empty()) Flush(c);
      bool sending = Sending(c, now);
      if (!sending && c.pending.empty()) {
        c.done = true;
        continue;
      }
      active = true;
      if (sending && options_.mode == Mode::kOpen) wake = std::min(wake, c.next_send_ns);
      if (sending) wake = std::min(wake, plan_.end_ns);
    }
    if (!active || now >= plan_.drain_deadline_ns) break;

    timespec timeout{0, 0};
    if (wake > now) {
      uint64_t wait = wake - now;
      timeout.tv_sec = static_cast<time_t>(wait / 1'000'000'000ULL);
      timeout.tv_nsec = static_cast<long>(wait % 1'000'000'000ULL);
    }
    int n =
        epoll_pwait2(epoll_fd_, events.data(), static_cast<int>(events.size()), &timeout, nullptr);
    if (n < 0 && errno != EINTR) {
      result_->failure = std::string("epoll: ") + std::strerror(errno);
      break;
    }
    for (int e = 0; e < n; ++e) {
      Connection& c = connections_[events[e].data.u64];
      if (c.done) continue;
      if (events[e].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) Receive(c);
      if (!c.done && (events[e].events & EPOLLOUT)) Flush(c);
    }
  }
  for (Connection& c : connections_) result_->incomplete += c.pending.size();
  close(epoll_fd_);
}

bool ClientThread::Sending(const Connection& c, uint64_t now) const {
  if (now >= plan_.end_ns) return false;
  return c.work.quota == 0 || c.sent < c.work.quota;
}

void ClientThread::Generate(Connection& c, uint64_t now) {
  if (!Sending(c, now)) return;
  if (options_.mode == Mode::kOpen) {
    while (c.next_send_ns <= now && c.next_send_ns < plan_.end_ns) {
      for (int i = 0; i < options_.pipeline; ++i) Enqueue(c, c.next_send_ns);
      result_->send_lag.Record(now - c.next_send_ns);
      c.next_send_ns += interval_ns_;
    }
    return;
  }
  // Closed loop and fill: the next pipeline leaves when the last one is answered.
  if (!c.pending.empty()) return;
  uint64_t batch = static_cast<uint64_t>(options_.pipeline);
  if (c.work.quota) batch = std::min(batch, c.work.quota - c.sent);
  for (uint64_t i = 0; i < batch; ++i) Enqueue(c, now);
}

void ClientThread::Enqueue(Connection& c, uint64_t scheduled_ns) {
  bool is_get;
  uint64_t key_number;
  if (options_.mode == Mode::kFill) {
    is_get = false;
    key_number = c.work.first_key + c.sent;
  } else {
    is_get = chooser_.NextIsGet();
    key_number = chooser_.Next();
  }
  size_t length =
      bench::FormatKey(options_.key_prefix, options_.key_digits, key_number, key_.data());
  std::string_view key(key_.data(), length);
  if (is_get) {
    wire_.AppendGet(&c.out, key);
  } else {
    wire_.AppendSet(&c.out, key);
  }
  c.pending.push_back({scheduled_ns, is_get});
  ++c.sent;
}

void ClientThread::Watch(Connection& c, bool writes) {
  if (c.watching_writes == writes) return;
  c.watching_writes = writes;
  epoll_event event{};
  event.events = writes ? EPOLLIN | EPOLLOUT : EPOLLIN;
  event.data.u64 = static_cast<uint64_t>(&c - connections_.data());
  epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c.work.fd, &event);
}

void ClientThread::Flush(Connection& c) {
  while (c.out_offset < c.out.size()) {
    ssize_t n =
        send(c.work.fd, c.out.data() + c.out_offset, c.out.size() - c.out_offset, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        Watch(c, true);
        return;
      }
      Fail(c, std::string("send: ") + std::strerror(errno));
      return;
    }
    c.out_offset += static_cast<size_t>(n);
  }
  c.out.clear();
  c.out_offset = 0;
  Watch(c, false);
}

void ClientThread::Receive(Connection& c) {
  while (true) {
    ssize_t n = recv(c.work.fd, read_buffer_.data(), read_buffer_.size(), 0);
    if (n == 0) {
      Fail(c, "the server closed the connection");
      return;
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      Fail(c, std::string("recv: ") + std::strerror(errno));
      return;
    }
    // Replies are parsed where they were read; only a reply cut in two is
    // kept, in c.in, until the rest arrives.
    std::string_view data(read_buffer_.data(), static_cast<size_t>(n));
    if (!c.in.empty()) {
      c.in.append(data);
      data = c.in;
    }
    size_t offset = 0;
    if (!TakeReplies(c, data, &offset)) return;
    if (c.in.empty()) {
      c.in.assign(data.substr(offset));
    } else {
      c.in.erase(0, offset);
    }
    if (static_cast<size_t>(n) < read_buffer_.size()) return;
  }
}

bool ClientThread::TakeReplies(Connection& c, std::string_view data, size_t* offset) {
  // One timestamp for every reply of this read: they all arrived by now.
  const uint64_t now = MonotonicNs();
  while (*offset < data.size()) {
    std::string_view rest = data.substr(*offset);
    if (c.pending.empty()) {
      Fail(c, "a reply arrived for no request: " + std::string(rest.substr(0, 80)));
      return false;
    }
    Pending request = c.pending.front();
    size_t consumed = 0;
    ReplyKind kind = wire_.Read(rest, request.is_get, &consumed);
    if (kind == ReplyKind::kIncomplete) break;
    if (kind == ReplyKind::kMalformed) {
      Fail(c, "malformed reply: " + std::string(rest.substr(0, 80)));
      return false;
    }
    c.pending.pop_front();
    *offset += consumed;
    result_->last_reply_ns = now;
    // Wrong answers count whenever they come, warm-up included.
    if (kind == ReplyKind::kError) {
      ++result_->errors;
      if (result_->first_error.empty())
        result_->first_error = rest.substr(0, std::min<size_t>(consumed, 200));
    } else if (kind == ReplyKind::kUnexpected) {
      ++result_->unexpected;
      if (result_->first_unexpected.empty()) {
        result_->first_unexpected = rest.substr(0, std::min<size_t>(consumed, 200));
      }
    }
    if (request.scheduled_ns < plan_.measure_from_ns || request.scheduled_ns >= plan_.end_ns)
      continue;
    result_->latency.Record(now - request.scheduled_ns);
    ++result_->completed;
    ++(request.is_get ? result_->gets : result_->sets);
    if (kind == ReplyKind::kHit) ++result_->hits;
    if (kind == ReplyKind::kMiss) ++result_->misses;
  }
  return true;
}

void ClientThread::Fail(Connection& c, std::string why) {
  if (result_->failure.empty()) result_->failure = std::move(why);
  c.done = true;
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, c.work.fd, nullptr);
}

}  // namespace

void RunClientThread(const Options& options, const Wire& wire, const Plan& plan, int thread_index,
                     std::vector<ConnectionWork> connections, ThreadResult* result) {
  ClientThread(options, wire, plan, thread_index, result).Run(std::move(connections));
}

}  // namespace emberkv::loadgen
