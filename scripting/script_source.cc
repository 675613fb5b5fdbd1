#include "scripting/script_source.h"

#include <strings.h>

#include <vector>

namespace emberkv::scripting {
namespace {

struct FlagName {
  ScriptFlag flag;
  std::string_view name;
};
constexpr FlagName kFlagNames[] = {
    {kFlagNoWrites, "no-writes"},
    {kFlagAllowOom, "allow-oom"},
    {kFlagAllowStale, "allow-stale"},
    {kFlagNoCluster, "no-cluster"},
    {kFlagAllowCrossSlotKeys, "allow-cross-slot-keys"},
};

// The words of a shebang line, split at runs of blanks.
std::vector<std::string_view> Words(std::string_view line) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) i++;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') i++;
    if (i > start) words.push_back(line.substr(start, i - start));
  }
  return words;
}

// The code Lua compiles: the shebang line becomes an empty line.
std::string CodeAfterShebang(std::string_view body, size_t newline) {
  return std::string(body.substr(newline));
}

}  // namespace

uint32_t ScriptFlagByName(std::string_view name) {
  for (const auto& f : kFlagNames) {
    if (f.name == name) return f.flag;
  }
  return 0;
}

std::string ScriptFlagNames(uint32_t flags, char separator) {
  std::string names;
  for (const auto& f : kFlagNames) {
    if (!(flags & f.flag)) continue;
    if (!names.empty()) names += separator;
    names += f.name;
  }
  return names;
}

Result<EvalSource> ParseEvalSource(std::string_view body) {
  EvalSource source;
  if (body.substr(0, 2) != "#!") {
    source.code = std::string(body);
    return source;
  }
  size_t newline = body.find('\n');
  if (newline == std::string_view::npos)
    return Result<EvalSource>::Error("ERR Invalid script shebang");
  std::string_view line = body.substr(0, newline);
  std::vector<std::string_view> words = Words(line.substr(2));
  if (words.empty() || words[0] != "lua") {
    return Result<EvalSource>::Error("ERR Unexpected engine in script shebang: " +
                                     std::string(Words(line).empty() ? line : Words(line)[0]));
  }
  source.has_shebang = true;
  for (size_t i = 1; i < words.size(); i++) {
    constexpr std::string_view kFlags = "flags=";
    if (words[i].substr(0, kFlags.size()) != kFlags) {
      return Result<EvalSource>::Error("ERR Unknown lua shebang option: " + std::string(words[i]));
    }
    std::string_view list = words[i].substr(kFlags.size());
    while (!list.empty()) {
      size_t comma = list.find(',');
      std::string_view name = list.substr(0, comma);
      uint32_t flag = ScriptFlagByName(name);
      if (!flag) {
        return Result<EvalSource>::Error("ERR Unexpected flag in script shebang: " +
                                         std::string(name));
      }
      source.flags |= flag;
      list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    }
  }
  source.code = CodeAfterShebang(body, newline);
  return source;
}

bool IsValidFunctionName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

Result<LibrarySource> ParseLibrarySource(std::string_view code) {
  using R = Result<LibrarySource>;
  if (code.substr(0, 2) != "#!") return R::Error("ERR Missing library metadata");
  size_t newline = code.find('\n');
  if (newline == std::string_view::npos) {
    return R::Error("ERR Invalid library metadata");
  }
  std::vector<std::string_view> words = Words(code.substr(2, newline - 2));
  if (words.empty() || strncasecmp(words[0].data(), "lua", 3) != 0 || words[0].size() != 3) {
    return R::Error("ERR Engine '" + std::string(words.empty() ? "" : words[0]) + "' not found");
  }
  LibrarySource source;
  bool named = false;
  for (size_t i = 1; i < words.size(); i++) {
    constexpr std::string_view kName = "name=";
    if (words[i].substr(0, kName.size()) != kName) {
      return R::Error("ERR Invalid metadata value given: " + std::string(words[i]));
    }
    if (named)
      return R::Error("ERR Invalid metadata value, name argument was given multiple times");
    source.name = std::string(words[i].substr(kName.size()));
    named = true;
  }
  if (!named) return R::Error("ERR Library name was not given");
  if (!IsValidFunctionName(source.name)) return R::Error(std::string(kInvalidNameError));
  source.code = CodeAfterShebang(code, newline);
  return source;
}

}  // namespace emberkv::scripting
