// libFuzzer harness for HyperLogLog decoding: the first part of the input is
// stored as a key's value, as SET or RESTORE could store any bytes; the rest
// drives PFADD, PFCOUNT and PFMERGE over it and over HLLs built here.
// Nothing may crash or read out of bounds (ASan), a value accepted once must
// stay a valid HLL after every write, registers only grow, and a merge must
// hold the maximum of its inputs, register by register.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "storage/hll_ops.h"
#include "storage/hyperloglog.h"
#include "storage/shard_store.h"
#include "storage/string_ops.h"

namespace {

using namespace emberkv::storage;

void Check(bool condition) {
  if (!condition) std::abort();
}

std::string ValueOf(Database& db, const char* key) {
  std::string_view v;
  return strings::Get(db, key, &v) == OpStatus::kOk ? std::string(v) : std::string();
}

// After a successful write, the key holds a valid HLL.
void CheckValid(Database& db, const char* key) {
  std::string value = ValueOf(db, key);
  if (value.empty()) return;
  hll::Shape shape = hll::Inspect(value);
  Check(shape != hll::Shape::kNotHll);
  if (shape == hll::Shape::kSparse) Check(hll::SparseValid(value));
}

// The registers of a key, or false when it holds no valid HLL.
bool Registers(Database& db, const char* key, std::vector<uint8_t>* out) {
  out->assign(hll::kRegisters, 0);
  bool dense = false;
  return hlls::MergeRegisters(db, key, out->data(), &dense) == OpStatus::kOk;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  size_t split = std::min<size_t>(size, (static_cast<size_t>(data[0]) << 8 | data[1]) % 16400);
  std::string raw(reinterpret_cast<const char*>(data) + 2, std::min(split, size - 2));
  // Raw bytes behind a valid header reach the sparse decoder more often.
  if (size > 2 && (data[size - 1] & 1) && raw.size() >= 4) std::memcpy(raw.data(), "HYLL", 4);
  const uint8_t* ops = data + 2 + raw.size();
  size_t nops = size - 2 - raw.size();

  ShardStore store(1);
  store.set_now_ms(1'000'000);
  Database& db = store.db(0);
  strings::Set(db, "raw", raw, {});
  const char* keys[] = {"raw", "a", "b"};
  const size_t sparse_max = 100 + (data[1] % 8) * 500;

  for (size_t i = 0; i + 1 < nops; i += 2) {
    const char* key = keys[ops[i] % 3];
    switch ((ops[i] >> 2) % 4) {
      case 0: {  // PFADD a few elements
        std::vector<uint8_t> before;
        bool was_valid = Registers(db, key, &before);
        std::vector<std::string> elements;
        for (int e = 0; e < 1 + ops[i + 1] % 40; ++e)
          elements.push_back(std::to_string(ops[i + 1] * 131 + e * 7 + i));
        std::vector<std::string_view> views(elements.begin(), elements.end());
        auto result = hlls::Add(db, key, views, sparse_max);
        if (result.ok()) CheckValid(db, key);
        if (result.ok() && was_valid) {
          std::vector<uint8_t> after;
          Check(Registers(db, key, &after));
          for (size_t r = 0; r < hll::kRegisters; ++r) Check(after[r] >= before[r]);
          for (const std::string& e : elements) {
            hll::Hashed h = hll::Hash(e);
            Check(after[h.index] >= h.count);
          }
        }
        break;
      }
      case 1: {  // PFCOUNT
        auto result = hlls::Count(db, key);
        if (result.ok()) Check(result.value >= 0);
        break;
      }
      case 2: {  // PFMERGE key <- the three keys
        std::vector<uint8_t> max(hll::kRegisters, 0);
        bool dense = false, ok = true;
        ok &= hlls::MergeRegisters(db, key, max.data(), &dense) == OpStatus::kOk;
        for (const char* source : keys)
          ok &= hlls::MergeRegisters(db, source, max.data(), &dense) == OpStatus::kOk;
        if (!ok) break;
        Check(hlls::StoreMerged(db, key, max.data(), dense, sparse_max) == OpStatus::kOk);
        CheckValid(db, key);
        std::vector<uint8_t> after;
        Check(Registers(db, key, &after));
        Check(after == max);
        break;
      }
      default: {  // the raw decoders alone on the raw bytes
        if (hll::Inspect(raw) == hll::Shape::kSparse && hll::SparseValid(raw)) {
          std::vector<uint8_t> max(hll::kRegisters, 0);
          hll::MergeInto(raw, max.data());
          std::string dense = raw;
          hll::ToDense(&dense);
          Check(hll::Count(dense) == hll::Count(raw));
          Check(hll::Count(raw) == hll::CountRegisters(max.data()));
        }
        break;
      }
    }
  }
  store.FlushAll();
  Check(store.context().external_bytes == 0);
  return 0;
}
