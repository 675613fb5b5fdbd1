// What Redis 7.0 says about each of its commands, COMMAND INFO and COMMAND
// DOCS of every command and subcommand: arity, flags, ACL categories, key
// specs, tips, summary, history, arguments (redis-cli builds its hints and
// HELP from them; cluster clients route by the key specs).
//
// The data is server/command_data.json, written from a real redis-server by
// scripts/generate-command-data; the build turns it into constant C++
// (server/command_data_to_cc.py), so nothing here is built or copied at
// start-up: the command table refers to these records, and a command's
// declaration says only its name and handlers (see command_table.h).
//
// The records hold no pointers: texts are offsets into one pool of
// characters and nested records are index ranges of the data's arrays. A
// pointer would be an address for the loader to relocate at every start,
// on a private copy of its page that stays resident; without them the data
// is read-only file pages, which the server gives back once it has started
// (engine/startup_pages.h) and which COMMAND DOCS maps again on demand.
//
// Thread safety: constant data.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "server/command_flags.h"

namespace emberkv::server {

// A command's arguments; args[0] is the command's name.
using ArgList = std::span<const std::string_view>;

struct ArgDoc;
struct KeySpec;
struct HistoryEntry;
namespace command_data_internal {
// The generated pool and arrays that the records below refer into.
extern const char kText[];
extern const ArgDoc kArgDocs[];
extern const KeySpec kKeySpecs[];
extern const HistoryEntry kHistory[];
inline const ArgDoc* Records(const ArgDoc*) { return kArgDocs; }
inline const KeySpec* Records(const KeySpec*) { return kKeySpecs; }
inline const HistoryEntry* Records(const HistoryEntry*) { return kHistory; }
}  // namespace command_data_internal

// A text of the data, where it reads as a std::string_view.
struct DataText {
  uint32_t offset = 0;
  uint32_t size = 0;

  std::string_view view() const { return {command_data_internal::kText + offset, size}; }
  operator std::string_view() const { return view(); }
  bool empty() const { return size == 0; }
  bool operator==(std::string_view other) const { return view() == other; }
};

// Records of one of the data's arrays, where they read as a std::span.
template <class T>
struct DataSlice {
  uint16_t first = 0;
  uint16_t count = 0;

  std::span<const T> view() const {
    return {command_data_internal::Records(static_cast<const T*>(nullptr)) + first, count};
  }
  operator std::span<const T>() const { return view(); }
  const T* begin() const { return view().data(); }
  const T* end() const { return view().data() + count; }
  size_t size() const { return count; }
  bool empty() const { return count == 0; }
  const T& operator[](size_t i) const { return view()[i]; }
};

// One argument of a command, or a group of them (oneof, block), as COMMAND
// DOCS describes it.
struct ArgDoc {
  DataText name;
  DataText type;            // "key", "string", "oneof", "pure-token", ...
  int key_spec_index = -1;  // for keys: which of the command's key specs finds it
  DataText token;           // the keyword before the value ("EX"), if any
  DataText summary;
  DataText since;
  DataText deprecated_since;
  DataText flags;               // blank separated: "optional multiple"
  DataSlice<ArgDoc> arguments;  // for oneof and block
};

// Argument indices first, first + step, ... up to last; none when last < first.
struct KeyRun {
  int first = 0;
  int last = -1;
  int step = 1;
};

// Redis's key spec flags.
enum KeySpecFlag : uint16_t {
  kKeyRO = 1u << 0,
  kKeyRW = 1u << 1,
  kKeyOW = 1u << 2,
  kKeyRM = 1u << 3,
  kKeyAccess = 1u << 4,
  kKeyUpdate = 1u << 5,
  kKeyInsert = 1u << 6,
  kKeyDelete = 1u << 7,
  kKeyNotKey = 1u << 8,          // a channel, not a key (SSUBSCRIBE's)
  kKeyIncomplete = 1u << 9,      // the spec may not find every key
  kKeyVariableFlags = 1u << 10,  // the flags depend on the call (SET's GET)
};
// Their names, in the order COMMAND INFO lists them.
struct KeySpecFlagName {
  KeySpecFlag flag;
  std::string_view name;
};
inline constexpr KeySpecFlagName kKeySpecFlagNames[] = {
    {kKeyRO, "RO"},
    {kKeyRW, "RW"},
    {kKeyOW, "OW"},
    {kKeyRM, "RM"},
    {kKeyAccess, "access"},
    {kKeyUpdate, "update"},
    {kKeyInsert, "insert"},
    {kKeyDelete, "delete"},
    {kKeyNotKey, "not_key"},
    {kKeyIncomplete, "incomplete"},
    {kKeyVariableFlags, "variable_flags"},
};
consteval uint16_t KeySpecFlagsOf(std::string_view names) {
  return static_cast<uint16_t>(FlagsNamed(names, kKeySpecFlagNames));
}

// How to find some of a command's keys among its arguments (Redis 7's key
// specs): where to begin searching, then how to find the keys from there.
struct KeySpec {
  DataText notes;      // Redis's remark, if any
  uint16_t flags = 0;  // KeySpecFlag

