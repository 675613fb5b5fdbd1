#include "storage/hyperloglog.h"

#include <cmath>
#include <cstring>

#include "base/murmur_hash.h"

namespace emberkv::storage::hll {
namespace {

constexpr uint64_t kSeed = 0xadc83b19ULL;
constexpr int kIndexBits = 14;
constexpr int kRunBits = 64 - kIndexBits;  // 50: candidates go up to 51
constexpr uint8_t kDense = 0;
constexpr uint8_t kSparse = 1;
constexpr size_t kEncodingByte = 4;
constexpr size_t kStaleByte = 15;  // the cache's top byte; its top bit marks it stale
constexpr uint8_t kStaleBit = 0x80;
// 0.5 / ln(2): the estimator's constant for an infinite number of registers.
constexpr double kAlphaInfinity = 0.721347520444481703680;

// ---- Sparse opcodes ----
constexpr int kMaxValValue = 32;
constexpr int kMaxValRun = 4;
constexpr int kMaxZeroRun = 64;

bool IsZero(uint8_t op) { return (op & 0xC0) == 0x00; }
bool IsXZero(uint8_t op) { return (op & 0xC0) == 0x40; }
bool IsVal(uint8_t op) { return op & 0x80; }
int ZeroRun(uint8_t op) { return (op & 0x3F) + 1; }
int XZeroRun(uint8_t op, uint8_t next) { return (((op & 0x3F) << 8) | next) + 1; }
int ValValue(uint8_t op) { return ((op >> 2) & 0x1F) + 1; }
int ValRun(uint8_t op) { return (op & 0x03) + 1; }
uint8_t Val(int value, int run) {
  return static_cast<uint8_t>(0x80 | (value - 1) << 2 | (run - 1));
}
uint8_t Zero(int run) { return static_cast<uint8_t>(run - 1); }
void PutXZero(uint8_t* p, int run) {
  p[0] = static_cast<uint8_t>(0x40 | (run - 1) >> 8);
  p[1] = static_cast<uint8_t>((run - 1) & 0xFF);
}
// Appends the opcode(s) for a run of zeros: ZERO when it fits, XZERO else.
uint8_t* PutZeros(uint8_t* p, int run) {
  if (run > kMaxZeroRun) {
    PutXZero(p, run);
    return p + 2;
  }
  *p = Zero(run);
  return p + 1;
}

// One opcode of a validated sparse value: its length in bytes, and the
// registers it covers.
struct Opcode {
  int bytes;
  int run;
};
Opcode Decode(const uint8_t* p) {
  if (IsZero(*p)) return {1, ZeroRun(*p)};
  if (IsVal(*p)) return {1, ValRun(*p)};
  return {2, XZeroRun(p[0], p[1])};
}

const uint8_t* Bytes(std::string_view s) { return reinterpret_cast<const uint8_t*>(s.data()); }
uint8_t* Bytes(std::string* s) { return reinterpret_cast<uint8_t*>(s->data()); }

// ---- The estimator (Ertl, "New cardinality estimation algorithms for
// HyperLogLog sketches", 2017), its operations in Redis's order. ----
double Sigma(double x) {
  if (x == 1.) return INFINITY;
  double y = 1, z = x, previous;
  do {
    x *= x;
    previous = z;
    z += x * y;
    y += y;
  } while (previous != z);
  return z;
}

double Tau(double x) {
  if (x == 0. || x == 1.) return 0.;
  double y = 1.0, z = 1 - x, previous;
  do {
    x = std::sqrt(x);
    previous = z;
    y *= 0.5;
    z -= std::pow(1 - x, 2) * y;
  } while (previous != z);
  return z / 3;
}

// histogram[v]: how many registers hold v.
uint64_t Estimate(const int* histogram) {
  const double m = kRegisters;
  double z = m * Tau((m - histogram[kRunBits + 1]) / m);
  for (int j = kRunBits; j >= 1; --j) {
    z += histogram[j];
    z *= 0.5;
  }
  z += m * Sigma(histogram[0] / m);
  return static_cast<uint64_t>(std::llround(kAlphaInfinity * m * m / z));
}

void DenseHistogram(const uint8_t* r, int* histogram) {
  // Four 6-bit registers in every three bytes.
  for (size_t i = 0; i < kRegisters / 4; ++i, r += 3) {
    ++histogram[r[0] & 63];
    ++histogram[(r[0] >> 6 | r[1] << 2) & 63];
    ++histogram[(r[1] >> 4 | r[2] << 4) & 63];
    ++histogram[r[2] >> 2];
  }
}

// Calls fn(first_register, run, value) for each opcode of a valid sparse
// value (value 0 for ZERO and XZERO).
template <class Fn>
void ForEachRun(std::string_view hll, Fn&& fn) {
  const uint8_t* p = Bytes(hll) + kHeaderSize;
  const uint8_t* end = Bytes(hll) + hll.size();
  uint32_t index = 0;
  while (p < end) {
    Opcode op = Decode(p);
    fn(index, op.run, IsVal(*p) ? ValValue(*p) : 0);
    index += static_cast<uint32_t>(op.run);
    p += op.bytes;
  }
}

bool RaiseDense(std::string* hll, uint32_t index, uint8_t count) {
  uint8_t* registers = Bytes(hll) + kHeaderSize;
  if (DenseRegister(registers, index) >= count) return false;
  SetDenseRegister(registers, index, count);
  MarkStale(hll->data());
  return true;
}

// After an edit, adjacent VAL opcodes of one value are merged, looking at
// no more than five opcodes from the one before the edit (as Redis does:
// the bytes must come out the same).
void MergeAdjacent(std::string* hll, size_t from) {
  size_t p = from;
  int budget = 5;
  while (p < hll->size()) {
    if (budget-- == 0) break;
    uint8_t* b = Bytes(hll);
    if (IsXZero(b[p])) {
      p += 2;
      continue;
    }
    if (IsZero(b[p])) {
      ++p;
      continue;
    }
    if (p + 1 < hll->size() && IsVal(b[p + 1]) && ValValue(b[p]) == ValValue(b[p + 1])) {
      int run = ValRun(b[p]) + ValRun(b[p + 1]);
      if (run <= kMaxValRun) {
        b[p + 1] = Val(ValValue(b[p]), run);
        hll->erase(p, 1);
        continue;  // the merged opcode may merge with the next one too
      }
    }
    ++p;
  }
}

}  // namespace

Shape Inspect(std::string_view value) {
  if (value.size() < kHeaderSize || value.substr(0, 4) != "HYLL") return Shape::kNotHll;
  uint8_t encoding = static_cast<uint8_t>(value[kEncodingByte]);
  if (encoding == kSparse) return Shape::kSparse;
  if (encoding == kDense && value.size() == kDenseSize) return Shape::kDense;
  return Shape::kNotHll;
}

bool SparseValid(std::string_view value) {
  const uint8_t* p = Bytes(value) + kHeaderSize;
  const uint8_t* end = Bytes(value) + value.size();
  size_t covered = 0;
  while (p < end) {
    if (IsXZero(*p) && p + 1 >= end) return false;  // a truncated XZERO
    Opcode op = Decode(p);
    covered += static_cast<size_t>(op.run);
    if (covered > kRegisters) return false;
    p += op.bytes;
  }
  return covered == kRegisters;
}

std::string Empty() {
  std::string hll(kHeaderSize + 2, '\0');
  std::memcpy(hll.data(), "HYLL", 4);
  hll[kEncodingByte] = static_cast<char>(kSparse);
  PutXZero(Bytes(&hll) + kHeaderSize, static_cast<int>(kRegisters));
  return hll;
}

Hashed Hash(std::string_view element) {
  uint64_t hash = base::MurmurHash64A(element, kSeed);
  uint32_t index = static_cast<uint32_t>(hash & (kRegisters - 1));
  // A bit set above the 50 used ends the run at 51 at most.
  hash = (hash >> kIndexBits) | (uint64_t{1} << kRunBits);
  return Hashed{index, static_cast<uint8_t>(__builtin_ctzll(hash) + 1)};
}

uint8_t DenseRegister(const uint8_t* registers, uint32_t index) {
  const size_t bit = size_t{index} * 6;
  const size_t byte = bit / 8;
  const unsigned shift = bit & 7;
  unsigned value = registers[byte] >> shift;
  // The last register ends its byte: never read past the registers.
  if (shift > 2) value |= static_cast<unsigned>(registers[byte + 1]) << (8 - shift);
  return static_cast<uint8_t>(value & 63);
}

void SetDenseRegister(uint8_t* registers, uint32_t index, uint8_t value) {
  const size_t bit = size_t{index} * 6;
  const size_t byte = bit / 8;
  const unsigned shift = bit & 7;
  registers[byte] = static_cast<uint8_t>((registers[byte] & ~(63u << shift)) | (value << shift));
  if (shift > 2) {
    const unsigned high = 8 - shift;
    registers[byte + 1] =
        static_cast<uint8_t>((registers[byte + 1] & ~(63u >> high)) | (value >> high));
  }
}

void ToDense(std::string* hll) {
  std::string dense(kDenseSize, '\0');
  std::memcpy(dense.data(), hll->data(), kHeaderSize);  // magic, cache, unused bytes
  dense[kEncodingByte] = static_cast<char>(kDense);
  uint8_t* registers = Bytes(&dense) + kHeaderSize;
  ForEachRun(*hll, [&](uint32_t first, int run, int value) {
    if (!value) return;
    for (int i = 0; i < run; ++i)
      SetDenseRegister(registers, first + static_cast<uint32_t>(i), static_cast<uint8_t>(value));
  });
  hll->swap(dense);
}

bool Raise(std::string* hll, uint32_t index, uint8_t count, size_t sparse_max_bytes) {
  if (static_cast<uint8_t>((*hll)[kEncodingByte]) == kDense) return RaiseDense(hll, index, count);
  if (count > kMaxValValue) {
    ToDense(hll);
    return RaiseDense(hll, index, count);
  }
  // Find the opcode that covers the register, and the one before it.
  size_t p = kHeaderSize, previous = kHeaderSize;
  uint32_t first = 0;
  bool has_previous = false;
  Opcode op{};
  while (p < hll->size()) {
    op = Decode(Bytes(hll) + p);
    if (index < first + static_cast<uint32_t>(op.run)) break;
    previous = p;
    has_previous = true;
    p += static_cast<size_t>(op.bytes);
    first += static_cast<uint32_t>(op.run);
  }
  const uint8_t code = Bytes(hll)[p];
  const bool is_val = IsVal(code);
  const bool is_zero = IsZero(code);
  const size_t merge_from = has_previous ? previous : kHeaderSize;

  if (is_val && ValValue(code) >= count) return false;
  if ((is_val || is_zero) && op.run == 1) {
    // A single register: the opcode just becomes VAL(count).
    Bytes(hll)[p] = Val(count, 1);
  } else {
    // Split the run: what comes before the register, the register, what
    // comes after, at most 5 bytes (XZERO, VAL, XZERO).
    uint8_t sequence[5];
    uint8_t* n = sequence;
    const int before = static_cast<int>(index - first);
    const int after = op.run - before - 1;
    if (is_val) {
      const int current = ValValue(code);
      if (before) *n++ = Val(current, before);
      *n++ = Val(count, 1);
      if (after) *n++ = Val(current, after);
    } else {
      if (before) n = PutZeros(n, before);
      *n++ = Val(count, 1);
      if (after) n = PutZeros(n, after);
    }
    const size_t length = static_cast<size_t>(n - sequence);
    const size_t old_length = static_cast<size_t>(op.bytes);
    if (length > old_length && hll->size() + (length - old_length) > sparse_max_bytes) {
      ToDense(hll);
      return RaiseDense(hll, index, count);
    }
    hll->replace(p, old_length, reinterpret_cast<const char*>(sequence), length);
  }
  MergeAdjacent(hll, merge_from);
  MarkStale(hll->data());
  return true;
}

bool CachedCount(std::string_view hll, uint64_t* count) {
  if (static_cast<uint8_t>(hll[kStaleByte]) & kStaleBit) return false;
  uint64_t value = 0;
  for (int i = 7; i >= 0; --i)
    value = (value << 8) | static_cast<uint8_t>(hll[8 + static_cast<size_t>(i)]);
  *count = value;
  return true;
}

void StoreCount(char* hll, uint64_t count) {
  for (size_t i = 0; i < 8; ++i) hll[8 + i] = static_cast<char>((count >> (8 * i)) & 0xFF);
}

void MarkStale(char* hll) { hll[kStaleByte] = static_cast<char>(hll[kStaleByte] | kStaleBit); }

uint64_t Count(std::string_view hll) {
  int histogram[64] = {0};
  if (Inspect(hll) == Shape::kDense) {
    DenseHistogram(Bytes(hll) + kHeaderSize, histogram);
  } else {
    ForEachRun(hll, [&](uint32_t, int run, int value) { histogram[value] += run; });
  }
  return Estimate(histogram);
}

void MergeInto(std::string_view hll, uint8_t* max) {
  if (Inspect(hll) == Shape::kDense) {
    const uint8_t* registers = Bytes(hll) + kHeaderSize;
    for (uint32_t i = 0; i < kRegisters; ++i) {
      uint8_t value = DenseRegister(registers, i);
      if (value > max[i]) max[i] = value;
    }
    return;
  }
  ForEachRun(hll, [&](uint32_t first, int run, int value) {
    for (int i = 0; i < run && value; ++i) {
      uint8_t& slot = max[first + static_cast<uint32_t>(i)];
      if (value > slot) slot = static_cast<uint8_t>(value);
    }
  });
}

uint64_t CountRegisters(const uint8_t* registers) {
  int histogram[64] = {0};
  for (size_t i = 0; i < kRegisters; ++i) ++histogram[registers[i] & 63];
  return Estimate(histogram);
}

}  // namespace emberkv::storage::hll
