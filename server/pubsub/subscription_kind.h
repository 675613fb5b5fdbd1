// The kinds of subscription a client holds, and the words of the pushes
// that confirm and deliver them.
//
// Channels and patterns (SUBSCRIBE, PSUBSCRIBE) are reached by PUBLISH;
// shard channels (SSUBSCRIBE) by SPUBLISH alone. Shard channels are a
// namespace of their own, as in Redis 7.0: "news" to PUBLISH and "news" to
// SPUBLISH are two channels, and neither reaches the other's subscribers.
//
// Thread safety: constants only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace emberkv::server {

enum class SubscriptionKind : uint8_t { kChannel, kPattern, kShardChannel };
inline constexpr size_t kSubscriptionKinds = 3;

constexpr size_t IndexOf(SubscriptionKind kind) { return static_cast<size_t>(kind); }

// The first element of the pushes for one kind of subscription.
struct SubscriptionWords {
  std::string_view subscribe;    // confirms a subscription
  std::string_view unsubscribe;  // confirms leaving
  std::string_view message;      // delivers a message
};

constexpr SubscriptionWords WordsOf(SubscriptionKind kind) {
  switch (kind) {
    case SubscriptionKind::kChannel:
      return {"subscribe", "unsubscribe", "message"};
    case SubscriptionKind::kPattern:
      return {"psubscribe", "punsubscribe", "pmessage"};
    case SubscriptionKind::kShardChannel:
      return {"ssubscribe", "sunsubscribe", "smessage"};
  }
  return {};
}

}  // namespace emberkv::server
