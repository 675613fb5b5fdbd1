// What COMMAND INFO and COMMAND DOCS say about a command beyond what dispatch
// needs: its arguments (redis-cli builds its hints and HELP from them), its
// key specifications and its history. Each family fills these in where it
// registers its commands, with the builders below, in Redis 7.0's words:
//
//   add("get", ...)
//       .Docs("1.0.0", "O(1)", {arg::Key("key")})
//       .Keys({KeySpec::Range("RO access", 1)});
//
// scripts/redis-command-docs prints these lines for any command from a real
// redis-server, and tests/integration/test_command.py compares every command
// in the table with Redis, so the two cannot drift apart unnoticed.
//
// Thread safety: plain data, built before the workers start.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

namespace emberkv::server {

// Redis's argument types (COMMAND DOCS "type").
enum class ArgType : uint8_t {
  kString,
  kInteger,
  kDouble,
  kKey,
  kPattern,
  kUnixTime,
  kPureToken,
  kOneOf,
  kBlock,
};
std::string_view ArgTypeName(ArgType type);

enum ArgFlag : uint8_t {
  kArgOptional = 1u << 0,
  kArgMultiple = 1u << 1,
  kArgMultipleToken = 1u << 2,
};

// One argument of a command, or a group of them (oneof, block).
struct ArgDoc {
  std::string_view name;
  ArgType type = ArgType::kString;
  int key_spec_index = -1;  // for keys: which of the command's key specs finds it
  std::string_view token;   // the keyword before the value ("EX"), if any
  std::string_view summary;
  std::string_view since;
  std::string_view deprecated_since;
  uint8_t flags = 0;
  std::vector<ArgDoc> arguments;  // for oneof and block

  ArgDoc&& Token(std::string_view text) && {
    token = text;
    return std::move(*this);
  }
  ArgDoc&& Since(std::string_view version) && {
    since = version;
    return std::move(*this);
  }
  ArgDoc&& DeprecatedSince(std::string_view version) && {
    deprecated_since = version;
    return std::move(*this);
  }
  ArgDoc&& Summary(std::string_view text) && {
    summary = text;
    return std::move(*this);
  }
  ArgDoc&& Optional() && {
    flags |= kArgOptional;
    return std::move(*this);
  }
  ArgDoc&& Multiple() && {
    flags |= kArgMultiple;
    return std::move(*this);
  }
  ArgDoc&& MultipleToken() && {
    flags |= kArgMultipleToken;
    return std::move(*this);
  }
};

namespace arg {

inline ArgDoc Of(std::string_view name, ArgType type) {
  ArgDoc doc;
  doc.name = name;
  doc.type = type;
  return doc;
}
inline ArgDoc Key(std::string_view name, int key_spec_index = 0) {
  ArgDoc doc = Of(name, ArgType::kKey);
  doc.key_spec_index = key_spec_index;
  return doc;
}
inline ArgDoc String(std::string_view name) { return Of(name, ArgType::kString); }
inline ArgDoc Integer(std::string_view name) { return Of(name, ArgType::kInteger); }
inline ArgDoc Double(std::string_view name) { return Of(name, ArgType::kDouble); }
inline ArgDoc Pattern(std::string_view name) { return Of(name, ArgType::kPattern); }
inline ArgDoc UnixTime(std::string_view name) { return Of(name, ArgType::kUnixTime); }
inline ArgDoc PureToken(std::string_view name, std::string_view token) {
  return Of(name, ArgType::kPureToken).Token(token);
}
inline ArgDoc OneOf(std::string_view name, std::vector<ArgDoc> arguments) {
  ArgDoc doc = Of(name, ArgType::kOneOf);
  doc.arguments = std::move(arguments);
  return doc;
}
inline ArgDoc Block(std::string_view name, std::vector<ArgDoc> arguments) {
  ArgDoc doc = Of(name, ArgType::kBlock);
  doc.arguments = std::move(arguments);
  return doc;
}

}  // namespace arg

// How to find a command's keys among its arguments (Redis 7's key specs):
// where to begin searching, then how to find the keys from there.
struct KeySpec {
  // Redis's key spec flags, blank separated: "RW access update".
  std::string_view flags;
  std::string_view notes;  // Redis's remark, if any (COMMAND INFO shows it)

  enum class Begin : uint8_t { kIndex, kKeyword, kUnknown };
  Begin begin = Begin::kIndex;
  int index = 0;              // kIndex: argument index of the first key
  std::string_view keyword;   // kKeyword: the keys follow this argument
  int startfrom = 0;          // kKeyword: where the search starts (negative: from the end)

  enum class Find : uint8_t { kRange, kKeynum, kUnknown };
  Find find = Find::kRange;
  int lastkey = 0;    // kRange: the last key, relative to the first (-1: the last argument)
  int keystep = 1;    // kRange and kKeynum
  int limit = 0;      // kRange: with lastkey -1, use only 1/limit of the rest
  int keynumidx = 0;  // kKeynum: the key count's index, relative to the begin
  int firstkey = 1;   // kKeynum: the first key's index, relative to the begin

  static KeySpec Range(std::string_view flags, int index, int lastkey = 0, int keystep = 1,
                       int limit = 0) {
    KeySpec spec;
    spec.flags = flags;
    spec.index = index;
    spec.lastkey = lastkey;
    spec.keystep = keystep;
    spec.limit = limit;
    return spec;
  }
  static KeySpec Keynum(std::string_view flags, int index, int keynumidx, int firstkey, int keystep) {
    KeySpec spec;
    spec.flags = flags;
    spec.index = index;
    spec.find = Find::kKeynum;
    spec.keynumidx = keynumidx;
    spec.firstkey = firstkey;
    spec.keystep = keystep;
    return spec;
  }
  static KeySpec KeywordRange(std::string_view flags, std::string_view keyword, int startfrom,
                              int lastkey, int keystep = 1, int limit = 0) {
    KeySpec spec = Range(flags, 0, lastkey, keystep, limit);
    spec.begin = Begin::kKeyword;
    spec.keyword = keyword;
    spec.startfrom = startfrom;
    return spec;
  }

  KeySpec&& Notes(std::string_view text) && {
    notes = text;
    return std::move(*this);
  }

  // The argument indices this spec finds in a call with these arguments
  // (args[0] is the command name); empty when none fit.
  std::vector<int> KeysIn(std::span<const std::string_view> args) const;
};

enum DocFlag : uint8_t {
  kDocDeprecated = 1u << 0,
  kDocSysCmd = 1u << 1,
};

// Redis's version history notes for a command.
using HistoryEntry = std::pair<std::string_view, std::string_view>;

}  // namespace emberkv::server
