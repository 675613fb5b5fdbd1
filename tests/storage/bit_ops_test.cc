#include "storage/bit_ops.h"

#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <vector>

#include "storage/bitfield.h"
#include "storage/list_ops.h"
#include "storage/shard_store.h"
#include "storage/string_ops.h"
#include "store_fixture.h"

using namespace emberkv::storage;
using bits::BitRange;

namespace {

constexpr int64_t kMaxBulk = 512LL * 1024 * 1024;

bool BitAt(const std::string& s, int64_t i) {
  return (static_cast<uint8_t>(s[i >> 3]) >> (7 - (i & 7))) & 1;
}

// Redis's range rules, one bit at a time.
bool NaiveRange(const std::string& s, const BitRange& r, int64_t* first, int64_t* last) {
  int64_t total = static_cast<int64_t>(s.size()) * (r.bit_unit ? 8 : 1);
  int64_t start = r.start, end = r.end ? *r.end : total - 1;
  if (start < 0) start += total;
  if (end < 0) end += total;
  start = std::max<int64_t>(start, 0);
  end = std::max<int64_t>(end, 0);
  end = std::min(end, total - 1);
  if (start > end) return false;
  *first = r.bit_unit ? start : start * 8;
  *last = r.bit_unit ? end : end * 8 + 7;
  return true;
}

int64_t NaiveCount(const std::string& s, const BitRange& r) {
  // BITCOUNT alone answers 0 for two negative indices in the wrong order.
  if (r.start < 0 && *r.end < 0 && r.start > *r.end) return 0;
  int64_t first, last, n = 0;
  if (!NaiveRange(s, r, &first, &last)) return 0;
  for (int64_t i = first; i <= last; ++i) n += BitAt(s, i);
  return n;
}

int64_t NaivePos(const std::string& s, bool bit, const std::optional<BitRange>& r) {
  int64_t first = 0, last = static_cast<int64_t>(s.size()) * 8 - 1;
  if (r && !NaiveRange(s, *r, &first, &last)) return -1;
  if (!r && s.empty()) return -1;
  for (int64_t i = first; i <= last; ++i) {
    if (BitAt(s, i) == bit) return i;
  }
  return (bit || (r && r->end)) ? -1 : last + 1;
}

}  // namespace

TEST_CASE("SETBIT and GETBIT: growth, zero fill, old values, no write when unchanged") {
  StoreFixture f;
  CHECK(bits::SetBit(f.db, "b", 7, true, kMaxBulk).value == 0);
  CHECK(f.Value("b") == std::string("\x01", 1));
  CHECK(bits::SetBit(f.db, "b", 7, true, kMaxBulk).value == 1);
  CHECK(bits::SetBit(f.db, "b", 100, true, kMaxBulk).value == 0);
  CHECK(f.Value("b").size() == 13);
  CHECK(bits::GetBit(f.db, "b", 100).value == 1);
  CHECK(bits::GetBit(f.db, "b", 99).value == 0);
  CHECK(bits::GetBit(f.db, "b", 1'000'000).value == 0);
  CHECK(bits::GetBit(f.db, "missing", 3).value == 0);
  CHECK(bits::SetBit(f.db, "b", 100, false, kMaxBulk).value == 1);
  CHECK(bits::SetBit(f.db, "b", 100, false, kMaxBulk).value == 0);
  CHECK(f.Value("b").size() == 13);
  // Clearing a bit past the end still grows the string, as in Redis.
  CHECK(bits::SetBit(f.db, "c", 15, false, kMaxBulk).value == 0);
  CHECK(f.Value("c") == std::string(2, '\0'));
  // The deadline stays.
  Database::Slot slot;
  REQUIRE(f.db.Find("b", &slot));
  f.db.SetExpiry("b", &slot, 5'000'000);
  REQUIRE(Succeeded(bits::SetBit(f.db, "b", 5000, true, kMaxBulk)));
  REQUIRE(f.db.Find("b", &slot));
  CHECK(f.db.EntryAt(slot).expiry_ms() == 5'000'000);
}

