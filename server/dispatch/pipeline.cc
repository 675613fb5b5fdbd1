#include "server/dispatch/pipeline.h"

#include "server/blocking/blocking.h"
#include "server/client/client.h"
#include "server/command_table.h"
#include "server/dispatch/executor.h"
#include "server/engine/engine.h"
#include "server/errors.h"
#include "server/net/connection.h"
#include "server/observability/command_observer.h"
#include "server/util/ascii.h"

namespace emberkv::server {

Pipeline::Pipeline(Worker& worker, Client& client, Connection& connection)
    : worker_(worker), client_(client), connection_(connection) {}

Pipeline::~Pipeline() = default;

bool Pipeline::RequiresAuth() const {
  return !client_.authenticated() && worker_.engine().auth_required();
}

size_t Pipeline::Run(std::string_view data, std::string* out, Stop* why) {
  ShardLocks& locks = worker_.locks();
  locks.set_now_ms(worker_.now_ms());
  size_t offset = 0;
  *why = Stop::kNeedMore;
  while (true) {
    if (client_.kill_requested() || connection_.closing()) {
      *why = Stop::kClose;
      break;
    }
    if (client_.is_blocked() || held_) {
      *why = Stop::kSuspended;
      break;
    }
    if (out->size() > kOutputPauseBytes) {
      *why = Stop::kOutputFull;
      break;
    }
    if (commands_under_locks_ >= kCommandsPerLockHold) {
      // Let other loops in between long runs of commands.
      locks.ReleaseAll();
      commands_under_locks_ = 0;
    }
    parser_.set_auth_required(RequiresAuth());
    protocol::ParseStatus status = parser_.Parse(data.substr(offset));
    if (status == protocol::ParseStatus::kNeedMore) {
      offset += parser_.consumed();
      break;
    }
    if (status == protocol::ParseStatus::kError) {
      Reject(nullptr, parser_.ErrorMessage(), out);
      offset = data.size();
      *why = Stop::kClose;
      break;
    }
    // The arguments stay in the parser (and point into `data`) while the
    // command runs: nothing parses meanwhile.
    ArgList args = parser_.args();
    offset += parser_.consumed();
    ++commands_under_locks_;
    Dispatch(args, out);
  }
  locks.ReleaseAll();
  commands_under_locks_ = 0;
  ServeDeferred(worker_, locks);
  locks.ReleaseAll();
  return offset;
}

void Pipeline::Reject(const CommandSpec* spec, std::string_view error, std::string* out) {
  WorkerStats& stats = worker_.stats();
  if (spec) stats.commands[spec->id].rejected_calls.Add(1);
  CountErrorReply(stats, error);
  // As in Redis, a command refused while a transaction is being queued makes
  // EXEC fail.
  if (client_.in_multi()) client_.FailMulti();
  // A refusal is a reply like any other: CLIENT REPLY OFF drops it too.
  std::string* target = client_.TakeSuppressReply() ? &discarded_ : out;
  // ReplyBuilder::Error turns CR and LF into blanks, as Redis does: texts
  // that quote the client must not break the reply's framing.
  protocol::ReplyBuilder(target, client_.resp()).Error(error);
  discarded_.clear();
}

void Pipeline::Dispatch(ArgList args, std::string* out) {
  const CommandSpec* spec = CommandTable::Get().Find(args[0]);
  if (!spec) {
    // Redis's defence against cross-protocol scripting: an HTTP request sent
    // to the RESP port ("POST /", "Host: ...") closes the connection.
    if (EqualsIgnoreCase(args[0], "POST") || EqualsIgnoreCase(args[0], "Host:")) {
      connection_.Close();
      return;
    }
    return Reject(nullptr, errors::UnknownCommand(args[0], args.subspan(1)), out);
  }
  if (!spec->subcommands.empty() && args.size() >= 2) {
    const CommandSpec* sub = CommandTable::FindSubcommand(*spec, args[1]);
    if (!sub) return Reject(nullptr, errors::UnknownSubcommand(args[1], spec->name), out);
    spec = sub;
  }
  DispatchChecked(*spec, args, out);
}

bool Pipeline::HeldByPause(const CommandSpec& spec) const {
  const Engine& engine = worker_.engine();
  PauseMode mode = engine.pause_mode(worker_.now_ms());
  if (mode == PauseMode::kNone) return false;
  if (mode == PauseMode::kAll) return true;
  // WRITE: commands that may change data; EXEC when a queued one would.
  if (spec.flags & (kCmdWrite | kCmdMayReplicate)) return true;
  if (spec.flags & kCmdRunsQueued) {
    for (const QueuedCommand& queued : client_.queued()) {
      if (queued.spec->flags & (kCmdWrite | kCmdMayReplicate)) return true;
    }
  }
  return false;
}

void Pipeline::DispatchChecked(const CommandSpec& spec, ArgList args, std::string* out) {
  client_.set_last_command(&spec);
  if (!spec.ArityOk(args.size())) return Reject(&spec, errors::WrongArity(spec.name), out);
  if (RequiresAuth() && !(spec.flags & kCmdNoAuth)) return Reject(&spec, errors::kNoAuth, out);
  if (client_.resp() == protocol::RespVersion::kResp2 && client_.subscribed() &&
      !(spec.flags & kCmdOkWhileSubscribed)) {
    return Reject(&spec, errors::OnlySubscribeCommands(spec.name), out);
  }
  if (client_.is_monitor() && (spec.flags & (kCmdWrite | kCmdReadOnly | kCmdMayReplicate)))
    return Reject(&spec, errors::kMonitorKeyspace, out);
  if (client_.in_multi() && !(spec.flags & kCmdNeverQueued)) {
    if (spec.flags & kCmdNoMulti) return Reject(&spec, errors::kNotInTransaction, out);
    client_.Queue(QueuedCommand{&spec, std::vector<std::string>(args.begin(), args.end())});
    std::string* target = client_.TakeSuppressReply() ? &discarded_ : out;
    target->append("+QUEUED\r\n");
    discarded_.clear();
    return;
  }
  if (HeldByPause(spec)) {
    // CLIENT PAUSE: keep the command until the pause ends; nothing after it
    // runs meanwhile.
    held_ = std::make_unique<QueuedCommand>(
        QueuedCommand{&spec, std::vector<std::string>(args.begin(), args.end())});
    worker_.locks().ReleaseAll();
    worker_.HoldForPause(connection_.shared_from_this());
    return;
  }
  const bool suppressed = client_.TakeSuppressReply();
  std::string* target = out;
  size_t before = out->size();
  if (suppressed && !(spec.flags & kCmdControlsReplies)) target = &discarded_;
  RunCommand(CommandRun{worker_, worker_.locks(), client_, spec, args}, target);
  // CLIENT REPLY OFF and SKIP answer nothing, ON answers although replies
  // were off when it arrived.
  if (suppressed && (spec.flags & kCmdControlsReplies) && client_.replies_off())
    out->resize(before);
  discarded_.clear();
  if (client_.is_blocked()) client_.blocked()->reply_suppressed = suppressed;
}

bool Pipeline::RunHeldCommand(std::string* out) {
  if (!held_) return true;
  if (HeldByPause(*held_->spec)) {
    worker_.HoldForPause(connection_.shared_from_this());
    return false;
  }
  std::unique_ptr<QueuedCommand> held = std::move(held_);
  std::vector<std::string_view> args(held->args.begin(), held->args.end());
  ShardLocks& locks = worker_.locks();
  locks.set_now_ms(worker_.now_ms());
  DispatchChecked(*held->spec, args, out);
  locks.ReleaseAll();
  ServeDeferred(worker_, locks);
  locks.ReleaseAll();
  return true;
}

}  // namespace emberkv::server
