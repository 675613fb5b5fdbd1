// What the first line of a script or library says, parsed with Redis 7.0's
// rules and error texts:
//
//   EVAL bodies      #!lua flags=no-writes,allow-oom       (optional line)
//   FUNCTION LOAD    #!lua name=mylib                      (required line)
//
// The code keeps its shebang line's place (it is compiled as an empty line),
// so that line numbers in error messages match Redis's.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "scripting/result.h"

namespace emberkv::scripting {

// Script and function flags (shebang `flags=`, register_function's `flags`).
enum ScriptFlag : uint32_t {
  kFlagNoWrites = 1 << 0,           // no-writes
  kFlagAllowOom = 1 << 1,           // allow-oom
  kFlagAllowStale = 1 << 2,         // allow-stale
  kFlagNoCluster = 1 << 3,          // no-cluster
  kFlagAllowCrossSlotKeys = 1 << 4  // allow-cross-slot-keys
};

// The flag named `name`, or 0 when there is none.
uint32_t ScriptFlagByName(std::string_view name);
// The names of `flags`, in the order above (FUNCTION LIST's "flags").
std::string ScriptFlagNames(uint32_t flags, char separator);

struct EvalSource {
  bool has_shebang = false;  // without one, Redis applies its pre-7.0 rules (no flags)
  uint32_t flags = 0;
  std::string code;  // what Lua compiles: the body with its shebang line emptied
};

// "Invalid script shebang", "Unexpected engine in script shebang: #!x",
// "Unknown lua shebang option: x", "Unexpected flag in script shebang: x".
Result<EvalSource> ParseEvalSource(std::string_view body);

struct LibrarySource {
  std::string name;
  std::string code;  // the library with its shebang line emptied
};

// "Missing library metadata", "Invalid metadata value, ...", "Engine 'x' not found",
// "Invalid metadata value given: x", "Library name was not given", and the
// name rule of IsValidFunctionName.
Result<LibrarySource> ParseLibrarySource(std::string_view code);

// Library and function names: letters, digits and '_', at least one.
bool IsValidFunctionName(std::string_view name);
inline constexpr std::string_view kInvalidNameError =
    "ERR Library names can only contain letters, numbers, or underscores(_) and must be at least "
    "one character long";

}  // namespace emberkv::scripting
