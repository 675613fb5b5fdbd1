#include "storage/key_index.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstring>
#include <new>

namespace emberkv::storage {
namespace {

// Grow past 85% of the slots, to 1.5x (past 95% if the owner says memory is
// short); shrink below 20%, to half.
constexpr size_t kMaxLoadPercent = 85;
constexpr size_t kCrowdedLoadPercent = 95;
constexpr size_t kMinLoadPercent = 20;
// Tables this small are moved in one go rather than incrementally.
constexpr uint32_t kMigrateAtOnceChunks = 64;
// Chunks moved per insert or erase while a migration runs. With growth by
// 1.5x, two per insert finish long before the new table fills.
constexpr size_t kMigrateChunksPerWrite = 2;
// Tables at least this big come straight from the kernel (malloc would keep
// a freed one in its own caches, and raise its mmap threshold past it).
constexpr size_t kMapTableBytes = 64 * 1024;

}  // namespace

KeyIndex::~KeyIndex() {
  Release(current_);
  Release(old_);
}

KeyIndex::Table KeyIndex::Allocate(uint32_t chunks) {
  Table table;
  table.size = chunks;
  size_t bytes = sizeof(Chunk) * chunks;
  if (bytes >= kMapTableBytes) {
    // Fresh anonymous pages are zero already; the kernel aligns them.
    void* memory = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) throw std::bad_alloc();
    table.chunks = static_cast<Chunk*>(memory);
  } else {
    table.chunks = static_cast<Chunk*>(::operator new(bytes, std::align_val_t(64)));
    std::memset(static_cast<void*>(table.chunks), 0, bytes);
  }
  if (memory_counter_) *memory_counter_ += bytes;
  return table;
}

void KeyIndex::Release(Table& table) {
  if (table.chunks) {
    size_t bytes = sizeof(Chunk) * table.size;
    if (bytes >= kMapTableBytes) {
      munmap(table.chunks, bytes);
    } else {
      ::operator delete(table.chunks, std::align_val_t(64));
    }
    if (memory_counter_) *memory_counter_ -= bytes;
  }
  table = Table{};
}

uint64_t KeyIndex::ChunkStart(uint32_t chunk, uint32_t size, bool* end) {
  if (chunk >= size) {
    *end = true;
    return 0;
  }
  // ceil(chunk * 2^64 / size)
  unsigned __int128 numerator = (static_cast<unsigned __int128>(chunk) << 64) + size - 1;
  *end = false;
  return static_cast<uint64_t>(numerator / size);
}

KeyIndex::Position KeyIndex::InsertInto(Table& table, uint64_t hash, Handle handle) {
  uint32_t index = HomeChunk(hash, table.size);
  while (true) {
    Chunk& chunk = table.chunks[index];
    uint32_t empty = MatchMask(chunk, 0);
    if (empty) {
      int slot = __builtin_ctz(empty);
      chunk.tags[slot] = TagOf(hash);
      chunk.handles[slot] = handle;
      ++table.count;
      return Position{index, static_cast<uint8_t>(slot), 0};
    }
    if (chunk.overflow != UINT16_MAX) ++chunk.overflow;
    index = index + 1 == table.size ? 0 : index + 1;
  }
}

void KeyIndex::EraseFrom(Table& table, Position position, uint64_t hash) {
  table.chunks[position.chunk].tags[position.slot] = 0;
  --table.count;
  // Undo the overflow counts left by this entry's probe from its home chunk.
  for (uint32_t index = HomeChunk(hash, table.size); index != position.chunk;
       index = index + 1 == table.size ? 0 : index + 1) {
    Chunk& chunk = table.chunks[index];
    if (chunk.overflow != UINT16_MAX) --chunk.overflow;
  }
}

void KeyIndex::StartResize(uint32_t chunks) {
  // Finish any migration first: only two tables exist at a time.
  while (Migrate(SIZE_MAX)) {
  }
  old_ = current_;
  current_ = Allocate(chunks);
  drained_ = 0;
  if (old_.size <= kMigrateAtOnceChunks) Migrate(SIZE_MAX);
}

