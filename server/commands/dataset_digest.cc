#include "server/commands/dataset_digest.h"

#include <cstdio>
#include <string_view>

#include "scripting/sha1.h"
#include "storage/hash_value.h"
#include "storage/list_value.h"
#include "storage/set_value.h"
#include "storage/zset_value.h"

namespace emberkv::server {
namespace {

std::string_view BytesOf(const Digest& digest) {
  return {reinterpret_cast<const char*>(digest.data()), digest.size()};
}

void XorBytes(Digest& into, const Digest& other) {
  for (size_t i = 0; i < into.size(); ++i) into[i] ^= other[i];
}

// Order-free: digest ^= SHA-1(data).
void Xor(Digest& digest, std::string_view data) { XorBytes(digest, scripting::Sha1(data)); }

// Ordered: digest = SHA-1(digest ^ SHA-1(data)).
void Mix(Digest& digest, std::string_view data) {
  Xor(digest, data);
  digest = scripting::Sha1(BytesOf(digest));
}

// A 32-bit number as Redis mixes it: in network byte order.
void MixNumber(Digest& digest, uint32_t number) {
  const char bytes[4] = {static_cast<char>(number >> 24), static_cast<char>(number >> 16),
                         static_cast<char>(number >> 8), static_cast<char>(number)};
  Mix(digest, std::string_view(bytes, sizeof(bytes)));
}

// A member's or a field's digest, xored into the value's: the pair mixed
// in order (member then score text, field then value).
void XorPair(Digest& digest, std::string_view first, std::string_view second) {
  Digest pair{};
  Mix(pair, first);
  Mix(pair, second);
  Xor(digest, BytesOf(pair));
}

// Parts of ValueDigest after the key's name.
void MixValue(Digest& digest, const storage::Entry& entry) {
  MixNumber(digest, static_cast<uint32_t>(entry.type()));
  void* object = entry.type() == storage::ValueType::kString ? nullptr : entry.value_pointer();
  switch (entry.type()) {
    case storage::ValueType::kString:
      Mix(digest, entry.string_value());
      break;
    case storage::ValueType::kList: {
      const auto& list = *static_cast<const storage::ListValue*>(object);
      if (list.empty()) break;
      for (auto cursor = list.CursorAt(0); cursor.valid(); cursor.Next()) {
        Mix(digest, cursor.value());
      }
      break;
    }
    case storage::ValueType::kSet:
      static_cast<const storage::SetValue*>(object)->ForEach(
          [&](std::string_view member) { Xor(digest, member); });
      break;
    case storage::ValueType::kZSet:
      static_cast<const storage::ZSetValue*>(object)->ForEach(
          [&](std::string_view member, double score) {
            // Redis 7.0 writes the score with "%.17g".
            char text[32];
            int length = std::snprintf(text, sizeof(text), "%.17g", score);
            XorPair(digest, member, std::string_view(text, static_cast<size_t>(length)));
          });
      break;
    case storage::ValueType::kHash:
      static_cast<const storage::HashValue*>(object)->ForEach(
          [&](std::string_view field, std::string_view value) { XorPair(digest, field, value); });
      break;
  }
  if (entry.has_expiry()) Xor(digest, "!!expire!!");
}

}  // namespace

Digest ValueDigest(const storage::Entry& entry) {
  Digest digest{};
  MixValue(digest, entry);
  return digest;
}

void AddKey(Digest& keys, const storage::Entry& entry) {
  Digest key{};
  Mix(key, entry.key());
  MixValue(key, entry);
  Xor(keys, BytesOf(key));
}

void AddDatabase(Digest& dataset, int db, const Digest& keys) {
  MixNumber(dataset, static_cast<uint32_t>(db));
  XorBytes(dataset, keys);
}

}  // namespace emberkv::server