TEST_CASE("SETBIT: limits are checked before anything is allocated") {
  StoreFixture f;
  size_t before = f.store.context().external_bytes;
  CHECK(bits::SetBit(f.db, "b", uint64_t{1} << 35, true, kMaxBulk).status ==
        OpStatus::kStringTooLong);
  CHECK(bits::SetBit(f.db, "b", 8 * 1000, true, 1000).status == OpStatus::kStringTooLong);
  CHECK(bits::SetBit(f.db, "b", 8 * 1000 - 1, true, 1000).ok());
  CHECK(f.Value("b").size() == 1000);
  CHECK(f.store.context().external_bytes - before < 4096);
  REQUIRE(Succeeded(lists::Push(f.db, "list", ListEnd::kHead, std::vector<std::string_view>{"x"})));
  CHECK(bits::SetBit(f.db, "list", 1, true, kMaxBulk).status == OpStatus::kWrongType);
  CHECK(bits::GetBit(f.db, "list", 1).status == OpStatus::kWrongType);
  CHECK(bits::BitCount(f.db, "list", std::nullopt).status == OpStatus::kWrongType);
  CHECK(bits::BitPos(f.db, "list", true, std::nullopt).status == OpStatus::kWrongType);
}

TEST_CASE("Bit offsets are parsed as Redis parses them") {
  uint64_t offset;
  CHECK(bits::ParseBitOffset("0", false, 0, kMaxBulk, &offset));
  CHECK(bits::ParseBitOffset("4294967295", false, 0, kMaxBulk, &offset));
  CHECK(offset == 4294967295ULL);
  CHECK_FALSE(bits::ParseBitOffset("4294967296", false, 0, kMaxBulk, &offset));
  CHECK_FALSE(bits::ParseBitOffset("-1", false, 0, kMaxBulk, &offset));
  CHECK_FALSE(bits::ParseBitOffset("1.5", false, 0, kMaxBulk, &offset));
  CHECK_FALSE(bits::ParseBitOffset("99999999999999999999999", false, 0, kMaxBulk, &offset));
  CHECK_FALSE(bits::ParseBitOffset("#1", false, 8, kMaxBulk, &offset));
  CHECK(bits::ParseBitOffset("#3", true, 8, kMaxBulk, &offset));
  CHECK(offset == 24);
  CHECK_FALSE(bits::ParseBitOffset("#9223372036854775807", true, 8, kMaxBulk, &offset));
  CHECK_FALSE(bits::ParseBitOffset("#536870912", true, 8, kMaxBulk, &offset));
  CHECK(bits::ParseBitOffset("#536870911", true, 8, kMaxBulk, &offset));
}

TEST_CASE("BITCOUNT and BITPOS: Redis's documented examples") {
  StoreFixture f;
  strings::Set(f.db, "mykey", "foobar", {});
  CHECK(bits::BitCount(f.db, "mykey", std::nullopt).value == 26);
  CHECK(bits::BitCount(f.db, "mykey", BitRange{0, 0}).value == 4);
  CHECK(bits::BitCount(f.db, "mykey", BitRange{1, 1}).value == 6);
  CHECK(bits::BitCount(f.db, "mykey", BitRange{1, 1, true}).value == 1);
  CHECK(bits::BitCount(f.db, "mykey", BitRange{5, 30, true}).value == 17);
  CHECK(bits::BitCount(f.db, "missing", BitRange{0, -1}).value == 0);
  strings::Set(f.db, "p", std::string("\xff\xf0\x00", 3), {});
  CHECK(bits::BitPos(f.db, "p", false, std::nullopt).value == 12);
  strings::Set(f.db, "p", std::string("\x00\xff\xf0", 3), {});
  CHECK(bits::BitPos(f.db, "p", true, BitRange{0}).value == 8);
  CHECK(bits::BitPos(f.db, "p", true, BitRange{2}).value == 16);
  CHECK(bits::BitPos(f.db, "p", true, BitRange{2, -1, true}).value == 8);
  CHECK(bits::BitPos(f.db, "p", true, BitRange{7, 15, true}).value == 8);
  CHECK(bits::BitPos(f.db, "p", true, BitRange{7, -3, true}).value == 8);
  strings::Set(f.db, "z", std::string(3, '\0'), {});
  CHECK(bits::BitPos(f.db, "z", true, std::nullopt).value == -1);
  // All ones: a clear bit is found just past the end, unless an end is given.
  strings::Set(f.db, "ones", std::string(3, '\xff'), {});
  CHECK(bits::BitPos(f.db, "ones", false, std::nullopt).value == 24);
  CHECK(bits::BitPos(f.db, "ones", false, BitRange{0}).value == 24);
  CHECK(bits::BitPos(f.db, "ones", false, BitRange{1, std::nullopt, true}).value == 24);
  CHECK(bits::BitPos(f.db, "ones", false, BitRange{0, -1}).value == -1);
  CHECK(bits::BitPos(f.db, "ones", false, BitRange{0, 23, true}).value == -1);
  CHECK(bits::BitPos(f.db, "missing", false, std::nullopt).value == 0);
  CHECK(bits::BitPos(f.db, "missing", true, std::nullopt).value == -1);
  strings::Set(f.db, "empty", "", {});
  CHECK(bits::BitPos(f.db, "empty", false, std::nullopt).value == -1);
}

