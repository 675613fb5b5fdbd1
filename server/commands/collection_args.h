// Argument parsing and replies shared by the hash, set and sorted-set
// families: HSCAN/SSCAN/ZSCAN options, the counts of the RAND commands, the
// numkeys syntax, SINTERCARD's and ZINTERCARD's arguments, and a random
// source per worker thread.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string_view>
#include <vector>

#include "protocol/reply_builder.h"
#include "server/command.h"
#include "storage/op_status.h"

namespace emberkv::server {

// The random source of the RAND and POP commands (one per thread).
std::mt19937_64& CollectionRng();

// "<cursor> [MATCH pattern] [COUNT count]" from args[first].
struct ScanArgs {
  uint64_t cursor = 0;
  std::string_view pattern;  // empty: every element
  size_t count = 10;
  bool Matches(std::string_view element) const;
};
// Replies Redis's error and returns nullopt on bad arguments.
std::optional<ScanArgs> ParseScanArgs(ArgList args, size_t first, protocol::ReplyBuilder& reply);

// HSCAN, SSCAN and ZSCAN ("<key> <cursor> [options]") in Redis's order: the
// cursor, then the key (`key_status`, from reading it: a missing key is an
// empty scan whatever the options say, another type WRONGTYPE), then the
// options. nullopt once a reply has been written.
std::optional<ScanArgs> ParseCollectionScanArgs(ArgList args, storage::OpStatus key_status,
                                                protocol::ReplyBuilder& reply);

// The count of SRANDMEMBER, HRANDFIELD and ZRANDMEMBER. Redis accepts any
// count and builds the whole reply; a negative count asks for that many
// members with repetition, so emberkv refuses more than kMaxRandomCount of
// them (an announced count must not make the server allocate).
inline constexpr int64_t kMaxRandomCount = 1024 * 1024;
std::optional<int64_t> RandomCountArg(std::string_view arg, protocol::ReplyBuilder& reply);

// The numkeys argument at args[at]: Redis's errors ("numkeys should be
// greater than 0", "Number of keys can't be greater than number of args")
// unless `custom_zero_error` is given for 0.
std::optional<int64_t> NumkeysArg(ArgList args, size_t at, protocol::ReplyBuilder& reply,
                                  std::string_view zero_error = {});

// SINTERCARD and ZINTERCARD: "numkeys key [key ...] [LIMIT limit]".
struct IntercardArgs {
  std::vector<int> sources;  // argument indices of the input keys
  size_t limit = 0;          // 0: none
};
// Replies Redis's error and returns nullopt on bad arguments.
std::optional<IntercardArgs> ParseIntercardArgs(ArgList args, protocol::ReplyBuilder& reply);

}  // namespace emberkv::server
