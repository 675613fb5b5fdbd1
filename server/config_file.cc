#include "server/config_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "base/split_args.h"
#include "server/util/ascii.h"

namespace emberkv::server {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\0'; }

std::string_view Trimmed(std::string_view line) {
  while (!line.empty() && IsBlank(line.front())) line.remove_prefix(1);
  while (!line.empty() && IsBlank(line.back())) line.remove_suffix(1);
  return line;
}

const ConfigParam* FindParamSpec(std::string_view name) {
  for (const ConfigParam& param : ConfigParams()) {
    if (EqualsIgnoreCase(param.name, name)) return &param;
  }
  return nullptr;
}

std::optional<std::string> ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::string(std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  *out = text.str();
  return std::nullopt;
}

// Redis's rewriteConfigFormatMemory: the largest unit that divides exactly.
std::string FormatMemory(std::string_view bytes_text) {
  std::optional<uint64_t> parsed = ParseMemory(bytes_text);
  if (!parsed) return std::string(bytes_text);
  uint64_t bytes = *parsed;
  constexpr uint64_t kKb = 1024, kMb = kKb * 1024, kGb = kMb * 1024;
  if (bytes != 0 && bytes % kGb == 0) return std::to_string(bytes / kGb) + "gb";
  if (bytes != 0 && bytes % kMb == 0) return std::to_string(bytes / kMb) + "mb";
  if (bytes != 0 && bytes % kKb == 0) return std::to_string(bytes / kKb) + "kb";
  return std::to_string(bytes);
}

// One directive line with the parameter's current value.
std::string DirectiveLine(const ConfigParam& param, const std::string& value) {
  std::string line(param.name);
  switch (param.kind) {
    case ParamKind::kMemory:
      line += " " + FormatMemory(value);
      break;
    case ParamKind::kList: {
      std::optional<std::vector<std::string>> items = base::SplitArgs(value);
      if (!items || items->empty()) {
        line += " " + QuoteConfigValue(value);
      } else {
        for (const std::string& item : *items) line += " " + QuoteConfigValue(item);
      }
      break;
    }
    case ParamKind::kScalar:
      line += " " + QuoteConfigValue(value);
      break;
  }
  return line;
}

}  // namespace

