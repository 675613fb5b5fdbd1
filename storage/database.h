// One numbered database (SELECT 0..15) within one shard: its key index, its
// timing wheel of deadlines, and the primitive operations that commands are
// built from. Entries live in the shard's arena (see ShardContext).
//
// Every lookup checks expiry lazily; the timing wheel reclaims the rest (see
// ExpireDue). Writes report changed keys to the shard's KeyObserver.
//
// A Slot names a located entry. It stays valid until the next write to this
// database, except through the methods that take it by pointer, which keep
// it up to date when the entry moves.
//
// Thread safety: none; a database belongs to its shard's thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "storage/entry.h"
#include "storage/hash.h"
#include "storage/key_index.h"
#include "storage/shard_context.h"
#include "storage/timing_wheel.h"
#include "storage/value_object.h"

namespace emberkv::storage {

// A key with its hash, computed once where the command is routed.
struct Key {
  Key(std::string_view b) : bytes(b), hash(HashKey(b)) {}  // NOLINT: keys convert from text
  Key(const std::string& b) : Key(std::string_view(b)) {}  // NOLINT
  Key(const char* b) : Key(std::string_view(b)) {}         // NOLINT
  Key(std::string_view b, uint64_t h) : bytes(b), hash(h) {}
  std::string_view bytes;
  uint64_t hash;
};

// What a write does to the key's deadline.
struct ExpiryChange {
  enum Kind : uint8_t { kKeep, kClear, kSet } kind = kClear;
  int64_t deadline_ms = 0;
  static ExpiryChange Keep() { return {kKeep, 0}; }
  static ExpiryChange Clear() { return {kClear, 0}; }
  static ExpiryChange At(int64_t ms) { return {kSet, ms}; }
};

enum class LookupMode : uint8_t {
  kRead,         // counts a keyspace hit or miss and refreshes the access clock
  kReadNoTouch,  // counts, but leaves the access clock (TYPE, TTL, EXISTS, OBJECT)
  kWrite,        // neither: the command is about to change the key
};

class Database {
 public:
  Database(ShardContext* context, int index);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  struct Slot {
    Handle handle = kNullHandle;
    KeyIndex::Position position;
  };

  // Finds a live entry. An entry past its deadline is deleted first and
  // reported absent.
  bool Find(const Key& key, Slot* slot, LookupMode mode = LookupMode::kRead);
  Entry EntryAt(const Slot& slot) const { return Entry(context_->arena.Resolve(slot.handle)); }

  // Makes `key` a string of `length` bytes and returns where to write them.
  // With `slot` == nullptr or an absent key this creates the entry (and sets
  // *slot if given); otherwise the entry at *slot, which must be a string,
  // keeps its first min(old, new) bytes when `preserve` is set. `greedy`
  // leaves room to grow (APPEND). Returns nullptr when memory is exhausted.
  char* WriteString(const Key& key, Slot* slot, size_t length, ExpiryChange expiry,
                    bool preserve = false, bool greedy = false);
  // Creates an entry for a collection object (the database takes ownership).
  bool CreateObject(const Key& key, ValueType type, ValueObject* object, int64_t expiry_ms,
                    Slot* slot = nullptr);
  ValueObject* ObjectAt(const Slot& slot) const {
    return static_cast<ValueObject*>(EntryAt(slot).value_pointer());
  }

  // Sets (deadline > 0) or removes (0) the deadline of the entry at *slot.
  void SetExpiry(const Key& key, Slot* slot, int64_t deadline_ms);

  void Erase(const Key& key, const Slot& slot);
  // Erases the entry of a collection but hands its object to the caller
  // (RENAME and MOVE carry it elsewhere).
  ValueObject* EraseKeepingObject(const Key& key, const Slot& slot);

  // Tells the observer that the value at `key` changed in place (collections).
  void NotifyChanged(std::string_view key) {
    if (context_->observer) context_->observer->KeyChanged(index_, key);
  }

  size_t size() const { return index_table_.size(); }
  size_t expires() const { return expires_; }
  int index() const { return index_; }
  int64_t now_ms() const { return context_->now_ms; }
  void set_index(int index) { index_ = index; }  // SWAPDB

  // SCAN: calls fn(Entry) for live entries of a range of hash space starting
  // at `cursor` (0 to begin), about `count` of them. Returns the next cursor,
  // 0 when done.
  template <class Fn>
  uint64_t Scan(uint64_t cursor, size_t count, Fn&& fn);
  // Calls fn(Entry) for every live entry.
  template <class Fn>
  void ForEach(Fn&& fn);
  // A random live key, or false when there is none.
  bool RandomKey(uint64_t random, std::string* key);

  // Deletes every entry (FLUSHDB).
  void Clear();

  // Deletes entries whose deadline has passed, at most `budget` of them.
  // Returns how many expired.
  size_t ExpireDue(size_t budget);
  // When ExpireDue next has work (INT64_MAX: never).
  int64_t NextExpiryTime() const { return wheel_.size() ? wheel_.NextFireTime() : INT64_MAX; }

  // Moves some of a pending index resize (from the shard's timer).
  void Maintain() { index_table_.Migrate(16); }

  // Bytes of the index and the wheel (entries are counted by the arena).
  size_t overhead_bytes() const { return index_table_.memory_bytes() + wheel_.memory_bytes(); }

 private:
  static uint64_t HashOfHandle(const void* self, Handle handle);
  bool IsExpired(const Entry& entry) const {
    return entry.has_expiry() && entry.expiry_ms() <= context_->now_ms;
  }
  void ExpireEntry(const Key& key, const Slot& slot);
  void FreeExternalParts(const Entry& entry);
  // Offers a fired wheel handle: expires it, schedules it again, or drops it.
  void OnWheelFire(Handle handle);
  char* AllocateExternal(size_t bytes, size_t* capacity);
  void FreeExternal(void* pointer);

  ShardContext* context_;
  int index_;
  KeyIndex index_table_;
  TimingWheel wheel_;
  size_t expires_ = 0;
};

template <class Fn>
uint64_t Database::Scan(uint64_t cursor, size_t count, Fn&& fn) {
  // Expired entries are skipped here and reclaimed by the wheel; a scan must
  // not modify the index it walks.
  return index_table_.Scan(cursor, count, [&](Handle handle) {
    Entry entry(context_->arena.Resolve(handle));
    if (!IsExpired(entry)) fn(entry);
  });
}

template <class Fn>
void Database::ForEach(Fn&& fn) {
  index_table_.ForEach([&](Handle handle) {
    Entry entry(context_->arena.Resolve(handle));
    if (!IsExpired(entry)) fn(entry);
  });
}

}  // namespace emberkv::storage
