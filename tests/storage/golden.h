// Reading the files that tests/storage/golden/record.py recorded from
// redis-server: lines of space-separated words, '#' lines are comments.
#pragma once

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace emberkv::storage::golden {

inline std::vector<std::vector<std::string>> ReadLines(const std::string& name) {
  std::ifstream in(std::string(EMBERKV_GOLDEN_DIR) + "/" + name);
  if (!in) throw std::runtime_error("cannot open golden file " + name);
  std::vector<std::vector<std::string>> lines;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream words(line);
    std::vector<std::string> fields;
    for (std::string w; words >> w;) fields.push_back(w);
    lines.push_back(std::move(fields));
  }
  return lines;
}

inline std::string FromHex(const std::string& hex) {
  std::string out(hex.size() / 2, '\0');
  for (size_t i = 0; i < out.size(); ++i)
    out[i] = static_cast<char>(std::stoi(hex.substr(2 * i, 2), nullptr, 16));
  return out;
}

inline std::string ToHex(std::string_view bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

}  // namespace emberkv::storage::golden
