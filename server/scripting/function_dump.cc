#include "server/scripting/function_dump.h"

#include <array>
#include <cstdint>

namespace emberkv::server {
namespace {

constexpr uint8_t kFunctionOpcode = 245;  // RDB_OPCODE_FUNCTION2
constexpr uint16_t kRdbVersion = 10;      // Redis 7.0's
constexpr size_t kFooter = 10;            // version and CRC
constexpr std::string_view kBadPayload = "ERR DUMP payload version or checksum are wrong";

// The reflected form of the Jones polynomial, Redis's crc64.
constexpr uint64_t kPolynomial = 0x95ac9329ac4bc9b5ULL;

constexpr std::array<uint64_t, 256> MakeTable() {
  std::array<uint64_t, 256> table{};
  for (uint64_t i = 0; i < 256; ++i) {
    uint64_t crc = i;
    for (int bit = 0; bit < 8; ++bit) crc = (crc & 1) ? (crc >> 1) ^ kPolynomial : crc >> 1;
    table[i] = crc;
  }
  return table;
}
constexpr std::array<uint64_t, 256> kTable = MakeTable();

void PutLength(std::string* out, uint64_t length) {
  if (length < (1 << 6)) {
    out->push_back(static_cast<char>(length));
  } else if (length < (1 << 14)) {
    out->push_back(static_cast<char>(0x40 | (length >> 8)));
    out->push_back(static_cast<char>(length & 0xff));
  } else if (length <= UINT32_MAX) {
    out->push_back(static_cast<char>(0x80));
    for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>(length >> shift));
  } else {
    out->push_back(static_cast<char>(0x81));
    for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>(length >> shift));
  }
}

// Reads RDB values from the payload's body; every read is bounds-checked.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool done() const { return pos_ == data_.size(); }

  bool Byte(uint8_t* value) {
    if (pos_ >= data_.size()) return false;
    *value = static_cast<uint8_t>(data_[pos_++]);
    return true;
  }
  // A length, or (encoded) the low 6 bits of an encoded string's type.
  bool Length(uint64_t* length, bool* encoded) {
    uint8_t first;
    if (!Byte(&first)) return false;
    *encoded = false;
    switch (first >> 6) {
      case 0:
        *length = first & 0x3f;
        return true;
      case 1: {
        uint8_t second;
        if (!Byte(&second)) return false;
        *length = (uint64_t{first & 0x3fu} << 8) | second;
        return true;
      }
      case 2: {
        int bytes = first == 0x80 ? 4 : first == 0x81 ? 8 : 0;
        if (bytes == 0) return false;
        *length = 0;
        for (int i = 0; i < bytes; ++i) {
          uint8_t b;
          if (!Byte(&b)) return false;
          *length = (*length << 8) | b;
        }
        return true;
      }
      default:
        *encoded = true;
        *length = first & 0x3f;
        return true;
    }
  }
  bool String(std::string* out) {
    uint64_t length;
    bool encoded;
    if (!Length(&length, &encoded)) return false;
    if (!encoded) return Take(length, out);
    switch (length) {
      case 0:
      case 1:
      case 2: {  // integers of 1, 2, 4 bytes, little endian
        int bytes = 1 << length;
        uint64_t raw = 0;
        for (int i = 0; i < bytes; ++i) {
          uint8_t b;
          if (!Byte(&b)) return false;
          raw |= uint64_t{b} << (8 * i);
        }
        int64_t value = bytes == 1   ? static_cast<int8_t>(raw)
                        : bytes == 2 ? static_cast<int16_t>(raw)
                                     : static_cast<int32_t>(raw);
        *out = std::to_string(value);
        return true;
      }
      case 3:
        return Lzf(out);
      default:
        return false;
    }
  }

 private:
  bool Take(uint64_t length, std::string* out) {
    if (length > data_.size() - pos_) return false;
    out->assign(data_.substr(pos_, length));
    pos_ += length;
    return true;
  }
  bool Lzf(std::string* out) {
    uint64_t compressed, length;
    bool encoded;
    if (!Length(&compressed, &encoded) || encoded) return false;
    if (!Length(&length, &encoded) || encoded) return false;
    if (compressed > data_.size() - pos_) return false;
    std::string_view in = data_.substr(pos_, compressed);
    pos_ += compressed;
    // A back reference of 2 input bytes yields at most 264 bytes.
    if (length > compressed * 132 + 64) return false;
    out->clear();
    out->reserve(length);
    size_t ip = 0;
    while (ip < in.size()) {
      unsigned ctrl = static_cast<uint8_t>(in[ip++]);
      if (ctrl < 32) {
        size_t run = ctrl + 1;
        if (run > in.size() - ip || out->size() + run > length) return false;
        out->append(in.substr(ip, run));
        ip += run;
        continue;
      }
      size_t run = ctrl >> 5;
      if (run == 7) {
        if (ip >= in.size()) return false;
        run += static_cast<uint8_t>(in[ip++]);
      }
      if (ip >= in.size()) return false;
      size_t back = ((ctrl & 0x1f) << 8) + static_cast<uint8_t>(in[ip++]) + 1;
      run += 2;
      if (back > out->size() || out->size() + run > length) return false;
      size_t from = out->size() - back;
      for (size_t i = 0; i < run; ++i) out->push_back((*out)[from + i]);
    }
    return out->size() == length;
  }

  std::string_view data_;
  size_t pos_ = 0;
};

}  // namespace

uint64_t Crc64(uint64_t crc, std::string_view data) {
  for (char ch : data) crc = kTable[(crc ^ static_cast<uint8_t>(ch)) & 0xff] ^ (crc >> 8);
  return crc;
}

std::string DumpFunctions(const std::map<std::string, std::string, std::less<>>& libraries) {
  std::string out;
  for (const auto& [name, code] : libraries) {
    out.push_back(static_cast<char>(kFunctionOpcode));
    PutLength(&out, code.size());
    out.append(code);
  }
  out.push_back(static_cast<char>(kRdbVersion & 0xff));
  out.push_back(static_cast<char>(kRdbVersion >> 8));
  uint64_t crc = Crc64(0, out);
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(crc >> (8 * i)));
  return out;
}

std::optional<std::string> ParseFunctionDump(std::string_view payload,
                                             std::vector<std::string>* codes) {
  if (payload.size() < kFooter) return std::string(kBadPayload);
  const size_t body = payload.size() - kFooter;
  uint16_t version =
      static_cast<uint8_t>(payload[body]) | (static_cast<uint8_t>(payload[body + 1]) << 8);
  uint64_t crc = 0;
  for (int i = 0; i < 8; ++i)
    crc |= uint64_t{static_cast<uint8_t>(payload[body + 2 + i])} << (8 * i);
  if (version > kRdbVersion || Crc64(0, payload.substr(0, body + 2)) != crc) {
    return std::string(kBadPayload);
  }
  Reader reader(payload.substr(0, body));
  while (!reader.done()) {
    uint8_t type;
    if (!reader.Byte(&type) || type != kFunctionOpcode) {
      return std::string("ERR given type is not a function");
    }
    std::string code;
    if (!reader.String(&code)) return std::string("ERR Failed loading library");
    codes->push_back(std::move(code));
  }
  return std::nullopt;
}

}  // namespace emberkv::server