TEST_CASE("BITCOUNT and BITPOS equal a bit-by-bit model on random strings and ranges") {
  std::mt19937_64 rng(16);
  for (int round = 0; round < 20000; ++round) {
    size_t length = rng() % 40;
    std::string s(length, '\0');
    int density = static_cast<int>(rng() % 4);
    for (char& c : s) {
      c = static_cast<char>(density == 0 ? 0 : density == 3 ? 0xFF : rng());
      if (rng() % 16 == 0) c = static_cast<char>(rng());
    }
    int64_t span = static_cast<int64_t>(length) * 8 + 20;
    BitRange r{static_cast<int64_t>(rng() % (2 * span)) - span,
               static_cast<int64_t>(rng() % (2 * span)) - span, (rng() & 1) != 0};
    if (rng() % 4 == 0) r.end.reset();
    bool bit = rng() & 1;
    INFO("round " << round << " length " << length << " start " << r.start << " end "
                  << (r.end ? *r.end : 999999) << " bit unit " << r.bit_unit << " bit " << bit);
    if (r.end) REQUIRE(bits::CountBits(s, r) == NaiveCount(s, r));
    REQUIRE(bits::FindBit(s, bit, r) == NaivePos(s, bit, r));
    REQUIRE(bits::FindBit(s, bit, std::nullopt) == NaivePos(s, bit, std::nullopt));
  }
}

TEST_CASE("BITOP: AND, OR, XOR, NOT with sources of different lengths") {
  std::vector<std::string_view> sources = {std::string_view("\xff\x0f", 2),
                                           std::string_view("\xf0", 1)};
  CHECK(bits::Combine(bits::BitOp::kAnd, sources) == std::string("\xf0\x00", 2));
  CHECK(bits::Combine(bits::BitOp::kOr, sources) == std::string("\xff\x0f", 2));
  CHECK(bits::Combine(bits::BitOp::kXor, sources) == std::string("\x0f\x0f", 2));
  std::vector<std::string_view> one = {std::string_view("\x0f\x00", 2)};
  CHECK(bits::Combine(bits::BitOp::kNot, one) == std::string("\xf0\xff", 2));
  std::vector<std::string_view> with_missing = {std::string_view("\xff", 1), std::string_view()};
  CHECK(bits::Combine(bits::BitOp::kAnd, with_missing) == std::string("\x00", 1));
  std::vector<std::string_view> empty = {std::string_view(), std::string_view()};
  CHECK(bits::Combine(bits::BitOp::kOr, empty).empty());
  // A random check against byte-by-byte folding.
  std::mt19937 rng(3);
  for (int round = 0; round < 500; ++round) {
    std::vector<std::string> strings(1 + rng() % 5);
    for (auto& s : strings) {
      s.resize(rng() % 70);
      for (char& c : s) c = static_cast<char>(rng());
    }
    std::vector<std::string_view> views(strings.begin(), strings.end());
    size_t longest = 0;
    for (auto& s : strings) longest = std::max(longest, s.size());
    for (bits::BitOp op : {bits::BitOp::kAnd, bits::BitOp::kOr, bits::BitOp::kXor}) {
      std::string want(longest, '\0');
      for (size_t i = 0; i < longest; ++i) {
        auto at = [&](size_t k) {
          return i < strings[k].size() ? static_cast<uint8_t>(strings[k][i]) : uint8_t{0};
        };
        uint8_t acc = at(0);
        for (size_t k = 1; k < strings.size(); ++k) {
          acc = op == bits::BitOp::kAnd  ? (acc & at(k))
                : op == bits::BitOp::kOr ? (acc | at(k))
                                         : (acc ^ at(k));
        }
        want[i] = static_cast<char>(acc);
      }
      REQUIRE(bits::Combine(op, views) == want);
    }
  }
}