void KeyIndex::PrefetchOldChunk(uint32_t chunk) const {
  if (!prefetch_entry_ || chunk >= old_.size) return;
  const Chunk& c = old_.chunks[chunk];
  for (int s = 0; s < kSlotsPerChunk; ++s) {
    if (c.tags[s]) prefetch_entry_(context_, c.handles[s]);
  }
}

bool KeyIndex::Migrate(size_t chunks) {
  if (!old_.chunks) return false;
  // Moving an entry recomputes its hash from its key: a cache miss per entry
  // in a big table (perf put 3% of a SET-heavy benchmark's cycles there).
  // The entries of the chunk after the one being moved are asked for ahead,
  // so that their misses overlap the move.
  if (drained_ == 0) PrefetchOldChunk(0);
  for (size_t moved = 0; moved < chunks && drained_ < old_.size; ++moved, ++drained_) {
    PrefetchOldChunk(drained_ + 1);
    Chunk& chunk = old_.chunks[drained_];
    for (int s = 0; s < kSlotsPerChunk; ++s) {
      if (!chunk.tags[s]) continue;
      Handle handle = chunk.handles[s];
      uint64_t hash = hash_of_(context_, handle);
      EraseFrom(old_, Position{drained_, static_cast<uint8_t>(s), 1}, hash);
      InsertInto(current_, hash, handle);
    }
  }
  // Entries stored before drained_ by wrap-around were moved with their
  // chunk; once every chunk is drained the old table is empty.
  if (drained_ < old_.size) return true;
  Release(old_);
  drained_ = 0;
  return false;
}

KeyIndex::Position KeyIndex::Insert(uint64_t hash, Handle handle) {
  if (old_.chunks) Migrate(kMigrateChunksPerWrite);
  if (!current_.chunks) {
    current_ = Allocate(1);
  } else if ((size() + 1) * 100 > capacity() * kMaxLoadPercent) {
    uint32_t chunks = std::max<uint32_t>(current_.size + 1, current_.size + current_.size / 2);
    bool crowded = (size() + 1) * 100 > capacity() * kCrowdedLoadPercent;
    if (crowded || !may_grow_ || may_grow_(context_, sizeof(Chunk) * chunks)) StartResize(chunks);
  }
  return InsertInto(current_, hash, handle);
}

void KeyIndex::Erase(Position position, uint64_t hash) {
  EraseFrom(TableAt(position), position, hash);
  if (old_.chunks) {
    Migrate(kMigrateChunksPerWrite);
  } else {
    MaybeResizeAfterErase();
  }
}

void KeyIndex::MaybeResizeAfterErase() {
  if (size() == 0) {
    Release(current_);
    return;
  }
  if (current_.size > 4 && size() * 100 < capacity() * kMinLoadPercent) {
    // Aim at 40% load in the smaller table.
    size_t chunks = (size() * 100 / 40 + kSlotsPerChunk - 1) / kSlotsPerChunk;
    StartResize(static_cast<uint32_t>(std::max<size_t>(chunks, 1)));
  }
}

void KeyIndex::Clear() {
  Release(current_);
  Release(old_);
  drained_ = 0;
}

Handle KeyIndex::RandomEntry(uint64_t random) const {
  for (const Table* table : {&current_, &old_}) {
    if (table->count == 0) continue;
    uint32_t start = static_cast<uint32_t>(random % table->size);
    int first_slot = static_cast<int>((random >> 32) % kSlotsPerChunk);
    for (uint32_t i = 0; i < table->size; ++i) {
      const Chunk& chunk = table->chunks[(start + i) % table->size];
      for (int k = 0; k < kSlotsPerChunk; ++k) {
        int s = (first_slot + k) % kSlotsPerChunk;
        if (chunk.tags[s]) return chunk.handles[s];
      }
    }
  }
  return kNullHandle;
}

}  // namespace emberkv::storage
