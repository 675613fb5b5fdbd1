// libFuzzer harness for the RESP request parser.
//
// The input is fed twice: whole, and split at points chosen by the input
// itself, the way bytes arrive from a socket (each piece appended to what is
// left, consumed bytes dropped). Both feeds must yield the same commands and
// end the same way, and the parser must never claim to need more bytes than
// a command could hold.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "protocol/request_parser.h"

namespace {

using emberkv::protocol::ParserLimits;
using emberkv::protocol::ParseStatus;
using emberkv::protocol::RequestParser;

struct Outcome {
  std::vector<std::vector<std::string>> commands;
  bool error = false;
  std::string error_text;
};

Outcome Feed(const uint8_t* data, size_t size, const std::vector<size_t>& cuts,
             bool auth_required) {
  ParserLimits limits;
  limits.max_inline_len = 512;  // small limits reach the error paths
  limits.max_bulk_len = 4096;
  RequestParser parser(limits);
  parser.set_auth_required(auth_required);
  Outcome out;
  std::string buffer;
  size_t fed = 0;
  std::vector<size_t> ends = cuts;
  ends.push_back(size);
  for (size_t end : ends) {
    if (end < fed || end > size) continue;
    buffer.append(reinterpret_cast<const char*>(data) + fed, end - fed);
    fed = end;
    while (true) {
      ParseStatus status = parser.Parse(buffer);
      if (status == ParseStatus::kError) {
        out.error = true;
        out.error_text = parser.ErrorMessage();
        return out;
      }
      if (status == ParseStatus::kCommand) {
        out.commands.emplace_back(parser.args().begin(), parser.args().end());
        if (out.commands.back().empty())
          std::abort();  // empty commands are skipped, never returned
      }
      if (parser.consumed() > buffer.size()) std::abort();
      buffer.erase(0, parser.consumed());
      if (status == ParseStatus::kNeedMore) {
        // A claim of bytes wanted is bounded by the limits, not the input.
        if (parser.bytes_wanted() >
            buffer.size() + static_cast<size_t>(limits.max_bulk_len) + 64 + size) {
          std::abort();
        }
        break;
      }
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  // The first byte picks how to split, the second whether auth limits apply.
  uint8_t split_seed = data[0];
  bool auth = data[1] & 1;
  data += 2;
  size -= 2;
  std::vector<size_t> cuts;
  if (split_seed & 1) {
    for (size_t i = 1; i < size; ++i) cuts.push_back(i);  // byte by byte
  } else if (split_seed > 1) {
    for (size_t i = split_seed % 7 + 1; i < size; i += split_seed % 13 + 1) cuts.push_back(i);
  }
  Outcome whole = Feed(data, size, {}, auth);
  Outcome split = Feed(data, size, cuts, auth);
  if (whole.commands != split.commands || whole.error != split.error ||
      whole.error_text != split.error_text) {
    std::abort();
  }
  return 0;
}
