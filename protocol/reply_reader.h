// Client-side decoding of server replies (RESP2 and RESP3), for the load
// generator, the health probe and the tests. Servers never use it.
//
// Decoding is stateless: each call looks at the start of `input` and reports
// whether a whole reply is there. Clients read small replies, so re-reading a
// partial one on the next packet costs little.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace emberkv::protocol {

struct ReplyValue {
  enum class Type {
    kSimpleString,
    kError,
    kInteger,
    kBulk,
    kNull,
    kArray,
    kMap,
    kSet,
    kPush,
    kDouble,
    kBool,
    kVerbatim,
    kBigNumber,
  };
  Type type = Type::kNull;
  std::string text;     // simple string, error, bulk, verbatim, big number, double's text
  int64_t integer = 0;  // integer; bool as 0 or 1
  std::vector<ReplyValue> elements;  // aggregates; a map holds key, value, key, value, ...

  // A compact human-readable rendering, for test failure messages.
  std::string DebugString() const;
};

enum class ReadStatus { kComplete, kIncomplete, kMalformed };

// Decodes one reply at the start of `input`. On kComplete, *consumed is its size.
ReadStatus ReadReply(std::string_view input, ReplyValue* out, size_t* consumed);

// Like ReadReply but only measures the reply, without building a value: the
// load generator's hot path.
ReadStatus SkipReply(std::string_view input, size_t* consumed);

}  // namespace emberkv::protocol
