#include "server/commands/collection_args.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <string>

#include "base/numbers.h"
#include "server/commands/arg_parsing.h"
#include "server/errors.h"
#include "storage/glob.h"

namespace emberkv::server {

std::mt19937_64& CollectionRng() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  return rng;
}

bool ScanArgs::Matches(std::string_view element) const {
  return pattern.empty() || pattern == "*" || storage::GlobMatch(pattern, element);
}

namespace {
std::optional<uint64_t> ParseCursor(std::string_view arg, protocol::ReplyBuilder& reply) {
  // Redis reads the cursor with strtoull: "-1" wraps around, as there.
  std::string text(arg);
  errno = 0;
  char* end = nullptr;
  unsigned long long cursor = std::strtoull(text.c_str(), &end, 10);
  if (text.empty() || std::isspace(static_cast<unsigned char>(text[0])) || *end != '\0' ||
      errno == ERANGE) {
    reply.Error(errors::kInvalidCursor);
    return std::nullopt;
  }
  return cursor;
}
}  // namespace

std::optional<ScanArgs> ParseCollectionScanArgs(ArgList args, storage::OpStatus key_status,
                                                protocol::ReplyBuilder& reply) {
  if (!ParseCursor(args[2], reply)) return std::nullopt;
  if (key_status == storage::OpStatus::kWrongType) {
    errors::ReplyStatus(reply, key_status);
    return std::nullopt;
  }
  if (key_status == storage::OpStatus::kNotFound) {
    reply.ArrayHeader(2);
    reply.Bulk("0");
    reply.ArrayHeader(0);
    return std::nullopt;
  }
  return ParseScanArgs(args, 2, reply);
}

std::optional<ScanArgs> ParseScanArgs(ArgList args, size_t first, protocol::ReplyBuilder& reply) {
  ScanArgs scan;
  std::optional<uint64_t> cursor = ParseCursor(args[first], reply);
  if (!cursor) return std::nullopt;
  scan.cursor = *cursor;
  for (size_t i = first + 1; i < args.size(); ++i) {
    bool has_value = i + 1 < args.size();
    if (Is(args[i], "COUNT") && has_value) {
      std::optional<int64_t> count = IntArg(args[++i], reply);
      if (!count) return std::nullopt;
      if (*count < 1) {
        reply.Error(errors::kSyntax);
        return std::nullopt;
      }
      scan.count = static_cast<size_t>(*count);
    } else if (Is(args[i], "MATCH") && has_value) {
      scan.pattern = args[++i];
    } else {
      reply.Error(errors::kSyntax);
      return std::nullopt;
    }
  }
  return scan;
}

std::optional<int64_t> RandomCountArg(std::string_view arg, protocol::ReplyBuilder& reply) {
  std::optional<int64_t> count = IntArg(arg, reply);
  if (!count) return std::nullopt;
  if (*count == INT64_MIN) {
    reply.Error(errors::kCountOutOfRange);
    return std::nullopt;
  }
  if (*count < -kMaxRandomCount) {
    reply.Error(errors::NegativeCountTooLarge(kMaxRandomCount));
    return std::nullopt;
  }
  return count;
}

std::optional<int64_t> NumkeysArg(ArgList args, size_t at, protocol::ReplyBuilder& reply,
                                  std::string_view zero_error) {
  std::optional<int64_t> numkeys = IntArg(args[at], reply);
  if (!numkeys) return std::nullopt;
  if (*numkeys < 1) {
    reply.Error(zero_error.empty() ? errors::kNumkeysNotPositive : zero_error);
    return std::nullopt;
  }
  if (*numkeys > static_cast<int64_t>(args.size() - at - 1)) {
    reply.Error(errors::kTooManyNumkeys);
    return std::nullopt;
  }
  return numkeys;
}

std::optional<IntercardArgs> ParseIntercardArgs(ArgList args, protocol::ReplyBuilder& reply) {
  std::optional<int64_t> numkeys = NumkeysArg(args, 1, reply);
  if (!numkeys) return std::nullopt;
  IntercardArgs parsed;
  for (int64_t i = 0; i < *numkeys; ++i) parsed.sources.push_back(static_cast<int>(2 + i));
  for (size_t i = 2 + static_cast<size_t>(*numkeys); i < args.size(); ++i) {
    if (!Is(args[i], "LIMIT") || i + 1 == args.size()) {
      reply.Error(errors::kSyntax);
      return std::nullopt;
    }
    std::optional<int64_t> limit = IntArg(args[++i], reply);
    if (!limit) return std::nullopt;
    if (*limit < 0) {
      reply.Error(errors::kLimitNegative);
      return std::nullopt;
    }
    parsed.limit = static_cast<size_t>(*limit);
  }
  return parsed;
}

}  // namespace emberkv::server
