#include "storage/database.h"

#include <malloc.h>

#include <algorithm>
#include <cassert>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace emberkv::storage {
namespace {

// Stale wheel references are tolerated up to this many beyond twice the keys
// with a deadline; past that, every new reference pays for examining
// kWheelCompactionPerSchedule old ones, and the timer for more.
constexpr size_t kWheelSlack = 4096;
constexpr size_t kWheelCompactionPerSchedule = 4;

// Room left for growth of an external string that is being appended to:
// double it up to 1 MiB, then 1 MiB at a time (as Redis's sds does).
size_t GreedyCapacity(size_t length) {
  constexpr size_t kMiB = 1024 * 1024;
  return length < kMiB ? length * 2 : length + kMiB;
}

}  // namespace

Database::Database(ShardContext* context, int index)
    : context_(context),
      index_(index),
      index_table_(&HashOfHandle, this, &context->table_bytes, &IndexMayGrow, &PrefetchEntry),
      wheel_(context->now_ms, &context->table_bytes) {}

Database::~Database() { Clear(); }

uint64_t Database::HashOfHandle(const void* self, Handle handle) {
  const Database* db = static_cast<const Database*>(self);
  return HashKey(Entry(db->context_->arena.Resolve(handle)).key());
}

void Database::PrefetchEntry(const void* self, Handle handle) {
  PrefetchEntryAt(static_cast<const Database*>(self)->context_->arena.Resolve(handle));
}

bool Database::IndexMayGrow(const void* self, size_t bytes) {
  const ShardContext& context = *static_cast<const Database*>(self)->context_;
  return context.memory_limit == 0 || context.UsedMemory() + bytes <= context.memory_limit;
}

char* Database::AllocateExternal(size_t bytes, size_t* capacity) {
  char* pointer = static_cast<char*>(std::malloc(std::max<size_t>(bytes, 1)));
  if (!pointer) return nullptr;
  size_t usable = malloc_usable_size(pointer);
  context_->external_bytes += usable;
  if (capacity) *capacity = usable;
  return pointer;
}

void Database::FreeExternal(void* pointer) {
  context_->external_bytes -= malloc_usable_size(pointer);
  std::free(pointer);
}

bool Database::Find(const Key& key, Slot* slot, LookupMode mode) {
  const SlabArena& arena = context_->arena;
  bool found = index_table_.Find(
      key.hash, [&](Handle handle) { return Entry(arena.Resolve(handle)).key() == key.bytes; },
      &slot->position);
  if (found) {
    slot->handle = index_table_.Get(slot->position);
    if (IsExpired(EntryAt(*slot))) {
      ExpireEntry(key, *slot);
      found = false;
    }
  }
  if (!found) {
    slot->handle = kNullHandle;
    if (mode != LookupMode::kWrite) ++context_->counters.keyspace_misses;
    return false;
  }
  if (mode != LookupMode::kWrite) ++context_->counters.keyspace_hits;
  if (mode == LookupMode::kWrite || (mode == LookupMode::kRead && context_->reads_touch)) {
    Entry entry = EntryAt(*slot);
    entry.set_access(context_->access.OnAccess(entry.access(), context_->now_ms));
  }
  return true;
}

