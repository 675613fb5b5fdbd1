#include "storage/hll_ops.h"

#include <cstring>
#include <string>
#include <vector>

#include "storage/string_ops.h"

namespace emberkv::storage::hlls {
namespace {

// The HLL at `key`, checked: kNotFound, kWrongType, kNotHyperLogLog,
// kCorruptHyperLogLog or kOk with *value and *shape.
OpStatus Find(Database& db, const Key& key, LookupMode mode, Database::Slot* slot,
              std::string_view* value, hll::Shape* shape) {
  if (!db.Find(key, slot, mode)) return OpStatus::kNotFound;
  Entry entry = db.EntryAt(*slot);
  if (entry.type() != ValueType::kString) return OpStatus::kWrongType;
  *value = entry.string_value();
  *shape = hll::Inspect(*value);
  if (*shape == hll::Shape::kNotHll) return OpStatus::kNotHyperLogLog;
  if (*shape == hll::Shape::kSparse && !hll::SparseValid(*value))
    return OpStatus::kCorruptHyperLogLog;
  return OpStatus::kOk;
}

// The HLL a write starts from: the key's, or an empty one when it is missing.
struct WriteTarget {
  Database::Slot slot;
  std::string_view value;  // empty when the key is missing
  hll::Shape shape = hll::Shape::kSparse;
  bool exists = false;
  std::string Copy() const { return exists ? std::string(value) : hll::Empty(); }
};
OpStatus FindForWrite(Database& db, const Key& key, WriteTarget* target) {
  OpStatus status =
      Find(db, key, LookupMode::kWrite, &target->slot, &target->value, &target->shape);
  target->exists = status == OpStatus::kOk;
  return status == OpStatus::kNotFound ? OpStatus::kOk : status;
}

}  // namespace

OpResult<bool> Add(Database& db, const Key& key, std::span<const std::string_view> elements,
                   size_t sparse_max_bytes) {
  WriteTarget target;
  if (OpStatus status = FindForWrite(db, key, &target); status != OpStatus::kOk) return status;
  Database::Slot& slot = target.slot;
  const std::string_view value = target.value;

  if (target.exists && target.shape == hll::Shape::kDense) {
    // Dense: registers change in place, and only if one must.
    std::vector<hll::Hashed> raises;
    const auto* registers = reinterpret_cast<const uint8_t*>(value.data()) + hll::kHeaderSize;
    for (std::string_view element : elements) {
      hll::Hashed h = hll::Hash(element);
      if (hll::DenseRegister(registers, h.index) < h.count) raises.push_back(h);
    }
    if (raises.empty()) return false;
    char* data = db.WriteString(key, &slot, value.size(), ExpiryChange::Keep(), /*preserve=*/true);
    if (!data) return OpStatus::kOutOfMemory;
    auto* writable = reinterpret_cast<uint8_t*>(data) + hll::kHeaderSize;
    for (const hll::Hashed& h : raises) {
      if (hll::DenseRegister(writable, h.index) < h.count)
        hll::SetDenseRegister(writable, h.index, h.count);
    }
    hll::MarkStale(data);
    return true;
  }

  // Sparse (or new): edited in a copy, written back once.
  std::string hll = target.Copy();
  bool changed = !target.exists;
  for (std::string_view element : elements) {
    hll::Hashed h = hll::Hash(element);
    changed |= hll::Raise(&hll, h.index, h.count, sparse_max_bytes);
  }
  if (!changed) return false;
  hll::MarkStale(hll.data());
  if (!strings::WriteValue(db, key, &slot, hll)) return OpStatus::kOutOfMemory;
  return true;
}

OpResult<int64_t> Count(Database& db, const Key& key) {
  Database::Slot slot;
  if (!db.Find(key, &slot, LookupMode::kWrite)) return int64_t{0};
  Entry entry = db.EntryAt(slot);
  if (entry.type() != ValueType::kString) return OpStatus::kWrongType;
  std::string_view value = entry.string_value();
  hll::Shape shape = hll::Inspect(value);
  if (shape == hll::Shape::kNotHll) return OpStatus::kNotHyperLogLog;
  uint64_t count;
  // A fresh cache is trusted as Redis trusts it, without decoding anything.
  if (hll::CachedCount(value, &count)) return static_cast<int64_t>(count);
  if (shape == hll::Shape::kSparse && !hll::SparseValid(value))
    return OpStatus::kCorruptHyperLogLog;
  count = hll::Count(value);
  char* data = db.WriteString(key, &slot, value.size(), ExpiryChange::Keep(), /*preserve=*/true);
  if (!data) return OpStatus::kOutOfMemory;
  hll::StoreCount(data, count);
  return static_cast<int64_t>(count);
}

OpStatus MergeRegisters(Database& db, const Key& key, uint8_t* max, bool* dense) {
  Database::Slot slot;
  std::string_view value;
  hll::Shape shape;
  OpStatus status = Find(db, key, LookupMode::kRead, &slot, &value, &shape);
  if (status == OpStatus::kNotFound) return OpStatus::kOk;
  if (status != OpStatus::kOk) return status;
  if (shape == hll::Shape::kDense) *dense = true;
  hll::MergeInto(value, max);
  return OpStatus::kOk;
}

OpStatus StoreMerged(Database& db, const Key& key, const uint8_t* max, bool make_dense,
                     size_t sparse_max_bytes) {
  WriteTarget target;
  if (OpStatus status = FindForWrite(db, key, &target); status != OpStatus::kOk) return status;
  std::string hll = target.Copy();
  if (make_dense && hll::Inspect(hll) == hll::Shape::kSparse) hll::ToDense(&hll);
  for (uint32_t i = 0; i < hll::kRegisters; ++i) {
    if (max[i]) hll::Raise(&hll, i, max[i], sparse_max_bytes);
  }
  hll::MarkStale(hll.data());
  if (!strings::WriteValue(db, key, &target.slot, hll)) return OpStatus::kOutOfMemory;
  return OpStatus::kOk;
}

OpResult<bool> MakeDense(Database& db, const Key& key) {
  Database::Slot slot;
  std::string_view value;
  hll::Shape shape;
  OpStatus status = Find(db, key, LookupMode::kWrite, &slot, &value, &shape);
  if (status != OpStatus::kOk) return status;
  if (shape == hll::Shape::kDense) return false;
  std::string hll(value);
  hll::ToDense(&hll);
  if (!strings::WriteValue(db, key, &slot, hll)) return OpStatus::kOutOfMemory;
  return true;
}

}  // namespace emberkv::storage::hlls
