#include "server/config.h"

#include <absl/strings/numbers.h>
#include <absl/strings/str_join.h>
#include <absl/strings/str_split.h>

#include <functional>

#include "server/engine/shard_set.h"
#include "server/util/ascii.h"
#include "server/util/cpu_budget.h"
#include "storage/encoding_limits.h"

namespace emberkv::server {
namespace {

using Setter = std::function<std::optional<std::string>(ServerConfig&, std::string_view)>;
using Getter = std::function<std::string(const ServerConfig&)>;

struct ParamImpl {
  ConfigParam param;
  Getter get;
  Setter set;
};

std::optional<std::string> ParseIntInto(std::string_view value, int64_t min, int64_t max,
                                        int64_t* out) {
  int64_t v;
  if (!absl::SimpleAtoi(ToAbsl(value), &v))
    return std::string("argument couldn't be parsed into an integer");
  if (v < min || v > max)
    return std::string("argument must be between ") + std::to_string(min) + " and " +
           std::to_string(max) + " inclusive";
  *out = v;
  return std::nullopt;
}

ParamImpl IntParam(std::string_view name, bool runtime, int ServerConfig::*field, int64_t min,
                   int64_t max) {
  return {{name, runtime},
          [field](const ServerConfig& c) { return std::to_string(c.*field); },
          [field, min, max](ServerConfig& c, std::string_view v) -> std::optional<std::string> {
            int64_t parsed;
            if (auto error = ParseIntInto(v, min, max, &parsed)) return error;
            c.*field = static_cast<int>(parsed);
            return std::nullopt;
          }};
}

// An integer the data path reads while CONFIG SET may write it (Relaxed).
template <class T>
ParamImpl RelaxedIntParam(std::string_view name, bool runtime, Relaxed<T> ServerConfig::*field,
                          int64_t min, int64_t max) {
  return {{name, runtime},
          [field](const ServerConfig& c) { return std::to_string((c.*field).load()); },
          [field, min, max](ServerConfig& c, std::string_view v) -> std::optional<std::string> {
            int64_t parsed;
            if (auto error = ParseIntInto(v, min, max, &parsed)) return error;
            (c.*field).store(static_cast<T>(parsed));
            return std::nullopt;
          }};
}

// Field: uint64_t or Relaxed<uint64_t>.
template <class Field>
ParamImpl MemoryParam(std::string_view name, bool runtime, Field ServerConfig::*field) {
  return {
      {name, runtime, ParamKind::kMemory},
      [field](const ServerConfig& c) { return std::to_string(static_cast<uint64_t>(c.*field)); },
      [field](ServerConfig& c, std::string_view v) -> std::optional<std::string> {
        std::optional<uint64_t> bytes = ParseMemory(v);
        if (!bytes) return std::string("argument must be a memory value");
        c.*field = *bytes;
        return std::nullopt;
      }};
}

ParamImpl StringParam(std::string_view name, bool runtime, std::string ServerConfig::*field) {
  return {{name, runtime},
          [field](const ServerConfig& c) { return c.*field; },
          [field](ServerConfig& c, std::string_view v) -> std::optional<std::string> {
            c.*field = std::string(v);
            return std::nullopt;
          }};
}

// Field: bool or Relaxed<bool>.
template <class Field>
ParamImpl BoolParam(std::string_view name, bool runtime, Field ServerConfig::*field) {
  return {{name, runtime},
          [field](const ServerConfig& c) {
            return std::string(static_cast<bool>(c.*field) ? "yes" : "no");
          },
          [field](ServerConfig& c, std::string_view v) -> std::optional<std::string> {
            if (EqualsIgnoreCase(v, "yes")) {
              c.*field = true;
            } else if (EqualsIgnoreCase(v, "no")) {
              c.*field = false;
            } else {
              return std::string("argument must be 'yes' or 'no'");
            }
            return std::nullopt;
          }};
}

ParamImpl EnumParam(std::string_view name, bool runtime, std::string ServerConfig::*field,
                    std::vector<std::string_view> allowed) {
  return {{name, runtime},
          [field](const ServerConfig& c) { return c.*field; },
          [field, allowed](ServerConfig& c, std::string_view v) -> std::optional<std::string> {
            for (std::string_view a : allowed) {
              if (EqualsIgnoreCase(a, v)) {
                c.*field = std::string(a);
                return std::nullopt;
              }
            }
            std::string list;
            for (std::string_view a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
            return "argument(s) must be one of the following: " + list;
          }};
}

// client-output-buffer-limit: "<class> <hard> <soft> <soft seconds>" for
// one or more classes (normal, replica or slave, pubsub); classes not named
// keep their limits. Errors in Redis's words.
ParamImpl OutputBufferLimitParam() {
  return {
      {"client-output-buffer-limit", true, ParamKind::kList},
      [](const ServerConfig& c) {
        auto text = [](std::string_view name, const OutputBufferLimit& limit) {
          return std::string(name) + " " + std::to_string(limit.hard.load()) + " " +
                 std::to_string(limit.soft.load()) + " " +
                 std::to_string(limit.soft_seconds.load());
        };
        return text("normal", c.normal_output_limit) + " " + text("slave", c.replica_output_limit) +
               " " + text("pubsub", c.pubsub_output_limit);
      },
      [](ServerConfig& c, std::string_view v) -> std::optional<std::string> {
        std::vector<std::string> items = absl::StrSplit(ToAbsl(v), ' ', absl::SkipEmpty());
        if (items.empty() || items.size() % 4 != 0) {
          return std::string("Wrong number of arguments in buffer limit configuration.");
        }
        struct Parsed {
          OutputBufferLimit* target;
          uint64_t hard, soft;
          int64_t seconds;
        };
        std::vector<Parsed> parsed;
        for (size_t i = 0; i < items.size(); i += 4) {
          Parsed p{};
          if (EqualsIgnoreCase(items[i], "normal")) {
            p.target = &c.normal_output_limit;
          } else if (EqualsIgnoreCase(items[i], "replica") || EqualsIgnoreCase(items[i], "slave")) {
            p.target = &c.replica_output_limit;
          } else if (EqualsIgnoreCase(items[i], "pubsub")) {
            p.target = &c.pubsub_output_limit;
          } else {
            return std::string("Invalid client class specified in buffer limit configuration.");
          }
          std::optional<uint64_t> hard = ParseMemory(items[i + 1]);
          std::optional<uint64_t> soft = ParseMemory(items[i + 2]);
          if (!hard || !soft || !absl::SimpleAtoi(items[i + 3], &p.seconds) || p.seconds < 0) {
            return std::string(
                "Error in hard, soft or soft_seconds setting in buffer limit configuration.");
          }
          p.hard = *hard;
          p.soft = *soft;
          parsed.push_back(p);
        }
        // All or nothing, as in Redis.
        for (const Parsed& p : parsed) {
          p.target->hard.store(p.hard);
          p.target->soft.store(p.soft);
          p.target->soft_seconds.store(p.seconds);
        }
        return std::nullopt;
      }};
}

// Parameters that Redis has and a cache without persistence accepts only in
// their "off" form, so that configs and client libraries that set them work.
ParamImpl FixedParam(std::string_view name, std::string_view value,
                     std::vector<std::string_view> accepted) {
  return {{name, true},
          [value](const ServerConfig&) { return std::string(value); },
          [name, accepted](ServerConfig&, std::string_view v) -> std::optional<std::string> {
            for (std::string_view a : accepted) {
              if (EqualsIgnoreCase(a, v)) return std::nullopt;
            }
            return std::string("emberkv does not support '") + std::string(name) + " " +
                   std::string(v) + "' (no persistence or replication)";
          }};
}

const std::vector<ParamImpl>& Params() {
  static const std::vector<ParamImpl> params = [] {
    std::vector<ParamImpl> p;
    p.push_back({{"bind", false, ParamKind::kList},
                 [](const ServerConfig& c) { return absl::StrJoin(c.bind, " "); },
                 [](ServerConfig& c, std::string_view v) -> std::optional<std::string> {
                   std::vector<std::string> addresses =
                       absl::StrSplit(ToAbsl(v), ' ', absl::SkipEmpty());
                   if (addresses.empty()) return std::string("Too many bind addresses specified.");
                   c.bind = addresses;
                   return std::nullopt;
                 }});
    p.push_back(IntParam("port", false, &ServerConfig::port, 0, 65535));
    p.push_back(IntParam("threads", false, &ServerConfig::threads, 0, 256));
    p.push_back(IntParam("shards", false, &ServerConfig::shards, 0, ShardSet::kMaxShards));
    p.push_back(IntParam("databases", false, &ServerConfig::databases, 1, 1 << 16));
    p.push_back(RelaxedIntParam("maxclients", true, &ServerConfig::maxclients, 1, 1 << 24));
    p.push_back(StringParam("requirepass", true, &ServerConfig::requirepass));
    p.push_back(MemoryParam("maxmemory", true, &ServerConfig::maxmemory));
    p.push_back(EnumParam("maxmemory-policy", true, &ServerConfig::maxmemory_policy,
                          {"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl",
                           "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"}));
    p.push_back(IntParam("maxmemory-samples", true, &ServerConfig::maxmemory_samples, 1, 64));
    p.push_back(IntParam("lfu-log-factor", true, &ServerConfig::lfu_log_factor, 0, INT32_MAX));
    p.push_back(IntParam("lfu-decay-time", true, &ServerConfig::lfu_decay_time, 0, INT32_MAX));
    p.push_back(RelaxedIntParam("timeout", true, &ServerConfig::timeout, 0, INT32_MAX));
    p.push_back(RelaxedIntParam("tcp-keepalive", true, &ServerConfig::tcp_keepalive, 0, INT32_MAX));
    p.push_back(BoolParam("protected-mode", true, &ServerConfig::protected_mode));
    p.push_back(RelaxedIntParam("proto-max-bulk-len", true, &ServerConfig::proto_max_bulk_len,
                                1024 * 1024, INT64_MAX));
    p.push_back(
        MemoryParam("client-query-buffer-limit", true, &ServerConfig::client_query_buffer_limit));
    p.push_back(OutputBufferLimitParam());
    p.push_back(RelaxedIntParam("slowlog-log-slower-than", true,
                                &ServerConfig::slowlog_log_slower_than, -1, INT64_MAX));
    p.push_back(
        RelaxedIntParam("slowlog-max-len", true, &ServerConfig::slowlog_max_len, 0, INT32_MAX));
    p.push_back(RelaxedIntParam("latency-monitor-threshold", true,
                                &ServerConfig::latency_monitor_threshold, 0, INT64_MAX));
    p.push_back(RelaxedIntParam("hz", true, &ServerConfig::hz, 1, 500));
    p.push_back(RelaxedIntParam("busy-reply-threshold", true,
                                &ServerConfig::busy_reply_threshold_ms, 0, INT64_MAX));
    p.push_back(RelaxedIntParam("lua-time-limit", true, &ServerConfig::busy_reply_threshold_ms, 0,
                                INT64_MAX));
    // Each under its Redis 7.0 name and its older ziplist alias; the entry
    // counts are plain integers, the value sizes take memory units.
    auto entries = [&p](std::string_view name, Relaxed<uint64_t> ServerConfig::*field) {
      p.push_back(RelaxedIntParam(name, true, field, 0, INT64_MAX));
    };
    auto bytes = [&p](std::string_view name, Relaxed<uint64_t> ServerConfig::*field) {
      p.push_back(MemoryParam(name, true, field));
    };
    entries("hash-max-listpack-entries", &ServerConfig::hash_max_listpack_entries);
    entries("hash-max-ziplist-entries", &ServerConfig::hash_max_listpack_entries);
    bytes("hash-max-listpack-value", &ServerConfig::hash_max_listpack_value);
    bytes("hash-max-ziplist-value", &ServerConfig::hash_max_listpack_value);
    entries("set-max-intset-entries", &ServerConfig::set_max_intset_entries);
    entries("set-max-listpack-entries", &ServerConfig::set_max_listpack_entries);
    bytes("set-max-listpack-value", &ServerConfig::set_max_listpack_value);
    entries("zset-max-listpack-entries", &ServerConfig::zset_max_listpack_entries);
    entries("zset-max-ziplist-entries", &ServerConfig::zset_max_listpack_entries);
    bytes("zset-max-listpack-value", &ServerConfig::zset_max_listpack_value);
    bytes("zset-max-ziplist-value", &ServerConfig::zset_max_listpack_value);
    p.push_back(RelaxedIntParam("list-max-listpack-size", true,
                                &ServerConfig::list_max_listpack_size, INT32_MIN, INT32_MAX));
    p.push_back(RelaxedIntParam("list-max-ziplist-size", true,
                                &ServerConfig::list_max_listpack_size, INT32_MIN, INT32_MAX));
    p.push_back(RelaxedIntParam("list-compress-depth", true, &ServerConfig::list_compress_depth, 0,
                                INT32_MAX));
    p.push_back(IntParam("metrics-port", false, &ServerConfig::metrics_port, -1, 65535));
    p.push_back(StringParam("metrics-bind", false, &ServerConfig::metrics_bind));
    p.push_back(
        RelaxedIntParam("shutdown-timeout", true, &ServerConfig::shutdown_timeout_ms, 0, 3600000));
    p.push_back(EnumParam("loglevel", true, &ServerConfig::loglevel,
                          {"debug", "verbose", "notice", "warning", "nothing"}));
    p.push_back(
        EnumParam("io-engine", false, &ServerConfig::io_engine, {"auto", "epoll", "io_uring"}));
    p.push_back(EnumParam("enable-debug-command", false, &ServerConfig::enable_debug_command,
                          {"no", "yes", "local"}));
    p.push_back(FixedParam("save", "", {""}));
    p.push_back(FixedParam("appendonly", "no", {"no"}));
    return p;
  }();
  return params;
}

const ParamImpl* FindParam(std::string_view name) {
  for (const ParamImpl& p : Params()) {
    if (EqualsIgnoreCase(p.param.name, name)) return &p;
  }
  return nullptr;
}

}  // namespace

int ServerConfig::EffectiveThreads() const {
  if (threads > 0) return threads;
  return UsableCores();
}

int ServerConfig::EffectiveShards() const {
  if (shards > 0) return shards;
  return std::min(EffectiveThreads(), ShardSet::kMaxShards);
}

const std::vector<ConfigParam>& ConfigParams() {
  static const std::vector<ConfigParam> list = [] {
    std::vector<ConfigParam> out;
    for (const ParamImpl& p : Params()) out.push_back(p.param);
    return out;
  }();
  return list;
}

std::optional<std::string> SetConfigParam(ServerConfig& config, std::string_view name,
                                          std::string_view value) {
  const ParamImpl* param = FindParam(name);
  if (!param)
    return std::string("Unknown option or number of arguments for CONFIG SET - '") +
           std::string(name) + "'";
  return param->set(config, value);
}

std::optional<std::string> GetConfigParam(const ServerConfig& config, std::string_view name) {
  const ParamImpl* param = FindParam(name);
  if (!param) return std::nullopt;
  return param->get(config);
}

void ApplyEncodingLimits(const ServerConfig& config) {
  storage::EncodingLimits& limits = storage::encoding_limits();
  auto apply = [](std::atomic<uint64_t>& limit, const Relaxed<uint64_t>& value) {
    limit.store(value.load(), std::memory_order_relaxed);
  };
  apply(limits.hash_max_listpack_entries, config.hash_max_listpack_entries);
  apply(limits.hash_max_listpack_value, config.hash_max_listpack_value);
  apply(limits.set_max_intset_entries, config.set_max_intset_entries);
  apply(limits.set_max_listpack_entries, config.set_max_listpack_entries);
  apply(limits.set_max_listpack_value, config.set_max_listpack_value);
  apply(limits.zset_max_listpack_entries, config.zset_max_listpack_entries);
  apply(limits.zset_max_listpack_value, config.zset_max_listpack_value);
}

std::optional<uint64_t> ParseMemory(std::string_view text) {
  std::string lower = AsciiLowered(text);
  uint64_t multiplier = 1;
  struct Unit {
    const char* suffix;
    uint64_t factor;
  };
  static const Unit kUnits[] = {{"gb", 1024ULL * 1024 * 1024},
                                {"mb", 1024 * 1024},
                                {"kb", 1024},
                                {"g", 1000ULL * 1000 * 1000},
                                {"m", 1000 * 1000},
                                {"k", 1000},
                                {"b", 1}};
  std::string_view digits = lower;
  for (const Unit& unit : kUnits) {
    if (digits.ends_with(unit.suffix)) {
      multiplier = unit.factor;
      digits.remove_suffix(std::string_view(unit.suffix).size());
      break;
    }
  }
  uint64_t value;
  if (digits.empty() || !absl::SimpleAtoi(ToAbsl(digits), &value)) return std::nullopt;
  if (value != 0 && multiplier > UINT64_MAX / value) return std::nullopt;
  return value * multiplier;
}

}  // namespace emberkv::server
