// A one-shard store with its clock set, for the tests of the shard-local
// operations that were written with issue 16.
#pragma once

#include <string>
#include <string_view>

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

}  // namespace emberkv::storage
