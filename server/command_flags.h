// A command's flags: Redis's, which come with its metadata
// (server/command_data.json), and emberkv's own, which its declaration sets
// where behaviour depends on the command (net/connection.cc and the shard
// runners test them instead of the command's name).
//
// Thread safety: constants only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace emberkv::server {

enum CommandFlag : uint32_t {
  // Redis's flags (COMMAND INFO shows them by the names below).
  kCmdWrite = 1u << 0,
  kCmdReadOnly = 1u << 1,
  kCmdDenyOom = 1u << 2,
  kCmdModule = 1u << 3,
  kCmdAdmin = 1u << 4,
  kCmdPubSub = 1u << 5,
  kCmdNoScript = 1u << 6,
  kCmdBlocking = 1u << 7,
  kCmdLoading = 1u << 8,
  kCmdStale = 1u << 9,
  kCmdSkipMonitor = 1u << 10,
  kCmdSkipSlowlog = 1u << 11,
  kCmdAsking = 1u << 12,
  kCmdFast = 1u << 13,
  kCmdNoAuth = 1u << 14,
  kCmdMayReplicate = 1u << 15,
  kCmdNoMandatoryKeys = 1u << 16,
  kCmdNoAsyncLoading = 1u << 17,
  kCmdNoMulti = 1u << 18,
  kCmdMovableKeys = 1u << 19,
  kCmdAllowBusy = 1u << 20,

  // emberkv's flags, set in a command's declaration.
  // A RESP2 client may send it while subscribed (SUBSCRIBE, PING, QUIT, ...).
  kCmdOkWhileSubscribed = 1u << 24,
  // Runs at once between MULTI and EXEC instead of being queued (EXEC,
  // DISCARD, WATCH, ...).
  kCmdNeverQueued = 1u << 25,
  // Its reads refresh the access clock even for a CLIENT NO-TOUCH client
  // (TOUCH, whose point that is).
  kCmdAlwaysTouches = 1u << 26,
  // Runs the commands queued since MULTI (EXEC): CLIENT PAUSE WRITE holds
  // it when any of them would be held.
  kCmdRunsQueued = 1u << 27,
  // Turns replies on and off (CLIENT REPLY): whether its own reply is sent
  // is decided after it ran, so that CLIENT REPLY ON answers although
  // replies were off when it arrived.
  kCmdControlsReplies = 1u << 28,
  // Holds every shard while it runs (FLUSHALL, SWAPDB): the executor takes
  // them all before the handler starts.
  kCmdAllShards = 1u << 29,
  // Looks at every shard, one at a time (DBSIZE, KEYS, SCAN, INFO): EXEC
  // takes every shard when it queued one.
  kCmdVisitsShards = 1u << 30,
};

// The flags a declaration may set: emberkv's. Redis's come from its data.
inline constexpr uint32_t kEmberFlags = 0xffu << 24;

// Redis's flag names, in the order COMMAND INFO lists them. may_replicate is
// hidden there by Redis too.
struct CommandFlagName {
  CommandFlag flag;
  std::string_view name;
  bool shown = true;
};
inline constexpr CommandFlagName kCommandFlagNames[] = {
    {kCmdWrite, "write"},
    {kCmdReadOnly, "readonly"},
    {kCmdDenyOom, "denyoom"},
    {kCmdModule, "module"},
    {kCmdAdmin, "admin"},
    {kCmdPubSub, "pubsub"},
    {kCmdNoScript, "noscript"},
    {kCmdBlocking, "blocking"},
    {kCmdLoading, "loading"},
    {kCmdStale, "stale"},
    {kCmdSkipMonitor, "skip_monitor"},
    {kCmdSkipSlowlog, "skip_slowlog"},
    {kCmdAsking, "asking"},
    {kCmdFast, "fast"},
    {kCmdNoAuth, "no_auth"},
    {kCmdMayReplicate, "may_replicate", false},
    {kCmdNoMandatoryKeys, "no_mandatory_keys"},
    {kCmdNoAsyncLoading, "no_async_loading"},
    {kCmdNoMulti, "no_multi"},
    {kCmdMovableKeys, "movablekeys"},
    {kCmdAllowBusy, "allow_busy"},
};

// The flags named by blank-separated names ("write denyoom"), by a table
// of {flag, name} entries. Evaluated at compile time for the generated
// data, where a name the table does not have is a compile error.
template <class Entry, size_t N>
consteval uint32_t FlagsNamed(std::string_view names, const Entry (&table)[N]) {
  uint32_t flags = 0;
  while (!names.empty()) {
    size_t blank = names.find(' ');
    std::string_view name = names.substr(0, blank);
    bool known = false;
    for (const Entry& entry : table) {
      if (entry.name == name) {
        flags |= entry.flag;
        known = true;
      }
    }
    if (!known) throw "unknown flag name";
    names = blank == std::string_view::npos ? std::string_view() : names.substr(blank + 1);
  }
  return flags;
}

consteval uint32_t CommandFlagsOf(std::string_view names) {
  return FlagsNamed(names, kCommandFlagNames);
}

}  // namespace emberkv::server
