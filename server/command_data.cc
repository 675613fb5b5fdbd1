#include "server/command_data.h"

#include <absl/strings/numbers.h>

#include <algorithm>
#include <climits>

#include "server/util/ascii.h"

namespace emberkv::server {

KeyRun KeySpec::RunIn(ArgList args) const {
  const KeyRun none;
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
      return none;
  }
  if (first <= 0 || first >= argc) return none;

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
      if (count_index >= argc || !absl::SimpleAtoi(ToAbsl(args[count_index]), &count) ||
          count < 0 || count > argc) {
        return none;
      }
      first += firstkey;
      last = first + static_cast<int>(count - 1) * step;
      break;
    }
    case Find::kUnknown:
      return none;
  }
  if (last >= argc || last < first || step <= 0) return none;
  return KeyRun{first, last, step};
}

const CommandData* FindCommandData(std::string_view full_name) {
  std::span<const CommandData> all = AllCommandData();
  auto before = [](const CommandData& data, std::string_view name) {
    std::string_view data_name = data.name;
    return data_name.size() != name.size() ? data_name.size() < name.size() : data_name < name;
  };
  auto it = std::lower_bound(all.begin(), all.end(), full_name, before);
  if (it == all.end() || it->name.view() != full_name) return nullptr;
  return &*it;
}

LegacyRange DeriveLegacyRange(std::span<const KeySpec> specs) {
  LegacyRange range;
  if (specs.empty()) return range;
  auto is_index_range = [](const KeySpec& spec) {
    return spec.begin == KeySpec::Begin::kIndex && spec.find == KeySpec::Find::kRange;
  };
  if (specs.size() == 1 && is_index_range(specs[0])) {
    // Redis's quick win: the one spec is the range, step and all.
    const KeySpec& spec = specs[0];
    range.first = spec.index;
    range.last = spec.lastkey >= 0 ? spec.index + spec.lastkey : spec.lastkey;
    range.step = spec.keystep;
    range.movable = spec.Has(kKeyIncomplete);
    return range;
  }
  // Otherwise one range over the plain specs that follow each other; any
  // other spec makes the keys movable. Redis compares the last keys as
  // unsigned numbers, so that a spec reaching to the end (negative) wins.
  int first = INT_MAX;
  int last = 0;
  int previous_last = 0;
  for (const KeySpec& spec : specs) {
    if (!is_index_range(spec) || spec.keystep != 1 ||
        (previous_last != 0 && previous_last != spec.index - 1)) {
      range.movable = true;
      continue;
    }
    if (spec.Has(kKeyIncomplete)) range.movable = true;
    first = std::min(first, spec.index);
    int spec_last = spec.lastkey >= 0 ? spec.lastkey + spec.index : spec.lastkey;
    last =
        static_cast<int>(std::max(static_cast<unsigned>(last), static_cast<unsigned>(spec_last)));
    previous_last = last;
  }
  if (first == INT_MAX) {
    range.movable = true;
    return range;
  }
  range.first = first;
  range.last = last;
  range.step = 1;
  return range;
}

}  // namespace emberkv::server
