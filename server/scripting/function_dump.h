// FUNCTION DUMP's payload, in Redis 7.0's format so that payloads move
// between Redis and emberkv both ways:
//
//   ( 0xF5 <RDB string: the library's code> )*  <RDB version: 2 bytes LE>
//   <CRC-64 (Jones, as Redis's crc64) of everything before it: 8 bytes LE>
//
// We write strings plain; we read plain, integer-encoded and LZF-compressed
// strings (Redis compresses codes longer than 20 bytes). Nothing is
// allocated beyond what the payload can hold: a declared length is checked
// against the bytes present (for LZF, against its greatest expansion).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace emberkv::server {

// The payload of these libraries (name -> code).
std::string DumpFunctions(const std::map<std::string, std::string, std::less<>>& libraries);

// The codes in `payload`, or Redis's error text for a payload it refuses.
std::optional<std::string> ParseFunctionDump(std::string_view payload,
                                             std::vector<std::string>* codes);

// Redis's CRC-64 (exposed for the tests).
uint64_t Crc64(uint64_t crc, std::string_view data);

}  // namespace emberkv::server
