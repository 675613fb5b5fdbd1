#include "protocol/reply_builder.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace emberkv::protocol {

void ReplyBuilder::Header(char type, int64_t count) {
  char buf[24];
  buf[0] = type;
  char* end = std::to_chars(buf + 1, buf + sizeof(buf) - 2, count).ptr;
  *end++ = '\r';
  *end++ = '\n';
  out_->append(buf, end - buf);
}

void ReplyBuilder::SimpleString(std::string_view text) {
  out_->push_back('+');
  out_->append(text);
  out_->append("\r\n");
}

void ReplyBuilder::Error(std::string_view message) {
  out_->push_back('-');
  size_t start = out_->size();
  out_->append(message);
  for (size_t i = start; i < out_->size(); ++i) {
    if ((*out_)[i] == '\r' || (*out_)[i] == '\n') (*out_)[i] = ' ';
  }
  out_->append("\r\n");
}

void ReplyBuilder::Integer(int64_t value) { Header(':', value); }

void ReplyBuilder::Bulk(std::string_view value) {
  Header('$', static_cast<int64_t>(value.size()));
  out_->append(value);
  out_->append("\r\n");
}

void ReplyBuilder::Null() { Raw(resp3() ? "_\r\n" : "$-1\r\n"); }

void ReplyBuilder::NullArray() { Raw(resp3() ? "_\r\n" : "*-1\r\n"); }

void ReplyBuilder::ArrayHeader(size_t count) { Header('*', static_cast<int64_t>(count)); }

void ReplyBuilder::MapHeader(size_t pairs) {
  if (resp3()) {
    Header('%', static_cast<int64_t>(pairs));
  } else {
    Header('*', static_cast<int64_t>(pairs * 2));
  }
}

void ReplyBuilder::SetHeader(size_t count) {
  Header(resp3() ? '~' : '*', static_cast<int64_t>(count));
}

void ReplyBuilder::BigNumber(std::string_view digits) {
  if (!resp3()) return Bulk(digits);
  out_->push_back('(');
  out_->append(digits);
  out_->append("\r\n");
}

void ReplyBuilder::AttributeHeader(size_t pairs) { Header('|', static_cast<int64_t>(pairs)); }

void ReplyBuilder::PushHeader(size_t count) {
  Header(resp3() ? '>' : '*', static_cast<int64_t>(count));
}

std::string ReplyBuilder::FormatDouble(double value) {
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char buf[64];
  int len = std::snprintf(buf, sizeof(buf), "%.17g", value);
  return std::string(buf, len);
}

void ReplyBuilder::Double(double value) { DoubleText(FormatDouble(value)); }

void ReplyBuilder::DoubleText(std::string_view text) {
  if (resp3()) {
    out_->push_back(',');
    out_->append(text);
    out_->append("\r\n");
  } else {
    Bulk(text);
  }
}

void ReplyBuilder::Bool(bool value) {
  if (resp3()) {
    Raw(value ? "#t\r\n" : "#f\r\n");
  } else {
    Raw(value ? ":1\r\n" : ":0\r\n");
  }
}

void ReplyBuilder::Verbatim(std::string_view format, std::string_view text) {
  if (!resp3()) {
    Bulk(text);
    return;
  }
  Header('=', static_cast<int64_t>(text.size() + format.size() + 1));
  out_->append(format);
  out_->push_back(':');
  out_->append(text);
  out_->append("\r\n");
}

}  // namespace emberkv::protocol
