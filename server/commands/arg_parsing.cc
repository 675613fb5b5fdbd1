#include "server/commands/arg_parsing.h"

#include "base/numbers.h"
#include "server/errors.h"

namespace emberkv::server {

std::optional<int64_t> IntArg(std::string_view arg, protocol::ReplyBuilder& reply,
                              std::string_view error) {
  int64_t value;
  if (base::ParseInt64(arg, &value)) return value;
  reply.Error(error.empty() ? errors::kNotInteger : error);
  return std::nullopt;
}

std::optional<int> Int32Arg(std::string_view arg, protocol::ReplyBuilder& reply,
                            std::string_view error) {
  std::optional<int64_t> value = IntArg(arg, reply, error);
  if (!value) return std::nullopt;
  if (*value < INT32_MIN || *value > INT32_MAX) {
    reply.Error(error.empty() ? errors::kIntOutOfRange : error);
    return std::nullopt;
  }
  return static_cast<int>(*value);
}

std::optional<int> DbIndexArg(std::string_view arg, int databases, protocol::ReplyBuilder& reply) {
  std::optional<int> index = Int32Arg(arg, reply);
  if (!index) return std::nullopt;
  if (*index < 0 || *index >= databases) {
    reply.Error(errors::kDbIndexOutOfRange);
    return std::nullopt;
  }
  return index;
}

std::optional<int64_t> ExpireDeadlineArg(std::string_view arg, TimeUnit unit, bool absolute,
                                         int64_t now_ms, std::string_view command,
                                         protocol::ReplyBuilder& reply) {
  std::optional<int64_t> value = IntArg(arg, reply);
  if (!value) return std::nullopt;
  int64_t ms = *value;
  if (ms <= 0 || (unit == TimeUnit::kSeconds && ms > INT64_MAX / 1000)) {
    reply.Error(errors::InvalidExpireTime(command));
    return std::nullopt;
  }
  if (unit == TimeUnit::kSeconds) ms *= 1000;
  if (!absolute) {
    if (ms > INT64_MAX - now_ms) {
      reply.Error(errors::InvalidExpireTime(command));
      return std::nullopt;
    }
    ms += now_ms;
  }
  return ms;
}

}  // namespace emberkv::server
