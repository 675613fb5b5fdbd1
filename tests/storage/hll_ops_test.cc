#include "storage/hll_ops.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "golden.h"
#include "storage/shard_store.h"
#include "storage/string_ops.h"
#include "store_fixture.h"

using namespace emberkv::storage;

namespace {

struct HllFixture : StoreFixture {
  void Set(const std::string& key, const std::string& value) { strings::Set(db, key, value, {}); }
};

std::vector<std::string> Elements(const std::string& prefix, int first, int count) {
  std::vector<std::string> out;
  for (int i = first; i < first + count; ++i) out.push_back(prefix + std::to_string(i));
  return out;
}

// The sets of record.py's HLL_SETS.
std::map<std::string, std::vector<std::string>> GoldenSets() {
  return {{"empty", {}},
          {"letters", {"a", "b", "c", "d", "e", "f", "g"}},
          {"small", Elements("e:", 0, 200)},
          {"thousand", Elements("x:", 0, 1000)},
          {"promoted", Elements("e:", 0, 5000)},
          {"big", Elements("big:", 0, 100000)},
          {"million", Elements("m:", 0, 1000000)}};
}

// PFADD in batches of 100, as record.py sends them.
void AddAll(Database& db, const std::string& key, const std::vector<std::string>& elements,
            size_t sparse_max = hll::kDefaultSparseMaxBytes) {
  if (elements.empty()) REQUIRE(hlls::Add(db, key, {}, sparse_max).ok());
  for (size_t i = 0; i < elements.size(); i += 100) {
    std::vector<std::string_view> batch(
        elements.begin() + static_cast<ptrdiff_t>(i),
        elements.begin() + static_cast<ptrdiff_t>(std::min(i + 100, elements.size())));
    REQUIRE(hlls::Add(db, key, batch, sparse_max).ok());
  }
}

}  // namespace

TEST_CASE("HLL: MurmurHash64A registers and the empty value") {
  std::string empty = hll::Empty();
  CHECK(golden::ToHex(empty) ==
        "48594c4c01000000000000000000000"
        "07fff");
  CHECK(hll::Inspect(empty) == hll::Shape::kSparse);
  CHECK(hll::SparseValid(empty));
  CHECK(hll::Count(empty) == 0);
  for (const std::string& e : Elements("h", 0, 1000)) {
    hll::Hashed h = hll::Hash(e);
    CHECK(h.index < hll::kRegisters);
    CHECK(h.count >= 1);
    CHECK(h.count <= 51);
  }
}

TEST_CASE("HLL: dense registers round-trip without touching neighbours") {
  std::vector<uint8_t> registers(hll::kRegisters * 6 / 8, 0);
  std::vector<uint8_t> expected(hll::kRegisters, 0);
  std::mt19937 rng(7);
  for (int round = 0; round < 20000; ++round) {
    uint32_t i = rng() % hll::kRegisters;
    uint8_t v = static_cast<uint8_t>(rng() % 64);
    hll::SetDenseRegister(registers.data(), i, v);
    expected[i] = v;
  }
  for (uint32_t i = 0; i < hll::kRegisters; ++i)
    REQUIRE(hll::DenseRegister(registers.data(), i) == expected[i]);
}

TEST_CASE("HLL golden: PFADD, PFCOUNT and PFMERGE give Redis 7.0's bytes and counts") {
  HllFixture f;
  auto sets = GoldenSets();
  std::map<std::string, bool> added;
  auto ensure = [&](const std::string& name) {
    if (added[name]) return;
    AddAll(f.db, name, sets.at(name));
    added[name] = true;
  };
  int checked = 0;
  for (const auto& line : golden::ReadLines("hll.txt")) {
    const std::string& kind = line[0];
    INFO(kind << " " << line[1]);
    if (kind == "hll") {
      ensure(line[1]);
      CHECK(golden::ToHex(f.Value(line[1])) == line[2]);
    } else if (kind == "count") {
      ensure(line[1]);
      CHECK(hlls::Count(f.db, line[1]).value == std::stoll(line[2]));
    } else if (kind == "cached") {
      CHECK(golden::ToHex(f.Value(line[1])) == line[2]);
    } else if (kind == "merge") {
      // PFMERGE dest sources...: the destination first, as Redis reads it.
      std::vector<std::string> keys(line.begin() + 1, line.end() - 2);
      uint8_t max[hll::kRegisters] = {};
      bool dense = false;
      for (const std::string& k : keys)
        REQUIRE(hlls::MergeRegisters(f.db, k, max, &dense) == OpStatus::kOk);
      REQUIRE(hlls::StoreMerged(f.db, keys[0], max, dense) == OpStatus::kOk);
      CHECK(golden::ToHex(f.Value(keys[0])) == line[line.size() - 2]);
      CHECK(hlls::Count(f.db, keys[0]).value == std::stoll(line.back()));
    } else if (kind == "multicount") {
      uint8_t max[hll::kRegisters] = {};
      bool dense = false;
      for (size_t i = 1; i + 1 < line.size(); ++i) {
        REQUIRE(hlls::MergeRegisters(f.db, line[i], max, &dense) == OpStatus::kOk);
      }
      CHECK(static_cast<int64_t>(hll::CountRegisters(max)) == std::stoll(line.back()));
    } else if (kind == "sparsemax") {
      AddAll(f.db, "tight", sets.at(line[2]), std::stoul(line[1]));
      CHECK(golden::ToHex(f.Value("tight")) == line[3]);
    } else {
      FAIL("unknown golden line " << kind);
    }
    ++checked;
  }
  CHECK(checked >= 25);
}

