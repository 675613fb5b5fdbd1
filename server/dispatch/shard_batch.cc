#include "server/dispatch/shard_batch.h"

#include "server/dispatch/key_prefetcher.h"
#include "server/dispatch/op_runner.h"
#include "server/engine/worker.h"

namespace emberkv::server {

void ShardBatch::Clear() {
  // What a round of small commands needs stays (as Redis keeps a 16 KiB
  // reply buffer per client); a round that carried big values gives its
  // memory back.
  constexpr size_t kKeptBytes = 8 * 1024;
  items_.clear();
  arg_spans_.clear();
  arg_views_.clear();
  arg_bytes_.clear();
  replies_.clear();
  if (arg_bytes_.capacity() > kKeptBytes) std::string().swap(arg_bytes_);
  if (replies_.capacity() > kKeptBytes) std::string().swap(replies_);
  waiting_ = 0;
  done_ = nullptr;
}

void ShardBatch::Add(const CommandSpec* spec, ArgList args, int db, bool suppressed) {
  Item item;
  item.spec = spec;
  item.arg_begin = static_cast<uint32_t>(arg_spans_.size());
  item.arg_count = static_cast<uint32_t>(args.size());
  item.db = db;
  item.suppressed = suppressed;
  for (std::string_view arg : args) {
    arg_spans_.emplace_back(static_cast<uint32_t>(arg_bytes_.size()), static_cast<uint32_t>(arg.size()));
    arg_bytes_.append(arg);
  }
  items_.push_back(std::move(item));
}

void ShardBatch::PrefetchKeys(Worker& worker) const {
  if (items_.size() < 2) return;  // nothing to overlap with
  KeyPrefetcher prefetcher;
  for (const Item& item : items_) {
    if (prefetcher.full()) break;
    std::string_view key = PrefetchableKey(*item.spec, ArgsOf(item));
    const storage::Database* db = worker.store().existing_db(item.db);
    if (!key.empty() && db) prefetcher.Add(*db, storage::HashKey(key));
  }
  prefetcher.FetchEntries();
}

void ShardBatch::RunItem(Worker& worker, Item& item) {
  ArgList args = ArgsOf(item);
  item.reply_begin = replies_.size();
  ClientLabel client;
  if (client_address_) client.address = *client_address_;
  if (client_name_) client.name = *client_name_;
  RunOpNow(worker, *item.spec, args, item.db, resp_, flags_, &replies_, client);
  if (item.suppressed) replies_.resize(item.reply_begin);
  item.reply_end = replies_.size();
}

void ShardBatch::FinishOne() {
  if (--waiting_ == 0) done_();
}

void ShardBatch::Execute(Worker& worker, std::function<void()> done) {
  done_ = std::move(done);
  worker.RefreshClock();
  arg_views_.clear();
  arg_views_.reserve(arg_spans_.size());
  for (auto [offset, length] : arg_spans_) arg_views_.emplace_back(arg_bytes_.data() + offset, length);
  PrefetchKeys(worker);
  LockTable& locks = worker.locks();
  // The loop below counts as one unfinished piece, so that a command granted
  // its lock inside Acquire cannot finish the batch early.
  waiting_ = 1;
  for (Item& item : items_) {
    ArgList args = ArgsOf(item);
    if (OpCanRunNow(worker, *item.spec, args)) {
      RunItem(worker, item);
      continue;
    }
    // A multi-shard command holds (or awaits) one of our keys: queue behind
    // it. Later commands of this batch on the same key queue behind this one.
    ++waiting_;
    item.wait = std::make_unique<LockRequest>();
    LockRequest* request = item.wait.get();
    for (int index : item.spec->KeyIndices(args)) request->keys.emplace_back(args[index]);
    request->mode = item.spec->is_write() ? LockMode::kExclusive : LockMode::kShared;
    Item* waiting_item = &item;
    request->on_granted = [this, &worker, waiting_item, request] {
      worker.RefreshClock();
      RunItem(worker, *waiting_item);
      worker.locks().Release(request);
      FinishOne();
    };
    locks.Acquire(request);
  }
  FinishOne();
}

}  // namespace emberkv::server
