#include "storage/slab_arena.h"

#include <catch2/catch.hpp>
#include <cstring>
#include <map>
#include <random>

using emberkv::storage::Handle;
using emberkv::storage::kNullHandle;
using emberkv::storage::SlabArena;

TEST_CASE("arena rounds to 4-byte classes and reuses freed chunks") {
  CHECK(SlabArena::ChunkSize(34) == 36);
  CHECK(SlabArena::ChunkSize(40) == 40);
  CHECK(SlabArena::ChunkSize(129) == 144);
  CHECK(SlabArena::ChunkSize(4096) == 4096);
  SlabArena arena;
  Handle a = arena.Allocate(34);
  REQUIRE(a != kNullHandle);
  CHECK(arena.allocated_bytes() == 36);
  CHECK(arena.IsLiveChunk(a));
  arena.Free(a, 34);
  CHECK_FALSE(arena.IsLiveChunk(a));
  CHECK(arena.allocated_bytes() == 0);
  CHECK(arena.pages_in_use() == 0);
}

TEST_CASE("arena keeps contents apart under random churn and returns empty pages") {
  SlabArena arena;
  std::mt19937 rng(7);
  std::map<Handle, std::pair<size_t, char>> live;
  for (int i = 0; i < 200000; ++i) {
    if (live.empty() || rng() % 3 != 0) {
      size_t size = 4 + rng() % 600;
      Handle h = arena.Allocate(size);
      REQUIRE(h != kNullHandle);
      REQUIRE(live.count(h) == 0);
      char fill = static_cast<char>(rng() % 200);  // never the free marker 0xFF
      std::memset(arena.Resolve(h), fill, size);
      live[h] = {size, fill};
    } else {
      auto it = live.begin();
      std::advance(it, rng() % std::min<size_t>(live.size(), 64));
      const char* p = arena.Resolve(it->first);
      for (size_t k = 0; k < it->second.first; ++k) REQUIRE(p[k] == it->second.second);
      arena.Free(it->first, it->second.first);
      live.erase(it);
    }
  }
  size_t expected = 0;
  for (auto& [h, v] : live) expected += SlabArena::ChunkSize(v.first);
  CHECK(arena.allocated_bytes() == expected);
  for (auto& [h, v] : live) arena.Free(h, v.first);
  CHECK(arena.pages_in_use() == 0);
  CHECK(arena.allocated_bytes() == 0);
}