TEST_CASE("BITFIELD: types, Redis's documented examples, overflow policies") {
  StoreFixture f;
  bool is_signed;
  uint8_t width;
  CHECK(bits::ParseBitfieldType("i64", &is_signed, &width));
  CHECK((is_signed && width == 64));
  CHECK(bits::ParseBitfieldType("u63", &is_signed, &width));
  CHECK_FALSE(bits::ParseBitfieldType("u64", &is_signed, &width));
  CHECK_FALSE(bits::ParseBitfieldType("i65", &is_signed, &width));
  CHECK_FALSE(bits::ParseBitfieldType("i0", &is_signed, &width));
  CHECK_FALSE(bits::ParseBitfieldType("I8", &is_signed, &width));
  CHECK_FALSE(bits::ParseBitfieldType("i08", &is_signed, &width));
  CHECK_FALSE(bits::ParseBitfieldType("x8", &is_signed, &width));
  CHECK_FALSE(bits::ParseBitfieldType("i", &is_signed, &width));

  using Op = bits::BitfieldOp;
  using K = Op::Kind;
  std::vector<std::optional<int64_t>> results;
  // BITFIELD mykey INCRBY i5 100 1 GET u4 0 -> 1, 0
  std::vector<Op> ops = {{K::kIncrBy, true, 5, 100, 1}, {K::kGet, false, 4, 0, 0}};
  REQUIRE(bits::Bitfield(f.db, "mykey", ops, kMaxBulk, &results) == OpStatus::kOk);
  CHECK(results == std::vector<std::optional<int64_t>>{1, 0});
  // INCRBY u2 100 1 OVERFLOW SAT INCRBY u2 102 1, four times: 1 1, 2 2, 3 3, 0 3
  std::vector<std::pair<int64_t, int64_t>> expected = {{1, 1}, {2, 2}, {3, 3}, {0, 3}};
  for (auto [wrap, sat] : expected) {
    results.clear();
    std::vector<Op> step = {{K::kIncrBy, false, 2, 100, 1, bits::Overflow::kWrap},
                            {K::kIncrBy, false, 2, 102, 1, bits::Overflow::kSat}};
    REQUIRE(bits::Bitfield(f.db, "mykey", step, kMaxBulk, &results) == OpStatus::kOk);
    CHECK(results == std::vector<std::optional<int64_t>>{wrap, sat});
  }
  // OVERFLOW FAIL INCRBY u2 102 1 -> nil
  results.clear();
  std::vector<Op> fail = {{K::kIncrBy, false, 2, 102, 1, bits::Overflow::kFail}};
  REQUIRE(bits::Bitfield(f.db, "mykey", fail, kMaxBulk, &results) == OpStatus::kOk);
  CHECK(results == std::vector<std::optional<int64_t>>{std::nullopt});
  // SET returns the old value; a 64-bit signed field keeps every bit.
  results.clear();
  std::vector<Op> wide = {{K::kSet, true, 64, 3, INT64_MIN},
                          {K::kGet, true, 64, 3, 0},
                          {K::kSet, true, 64, 3, -1},
                          {K::kGet, false, 63, 4, 0}};
  REQUIRE(bits::Bitfield(f.db, "w", wide, kMaxBulk, &results) == OpStatus::kOk);
  CHECK(results == std::vector<std::optional<int64_t>>{0, INT64_MIN, INT64_MIN, INT64_MAX});
  CHECK(f.Value("w").size() == 9);
  // Reading a missing key, and past the end, gives zeros; GET alone creates nothing.
  results.clear();
  std::vector<Op> get = {{K::kGet, true, 8, 1000, 0}};
  REQUIRE(bits::Bitfield(f.db, "none", get, kMaxBulk, &results) == OpStatus::kOk);
  CHECK(results == std::vector<std::optional<int64_t>>{0});
  CHECK(f.Value("none") == "<none>");
  // A write that fails still creates the key, as in Redis.
  results.clear();
  std::vector<Op> failing = {{K::kSet, true, 8, 16, 1000, bits::Overflow::kFail}};
  REQUIRE(bits::Bitfield(f.db, "created", failing, kMaxBulk, &results) == OpStatus::kOk);
  CHECK(results == std::vector<std::optional<int64_t>>{std::nullopt});
  CHECK(f.Value("created") == std::string(3, '\0'));
  // Limits and types.
  std::vector<Op> far = {{K::kSet, false, 8, uint64_t{1} << 40, 1}};
  CHECK(bits::Bitfield(f.db, "far", far, kMaxBulk, &results) == OpStatus::kStringTooLong);
  CHECK(f.Value("far") == "<none>");
  REQUIRE(Succeeded(lists::Push(f.db, "list", ListEnd::kHead, std::vector<std::string_view>{"x"})));
  CHECK(bits::Bitfield(f.db, "list", get, kMaxBulk, &results) == OpStatus::kWrongType);
}

