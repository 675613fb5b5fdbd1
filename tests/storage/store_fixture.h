// A one-shard store with its clock set, for the tests of the shard-local
// operations; each test file's own fixture adds its helpers to it.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "storage/shard_store.h"
#include "storage/string_ops.h"

namespace emberkv::storage {

struct StoreFixture {
  ShardStore store{1};
  Database& db = store.db(0);
  StoreFixture() { store.set_now_ms(1'000'000); }
  // The string at `key`, or "<none>" when there is no string there.
  std::string Value(const std::string& key) {
    std::string_view v;
    return strings::Get(db, key, &v) == OpStatus::kOk ? std::string(v) : "<none>";
  }
};

// Whether an operation succeeded, whichever result type it returns: for the
// tests' setup steps, whose results are [[nodiscard]] like any other.
inline bool Succeeded(OpStatus status) { return status == OpStatus::kOk; }
template <class T>
bool Succeeded(const OpResult<T>& result) {
  return result.ok();
}

// The arguments of a command, as the operations take them.
inline std::vector<std::string_view> Args(std::initializer_list<std::string_view> list) {
  return list;
}

}  // namespace emberkv::storage
