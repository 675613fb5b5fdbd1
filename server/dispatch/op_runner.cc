#include "server/dispatch/op_runner.h"

#include "server/engine/memory_limit.h"
#include "server/engine/worker.h"
#include "server/errors.h"
#include "server/observability/cycle_clock.h"

namespace emberkv::server {

void RunOpNow(Worker& worker, const CommandSpec& spec, ArgList args, int db,
              protocol::RespVersion resp, ClientFlags flags, std::string* out, const ClientLabel& client) {
  protocol::ReplyBuilder reply(out, resp);
  // Every command that runs on a shard comes through here: the shard makes
  // room first, and refuses writes that would grow it when it cannot.
  if (worker.store().memory_limit() != 0 && !AdmitOnShard(worker, spec)) {
    ++worker.stats().commands[spec.id].rejected_calls;
    CountErrorReply(worker.stats(), errors::kOutOfMemory);
    reply.Error(errors::kOutOfMemory);
    return;
  }
  OpContext context{worker, worker.store().db(db), args, reply, spec, flags};
  size_t before = out->size();
  uint64_t start = CycleClock::Now();
  // CLIENT NO-TOUCH: the command's reads leave the access clock alone,
  // except TOUCH's.
  storage::ShardContext& shard = worker.store().context();
  shard.reads_touch = !flags.no_touch || (spec.flags & kCmdAlwaysTouches);
  spec.op(context);
  shard.reads_touch = true;
  uint64_t cycles = CycleClock::Now() - start;
  // Clients blocked on a key this command filled are served right after it,
  // before the next command, as in Redis.
  worker.blocking().ServeReadyKeys(worker);
  ObserveCall(worker, spec, args, client, cycles, std::string_view(*out).substr(before));
}

bool OpCanRunNow(Worker& worker, const CommandSpec& spec, ArgList args) {
  LockTable& locks = worker.locks();
  if (locks.empty()) return true;
  std::vector<std::string_view> keys;
  for (int index : spec.KeyIndices(args)) keys.push_back(args[index]);
  return locks.CanRunNow(keys, spec.is_write() ? LockMode::kExclusive : LockMode::kShared);
}

}  // namespace emberkv::server
