#include "server/command_docs.h"

#include <absl/strings/numbers.h>

#include "server/util/ascii.h"

namespace emberkv::server {

std::string_view ArgTypeName(ArgType type) {
  switch (type) {
    case ArgType::kString: return "string";
    case ArgType::kInteger: return "integer";
    case ArgType::kDouble: return "double";
    case ArgType::kKey: return "key";
    case ArgType::kPattern: return "pattern";
    case ArgType::kUnixTime: return "unix-time";
    case ArgType::kPureToken: return "pure-token";
    case ArgType::kOneOf: return "oneof";
    case ArgType::kBlock: return "block";
  }
  return "string";
}

std::vector<int> KeySpec::KeysIn(std::span<const std::string_view> args) const {
  // As Redis's getKeysUsingKeySpecs: a spec that does not fit the call finds
  // nothing, and the command itself reports the bad call.
  std::vector<int> keys;
  const int argc = static_cast<int>(args.size());
  int first = 0;
  switch (begin) {
    case Begin::kIndex:
      first = index;
      break;
    case Begin::kKeyword: {
      int start = startfrom > 0 ? startfrom : argc + startfrom;
      int end = startfrom > 0 ? argc - 1 : 1;
      for (int i = start; i >= 1 && i < argc; i += start <= end ? 1 : -1) {
        if (EqualsIgnoreCase(args[i], keyword)) {
          first = i + 1;
          break;
        }
        if (i == end) break;
      }
      break;
    }
    case Begin::kUnknown:
      return keys;
  }
  if (first <= 0 || first >= argc) return keys;

  int last = 0;
  int step = keystep;
  switch (find) {
    case Find::kRange:
      if (lastkey >= 0) {
        last = first + lastkey;
      } else if (limit <= 1) {
        last = argc + lastkey;
      } else {
        last = first + ((argc - first) / limit + lastkey);
      }
      break;
    case Find::kKeynum: {
      int count_index = first + keynumidx;
      int64_t count = 0;
      if (count_index >= argc ||
          !absl::SimpleAtoi(ToAbsl(args[count_index]), &count) || count < 0 || count > argc) {
        return keys;
      }
      first += firstkey;
      last = first + static_cast<int>(count - 1) * step;
      break;
    }
    case Find::kUnknown:
      return keys;
  }
  if (last >= argc || last < first || step <= 0) return keys;
  for (int i = first; i <= last; i += step) keys.push_back(i);
  return keys;
}

}  // namespace emberkv::server