char* Database::WriteString(const Key& key, Slot* slot, size_t length, ExpiryChange expiry,
                            bool preserve, bool greedy) {
  SlabArena& arena = context_->arena;
  Slot local;
  if (!slot) slot = &local;
  const bool exists = slot->handle != kNullHandle;

  EntryShape old_shape;
  int64_t old_deadline = 0;
  std::string_view old_value;
  uint8_t old_access = 0;
  void* old_key_blob = nullptr;
  void* old_value_blob = nullptr;
  if (exists) {
    Entry old = EntryAt(*slot);
    assert(old.type() == ValueType::kString);
    old_shape = old.shape();
    old_deadline = old.expiry_ms();
    old_value = old.string_value();
    old_access = old.access();
    if (old.key_external()) old_key_blob = old.key_pointer();
    if (old.value_external()) old_value_blob = old.value_pointer();
  }
  int64_t deadline = expiry.kind == ExpiryChange::kSet    ? std::max<int64_t>(expiry.deadline_ms, 1)
                     : expiry.kind == ExpiryChange::kKeep ? old_deadline
                                                          : 0;
  EntryShape shape = EntryShape::For(key.bytes.size(), length, deadline, false);
  size_t kept = preserve ? std::min(old_value.size(), length) : 0;

  // The value's bytes: an external buffer is reused when it is big enough.
  char* value_blob = nullptr;
  bool new_blob = false;
  if (shape.value_external) {
    if (old_value_blob && malloc_usable_size(old_value_blob) >= length) {
      value_blob = static_cast<char*>(old_value_blob);
    } else {
      value_blob = AllocateExternal(greedy ? GreedyCapacity(length) : length, nullptr);
      if (!value_blob) return nullptr;
      new_blob = true;
      if (kept) std::memcpy(value_blob, old_value.data(), kept);
    }
  }

  const bool in_place =
      exists && old_shape.key_external == shape.key_external &&
      old_shape.value_external == shape.value_external && old_shape.SameExpiryField(shape) &&
      old_shape.HeaderSize() == shape.HeaderSize() &&
      SlabArena::ChunkSize(old_shape.Size()) == SlabArena::ChunkSize(shape.Size());
  Handle handle = slot->handle;
  // A write counts as an access (Redis refreshes the LRU clock of a key that
  // is overwritten, and keeps and bumps its LFU counter).
  const uint8_t access =
      exists ? context_->access.OnAccess(old_access, context_->now_ms)
             : context_->access.OnCreate(context_->arena.live_chunks(), context_->now_ms);
  Entry entry;
  if (in_place) {
    // Same chunk and same offsets: rewrite the header; inline value bytes
    // stay where they are.
    char* data = arena.Resolve(handle);
    entry = Entry::Init(data, shape, ValueType::kString, key.bytes,
                        static_cast<char*>(old_key_blob), deadline, access);
  } else {
    handle = arena.Allocate(shape.Size());
    if (handle == kNullHandle) {
      if (new_blob) FreeExternal(value_blob);
      return nullptr;
    }
    char* key_blob = static_cast<char*>(old_key_blob);
    if (shape.key_external && !key_blob) {
      key_blob = AllocateExternal(key.bytes.size(), nullptr);
      std::memcpy(key_blob, key.bytes.data(), key.bytes.size());
    }
    entry = Entry::Init(arena.Resolve(handle), shape, ValueType::kString, key.bytes, key_blob,
                        deadline, access);
    if (!shape.value_external && kept) std::memcpy(entry.value_data(), old_value.data(), kept);
    if (exists) {
      if (old_key_blob && !shape.key_external) FreeExternal(old_key_blob);
      arena.Free(slot->handle, old_shape.Size());
      index_table_.Set(slot->position, handle);
    } else {
      slot->position = index_table_.Insert(key.hash, handle);
    }
  }
  if (old_value_blob && old_value_blob != value_blob) FreeExternal(old_value_blob);
  if (shape.value_external) entry.set_value_pointer(value_blob);

  if (exists && old_shape.has_expiry) --expires_;
  if (deadline) {
    ++expires_;
    // The wheel keeps weak references: an unmoved entry whose deadline only
    // got later is found again when its old slot fires.
    if (!exists || handle != slot->handle || !old_deadline || deadline < old_deadline) {
      ScheduleExpiry(handle, deadline);
    }
  }
  slot->handle = handle;
  NotifyChanged(key.bytes);
  return shape.value_external ? value_blob : entry.value_data();
}

