// The commands of one socket read that belong to one shard, carried there as
// a single message and brought back with their replies.
//
// The batch owns copies of its arguments (the read buffer they came from is
// reused at once). It is built on the client's worker, executed on the
// owning shard's worker, and read again by the client's worker after the
// reply message arrives; the message queue orders those three steps.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/reply_builder.h"
#include "server/command.h"
#include "server/transaction/lock_table.h"

namespace emberkv::server {

class ShardBatch {
 public:
  // `client_address` and `client_name` (for the slow log) are the client's
  // own strings, read on the shard only for a slow command: the connection
  // outlives its batches and runs no command of its own (none could rename
  // it) until they are back.
  ShardBatch(int shard, const std::string* client_address = nullptr, const std::string* client_name = nullptr)
      : shard_(shard), client_address_(client_address), client_name_(client_name) {}

  int shard() const { return shard_; }
  size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }

  // Starts a batch for a client with this protocol and these flags; the
  // batch must be empty.
  void Begin(protocol::RespVersion resp, ClientFlags flags) {
    resp_ = resp;
    flags_ = flags;
  }
  // Empties the batch for the next round. Its buffers are kept for reuse,
  // unless a big round left them big.
  void Clear();
  // What the batch's buffers hold on to while it is empty.
  size_t retained_bytes() const {
    return arg_bytes_.capacity() + replies_.capacity() + items_.capacity() * sizeof(Item) +
           arg_spans_.capacity() * sizeof(arg_spans_[0]) + arg_views_.capacity() * sizeof(arg_views_[0]);
  }

  // Adds a command; its arguments are copied. A suppressed command runs but
  // its reply is dropped (CLIENT REPLY OFF/SKIP).
  void Add(const CommandSpec* spec, ArgList args, int db, bool suppressed = false);

  // Runs every command on `worker`, the owner of the shard, then calls done()
  // on that worker (at once, or after commands that waited for locks).
  void Execute(Worker& worker, std::function<void()> done);

  // The reply of the i-th command added.
  std::string_view Reply(size_t i) const {
    return std::string_view(replies_).substr(items_[i].reply_begin,
                                             items_[i].reply_end - items_[i].reply_begin);
  }

 private:
  struct Item {
    const CommandSpec* spec = nullptr;
    uint32_t arg_begin = 0;
    uint32_t arg_count = 0;
    int db = 0;
    bool suppressed = false;
    size_t reply_begin = 0;  // replies may pass 4 GB: 256 GETs of a 20 MB value
    size_t reply_end = 0;
    std::unique_ptr<LockRequest> wait;
  };

  // The item's arguments; valid from Execute on (arg_bytes_ is complete).
  ArgList ArgsOf(const Item& item) const {
    return ArgList(arg_views_).subspan(item.arg_begin, item.arg_count);
  }
  // Asks the CPU for the items' keys ahead of running them.
  void PrefetchKeys(Worker& worker) const;
  void RunItem(Worker& worker, Item& item);
  void FinishOne();

  int shard_;
  protocol::RespVersion resp_ = protocol::RespVersion::kResp2;
  ClientFlags flags_;
  const std::string* client_address_;
  const std::string* client_name_;
  std::vector<Item> items_;
  std::vector<std::pair<uint32_t, uint32_t>> arg_spans_;  // offset, length in arg_bytes_
  std::string arg_bytes_;
  std::vector<std::string_view> arg_views_;  // into arg_bytes_, made by Execute
  std::string replies_;
  size_t waiting_ = 0;
  std::function<void()> done_;
};

}  // namespace emberkv::server