TEST_CASE("HLL: PFADD reports changes and invalidates the cache") {
  HllFixture f;
  std::vector<std::string_view> none;
  CHECK(hlls::Add(f.db, "h", none).value);  // created
  CHECK_FALSE(hlls::Add(f.db, "h", none).value);
  std::vector<std::string_view> abc = {"a", "b", "c"};
  CHECK(hlls::Add(f.db, "h", abc).value);
  CHECK_FALSE(hlls::Add(f.db, "h", abc).value);
  CHECK(hlls::Count(f.db, "h").value == 3);
  uint64_t cached;
  CHECK(hll::CachedCount(f.Value("h"), &cached));
  CHECK(cached == 3);
  std::vector<std::string_view> d = {"d"};
  CHECK(hlls::Add(f.db, "h", d).value);
  CHECK_FALSE(hll::CachedCount(f.Value("h"), &cached));
  CHECK(hlls::Count(f.db, "missing").value == 0);
}

TEST_CASE("HLL: values that are no HLL, or corrupted ones, are refused") {
  HllFixture f;
  std::vector<std::string_view> x = {"x"};
  f.Set("plain", "hello world, not an HLL");
  CHECK(hlls::Add(f.db, "plain", x).status == OpStatus::kNotHyperLogLog);
  CHECK(hlls::Count(f.db, "plain").status == OpStatus::kNotHyperLogLog);
  f.Set("short", "HYLL");
  CHECK(hlls::Count(f.db, "short").status == OpStatus::kNotHyperLogLog);
  std::string dense_header = hll::Empty();
  dense_header[4] = 0;  // dense, but far too short
  f.Set("dense-short", dense_header);
  CHECK(hlls::Add(f.db, "dense-short", x).status == OpStatus::kNotHyperLogLog);
  std::string bad_encoding = hll::Empty();
  bad_encoding[4] = 2;
  f.Set("enc", bad_encoding);
  CHECK(hlls::Count(f.db, "enc").status == OpStatus::kNotHyperLogLog);

  // Sparse opcodes covering too few, too many, or ending in half an XZERO.
  std::string base = hll::Empty().substr(0, hll::kHeaderSize);
  base[15] = static_cast<char>(0x80);  // stale cache: PFCOUNT must decode
  std::vector<std::string> corrupt = {
      base + std::string("\x7f\xfe", 2),          // 16383 registers
      base + std::string("\x7f\xff\x00", 3),      // 16385
      base + std::string("\x7f\xff\x7f\xff", 4),  // 32768
      base + std::string("\x7f", 1),              // truncated XZERO
      base,                                       // nothing
      base + std::string(300, '\xff') + std::string("\x7f\xff", 2),
  };
  // The CVE-2025-32023 shape: runs whose sum overflows a 32-bit counter.
  std::string huge = base;
  for (int i = 0; i < 300000; ++i) huge += std::string("\x7f\xff", 2);
  corrupt.push_back(huge);
  for (size_t i = 0; i < corrupt.size(); ++i) {
    INFO("corrupt value " << i);
    std::string key = "bad" + std::to_string(i);
    f.Set(key, corrupt[i]);
    CHECK(hlls::Count(f.db, key).status == OpStatus::kCorruptHyperLogLog);
    CHECK(hlls::Add(f.db, key, x).status == OpStatus::kCorruptHyperLogLog);
    uint8_t max[hll::kRegisters] = {};
    bool dense = false;
    CHECK(hlls::MergeRegisters(f.db, key, max, &dense) == OpStatus::kCorruptHyperLogLog);
    CHECK(f.Value(key) == corrupt[i]);  // untouched
  }
  // A fresh cache is trusted as Redis trusts it.
  std::string cached = base + std::string("\x7f\xfe", 2);
  cached[15] = 0;
  cached[8] = 42;
  f.Set("cached", cached);
  CHECK(hlls::Count(f.db, "cached").value == 42);
}

