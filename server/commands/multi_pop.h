// What the popping commands over several keys share (LMPOP, BLPOP, BLMPOP,
// BZPOPMIN, BZMPOP, ...): the "numkeys key... where [COUNT n]" syntax with
// Redis's errors, and the search for the first key in argument order that
// holds something to pop, each key looked up in its own shard's database
// (all of them held while the command runs).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "protocol/reply_builder.h"
#include "server/command.h"
#include "storage/entry.h"
#include "storage/op_status.h"

namespace emberkv::server {

// "numkeys key [key ...] <where> [COUNT count]" starting at args[numkeys_index].
struct MultiPopArgs {
  std::vector<int> keys;   // argument indices
  bool first_word = true;  // `where` was the first of the two words (LEFT, MIN)
  int64_t count = 1;
  bool has_count = false;
};
// `words` are the two accepted spellings of `where` ("LEFT", "RIGHT" or "MIN",
// "MAX"). Replies Redis's error and returns nullopt on bad syntax.
std::optional<MultiPopArgs> ParseMultiPop(ArgList args, size_t numkeys_index,
                                          std::string_view first_word, std::string_view second_word,
                                          protocol::ReplyBuilder& reply);

// The first key that has something to pop: `index` is its argument index
// and `status` kOk (a value of type `kind`) or kWrongType; index -1 when
// every key is missing.
struct ReadyKey {
  int index = -1;
  storage::OpStatus status = storage::OpStatus::kNotFound;
};
// The ReadyKey among `key_indices`, in their order. Keys are looked up as
// for a write, as Redis does: no keyspace hit or miss is counted.
ReadyKey FindReady(CommandContext& c, const std::vector<int>& key_indices, storage::ValueType kind);

}  // namespace emberkv::server
