#include "server/net/connection.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <asio/post.hpp>
#include <asio/write.hpp>

#include <cerrno>

#include "server/command_table.h"
#include "server/dispatch/key_prefetcher.h"
#include "server/dispatch/op_runner.h"
#include "server/dispatch/shard_batch.h"
#include "server/engine/engine.h"
#include "server/engine/memory_limit.h"
#include "server/errors.h"
#include "server/observability/command_observer.h"
#include "server/observability/cycle_clock.h"
#include "server/blocking/blocking.h"
#include "server/transaction/watch.h"
#include "server/util/ascii.h"

namespace emberkv::server {
namespace {

constexpr size_t kReadChunk = 64 * 1024;
// Bounds of a connection's own read buffer (see ArmRead).
constexpr size_t kMinReadBuffer = 512;
constexpr size_t kMaxReadBuffer = 16 * 1024;
// Unsent replies above this stop the connection from reading and parsing.
constexpr size_t kOutputPauseBytes = 1024 * 1024;
// Commands per round, so that one read's replies stay bounded. A round's
// replies from other shards arrive together, before the output bound can
// stop anything, so the limit adapts to the replies: it starts low, halves
// (or less) when a round's replies pass the output bound and doubles while
// they stay well under it (see AdaptRoundLimit).
constexpr size_t kMaxCommandsPerRound = 256;
constexpr size_t kFirstRoundLimit = 32;
// Reads in a row before yielding to other connections.
constexpr int kReadsPerTurn = 4;
// How long a connection closed after its last reply (QUIT, a protocol
// error, shutdown) waits for the client to close its side (see Finish).
constexpr int kLingerMs = 2000;

char* ReadBuffer() {
  static thread_local std::unique_ptr<char[]> buffer(new char[kReadChunk]);
  return buffer.get();
}

std::string EndpointText(const asio::ip::tcp::endpoint& endpoint) {
  return endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
}

}  // namespace

// The commands of the current read that are not finished yet.
struct Connection::Round {
  // By shard; kept from round to round (emptied, their buffers kept), so
  // that a pipelining client does not allocate a batch per shard per read.
  std::vector<std::unique_ptr<ShardBatch>> batches;
  std::vector<size_t> next_reply;     // MergeRound's place in each batch
  size_t retained_bytes = 0;          // what the empty batches keep (AccountBuffers)
  // From the first command sent to another shard on, the source of each
  // reply in request order: -1 for replies produced here, else the shard.
  std::vector<int16_t> order;
  std::string local;                  // replies produced here, in that stretch
  std::vector<size_t> local_ends;
  size_t commands = 0;
  int in_flight = 0;                  // batches sent, not yet back
  bool recording = false;             // whether `order` is being kept
  const CommandSpec* barrier = nullptr;  // waiting for the batches
  bool barrier_suppressed = false;       // its reply is not to be sent (CLIENT REPLY)

  // Whether commands for `shard` wait in this round's batch.
  bool used(int shard) const { return batches[shard] && !batches[shard]->empty(); }