TEST_CASE("BITFIELD arithmetic equals the definition of WRAP, SAT and FAIL") {
  using bits::FitField;
  using bits::Overflow;
  // Signed: i8 holds -128..127.
  CHECK(FitField(true, 8, 127, 1, Overflow::kWrap) == -128);
  CHECK(FitField(true, 8, 127, 1, Overflow::kSat) == 127);
  CHECK(FitField(true, 8, 127, 1, Overflow::kFail) == std::nullopt);
  CHECK(FitField(true, 8, -128, -1, Overflow::kSat) == -128);
  CHECK(FitField(true, 8, 300, 0, Overflow::kWrap) == 44);
  CHECK(FitField(true, 1, 1, 0, Overflow::kWrap) == -1);
  CHECK(FitField(true, 64, INT64_MAX, 1, Overflow::kWrap) == INT64_MIN);
  CHECK(FitField(true, 64, INT64_MAX, 1, Overflow::kSat) == INT64_MAX);
  CHECK(FitField(true, 64, INT64_MIN, -1, Overflow::kSat) == INT64_MIN);
  CHECK(FitField(true, 64, INT64_MIN, INT64_MIN, Overflow::kWrap) == 0);
  // Unsigned: u8 holds 0..255; SET u8 -1 is 2^64-1 read unsigned.
  CHECK(FitField(false, 8, 255, 1, Overflow::kWrap) == 0);
  CHECK(FitField(false, 8, 0, -1, Overflow::kWrap) == 255);
  CHECK(FitField(false, 8, 0, -1, Overflow::kSat) == 0);
  CHECK(FitField(false, 8, -1, 0, Overflow::kSat) == 255);
  CHECK(FitField(false, 8, -1, 0, Overflow::kWrap) == 255);
  CHECK(FitField(false, 63, 0, -1, Overflow::kWrap) == INT64_MAX);
  CHECK(FitField(false, 63, INT64_MAX, INT64_MAX, Overflow::kSat) == INT64_MAX);
  // Random agreement with modular arithmetic for WRAP.
  std::mt19937_64 rng(5);
  for (int i = 0; i < 100000; ++i) {
    bool s = rng() & 1;
    int width = 1 + static_cast<int>(rng() % (s ? 64 : 63));
    int64_t value = static_cast<int64_t>(rng()), incr = static_cast<int64_t>(rng());
    if (rng() & 1) incr %= 1000;
    uint64_t sum = static_cast<uint64_t>(value) + static_cast<uint64_t>(incr);
    uint64_t mask = width == 64 ? ~uint64_t{0} : (uint64_t{1} << width) - 1;
    uint64_t low = sum & mask;
    int64_t want = static_cast<int64_t>(low);
    if (s && width < 64 && (low >> (width - 1)) & 1) want = static_cast<int64_t>(low | ~mask);
    REQUIRE(FitField(s, width, value, incr, Overflow::kWrap) == want);
  }
}

TEST_CASE("BITFIELD fields equal a bit-by-bit model at every offset") {
  StoreFixture f;
  std::mt19937_64 rng(11);
  std::string model;
  using Op = bits::BitfieldOp;
  for (int round = 0; round < 3000; ++round) {
    bool s = rng() & 1;
    uint8_t width = static_cast<uint8_t>(1 + rng() % (s ? 64 : 63));
    uint64_t offset = rng() % 200;
    int64_t value = static_cast<int64_t>(rng());
    std::vector<Op> ops = {{Op::Kind::kSet, s, width, offset, value},
                           {Op::Kind::kGet, false, 8, rng() % 220, 0}};
    std::vector<std::optional<int64_t>> results;
    REQUIRE(bits::Bitfield(f.db, "m", ops, kMaxBulk, &results) == OpStatus::kOk);
    // The model: the field's bits written one at a time.
    size_t needed = static_cast<size_t>((offset + width - 1) / 8 + 1);
    if (model.size() < needed) model.resize(needed, '\0');
    std::optional<int64_t> stored = bits::FitField(s, width, value, 0, bits::Overflow::kWrap);
    for (int b = 0; b < width; ++b) {
      bool on = (static_cast<uint64_t>(*stored) >> (width - 1 - b)) & 1;
      uint64_t at = offset + static_cast<uint64_t>(b);
      uint8_t mask = static_cast<uint8_t>(0x80 >> (at & 7));
      model[at >> 3] = static_cast<char>(on ? (model[at >> 3] | mask) : (model[at >> 3] & ~mask));
    }
    REQUIRE(f.Value("m") == model);
    uint64_t get_offset = ops[1].offset, want = 0;
    for (int b = 0; b < 8; ++b) {
      uint64_t at = get_offset + static_cast<uint64_t>(b);
      bool on = (at >> 3) < model.size() &&
                ((static_cast<uint8_t>(model[at >> 3]) >> (7 - (at & 7))) & 1);
      want = (want << 1) | on;
    }
    REQUIRE(results[1] == static_cast<int64_t>(want));
  }
}