bool Database::CreateObject(const Key& key, ValueType type, ValueObject* object, int64_t expiry_ms,
                            Slot* slot) {
  SlabArena& arena = context_->arena;
  EntryShape shape = EntryShape::For(key.bytes.size(), 0, expiry_ms, true);
  Handle handle = arena.Allocate(shape.Size());
  if (handle == kNullHandle) {
    delete object;
    return false;
  }
  char* key_blob = nullptr;
  if (shape.key_external) {
    key_blob = AllocateExternal(key.bytes.size(), nullptr);
    std::memcpy(key_blob, key.bytes.data(), key.bytes.size());
  }
  Entry entry =
      Entry::Init(arena.Resolve(handle), shape, type, key.bytes, key_blob, expiry_ms,
                  context_->access.OnCreate(context_->arena.live_chunks(), context_->now_ms));
  entry.set_value_pointer(object);
  context_->external_bytes += object->MemoryUsage();
  KeyIndex::Position position = index_table_.Insert(key.hash, handle);
  if (slot) *slot = Slot{handle, position};
  if (expiry_ms) {
    ++expires_;
    ScheduleExpiry(handle, expiry_ms);
  }
  NotifyChanged(key.bytes);
  return true;
}

void Database::SetExpiry(const Key& key, Slot* slot, int64_t deadline_ms) {
  Entry entry = EntryAt(*slot);
  ExpiryChange change = deadline_ms ? ExpiryChange::At(deadline_ms) : ExpiryChange::Clear();
  if (entry.type() == ValueType::kString) {
    WriteString(key, slot, entry.value_len(), change, /*preserve=*/true);
    return;
  }
  // A collection: the object stays, the entry around it is rebuilt.
  SlabArena& arena = context_->arena;
  EntryShape shape = EntryShape::For(key.bytes.size(), 0, deadline_ms, true);
  EntryShape old_shape = entry.shape();
  int64_t old_deadline = entry.expiry_ms();
  if (old_shape.SameExpiryField(shape) && shape.has_expiry) {
    entry.set_expiry_ms(deadline_ms);
    if (deadline_ms < old_deadline) ScheduleExpiry(slot->handle, deadline_ms);
    NotifyChanged(key.bytes);
    return;
  }
  if (!old_shape.has_expiry && !shape.has_expiry) return;  // persisting a key without a deadline
  Handle handle = arena.Allocate(shape.Size());
  if (handle == kNullHandle) return;  // keeps the old deadline; only when 16 GiB are used
  char* key_blob = entry.key_external() ? static_cast<char*>(entry.key_pointer()) : nullptr;
  if (shape.key_external && !key_blob) {
    key_blob = AllocateExternal(key.bytes.size(), nullptr);
    std::memcpy(key_blob, key.bytes.data(), key.bytes.size());
  }
  Entry moved = Entry::Init(arena.Resolve(handle), shape, entry.type(), key.bytes, key_blob,
                            deadline_ms, entry.access());
  moved.set_value_pointer(entry.value_pointer());
  if (entry.key_external() && !shape.key_external) FreeExternal(entry.key_pointer());
  arena.Free(slot->handle, old_shape.Size());
  index_table_.Set(slot->position, handle);
  slot->handle = handle;
  if (old_shape.has_expiry) --expires_;
  if (deadline_ms) {
    ++expires_;
    ScheduleExpiry(handle, deadline_ms);
  }
  NotifyChanged(key.bytes);
}

void Database::FreeExternalParts(const Entry& entry) {
  if (entry.key_external()) FreeExternal(entry.key_pointer());
  if (!entry.value_external()) return;
  if (entry.type() == ValueType::kString) {
    FreeExternal(entry.value_pointer());
  } else {
    DisposeObject(static_cast<ValueObject*>(entry.value_pointer()));
  }
}

void Database::DisposeObject(ValueObject* object) {
  if (object->CostlyToDelete()) {
    context_->lazy_free.push_back(object);  // its bytes are subtracted as they are freed
    return;
  }
  context_->external_bytes -= object->MemoryUsage();
  delete object;
}

void Database::Erase(const Key& key, const Slot& slot) {
  // Tell the observer first: key.bytes may point into the entry.
  NotifyChanged(key.bytes);
  Entry entry = EntryAt(slot);
  if (entry.has_expiry()) --expires_;
  size_t size = entry.size();
  FreeExternalParts(entry);
  context_->arena.Free(slot.handle, size);
  index_table_.Erase(slot.position, key.hash);
}