  void Reset() {
    retained_bytes = 0;
    for (auto& batch : batches) {
      if (!batch) continue;
      batch->Clear();
      retained_bytes += batch->retained_bytes();
    }
    order.clear();
    local.clear();
    local_ends.clear();
    commands = 0;
    recording = false;
  }
};

Connection::Connection(Worker& worker, asio::ip::tcp::socket socket)
    : worker_(worker),
      socket_(std::move(socket)),
      fd_(socket_.native_handle()),
      id_(worker.engine().NextClientId()),
      round_(std::make_unique<Round>()),
      round_limit_(kFirstRoundLimit) {
  round_->batches.resize(worker.engine().shard_count());
  round_->next_reply.resize(worker.engine().shard_count());
  asio::error_code error;
  socket_.native_non_blocking(true, error);
  socket_.set_option(asio::ip::tcp::no_delay(true), error);
  if (int interval = worker.engine().config().tcp_keepalive; interval > 0) {
    // As Redis's anetKeepAlive: probe after `interval` idle seconds, then
    // every interval/3, and give up after three unanswered probes.
    int on = 1, count = 3, every = std::max(1, interval / 3);
    setsockopt(fd_, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
    setsockopt(fd_, IPPROTO_TCP, TCP_KEEPIDLE, &interval, sizeof(interval));
    setsockopt(fd_, IPPROTO_TCP, TCP_KEEPINTVL, &every, sizeof(every));
    setsockopt(fd_, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof(count));
  }
  auto peer = socket_.remote_endpoint(error);
  if (!error) peer_address_ = EndpointText(peer);
  auto local = socket_.local_endpoint(error);
  if (!error) local_address_ = EndpointText(local);
  created_ms_ = last_interaction_ms_ = worker.now_ms();
  // As Redis's default user: a client that connects while no password is
  // set stays authenticated if one is set later.
  authenticated_ = !worker.engine().auth_required();
  parser_ = protocol::RequestParser(protocol::ParserLimits{
      .max_bulk_len = worker.engine().config().proto_max_bulk_len});
}

Connection::~Connection() = default;

void Connection::Start() {
  worker_.RegisterConnection(shared_from_this());
  if (!worker_.engine().accepting()) {  // arrived while the server stops
    Close();
    return;
  }
  ArmRead();
}

bool Connection::busy() const { return round_->in_flight > 0 || barrier_running_ || held_; }

bool Connection::RequiresAuth() const {
  return !authenticated_ && worker_.engine().auth_required();
}

bool Connection::OutputOverLimit() const { return output_buffer_size() > kOutputPauseBytes; }

void Connection::ArmRead() {
  // asio first tries the read at once (the "speculative" read), so data that
  // arrived while the connection was busy is picked up here; otherwise it
  // waits for epoll. The buffer adapts to the client: 512 bytes for an idle
  // or request-response client, up to 16 KiB for one that pipelines.
  if (!read_buffer_ || read_buffer_capacity_ != read_buffer_size_) {
    read_buffer_.reset(new char[read_buffer_size_]);
    read_buffer_capacity_ = read_buffer_size_;
  }
  read_armed_ = true;
  socket_.async_read_some(asio::buffer(read_buffer_.get(), read_buffer_capacity_),
                          [self = shared_from_this()](const asio::error_code& error, size_t n) {
                            self->read_armed_ = false;
                            if (self->closed_) return;
                            if (error) {
                              self->Close();
                              return;
                            }
                            self->OnRead(n);
                          });
}

void Connection::OnRead(size_t n) {
  worker_.stats().net_input_bytes += n;
  last_interaction_ms_ = worker_.now_ms();
  std::string_view data(read_buffer_.get(), n);
  if (n == read_buffer_capacity_) {
    // The buffer was too small for what the client sends at once: take the
    // rest of the socket's data now, so the whole burst is parsed (and
    // answered with one write), and use a bigger buffer next time.
    read_buffer_size_ = std::min(read_buffer_size_ * 2, kMaxReadBuffer);
    input_.Append(data);
    readable_ = true;
    while (readable_ && !closed_ && input_.size() <= kReadChunk * 4) ReadInto(input_);
    if (closed_) return;
    ProcessInput(input_.view(), true);
  } else {
    if (n * 8 < read_buffer_capacity_ && read_buffer_size_ > kMinReadBuffer) read_buffer_size_ /= 2;
    if (input_.empty()) {
      ProcessInput(data, false);
    } else {
      input_.Append(data);
      ProcessInput(input_.view(), true);
    }
  }
  Pump();
}

bool Connection::ReadInto(IoBuffer& buffer) {
  size_t room = kReadChunk;
  // Grow with what has arrived, never with what a header announced.
  size_t wanted = parser_.bytes_wanted();
  if (wanted > buffer.size()) room = std::max(room, std::min(wanted - buffer.size(), buffer.size()));
  char* dest = buffer.Reserve(room);
  ssize_t n = ::recv(fd_, dest, room, MSG_DONTWAIT);
  if (n < 0) {
    if (errno == EINTR) return true;
    readable_ = false;
    if (errno != EAGAIN && errno != EWOULDBLOCK) Close();
    return false;
  }
  if (n == 0) {  // the client closed its side
    Close();
    return false;
  }
  if (static_cast<size_t>(n) < room) readable_ = false;
  worker_.stats().net_input_bytes += n;
  buffer.Commit(n);
  if (buffer.size() > worker_.engine().config().client_query_buffer_limit) {
    Close();  // as in Redis, a client past the query buffer limit is dropped
    return false;
  }
  return true;
}

void Connection::Pump() {
  AccountBuffers();
  int reads = 0;
  while (!closed_) {
    FlushOutput();
    if (closed_ || busy() || close_after_reply_ || OutputOverLimit()) return;
    if (input_pending_) {
      ProcessInput(input_.view(), true);
      continue;
    }
    if (draining_) {
      // Shutting down: what was read has run; close once it is written.
      close_after_reply_ = true;
      FlushOutput();
      return;
    }
    if (!readable_) {
      if (!read_armed_) ArmRead();
      return;
    }
    if (reads++ == kReadsPerTurn) {
      // Let the worker's other connections have a turn.
      asio::post(worker_.io(), [self = shared_from_this()] { self->Pump(); });
      return;
    }
    ReadOnce();
  }
}

void Connection::ReadOnce() {
  last_interaction_ms_ = worker_.now_ms();
  if (!input_.empty()) {
    if (ReadInto(input_)) ProcessInput(input_.view(), true);
    return;
  }
  // Nothing pending: read into the worker's shared buffer and keep only an
  // incomplete tail.
  char* dest = ReadBuffer();
  ssize_t n = ::recv(fd_, dest, kReadChunk, MSG_DONTWAIT);
  if (n < 0) {
    if (errno == EINTR) return;
    readable_ = false;
    if (errno != EAGAIN && errno != EWOULDBLOCK) Close();
    return;
  }
  if (n == 0) {
    Close();
    return;
  }
  if (static_cast<size_t>(n) < kReadChunk) readable_ = false;
  worker_.stats().net_input_bytes += n;
  ProcessInput(std::string_view(dest, n), false);
}

void Connection::PrefetchOwnKeys(std::string_view data) {
  // A scanner of its own, so that the connection's parser keeps its place;
  // it sees complete commands only and starts afresh each time.
  static thread_local protocol::RequestParser scanner;
  scanner.Reset();
  if (scanner.Parse(data) != protocol::ParseStatus::kCommand || scanner.consumed() == data.size()) {
    return;  // one command (most reads of a request-response client): nothing to overlap
  }
  const CommandTable& table = CommandTable::Get();
  const storage::Database* db = worker_.store().existing_db(db_);
  if (!db) return;
  // The scan is bounded (and so is its cost when the input holds a long
  // pipeline that the round limit cuts into many rounds): the next
  // commands, not the whole buffer.
  constexpr int kMaxScanned = 2 * KeyPrefetcher::kMaxKeys;
  KeyPrefetcher prefetcher;
  size_t offset = 0;
  int scanned = 0;
  do {
    offset += scanner.consumed();
    const CommandSpec* spec = table.Find(scanner.args()[0]);
    std::string_view key = spec ? PrefetchableKey(*spec, scanner.args()) : std::string_view();
    if (key.empty()) continue;
    // Only keys of this shard: another shard's table is its thread's alone.
    uint64_t hash = storage::HashKey(key);
    if (worker_.engine().ShardOfHash(hash) == worker_.id()) prefetcher.Add(*db, hash);
  } while (!prefetcher.full() && ++scanned < kMaxScanned &&
           scanner.Parse(data.substr(offset)) == protocol::ParseStatus::kCommand);
  prefetcher.FetchEntries();
}

void Connection::ProcessInput(std::string_view data, bool data_is_input_buffer) {
  AccountBuffers();  // before commands run: the shard's limit counts them
  size_t offset = 0;
  input_pending_ = false;
  worker_.RefreshClock();
  if (!RequiresAuth()) PrefetchOwnKeys(data);
  while (!closed_ && !close_after_reply_) {
    if (busy() || OutputOverLimit()) {
      input_pending_ = offset < data.size();
      break;
    }
    if (round_->commands >= round_limit_ || round_->local.size() > kOutputPauseBytes) {
      // Bound the replies one round can hold: finish it and start another.
      EndRound();
      continue;
    }
    parser_.set_auth_required(RequiresAuth());
    protocol::ParseStatus status = parser_.Parse(data.substr(offset));
    if (status == protocol::ParseStatus::kNeedMore) {
      offset += parser_.consumed();
      break;
    }
    if (status == protocol::ParseStatus::kError) {
      ReplyError(parser_.ErrorMessage());
      close_after_reply_ = true;
      offset = data.size();
      break;
    }
    // The arguments stay in the parser (and point into `data`) while the
    // command is dispatched: nothing parses meanwhile.
    ArgList args = parser_.args();
    offset += parser_.consumed();
    ++round_->commands;
    Dispatch(args);
    if (round_->barrier) EndRound();
  }
  if (data_is_input_buffer) {
    input_.Consume(offset);
  } else if (offset < data.size()) {
    input_.Append(data.substr(offset));
  }
  if (!busy()) EndRound();
}

template <class Write>
void Connection::WithLocalReply(Write&& write) {
  if (suppress_) {  // CLIENT REPLY OFF or SKIP
    std::string discarded;
    write(&discarded);
    return;
  }
  if (!round_->recording) {
    write(&output_);
    return;
  }
  write(&round_->local);
  round_->local_ends.push_back(round_->local.size());
  round_->order.push_back(-1);
}

void Connection::ReplyLocal(std::string_view reply) {
  WithLocalReply([&](std::string* out) { out->append(reply); });
}

void Connection::Reject(const CommandSpec* spec, std::string_view error) {
  if (spec) ++worker_.stats().commands[spec->id].rejected_calls;
  CountErrorReply(worker_.stats(), error);
  // As in Redis, a command refused while a transaction is being queued makes
  // EXEC fail.
  if (in_multi_) multi_failed_ = true;
  ReplyError(error);
}

void Connection::ReplyError(std::string_view error) {
  // ReplyBuilder::Error turns CR and LF into blanks, as Redis does: texts
  // that quote the client (a byte the parser did not expect, a command
  // name) must not break the reply's framing.
  std::string line;
  protocol::ReplyBuilder(&line, resp_).Error(error);
  ReplyLocal(line);
}

void Connection::Dispatch(ArgList args) {
  suppress_ = reply_off_ || skip_current_;
  skip_current_ = false;
  const CommandTable& table = CommandTable::Get();
  const CommandSpec* spec = table.Find(args[0]);
  if (!spec) {
    // Redis's defence against cross-protocol scripting: an HTTP request sent
    // to the RESP port ("POST /", "Host: ...") closes the connection.
    if (EqualsIgnoreCase(args[0], "POST") || EqualsIgnoreCase(args[0], "Host:")) {
      Close();
      return;
    }
    Reject(nullptr, errors::UnknownCommand(args[0], args.subspan(1)));
  } else if (!spec->subcommands.empty() && args.size() >= 2 &&
             !CommandTable::FindSubcommand(*spec, args[1])) {
    Reject(nullptr, errors::UnknownSubcommand(args[1], spec->name));
  } else {
    if (!spec->subcommands.empty() && args.size() >= 2) spec = CommandTable::FindSubcommand(*spec, args[1]);
    DispatchChecked(spec, args);
  }
  // CLIENT REPLY SKIP drops the reply of the command after it.
  if (skip_next_) {
    skip_current_ = true;
    skip_next_ = false;
  }
}

bool Connection::HeldByPause(const CommandSpec& spec) const {
  const Engine& engine = worker_.engine();
  PauseMode mode = engine.pause_mode(worker_.now_ms());
  if (mode == PauseMode::kNone) return false;
  if (mode == PauseMode::kAll) return true;
  // WRITE: commands that may change data. EXEC counts if it would write.
  if (spec.flags & (kCmdWrite | kCmdMayReplicate)) return true;
  if (spec.flags & kCmdRunsQueued) {
    for (const QueuedCommand& queued : multi_queue_) {
      if (queued.spec->flags & (kCmdWrite | kCmdMayReplicate)) return true;
    }
  }
  return false;
}

void Connection::ResumeAfterPause() {
  if (!held_ || closed_) return;
  if (HeldByPause(*held_->spec)) {  // paused again meanwhile
    worker_.HoldForPause(shared_from_this());
    return;
  }
  std::unique_ptr<QueuedCommand> held = std::move(held_);
  std::vector<std::string_view> args(held->args.begin(), held->args.end());
  bool saved = suppress_;
  DispatchChecked(held->spec, args);
  suppress_ = saved;
  if (!busy()) EndRound();
  Pump();
}

void Connection::DispatchChecked(const CommandSpec* spec, ArgList args) {
  last_command_ = spec->name;
  if (!spec->ArityOk(args.size())) return Reject(spec, errors::WrongArity(spec->name));
  if (RequiresAuth() && !(spec->flags & kCmdNoAuth)) return Reject(spec, errors::kNoAuth);
  if (resp_ == protocol::RespVersion::kResp2 && subscriptions() > 0 && !(spec->flags & kCmdOkWhileSubscribed)) {
    return Reject(spec, "ERR Can't execute '" + std::string(spec->name) +
                            "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed "
                            "in this context");
  }
  if (in_multi_ && !(spec->flags & kCmdNeverQueued)) {
    if (spec->flags & kCmdNoMulti) return Reject(spec, "ERR Command not allowed inside a transaction");
    multi_queue_.push_back(QueuedCommand{spec, std::vector<std::string>(args.begin(), args.end())});
    ReplyLocal("+QUEUED\r\n");
    return;
  }
  if (HeldByPause(*spec)) {
    // CLIENT PAUSE: keep the command until the pause ends; nothing after it
    // is read meanwhile.
    held_ = std::make_unique<QueuedCommand>(QueuedCommand{spec, std::vector<std::string>(args.begin(), args.end())});
    worker_.HoldForPause(shared_from_this());
    return;
  }
  if (spec->conn) {
    std::string out;
    protocol::ReplyBuilder reply(&out, resp_);
    ConnContext context{worker_, worker_.engine(), *this, args, reply, *spec};
    uint64_t start = CycleClock::Now();
    spec->conn(context);
    ObserveCall(worker_, *spec, args, ClientLabel{peer_address_, name_}, CycleClock::Now() - start, out);
    // Decided after the handler: CLIENT REPLY ON answers although replies
    // were off when it arrived.
    suppress_ = reply_off_ || (suppress_ && !(spec->flags & kCmdControlsReplies));
    ReplyLocal(out);
    return;
  }
  if (spec->op) {
    int shard = worker_.id();
    bool single_shard = true;
    if (spec->has_keys()) {
      bool first = true;
      spec->ForEachKeyIndex(args, [&](int index) {
        int s = worker_.engine().ShardOfKey(args[index]);
        if (first) {
          shard = s;
          first = false;
        } else if (s != shard) {
          single_shard = false;
        }
      });
    }
    if (single_shard || !spec->coordinated) {
      // Runs at once on our own shard unless a lock (another client's
      // multi-shard command) holds one of its keys, or an earlier command of
      // this round already waits in the batch for our shard: then it goes
      // into that batch too, behind it. Otherwise a read could overtake this
      // client's own write that a shared lock had held back.
      if (shard == worker_.id() && !round_->used(shard) && OpCanRunNow(worker_, *spec, args)) {
        WithLocalReply([&](std::string* out) {
          RunOpNow(worker_, *spec, args, db_, resp_, flags_, out, ClientLabel{peer_address_, name_});
        });
      } else {
        SendToShard(shard, spec, args);
      }
      return;
    }
  }
  if (spec->coordinated) {
    // Across shards, a deny-oom command is refused while any shard is out
    // of memory (single-shard commands are checked on their shard).
    if ((spec->flags & kCmdDenyOom) && AnyShardOutOfMemory(worker_.engine())) return Reject(spec, errors::kOutOfMemory);
    StartBarrier(spec, args);
    return;
  }
  ReplyLocal("-ERR command '" + std::string(spec->name) + "' cannot run here\r\n");
}

void Connection::SendToShard(int shard, const CommandSpec* spec, ArgList args) {
  round_->recording = true;
  std::unique_ptr<ShardBatch>& batch = round_->batches[shard];
  if (!batch) batch = std::make_unique<ShardBatch>(shard, &peer_address_, &name_);
  if (batch->empty()) batch->Begin(resp_, flags_);
  batch->Add(spec, args, db_, suppress_);
  round_->order.push_back(static_cast<int16_t>(shard));
}

void Connection::StartBarrier(const CommandSpec* spec, ArgList args) {
  round_->barrier = spec;
  round_->barrier_suppressed = suppress_;
  barrier_args_.assign(args.begin(), args.end());
}

void Connection::EndRound() {
  if (round_->in_flight > 0) return;
  Worker* origin = &worker_;
  for (auto& batch : round_->batches) {
    if (!batch || batch->empty()) continue;
    ++round_->in_flight;
    ShardBatch* raw = batch.get();
    // The batch is owned by this connection, which the messages keep alive;
    // only the target worker touches it until the reply message comes back.
    worker_.Send(raw->shard(), MakeMessage([raw, self = shared_from_this(), origin]() mutable {
      Worker* here = Worker::Current();
      raw->Execute(*here, [here, origin, self = std::move(self)]() mutable {
        here->Send(origin->id(), MakeMessage([self = std::move(self)] { self->OnBatchDone(); }));
      });
    }));
  }
  if (round_->in_flight > 0) return;
  MergeRound();
  if (!round_->barrier) return;

  // Run the barrier now that everything before it has finished.
  const CommandSpec* spec = round_->barrier;
  const bool suppressed = round_->barrier_suppressed;
  round_->barrier = nullptr;
  barrier_running_ = true;
  struct BarrierState {
    std::vector<std::string> args;
    std::vector<std::string_view> views;
    std::string out;
    std::unique_ptr<protocol::ReplyBuilder> reply;
    std::unique_ptr<CoordContext> context;
    bool inside_spawn = true;  // still in the Spawn call below
  };
  auto state = std::make_shared<BarrierState>();
  state->args = std::move(barrier_args_);
  barrier_args_.clear();
  state->views.assign(state->args.begin(), state->args.end());
  state->reply = std::make_unique<protocol::ReplyBuilder>(&state->out, resp_);
  state->context.reset(new CoordContext{worker_, worker_.engine(), this, db_, state->views,
                                        *state->reply, *spec, flags_});
  // A barrier's time runs until its coroutine ends: its hops and lock waits
  // are part of it.
  uint64_t start = CycleClock::Now();
  Spawn(spec->coordinated(*state->context), [self = shared_from_this(), state, spec, suppressed, start]() {
    ObserveCall(self->worker_, *spec, state->views, ClientLabel{self->peer_address_, self->name_},
                CycleClock::Now() - start, state->out);
    self->barrier_running_ = false;
    if (!self->closed_ && !suppressed) self->output_.append(state->out);
    // Finished at once: the caller (parsing) simply goes on. Later: resume.
    if (!state->inside_spawn) self->Pump();
  });
  state->inside_spawn = false;
}

void Connection::OnBatchDone() {
  if (--round_->in_flight > 0) return;
  MergeRound();
  // Runs the barrier that waited for this round, if any.
  if (round_->barrier) EndRound();
  Pump();
}

void Connection::AdaptRoundLimit(size_t commands, size_t reply_bytes) {
  if (reply_bytes > kOutputPauseBytes) {
    // Aim the next round at the bound: a client that pipelines GETs of
    // megabyte values gets rounds of one command.
    round_limit_ = std::max<size_t>(1, commands * kOutputPauseBytes / reply_bytes);
  } else if (reply_bytes < kOutputPauseBytes / 4 && commands >= round_limit_) {
    round_limit_ = std::min(round_limit_ * 2, kMaxCommandsPerRound);
  }
}

void Connection::MergeRound() {
  Round& round = *round_;
  if (!closed_ && round.recording) {
    size_t before = output_.size();
    std::vector<size_t>& next = round.next_reply;
    std::fill(next.begin(), next.end(), 0);
    size_t local_index = 0;
    size_t local_begin = 0;
    for (int16_t source : round.order) {
      if (source < 0) {
        size_t end = round.local_ends[local_index++];
        output_.append(round.local, local_begin, end - local_begin);
        local_begin = end;
      } else {
        output_.append(round.batches[source]->Reply(next[source]++));
      }
    }
    AdaptRoundLimit(round.commands, output_.size() - before);
  }
  round.Reset();
}

void Connection::FlushOutput() {
  if (writing_ || closed_) return;
  if (!output_.empty() && PastOutputBufferLimit()) {
    Close();
    return;
  }
  if (output_.empty()) {
    if (close_after_reply_ && !busy()) Finish();
    return;
  }
  // Replies leave at the end of the worker's loop turn, all connections'
  // together (as Redis does before it sleeps): the client is woken once for
  // everything it gets in this turn, and two rounds' replies share a send.
  if (!write_scheduled_) {
    write_scheduled_ = true;
    worker_.ScheduleWrite(shared_from_this());
  }
}

void Connection::WriteNow() {
  write_scheduled_ = false;
  if (writing_ || closed_) return;
  if (output_.empty()) {
    if (close_after_reply_ && !busy()) Finish();
    return;
  }
  bool was_over_limit = OutputOverLimit();
  ssize_t n = ::send(fd_, output_.data(), output_.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
    Close();
    return;
  }
  size_t sent = n > 0 ? static_cast<size_t>(n) : 0;
  worker_.stats().net_output_bytes += sent;
  if (sent == output_.size()) {
    output_.clear();
    if (output_.capacity() > 4 * kReadChunk) std::string().swap(output_);
    if (close_after_reply_ && !busy()) Finish();
    // Reading may have paused on the output bound.
    if (was_over_limit && !closed_) Pump();
    return;
  }
  // The socket is full: hand the rest to asio, which waits for room.
  sending_.assign(output_, sent, std::string::npos);
  output_.clear();
  writing_ = true;
  asio::async_write(socket_, asio::buffer(sending_),
                    [self = shared_from_this()](const asio::error_code& error, size_t bytes) {
                      self->OnWritten(error, bytes);
                    });
}

void Connection::OnWritten(const asio::error_code& error, size_t bytes) {
  writing_ = false;
  worker_.stats().net_output_bytes += bytes;
  std::string().swap(sending_);
  if (error) {
    Close();
    return;
  }
  // Reading may have paused on the output bound.
  Pump();
}

void Connection::SetReplyMode(ReplyMode mode) {
  switch (mode) {
    case ReplyMode::kOn:
      reply_off_ = false;
      skip_next_ = false;
      break;
    case ReplyMode::kOff:
      reply_off_ = true;
      break;
    case ReplyMode::kSkip:
      if (!reply_off_) skip_next_ = true;
      break;
  }
}

void Connection::Drain() {
  draining_ = true;
  readable_ = false;
  Pump();
}

std::vector<QueuedCommand> Connection::EndMulti(bool* failed) {
  *failed = multi_failed_;
  in_multi_ = false;
  multi_failed_ = false;
  return std::move(multi_queue_);
}

const std::shared_ptr<WatchState>& Connection::watch_state() {
  if (!watch_state_) watch_state_ = std::make_shared<WatchState>();
  return watch_state_;
}

void Connection::Unwatch() {
  if (watched_keys_.empty()) {
    watch_state_.reset();
    return;
  }
  // The registries compare the state's address only; messages from here to
  // a shard arrive in order, so a later WATCH cannot be confused with it.
  const WatchState* state = watch_state_.get();
  for (auto& [db, key] : watched_keys_) {
    int shard = worker_.engine().ShardOfKey(key);
    worker_.Send(shard, MakeMessage([db = db, key = std::move(key), state] {
      Worker::Current()->watches().Unwatch(db, key, state);
    }));
  }
  watched_keys_.clear();
  watch_state_.reset();
}

void Connection::DeliverMessage(std::string_view pattern, std::string_view channel,
                                std::string_view message) {
  if (closed_) return;
  // A message still on its way from another worker when the client left the
  // channel (RESET, a hang-up) must not reach it: a RESP2 client that is no
  // longer subscribed would take it for the reply to its next command.
  const std::set<std::string>& subscribed = pattern.empty() ? channels_ : patterns_;
  if (!subscribed.contains(std::string(pattern.empty() ? channel : pattern))) return;
  protocol::ReplyBuilder reply(&output_, resp_);
  if (pattern.empty()) {
    reply.PushHeader(3);
    reply.Bulk("message");
  } else {
    reply.PushHeader(4);
    reply.Bulk("pmessage");
    reply.Bulk(pattern);
  }
  reply.Bulk(channel);
  reply.Bulk(message);
  if (PastOutputBufferLimit()) {
    Close();
    return;
  }
  if (!busy()) FlushOutput();
}

bool Connection::PastOutputBufferLimit() {
  // client-output-buffer-limit: the pubsub class for a subscriber (32 MB at
  // once, or 8 MB for 60 seconds by default), else the normal class (no
  // limit by default).
  const ServerConfig& config = worker_.engine().config();
  const OutputBufferLimit& limit = subscriptions() > 0 ? config.pubsub_output_limit : config.normal_output_limit;
  uint64_t hard = limit.hard, soft = limit.soft;
  int64_t soft_ms = limit.soft_seconds * 1000;
  size_t pending = output_buffer_size();
  int64_t now = worker_.now_ms();
  bool past_soft = false;
  if (soft > 0 && pending > soft) {
    // As in Redis, the first time over the soft limit only starts the clock.
    if (output_over_soft_limit_since_ms_ == 0) {
      output_over_soft_limit_since_ms_ = now;
    } else {
      past_soft = now - output_over_soft_limit_since_ms_ > soft_ms;
    }
  } else {
    output_over_soft_limit_since_ms_ = 0;
  }
  return (hard > 0 && pending > hard) || past_soft;
}

void Connection::UnsubscribeAll() {
  if (channels_.empty() && patterns_.empty()) return;
  auto channels = std::make_shared<std::vector<std::string>>(channels_.begin(), channels_.end());
  auto patterns = std::make_shared<std::vector<std::string>>(patterns_.begin(), patterns_.end());
  channels_.clear();
  patterns_.clear();
  uint64_t id = id_;
  for (int w = 0; w < worker_.engine().shard_count(); ++w) {
    worker_.Send(w, MakeMessage([channels, patterns, id] {
      PubSubRegistry& registry = Worker::Current()->pubsub();
      for (const std::string& channel : *channels) registry.Unsubscribe(channel, id);
      for (const std::string& pattern : *patterns) registry.PUnsubscribe(pattern, id);
    }));
  }
}

void Connection::set_blocked(std::shared_ptr<BlockedClient> blocked) {
  blocked_ = std::move(blocked);
  if (blocked_) WatchWhileBlocked();
}

void Connection::WatchWhileBlocked() {
  if (watching_ || read_armed_ || closed_) return;
  watching_ = true;
  socket_.async_wait(asio::ip::tcp::socket::wait_read, [self = shared_from_this()](const asio::error_code& error) {
    self->watching_ = false;
    if (self->closed_ || !self->blocked_) return;  // unblocked meanwhile: Pump reads
    if (error) {
      self->Close();
      return;
    }
    // As Redis does for a blocked client: read what came (a hang-up closes
    // the connection, which ends the wait), keep it for after the wait.
    self->ReadInto(self->input_);
    if (self->closed_) return;
    self->input_pending_ = true;
    self->WatchWhileBlocked();
  });
}

void Connection::AccountBuffers() {
  size_t bytes = closed_ ? 0
                         : input_.capacity() + output_.capacity() + sending_.capacity() + read_buffer_capacity_ +
                                       round_->retained_bytes;
  worker_.store().context().client_bytes += bytes - accounted_bytes_;
  accounted_bytes_ = bytes;
}

void Connection::Release() {
  closed_ = true;
  AccountBuffers();
  Unwatch();
  UnsubscribeAll();
  if (blocked_) CancelBlockedClient(std::move(blocked_), worker_);
}

void Connection::Close() {
  if (closed_) return;
  Release();
  asio::error_code error;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, error);
  socket_.close(error);
  worker_.UnregisterConnection(this);
}

void Connection::Finish() {
  if (closed_) return;
  Release();
  worker_.UnregisterConnection(this);
  // Every reply has been handed to the kernel, but some may not have left
  // yet. Closing a socket that still holds unread input makes the kernel
  // send RST at once and drop what is unsent, so the client could lose the
  // last replies (a pipeline behind QUIT or SHUTDOWN, a protocol error).
  // Instead: FIN after the replies, then read and discard until the client
  // closes its side, for a bounded time. The connection no longer counts as
  // a client meanwhile, and a stopping server does not wait for it.
  asio::error_code error;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_send, error);
  if (error) {
    socket_.close(error);
    return;
  }
  linger_timer_ = std::make_unique<asio::steady_timer>(worker_.io(), std::chrono::milliseconds(kLingerMs));
  linger_timer_->async_wait([self = shared_from_this()](const asio::error_code& error) {
    if (error) return;  // the client closed first
    asio::error_code ignored;
    self->socket_.close(ignored);
  });
  DiscardInput();
}

void Connection::DiscardInput() {
  if (!read_buffer_ || read_buffer_capacity_ < kMinReadBuffer) {
    read_buffer_.reset(new char[kMinReadBuffer]);
    read_buffer_capacity_ = kMinReadBuffer;
  }
  socket_.async_read_some(asio::buffer(read_buffer_.get(), read_buffer_capacity_),
                          [self = shared_from_this()](const asio::error_code& error, size_t) {
                            if (!error) {
                              self->DiscardInput();
                              return;
                            }
                            // End of input, or the timer closed the socket.
                            asio::error_code ignored;
                            self->linger_timer_->cancel();
                            self->socket_.close(ignored);
                          });
}

}  // namespace emberkv::server
