#include "server/transaction/multi_shard.h"

#include <map>

#include "server/engine/engine.h"

namespace emberkv::server {
namespace {

// Awaitable: acquire `request` on shard `target`, run on_locked there, resume.
struct LockHop {
  Worker* origin;
  int target;
  LockRequest* request;
  std::function<void(Worker&)> on_locked;
  bool in_suspend = false;
  bool granted_inline = false;

  bool await_ready() const noexcept { return false; }

  bool await_suspend(std::coroutine_handle<> awaiting) {
    if (target == origin->id()) {
      // Our own shard: acquire directly; resume at once if granted at once.
      in_suspend = true;
      request->on_granted = [this, awaiting] {
        origin->RefreshClock();
        if (on_locked) on_locked(*origin);
        if (in_suspend) {
          granted_inline = true;
        } else {
          origin->Send(origin->id(), MakeMessage([awaiting] { awaiting.resume(); }));
        }
      };
      origin->locks().Acquire(request);
      in_suspend = false;
      return !granted_inline;
    }
    origin->Send(target, MakeMessage([this, awaiting] {
      Worker* here = Worker::Current();
      request->on_granted = [this, here, awaiting] {
        here->RefreshClock();
        if (on_locked) on_locked(*here);
        here->Send(origin->id(), MakeMessage([awaiting] { awaiting.resume(); }));
      };
      here->locks().Acquire(request);
    }));
    return true;
  }
  void await_resume() const noexcept {}
};

}  // namespace

std::vector<ShardKeys> GroupKeysByShard(const CoordContext& ctx, const std::vector<int>& key_indices) {
  std::map<int, ShardKeys> by_shard;
  for (int index : key_indices) {
    int shard = ctx.engine.ShardOfKey(ctx.args[index]);
    ShardKeys& part = by_shard[shard];
    part.shard = shard;
    part.arg_indices.push_back(index);
    part.keys.push_back(ctx.args[index]);
  }
  std::vector<ShardKeys> plan;
  for (auto& [shard, part] : by_shard) plan.push_back(std::move(part));
  return plan;
}

std::vector<ShardKeys> GroupKeysByShard(Engine& engine, const std::vector<std::string_view>& keys) {
  std::map<int, ShardKeys> by_shard;
  for (std::string_view key : keys) {
    int shard = engine.ShardOfKey(key);
    ShardKeys& part = by_shard[shard];
    part.shard = shard;
    part.keys.push_back(key);
  }
  std::vector<ShardKeys> plan;
  for (auto& [shard, part] : by_shard) plan.push_back(std::move(part));
  return plan;
}

MultiShardLock::MultiShardLock(CoordContext& ctx, std::vector<ShardKeys> plan, LockMode mode)
    : ctx_(&ctx), plan_(std::move(plan)), mode_(mode), whole_shards_(false) {}

MultiShardLock::MultiShardLock(CoordContext& ctx, bool whole_shards)
    : ctx_(&ctx), mode_(LockMode::kExclusive), whole_shards_(whole_shards) {
  for (int shard = 0; shard < ctx.engine.shard_count(); ++shard) plan_.push_back(ShardKeys{shard, {}, {}});
}

MultiShardLock MultiShardLock::AllShards(CoordContext& ctx) { return MultiShardLock(ctx, true); }

MultiShardLock::~MultiShardLock() { Release(); }

Task<void> MultiShardLock::Acquire(ShardFunction on_locked) {
  for (const ShardKeys& part : plan_) {
    const std::vector<int>& indices = part.arg_indices;
    std::function<void(Worker&)> run;
    // CLIENT NO-TOUCH: the command's reads leave the access clock alone,
    // except TOUCH's.
    const bool touch = !ctx_->flags.no_touch || (ctx_->spec.flags & kCmdAlwaysTouches);
    if (on_locked) {
      run = [&on_locked, &indices, touch](Worker& shard) {
        storage::ShardContext& context = shard.store().context();
        context.reads_touch = touch;
        on_locked(shard, indices);
        context.reads_touch = true;
      };
    }
    if (ctx_->locks_held) {
      if (run) co_await ctx_->worker.RunOn(part.shard, [&run](Worker& shard) {
        shard.RefreshClock();
        run(shard);
      });
      continue;
    }
    auto request = std::make_unique<LockRequest>();
    request->mode = mode_;
    request->whole_shard = whole_shards_;
    for (std::string_view key : part.keys) request->keys.emplace_back(key);
    LockRequest* raw = request.get();
    requests_.push_back(std::move(request));
    // A named awaiter, not a temporary: GCC 12 destroys a temporary
    // aggregate in a co_await expression twice, which freed `run`'s heap
    // copy twice (MSET across shards aborted with a double free).
    LockHop hop{&ctx_->worker, part.shard, raw, std::move(run)};
    co_await hop;
  }
}

Task<void> MultiShardLock::Run(int shard, std::function<void(Worker&)> fn) {
  co_await ctx_->worker.RunOn(shard, [&fn](Worker& here) {
    here.RefreshClock();
    fn(here);
  });
}

void MultiShardLock::Release() {
  if (released_) return;
  released_ = true;
  Worker& origin = ctx_->worker;
  for (size_t i = 0; i < requests_.size(); ++i) {
    int shard = plan_[i].shard;
    LockRequest* request = requests_[i].release();
    if (shard == origin.id()) {
      origin.locks().Release(request);
      delete request;
      continue;
    }
    // The request is only touched by the shard from here on; it frees it.
    origin.Send(shard, MakeMessage([request] {
      Worker::Current()->locks().Release(request);
      delete request;
    }));
  }
  requests_.clear();
}

Task<void> ForEachShard(CoordContext& ctx, std::function<void(Worker&)> fn) {
  for (int shard = 0; shard < ctx.engine.shard_count(); ++shard) {
    co_await ctx.worker.RunOn(shard, [&fn](Worker& here) {
      here.RefreshClock();
      fn(here);
    });
  }
}

}  // namespace emberkv::server