ValueObject* Database::EraseKeepingObject(const Key& key, const Slot& slot) {
  NotifyChanged(key.bytes);
  Entry entry = EntryAt(slot);
  ValueObject* object = static_cast<ValueObject*>(entry.value_pointer());
  context_->external_bytes -= object->MemoryUsage();
  if (entry.has_expiry()) --expires_;
  if (entry.key_external()) FreeExternal(entry.key_pointer());
  context_->arena.Free(slot.handle, entry.size());
  index_table_.Erase(slot.position, key.hash);
  return object;
}

void Database::ExpireEntry(const Key& key, const Slot& slot) {
  ++context_->counters.expired_keys;
  Erase(key, slot);
}

void Database::OnWheelFire(Handle handle) {
  SlabArena& arena = context_->arena;
  if (!arena.IsLiveChunk(handle)) return;  // deleted since
  Entry entry(arena.Resolve(handle));
  if (!entry.has_expiry()) return;  // persisted since
  Key key(entry.key());
  Slot slot;
  bool ours = index_table_.Find(
      key.hash, [&](Handle h) { return h == handle; }, &slot.position);
  if (!ours) return;  // the chunk now holds an entry that moved here from elsewhere
  slot.handle = handle;
  if (entry.expiry_ms() > context_->now_ms) {
    wheel_.Schedule(handle, entry.expiry_ms());  // its deadline moved later
    return;
  }
  ExpireEntry(key, slot);
}

size_t Database::ExpireDue(size_t budget) {
  uint64_t before = context_->counters.expired_keys;
  wheel_.Advance(context_->now_ms, budget, [this](Handle handle) { OnWheelFire(handle); });
  return static_cast<size_t>(context_->counters.expired_keys - before);
}

void Database::ScheduleExpiry(Handle handle, int64_t deadline_ms) {
  wheel_.Schedule(handle, deadline_ms);
  // Every new reference may leave an old one stale; examining a few old ones
  // per new one keeps their number bounded at a constant cost per write.
  if (WheelNeedsCompaction()) CompactWheel(kWheelCompactionPerSchedule);
}

bool Database::WheelNeedsCompaction() const { return wheel_.size() > 2 * expires_ + kWheelSlack; }

size_t Database::CompactWheel(size_t budget) {
  const SlabArena& arena = context_->arena;
  if (wheel_kept_pass_ != wheel_.compaction_pass()) {
    wheel_kept_pass_ = wheel_.compaction_pass();
    wheel_kept_.Clear();
  }
  return wheel_.Compact(budget, [&](Handle handle) -> int64_t {
    if (!arena.IsLiveChunk(handle)) return 0;  // deleted since
    Entry entry(arena.Resolve(handle));
    if (!entry.has_expiry()) return 0;
    uint64_t hash = HashKey(entry.key());
    KeyIndex::Position position;
    if (!index_table_.Find(
            hash, [&](Handle h) { return h == handle; }, &position))
      return 0;
    // A chunk freed and taken by another entry with a deadline in the same
    // slot leaves references that look current: keep one per handle. (One
    // kept earlier in this pass is in the slot's list or where it was moved;
    // the entry now at the handle either is the one it was kept for, or came
    // after the pass began and scheduled its own reference.)
    return wheel_kept_.Insert(handle) ? entry.expiry_ms() : 0;
  });
}

void Database::Maintain() {
  index_table_.Migrate(16);
  // A 64th of the wheel per timer tick: a pass every few seconds.
  if (WheelNeedsCompaction()) CompactWheel(std::max<size_t>(kWheelSlack, wheel_.size() / 64));
}

bool Database::LocateHandle(Handle handle, Slot* slot, uint64_t* hash) const {
  const SlabArena& arena = context_->arena;
  if (!arena.IsLiveChunk(handle)) return false;
  *hash = HashKey(Entry(arena.Resolve(handle)).key());
  if (!index_table_.Find(
          *hash, [&](Handle h) { return h == handle; }, &slot->position))
    return false;
  slot->handle = handle;
  return true;
}