  enum class Begin : uint8_t { kIndex, kKeyword, kUnknown };
  Begin begin = Begin::kIndex;
  int index = 0;      // kIndex: argument index of the first key
  DataText keyword;   // kKeyword: the keys follow this argument
  int startfrom = 0;  // kKeyword: where the search starts (negative: from the end)

  enum class Find : uint8_t { kRange, kKeynum, kUnknown };
  Find find = Find::kRange;
  int lastkey = 0;    // kRange: the last key, relative to the first (-1: the last argument)
  int keystep = 1;    // kRange and kKeynum
  int limit = 0;      // kRange: with lastkey -1, use only 1/limit of the rest
  int keynumidx = 0;  // kKeynum: the key count's index, relative to the begin
  int firstkey = 1;   // kKeynum: the first key's index, relative to the begin

  bool Has(KeySpecFlag flag) const { return flags & flag; }
  // Whether the spec can find its keys at all (Redis's "unknown" specs,
  // such as SORT's BY and GET patterns, cannot).
  bool Known() const { return begin != Begin::kUnknown && find != Find::kUnknown; }
  // The keys this spec finds in a call with these arguments, as Redis's
  // getKeysUsingKeySpecs finds them: none when the spec does not fit the
  // call (the command itself then reports the bad call). Allocates nothing.
  KeyRun RunIn(ArgList args) const;
};

// Redis's version history note for a command.
struct HistoryEntry {
  DataText version;
  DataText text;
};

// One command or subcommand ("config|get").
struct CommandData {
  DataText name;
  int arity = 0;            // Redis's rule: N exactly N arguments, -N at least N
  uint32_t flags = 0;       // CommandFlag: Redis's only
  DataText acl_categories;  // as COMMAND INFO lists them: "@write @string @slow"
  DataText tips;            // blank separated: "nondeterministic_output"
  DataSlice<KeySpec> key_specs;
  DataText summary;
  DataText since;
  DataText group;
  DataText complexity;
  DataText doc_flags;  // blank separated: "deprecated", "syscmd"
  DataText deprecated_since;
  DataText replaced_by;
  DataSlice<HistoryEntry> history;
  DataSlice<ArgDoc> arguments;
};

// Every record, sorted by the length of the name, then by name (a lookup
// then compares mostly lengths; generated).
std::span<const CommandData> AllCommandData();
// The record of a command or subcommand by its lower-case full name, or
// nullptr when Redis has no such command.
const CommandData* FindCommandData(std::string_view full_name);

// COMMAND INFO's first key, last key and step (Redis's "legacy range"),
// derived from the key specs as Redis's populateCommandLegacyRangeSpec
// derives them: one range from index-and-range specs that follow each other
// with step 1. `movable` is set when the range does not cover every key
// (Redis's movablekeys).
struct LegacyRange {
  int first = 0;
  int last = 0;  // absolute, or negative: counted from the end
  int step = 0;
  bool movable = false;
};
LegacyRange DeriveLegacyRange(std::span<const KeySpec> specs);

// The words of a blank-separated list, one at a time.
template <class Fn>
void ForEachWord(std::string_view words, Fn&& fn) {
  while (!words.empty()) {
    size_t blank = words.find(' ');
    if (blank != 0) fn(words.substr(0, blank));
    if (blank == std::string_view::npos) break;
    words.remove_prefix(blank + 1);
  }
}
inline size_t CountWords(std::string_view words) {
  size_t count = 0;
  ForEachWord(words, [&count](std::string_view) { ++count; });
  return count;
}

}  // namespace emberkv::server
