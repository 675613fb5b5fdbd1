#include "server/scripting/server_script_host.h"

#include <absl/container/inlined_vector.h>

#include <cstdio>
#include <vector>

#include "server/command_table.h"
#include "server/dispatch/executor.h"
#include "server/engine/engine.h"
#include "server/engine/worker.h"
#include "server/errors.h"
#include "server/scripting/loop_scripts.h"

namespace emberkv::server {

ServerScriptHost::ServerScriptHost(CommandContext& context, LoopScripts& scripts,
                                   ScriptRunOptions options)
    : context_(context), scripts_(scripts), options_(options) {}

ServerScriptHost::~ServerScriptHost() {
  if (busy_published_) context_.engine().scripts().ClearBusy(context_.worker.id());
}

void ServerScriptHost::Call(std::span<const std::string_view> args, protocol::RespVersion version,
                            std::string* reply) {
  protocol::ReplyBuilder out(reply, version);
  // A run about to start over: nothing more may happen in this one.
  if (restart_) return out.Error("ERR emberkv: the script restarts with every shard locked");
  const CommandSpec* spec = CommandTable::Get().Find(args[0]);
  if (spec != nullptr && !spec->subcommands.empty() && args.size() >= 2) {
    spec = CommandTable::FindSubcommand(*spec, args[1]);
  }
  if (spec == nullptr) return out.Error(errors::kScriptUnknownCommand);
  if (!spec->ArityOk(args.size())) return out.Error(errors::kScriptWrongArity);
  if (spec->flags & kCmdNoScript) return out.Error(errors::kScriptNotAllowed);
  if (spec->is_write() && options_.read_only) return out.Error(errors::kScriptWriteInReadOnly);

  ShardLocks& locks = context_.shards;
  absl::InlinedVector<uint64_t, 8> hashes(args.size(), 0);
  ShardSet needed = (spec->flags & kCmdVisitsShards)
                        ? locks.keyspace().all()
                        : RouteKeys(locks.keyspace(), *spec, args, std::span<uint64_t>(hashes));
  if (!locks.held().Contains(needed)) {
    touched_undeclared_ = true;
    if (!wrote()) {
      // Nothing visible happened yet: stop here and run again with every
      // shard locked. The kill cannot be caught by pcall.
      restart_ = true;
      scripts_.engine().RequestKill();
      return out.Error("ERR emberkv: the script restarts with every shard locked");
    }
    if (!locks.ExtendPinned(needed)) return out.Error(errors::kScriptUndeclaredAfterWrite);
  }
  // As in Redis, a write command marks the script as one that wrote, whether
  // or not it changed anything: SCRIPT KILL then answers UNKILLABLE.
  if (spec->is_write()) wrote_.store(true, std::memory_order_release);
  Client& client = *context_.client;
  RunCommand(CommandRun{context_.worker, locks, client, *spec, args, version, /*from_script=*/true},
             reply);
}

void ServerScriptHost::Log(scripting::LogLevel level, std::string_view message) {
  // The server logs to stderr at notice and above (its default verbosity).
  if (level < scripting::LogLevel::kNotice) return;
  std::fprintf(stderr, "%.*s\n", static_cast<int>(message.size()), message.data());
}

scripting::BusyAction ServerScriptHost::OnBusy(std::chrono::milliseconds elapsed) {
  Engine& engine = context_.engine();
  // The engine calls at every hook; the threshold is CONFIG's, read now so
  // that CONFIG SET busy-reply-threshold applies to the next hook.
  if (elapsed.count() < engine.config().busy_reply_threshold_ms.load()) {
    return scripting::BusyAction::kContinue;
  }
  if (!busy_published_) {
    busy_published_ = true;
    ScriptRegistry::Busy busy;
    busy.worker = context_.worker.id();
    busy.engine = &scripts_.engine();
    busy.is_function = options_.is_function;
    busy.name = std::string(options_.name);
    busy.command.assign(context_.args.begin(), context_.args.end());
    busy.start_ms = context_.worker.now_ms() - elapsed.count();
    busy.wrote = &wrote_;
    engine.scripts().SetBusy(std::move(busy), context_.shards.held());
  }
  // SHUTDOWN NOSAVE (or a signal) stops even a script that wrote: the data
  // is not kept anyway.
  if (!engine.accepting()) return scripting::BusyAction::kKill;
  return scripting::BusyAction::kContinue;
}

}  // namespace emberkv::server
