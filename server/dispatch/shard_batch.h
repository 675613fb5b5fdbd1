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
  ShardBatch(int shard, protocol::RespVersion resp, ClientFlags flags,
             const std::string* client_address = nullptr, const std::string* client_name = nullptr)
      : shard_(shard), resp_(resp), flags_(flags), client_address_(client_address), client_name_(client_name) {}

  int shard() const { return shard_; }
  size_t size() const { return items_.size(); }

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

  std::vector<std::string_view> ArgsOf(const Item& item) const;
  void RunItem(Worker& worker, Item& item);
  void FinishOne();

  int shard_;
  protocol::RespVersion resp_;
  ClientFlags flags_;
  const std::string* client_address_;
  const std::string* client_name_;
  std::vector<Item> items_;
  std::vector<std::pair<uint32_t, uint32_t>> arg_spans_;  // offset, length in arg_bytes_
  std::string arg_bytes_;
  std::string replies_;
  size_t waiting_ = 0;
  std::function<void()> done_;
};

}  // namespace emberkv::server
