#include "server/commands/multi_pop.h"

#include "base/numbers.h"
#include "server/commands/arg_parsing.h"
#include "server/errors.h"

namespace emberkv::server {
namespace {

// numkeys as Redis reads it (1..LONG_MAX), or 0 when it is not that.
int64_t Numkeys(std::string_view arg) {
  int64_t value;
  if (!base::ParseInt64(arg, &value) || value < 1) return 0;
  return value;
}

std::vector<int> KeysAfterNumkeys(ArgList args, size_t numkeys_index) {
  if (args.size() <= numkeys_index) return {};
  int64_t numkeys = Numkeys(args[numkeys_index]);
  // The keys and then the `where` word must be there.
  if (numkeys == 0 || static_cast<uint64_t>(numkeys) > args.size() - numkeys_index - 2) return {};
  std::vector<int> keys;
  keys.reserve(static_cast<size_t>(numkeys));
  for (int64_t i = 0; i < numkeys; ++i) keys.push_back(static_cast<int>(numkeys_index + 1 + i));
  return keys;
}

}  // namespace

std::optional<MultiPopArgs> ParseMultiPop(ArgList args, size_t numkeys_index,
                                          std::string_view first_word, std::string_view second_word,
                                          protocol::ReplyBuilder& reply) {
  if (Numkeys(args[numkeys_index]) == 0) {
    reply.Error(errors::kNumkeysNotPositive);
    return std::nullopt;
  }
  MultiPopArgs parsed;
  parsed.keys = KeysAfterNumkeys(args, numkeys_index);
  if (parsed.keys.empty()) {
    reply.Error(errors::kSyntax);
    return std::nullopt;
  }
  size_t where = static_cast<size_t>(parsed.keys.back()) + 1;
  if (Is(args[where], first_word)) {
    parsed.first_word = true;
  } else if (Is(args[where], second_word)) {
    parsed.first_word = false;
  } else {
    reply.Error(errors::kSyntax);
    return std::nullopt;
  }
  for (size_t i = where + 1; i < args.size(); ++i) {
    if (!parsed.has_count && Is(args[i], "COUNT") && i + 1 < args.size()) {
      int64_t count;
      if (!base::ParseInt64(args[++i], &count) || count < 1) {
        reply.Error(errors::kCountNotPositive);
        return std::nullopt;
      }
      parsed.count = count;
      parsed.has_count = true;
    } else {
      reply.Error(errors::kSyntax);
      return std::nullopt;
    }
  }
  return parsed;
}

ReadyKey FindReady(CommandContext& c, const std::vector<int>& key_indices,
                   storage::ValueType kind) {
  for (int i : key_indices) {
    storage::Database::Slot slot;
    storage::Database& db = c.Db(i);
    if (!db.Find(c.Key(i), &slot, storage::LookupMode::kWrite)) continue;
    bool ready = db.EntryAt(slot).type() == kind;
    return ReadyKey{i, ready ? storage::OpStatus::kOk : storage::OpStatus::kWrongType};
  }
  return ReadyKey{};
}

}  // namespace emberkv::server
