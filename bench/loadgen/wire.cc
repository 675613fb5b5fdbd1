#include "bench/loadgen/wire.h"

#include <charconv>

#include "bench/common/request_encoding.h"
#include "protocol/reply_builder.h"
#include "protocol/reply_reader.h"

namespace emberkv::loadgen {

Wire::Wire(const Options& options)
    : protocol_(options.protocol),
      value_(options.value_size, 'v'),
      ttl_(options.ttl_s > 0 ? std::to_string(options.ttl_s) : ""),
      write_command_(options.write_command) {}

void Wire::AppendGet(std::string* out, std::string_view key) const {
  if (protocol_ == Protocol::kResp) {
    bench::AppendRequest(out, {"GET", key});
    return;
  }
  out->append("get ").append(key).append("\r\n");
}

void Wire::AppendSet(std::string* out, std::string_view key) const {
  if (!write_command_.empty()) {
    protocol::ReplyBuilder request(out, protocol::RespVersion::kResp2);
    request.ArrayHeader(write_command_.size());
    for (const std::string& word : write_command_) request.Bulk(word == "{key}" ? key : word);
    return;
  }
  if (protocol_ == Protocol::kResp) {
    if (ttl_.empty()) {
      bench::AppendRequest(out, {"SET", key, value_});
    } else {
      bench::AppendRequest(out, {"SET", key, value_, "EX", ttl_});
    }
    return;
  }
  out->append("set ").append(key).append(" 0 ").append(ttl_.empty() ? "0" : ttl_);
  out->append(" ").append(std::to_string(value_.size())).append("\r\n");
  out->append(value_).append("\r\n");
}

ReplyKind Wire::Read(std::string_view in, bool is_get, size_t* consumed) const {
  return protocol_ == Protocol::kResp ? ReadResp(in, is_get, consumed)
                                      : ReadMemcache(in, is_get, consumed);
}

ReplyKind Wire::ReadResp(std::string_view in, bool is_get, size_t* consumed) const {
  switch (protocol::SkipReply(in, consumed)) {
    case protocol::ReadStatus::kIncomplete:
      return ReplyKind::kIncomplete;
    case protocol::ReadStatus::kMalformed:
      return ReplyKind::kMalformed;
    case protocol::ReadStatus::kComplete:
      break;
  }
  std::string_view reply = in.substr(0, *consumed);
  if (reply[0] == '-' || reply[0] == '!') return ReplyKind::kError;
  if (is_get) {
    if (reply.starts_with("$-1\r\n") || reply.starts_with("_\r\n")) return ReplyKind::kMiss;
    return reply[0] == '$' ? ReplyKind::kHit : ReplyKind::kUnexpected;
  }
  if (!write_command_.empty()) return ReplyKind::kStored;  // whatever it answers
  return reply == "+OK\r\n" ? ReplyKind::kStored : ReplyKind::kUnexpected;
}

ReplyKind Wire::ReadMemcache(std::string_view in, bool is_get, size_t* consumed) const {
  size_t line_end = in.find("\r\n");
  if (line_end == std::string_view::npos) {
    return in.size() > 1024 ? ReplyKind::kMalformed : ReplyKind::kIncomplete;
  }
  std::string_view line = in.substr(0, line_end);
  size_t after_line = line_end + 2;
  if (line.starts_with("VALUE ")) {
    // VALUE <key> <flags> <bytes> [<cas>]\r\n<data>\r\nEND\r\n
    size_t key_end = line.find(' ', 6);
    size_t flags_end = key_end == std::string_view::npos ? key_end : line.find(' ', key_end + 1);
    if (flags_end == std::string_view::npos) return ReplyKind::kMalformed;
    std::string_view bytes_text = line.substr(flags_end + 1);
    bytes_text = bytes_text.substr(0, bytes_text.find(' '));
    size_t bytes = 0;
    auto [end, error] =
        std::from_chars(bytes_text.data(), bytes_text.data() + bytes_text.size(), bytes);
    if (error != std::errc() || end != bytes_text.data() + bytes_text.size())
      return ReplyKind::kMalformed;
    size_t total = after_line + bytes + 2 + 5;
    if (in.size() < total) return ReplyKind::kIncomplete;
    if (in.substr(after_line + bytes, 7) != "\r\nEND\r\n") return ReplyKind::kMalformed;
    *consumed = total;
    return is_get ? ReplyKind::kHit : ReplyKind::kUnexpected;
  }
  *consumed = after_line;
  if (line == "END") return is_get ? ReplyKind::kMiss : ReplyKind::kUnexpected;
  if (line == "STORED") return is_get ? ReplyKind::kUnexpected : ReplyKind::kStored;
  if (line == "ERROR" || line.starts_with("CLIENT_ERROR") || line.starts_with("SERVER_ERROR")) {
    return ReplyKind::kError;
  }
  return ReplyKind::kUnexpected;
}

}  // namespace emberkv::loadgen
