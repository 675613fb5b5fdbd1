// SHA-1, as EVALSHA and redis.sha1hex name scripts: 40 lowercase hex digits.
// Not for security (SHA-1 is broken for that); it is how Redis names script
// bodies, so clients compute the same names.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace emberkv::scripting {

std::array<uint8_t, 20> Sha1(std::string_view data);

// The digest of `data` as 40 lowercase hex digits.
std::string Sha1Hex(std::string_view data);
// A digest as 40 lowercase hex digits.
std::string HexDigits(const std::array<uint8_t, 20>& digest);

}  // namespace emberkv::scripting
