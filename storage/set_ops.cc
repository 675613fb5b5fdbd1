#include "storage/set_ops.h"

#include <algorithm>
#include <unordered_set>

#include "base/numbers.h"
#include "storage/collection_access.h"

namespace emberkv::storage::sets {
namespace {

OpStatus FindForWrite(Database& db, const Key& key, SetValue** set, Database::Slot* slot) {
  return FindCollection(db, key, ValueType::kSet, LookupMode::kWrite, set, slot);
}

}  // namespace

OpStatus Read(Database& db, const Key& key, const SetValue** set) {
  SetValue* found;
  OpStatus status = FindCollection(db, key, ValueType::kSet, LookupMode::kRead, &found);
  if (status == OpStatus::kOk) *set = found;
  return status;
}

OpResult<int64_t> Add(Database& db, const Key& key, std::span<const std::string_view> members) {
  SetValue* set;
  Database::Slot slot;
  OpStatus status = FindOrCreateCollection(db, key, ValueType::kSet, &set, &slot);
  if (status != OpStatus::kOk) return status;
  CollectionEdit edit(db, key, set, slot);
  int64_t added = 0;
  for (std::string_view member : members) added += set->Add(member);
  edit.Finish(added > 0);
  return added;
}

OpResult<int64_t> Remove(Database& db, const Key& key, std::span<const std::string_view> members) {
  SetValue* set;
  Database::Slot slot;
  OpStatus status = FindForWrite(db, key, &set, &slot);
  if (status == OpStatus::kNotFound) return int64_t{0};
  if (status != OpStatus::kOk) return status;
  CollectionEdit edit(db, key, set, slot);
  int64_t removed = 0;
  for (std::string_view member : members) {
    removed += set->Remove(member);
    if (set->size() == 0) break;
  }
  edit.Finish(removed > 0);
  return removed;
}

OpResult<bool> IsMember(Database& db, const Key& key, std::string_view member) {
  const SetValue* set;
  OpStatus status = Read(db, key, &set);
  if (status == OpStatus::kNotFound) return false;
  if (status != OpStatus::kOk) return status;
  return set->Contains(member);
}

OpResult<int64_t> Card(Database& db, const Key& key) {
  const SetValue* set;
  OpStatus status = Read(db, key, &set);
  if (status == OpStatus::kNotFound) return int64_t{0};
  if (status != OpStatus::kOk) return status;
  return static_cast<int64_t>(set->size());
}

OpResult<std::vector<std::string>> Pop(Database& db, const Key& key, uint64_t count,
                                       std::mt19937_64& rng) {
  SetValue* set;
  Database::Slot slot;
  OpStatus status = FindForWrite(db, key, &set, &slot);
  std::vector<std::string> popped;
  if (status == OpStatus::kNotFound) return popped;
  if (status != OpStatus::kOk) return status;
  if (count == 0) return popped;
  if (count >= set->size()) {
    // Everything: hand the members over and drop the key.
    popped.reserve(set->size());
    set->ForEach([&](std::string_view m) { popped.emplace_back(m); });
    std::shuffle(popped.begin(), popped.end(), rng);
    db.Erase(key, slot);
    return popped;
  }
  CollectionEdit edit(db, key, set, slot);
  popped.reserve(count);
  for (uint64_t i = 0; i < count; ++i) popped.push_back(set->PopRandom(rng()));
  edit.Finish(true);
  return popped;
}

OpResult<std::vector<std::string>> RandomMembers(Database& db, const Key& key, int64_t count,
                                                 std::mt19937_64& rng) {
  const SetValue* set;
  OpStatus status = Read(db, key, &set);
  std::vector<std::string> out;
  if (status == OpStatus::kNotFound) return out;
  if (status != OpStatus::kOk) return status;
  size_t size = set->size();
  if (count < 0) {
    uint64_t n = static_cast<uint64_t>(-(count + 1)) + 1;
    out.reserve(n);
    for (uint64_t i = 0; i < n; ++i) out.push_back(set->Random(rng()));
    return out;
  }
  uint64_t n = static_cast<uint64_t>(count);
  if (n >= size) {
    out.reserve(size);
    set->ForEach([&](std::string_view m) { out.emplace_back(m); });
    return out;
  }
  if (n * 3 > size) {
    // Many of them: take all, keep a random sample.
    set->ForEach([&](std::string_view m) { out.emplace_back(m); });
    std::shuffle(out.begin(), out.end(), rng);
    out.resize(n);
    return out;
  }
  std::unordered_set<std::string> chosen;
  while (chosen.size() < n) chosen.insert(set->Random(rng()));
  out.assign(chosen.begin(), chosen.end());
  return out;
}

OpResult<bool> Move(Database& from_db, const Key& source, Database& to_db, const Key& destination,
                    std::string_view member) {
  SetValue* from;
  Database::Slot from_slot;
  OpStatus status = FindForWrite(from_db, source, &from, &from_slot);
  if (status == OpStatus::kNotFound) return false;
  if (status != OpStatus::kOk) return status;
  SetValue* to;
  Database::Slot to_slot;
  OpStatus to_status = FindForWrite(to_db, destination, &to, &to_slot);
  if (to_status == OpStatus::kWrongType) return to_status;
  if (source.bytes == destination.bytes) return from->Contains(member);
  // Finding the destination may have moved nothing: slots stay valid until a write.
  {
    CollectionEdit edit(from_db, source, from, from_slot);
    if (!from->Remove(member)) return false;
    edit.Finish(true);
  }
  std::string_view one[] = {member};
  OpResult<int64_t> added = Add(to_db, destination, one);
  if (!added.ok()) return added.status;
  return true;
}

OpStatus Members(Database& db, const Key& key, std::vector<std::string>* out) {
  const SetValue* set;
  OpStatus status = Read(db, key, &set);
  if (status != OpStatus::kOk) return status;
  out->reserve(out->size() + set->size());
  set->ForEach([&](std::string_view m) { out->emplace_back(m); });
  return OpStatus::kOk;
}

OpResult<int64_t> Store(Database& db, const Key& key, std::vector<std::string> members) {
  Database::Slot slot;
  if (db.Find(key, &slot, LookupMode::kWrite)) db.Erase(key, slot);
  if (members.empty()) return int64_t{0};
  bool all_integers = true;
  int64_t ignored;
  for (const std::string& m : members) {
    if (!base::ParseInt64(m, &ignored)) {
      all_integers = false;
      break;
    }
  }
  std::unique_ptr<SetValue> set = SetValue::ForMembers(members.size(), all_integers);
  for (const std::string& m : members) set->Add(m);
  int64_t size = static_cast<int64_t>(set->size());
  if (!db.CreateObject(key, ValueType::kSet, set.release(), 0)) return OpStatus::kOutOfMemory;
  return size;
}

std::vector<std::string> Intersect(std::vector<std::vector<std::string>> inputs, size_t limit) {
  if (inputs.empty()) return {};
  std::sort(inputs.begin(), inputs.end(),
            [](const auto& a, const auto& b) { return a.size() < b.size(); });
  std::vector<std::unordered_set<std::string_view>> others;
  for (size_t i = 1; i < inputs.size(); ++i)
    others.emplace_back(inputs[i].begin(), inputs[i].end());
  std::vector<std::string> out;
  for (std::string& m : inputs[0]) {
    bool everywhere = true;
    for (const auto& other : others) {
      if (!other.count(m)) {
        everywhere = false;
        break;
      }
    }
    if (!everywhere) continue;
    out.push_back(std::move(m));
    if (limit && out.size() >= limit) break;
  }
  return out;
}

std::vector<std::string> Union(std::vector<std::vector<std::string>> inputs) {
  std::unordered_set<std::string> seen;
  std::vector<std::string> out;
  for (auto& input : inputs) {
    for (std::string& m : input) {
      if (seen.insert(m).second) out.push_back(std::move(m));
    }
  }
  return out;
}

std::vector<std::string> Difference(std::vector<std::vector<std::string>> inputs) {
  if (inputs.empty()) return {};
  std::unordered_set<std::string_view> removed;
  for (size_t i = 1; i < inputs.size(); ++i) removed.insert(inputs[i].begin(), inputs[i].end());
  std::vector<std::string> out;
  for (std::string& m : inputs[0]) {
    if (!removed.count(m)) out.push_back(std::move(m));
  }
  return out;
}

}  // namespace emberkv::storage::sets
