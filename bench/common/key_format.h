// Key names shared by the micro-benchmarks and the load generator: a prefix
// followed by a zero-padded decimal number ("key:0000012345"), so that every
// key of a run has the same length and the figures do not depend on which
// numbers were drawn. The default prefix and width give the 14-byte keys that
// docs/benchmarks.md quotes.
#pragma once

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

namespace emberkv::bench {

inline constexpr std::string_view kDefaultKeyPrefix = "key:";
inline constexpr int kDefaultKeyDigits = 10;

// Writes prefix + number (left-padded with zeros to `digits`; 0: no padding)
// at `out`, which must hold prefix.size() + max(digits, 20) bytes. Returns the
// key's length.
inline size_t FormatKey(std::string_view prefix, int digits, uint64_t number, char* out) {
  prefix.copy(out, prefix.size());
  char text[20];
  char* end = std::to_chars(text, text + sizeof(text), number).ptr;
  size_t length = static_cast<size_t>(end - text);
  size_t pad = digits > 0 && static_cast<size_t>(digits) > length ? digits - length : 0;
  char* at = out + prefix.size();
  for (size_t i = 0; i < pad; ++i) *at++ = '0';
  std::string_view(text, length).copy(at, length);
  return prefix.size() + pad + length;
}

inline std::string MakeKey(std::string_view prefix, int digits, uint64_t number) {
  std::string key(prefix.size() + 20 + (digits > 20 ? digits : 0), '\0');
  key.resize(FormatKey(prefix, digits, number, key.data()));
  return key;
}

// The key numbered `number` in the default format (14 bytes below 10^10).
inline std::string MakeKey(uint64_t number) {
  return MakeKey(kDefaultKeyPrefix, kDefaultKeyDigits, number);
}

}  // namespace emberkv::bench