TEST_CASE("HLL: estimates stay within Redis's error bounds and merge equals union") {
  HllFixture f;
  for (int n : {10, 100, 1000, 10000, 100000}) {
    std::string key = "n" + std::to_string(n);
    AddAll(f.db, key, Elements("k", 0, n));
    double estimate = static_cast<double>(hlls::Count(f.db, key).value);
    INFO("n = " << n << " estimate " << estimate);
    // 1.04 / sqrt(16384) = 0.81% standard error; allow five of them.
    CHECK(std::fabs(estimate - n) <= std::max(1.0, n * 0.0405));
  }
  AddAll(f.db, "a", Elements("u", 0, 3000));
  AddAll(f.db, "b", Elements("u", 2000, 3000));
  AddAll(f.db, "union", Elements("u", 0, 5000));
  uint8_t max[hll::kRegisters] = {};
  bool dense = false;
  REQUIRE(hlls::MergeRegisters(f.db, "m", max, &dense) == OpStatus::kOk);
  REQUIRE(hlls::MergeRegisters(f.db, "a", max, &dense) == OpStatus::kOk);
  REQUIRE(hlls::MergeRegisters(f.db, "b", max, &dense) == OpStatus::kOk);
  REQUIRE(hlls::StoreMerged(f.db, "m", max, dense) == OpStatus::kOk);
  uint8_t merged[hll::kRegisters] = {}, direct[hll::kRegisters] = {};
  REQUIRE(hlls::MergeRegisters(f.db, "m", merged, &dense) == OpStatus::kOk);
  REQUIRE(hlls::MergeRegisters(f.db, "union", direct, &dense) == OpStatus::kOk);
  CHECK(std::equal(merged, merged + hll::kRegisters, direct));
  CHECK(hlls::Count(f.db, "m").value == hlls::Count(f.db, "union").value);
}

TEST_CASE("HLL: wrong types and deadlines") {
  HllFixture f;
  std::vector<std::string_view> x = {"x"};
  REQUIRE(hlls::Add(f.db, "h", x).ok());
  Database::Slot slot;
  REQUIRE(f.db.Find("h", &slot));
  f.db.SetExpiry("h", &slot, 2'000'000);
  std::vector<std::string_view> y = {"y", "z"};
  REQUIRE(hlls::Add(f.db, "h", y).value);
  REQUIRE(f.db.Find("h", &slot));
  CHECK(f.db.EntryAt(slot).expiry_ms() == 2'000'000);
  uint8_t max[hll::kRegisters] = {};
  bool dense = false;
  CHECK(hlls::MergeRegisters(f.db, "nothing", max, &dense) == OpStatus::kOk);
  CHECK(std::all_of(max, max + hll::kRegisters, [](uint8_t v) { return v == 0; }));
}

TEST_CASE("HLL: MakeDense turns a sparse HLL dense and keeps its registers and count") {
  HllFixture f;
  std::vector<std::string> elements = Elements("d:", 0, 300);
  std::vector<std::string_view> views(elements.begin(), elements.end());
  REQUIRE(Succeeded(hlls::Add(f.db, "h", views)));
  const int64_t count = hlls::Count(f.db, "h").value;
  std::string sparse = f.Value("h");
  REQUIRE(hll::Inspect(sparse) == hll::Shape::kSparse);
  uint8_t before[hll::kRegisters] = {};
  hll::MergeInto(sparse, before);

  CHECK(hlls::MakeDense(f.db, "h").value);
  std::string dense = f.Value("h");
  CHECK(hll::Inspect(dense) == hll::Shape::kDense);
  CHECK(dense.size() == hll::kDenseSize);
  CHECK(dense.substr(5, 11) == sparse.substr(5, 11));  // cached count kept
  uint8_t after[hll::kRegisters] = {};
  hll::MergeInto(dense, after);
  CHECK(std::equal(before, before + hll::kRegisters, after));
  CHECK(hlls::Count(f.db, "h").value == count);

  CHECK_FALSE(hlls::MakeDense(f.db, "h").value);  // already dense
  CHECK(f.Value("h") == dense);
  CHECK(hlls::MakeDense(f.db, "missing").status == OpStatus::kNotFound);
  f.Set("plain", "not an HLL");
  CHECK(hlls::MakeDense(f.db, "plain").status == OpStatus::kNotHyperLogLog);
  std::string corrupt = hll::Empty().substr(0, hll::kHeaderSize) + std::string("\x7f\xfe", 2);
  f.Set("corrupt", corrupt);
  CHECK(hlls::MakeDense(f.db, "corrupt").status == OpStatus::kCorruptHyperLogLog);
  CHECK(f.Value("corrupt") == corrupt);
}

TEST_CASE("HLL: PFSELFTEST's checks pass on our representation") { CHECK(hll::SelfTest() == ""); }
