// Encodes replies in RESP2 or RESP3 into an output buffer.
//
// Command code speaks in types (integer, bulk, null, map, double, ...) and the
// builder picks the wire form for the connection's protocol version: a map is
// a flat array in RESP2, a null is `$-1` (or `*-1` for arrays) in RESP2 and
// `_` in RESP3, a double is a bulk string in RESP2 and `,` in RESP3. Doubles
// are printed with "%.17g" like Redis 7.0.
//
// The builder appends to a std::string it does not own; several builders may
// take turns on one buffer. Not thread-safe; cheap to construct.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace emberkv::protocol {

enum class RespVersion : uint8_t { kResp2 = 2, kResp3 = 3 };

class ReplyBuilder {
 public:
  ReplyBuilder(std::string* out, RespVersion version) : out_(out), version_(version) {}

  RespVersion version() const { return version_; }
  bool resp3() const { return version_ == RespVersion::kResp3; }
  std::string* buffer() { return out_; }

  void SimpleString(std::string_view text);  // "+text"; text must not hold CR or LF
  void Ok() { Raw("+OK\r\n"); }
  // "-message". The message starts with its code ("ERR ...", "WRONGTYPE ...");
  // CR and LF inside it become blanks so that the reply stays one line.
  void Error(std::string_view message);
  void Integer(int64_t value);
  void Bulk(std::string_view value);
  void Null();       // a missing value: RESP2 "$-1", RESP3 "_"
  void NullArray();  // a missing aggregate: RESP2 "*-1", RESP3 "_"
  void ArrayHeader(size_t count);
  void MapHeader(size_t pairs);   // RESP2: an array of 2*pairs
  void SetHeader(size_t count);   // RESP2: an array
  void PushHeader(size_t count);  // RESP2: an array
  void Double(double value);
  // A double already printed as the command prints it (GEOPOS's
  // coordinates, in Redis's "human" long double form): RESP2 a bulk string,
  // RESP3 a double.
  void DoubleText(std::string_view text);
  void Bool(bool value);  // RESP2: the integers 1 and 0
  // A big number given as its decimal digits: RESP3 "(", RESP2 a bulk string.
  void BigNumber(std::string_view digits);
  // RESP3 attributes ("|"), which describe the reply that follows them. RESP2
  // has none: callers write the attribute's pairs only when resp3().
  void AttributeHeader(size_t pairs);
  // RESP3 verbatim string (e.g. INFO's "txt"); RESP2 sends a bulk string.
  void Verbatim(std::string_view format, std::string_view text);
  void EmptyArray() { Raw("*0\r\n"); }
  void Raw(std::string_view bytes) { out_->append(bytes); }

  // Text of a double as Redis 7.0 prints it ("%.17g", "inf", "-inf").
  static std::string FormatDouble(double value);

 private:
  void Header(char type, int64_t count);

  std::string* out_;
  RespVersion version_;
};

}  // namespace emberkv::protocol