std::string QuoteConfigValue(std::string_view value) {
  bool bare = !value.empty() && value.front() != '#';
  for (char c : value) {
    if (IsBlank(c) || c == '"' || c == '\'' || c == '\\' || static_cast<unsigned char>(c) < 0x20 ||
        static_cast<unsigned char>(c) >= 0x7f) {
      bare = false;
    }
  }
  if (bare) return std::string(value);
  std::string out = "\"";
  for (char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\a':
        out += "\\a";
        break;
      case '\b':
        out += "\\b";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
          char hex[5];
          std::snprintf(hex, sizeof(hex), "\\x%02x", static_cast<unsigned char>(c));
          out += hex;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::optional<std::string> ApplyConfigText(std::string_view text, std::string_view path,
                                           ServerConfig& config) {
  int number = 0;
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string_view raw = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    ++number;
    std::string_view line = Trimmed(raw);
    if (line.empty() || line.front() == '#') continue;
    auto fail = [&](std::string_view why) {
      return std::string(path) + ":" + std::to_string(number) + ": " + std::string(why) + " ('" +
             std::string(line) + "')";
    };
    std::optional<std::vector<std::string>> args = base::SplitArgs(line);
    if (!args) return fail("unbalanced quotes");
    if (args->empty()) continue;  // blanks Trimmed keeps (\v, \f): Redis skips the line too
    const std::string& name = (*args)[0];
    const ConfigParam* param = FindParamSpec(name);
    if (!param) return fail("unknown directive '" + name + "'");
    std::string value;
    if (param->kind == ParamKind::kList) {
      if (args->size() < 2) return fail("wrong number of arguments for '" + name + "'");
      for (size_t i = 1; i < args->size(); ++i) value += (i > 1 ? " " : "") + (*args)[i];
    } else {
      if (args->size() != 2) return fail("wrong number of arguments for '" + name + "'");
      value = (*args)[1];
    }
    if (std::optional<std::string> error = SetConfigParam(config, param->name, value)) {
      return fail("'" + name + "': " + *error);
    }
  }
  return std::nullopt;
}

std::optional<std::string> LoadConfigFile(std::string_view path, ServerConfig& config) {
  std::string absolute(path);
  if (!absolute.empty() && absolute.front() != '/') {
    char cwd[4096];
    if (getcwd(cwd, sizeof(cwd))) absolute = std::string(cwd) + "/" + absolute;
  }
  std::string text;
  if (std::optional<std::string> error = ReadFile(absolute, &text)) {
    return "cannot read config file '" + std::string(path) + "': " + *error;
  }
  if (std::optional<std::string> error = ApplyConfigText(text, path, config)) return error;
  config.config_file = absolute;
  return std::nullopt;
}

std::string EnvironmentName(std::string_view param) {
  std::string name = "EMBERKV_" + AsciiUppered(param);
  for (char& c : name) {
    if (c == '-') c = '_';
  }
  return name;
}

std::optional<std::string> ApplyEnvironment(ServerConfig& config,
                                            const char* (*getenv_fn)(const char*)) {
  for (const ConfigParam& param : ConfigParams()) {
    std::string variable = EnvironmentName(param.name);
    const char* value = getenv_fn(variable.c_str());
    if (!value) continue;
    if (std::optional<std::string> error = SetConfigParam(config, param.name, value)) {
      return "environment variable " + variable + "='" + value + "': " + *error;
    }
  }
  return std::nullopt;
}

std::string RewriteConfigText(std::string_view old_text, const ServerConfig& config) {
  std::vector<std::string> lines;
  // Parameter name -> indexes of its lines in the old file.
  std::map<std::string, std::vector<size_t>, std::less<>> places;
  while (!old_text.empty()) {
    size_t end = old_text.find('\n');
    std::string_view raw = old_text.substr(0, end);
    old_text = end == std::string_view::npos ? std::string_view() : old_text.substr(end + 1);
    std::string_view line = Trimmed(raw);
    if (!line.empty() && line.front() != '#') {
      std::optional<std::vector<std::string>> args = base::SplitArgs(line);
      const ConfigParam* param = args && !args->empty() ? FindParamSpec((*args)[0]) : nullptr;
      if (param) places[std::string(param->name)].push_back(lines.size());
    }
    lines.emplace_back(raw);
  }
  static const std::string kRemoved = "\x01removed";
  const ServerConfig defaults;
  std::vector<std::string> appended;
  for (const ConfigParam& param : ConfigParams()) {
    std::string value = GetConfigParam(config, param.name).value_or("");
    auto it = places.find(param.name);
    if (it != places.end()) {
      lines[it->second.front()] = DirectiveLine(param, value);
      for (size_t i = 1; i < it->second.size(); ++i) lines[it->second[i]] = kRemoved;
    } else if (value != GetConfigParam(defaults, param.name).value_or("")) {
      appended.push_back(DirectiveLine(param, value));
    }
  }
  std::string out;
  for (const std::string& line : lines) {
    if (line != kRemoved) out += line + "\n";
  }
  if (!appended.empty()) {
    out += "# Generated by CONFIG REWRITE\n";
    for (const std::string& line : appended) out += line + "\n";
  }
  return out;
}

std::optional<std::string> RewriteConfigFile(const ServerConfig& config) {
  if (config.config_file.empty()) return std::string("The server is running without a config file");
  const std::string& path = config.config_file;
  std::string old_text;  // a file that has gone is written anew, as Redis does
  if (access(path.c_str(), F_OK) == 0) {
    if (std::optional<std::string> error = ReadFile(path, &old_text))
      return "Rewriting config file: " + *error;
  }
  std::string text = RewriteConfigText(old_text, config);
  // Write a sibling and rename it over the file: a crash leaves the old file
  // or the new one, never half of each.
  std::string temporary = path + ".rewrite-" + std::to_string(getpid());
  int fd = open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return "Rewriting config file: " + std::string(std::strerror(errno));
  struct stat old_stat;
  if (stat(path.c_str(), &old_stat) == 0) fchmod(fd, old_stat.st_mode & 07777);
  size_t written = 0;
  while (written < text.size()) {
    ssize_t n = write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      std::string error = std::strerror(errno);
      close(fd);
      unlink(temporary.c_str());
      return "Rewriting config file: " + error;
    }
    written += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0 || close(fd) != 0 || rename(temporary.c_str(), path.c_str()) != 0) {
    std::string error = std::strerror(errno);
    unlink(temporary.c_str());
    return "Rewriting config file: " + error;
  }
  return std::nullopt;
}

}  // namespace emberkv::server