size_t Database::EntryBytes(const Entry& entry) const {
  size_t bytes = SlabArena::ChunkSize(entry.size());
  if (entry.key_external()) bytes += malloc_usable_size(entry.key_pointer());
  if (entry.value_external()) {
    bytes += entry.type() == ValueType::kString
                 ? malloc_usable_size(entry.value_pointer())
                 : static_cast<ValueObject*>(entry.value_pointer())->MemoryUsage();
  }
  return bytes;
}

size_t Database::EvictHandle(Handle handle) {
  Slot slot;
  uint64_t hash;
  if (!LocateHandle(handle, &slot, &hash)) return 0;
  Entry entry = EntryAt(slot);
  size_t bytes = EntryBytes(entry);
  Key key(entry.key(), hash);
  if (IsExpired(entry)) {
    ExpireEntry(key, slot);
  } else {
    ++context_->counters.evicted_keys;
    Erase(key, slot);
  }
  return bytes;
}

bool Database::Relocate(Handle from, Handle to) {
  // Both chunks hold the same bytes now; the index still names `from`.
  Entry entry(context_->arena.Resolve(to));
  uint64_t hash = HashKey(entry.key());
  KeyIndex::Position position;
  if (!index_table_.Find(
          hash, [&](Handle h) { return h == from; }, &position))
    return false;
  index_table_.Set(position, to);
  // The wheel's reference to `from` goes stale; the entry needs a new one.
  if (entry.has_expiry()) ScheduleExpiry(to, entry.expiry_ms());
  return true;
}

size_t Database::EvictSoonestDeadline(size_t budget) {
  constexpr size_t kCandidates = 16;
  struct Candidate {
    int64_t deadline;
    Handle handle;
  };
  Candidate candidates[kCandidates];
  size_t found = 0;
  // References whose entry's deadline is later than their slot: moved after
  // the visit (see TimingWheel::Compact).
  std::vector<Candidate> later;
  wheel_.VisitSoonest(budget, [&](Handle handle, int64_t fire_ms, int64_t end_ms) {
    Slot slot;
    uint64_t hash;
    if (!LocateHandle(handle, &slot, &hash)) return TimingWheel::Visit::kDrop;
    Entry entry = EntryAt(slot);
    if (!entry.has_expiry() || entry.expiry_ms() < fire_ms) return TimingWheel::Visit::kDrop;
    if (entry.expiry_ms() >= end_ms) {
      later.push_back(Candidate{entry.expiry_ms(), handle});
      return TimingWheel::Visit::kDrop;
    }
    candidates[found++] = Candidate{entry.expiry_ms(), handle};
    return found == kCandidates ? TimingWheel::Visit::kStop : TimingWheel::Visit::kKeep;
  });
  for (const Candidate& c : later) wheel_.Schedule(c.handle, c.deadline);
  if (found == 0) return 0;
  // Slots fire in deadline order, but a coarse slot spans a range: take the
  // soonest of what was found.
  Candidate* best = std::min_element(
      candidates, candidates + found,
      [](const Candidate& a, const Candidate& b) { return a.deadline < b.deadline; });
  return EvictHandle(best->handle);
}

bool Database::RandomKey(uint64_t random, std::string* key) {
  for (int attempt = 0; attempt < 32; ++attempt) {
    Handle handle = index_table_.RandomEntry(random);
    if (handle == kNullHandle) return false;
    Entry entry(context_->arena.Resolve(handle));
    if (!IsExpired(entry) || attempt == 31) {
      key->assign(entry.key());
      return true;
    }
    random = random * 6364136223846793005ULL + 1442695040888963407ULL;
  }
  return false;
}

void Database::Clear() {
  if (context_->observer && size() > 0) context_->observer->DatabaseCleared(*this, nullptr);
  SlabArena& arena = context_->arena;
  index_table_.ForEach([&](Handle handle) {
    Entry entry(arena.Resolve(handle));
    size_t size = entry.size();
    FreeExternalParts(entry);
    arena.Free(handle, size);
  });
  index_table_.Clear();
  wheel_.Clear();
  expires_ = 0;
}

}  // namespace emberkv::storage
