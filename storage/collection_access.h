// Shared by the shard-local operations on collections (hash_ops, set_ops,
// zset_ops): finding a key as a collection of one type, creating it, and
// finishing a change (memory accounting, WATCH, deleting an emptied key).
#pragma once

#include <cstddef>

#include "storage/database.h"
#include "storage/op_status.h"

namespace emberkv::storage {

// The collection of type `type` at `key`: kNotFound, kWrongType or kOk with
// *object (and *slot when given).
template <class T>
OpStatus FindCollection(Database& db, const Key& key, ValueType type, LookupMode mode, T** object,
                        Database::Slot* slot = nullptr) {
  Database::Slot local;
  if (!slot) slot = &local;
  if (!db.Find(key, slot, mode)) return OpStatus::kNotFound;
  if (db.EntryAt(*slot).type() != type) return OpStatus::kWrongType;
  *object = static_cast<T*>(db.ObjectAt(*slot));
  return OpStatus::kOk;
}

// As FindCollection, but creates an empty collection when the key is
// absent (kOutOfMemory when that fails).
template <class T>
OpStatus FindOrCreateCollection(Database& db, const Key& key, ValueType type, T** object,
                                Database::Slot* slot) {
  OpStatus status = FindCollection(db, key, type, LookupMode::kWrite, object, slot);
  if (status != OpStatus::kNotFound) return status;
  T* fresh = new T();
  if (!db.CreateObject(key, type, fresh, 0, slot)) return OpStatus::kOutOfMemory;
  *object = fresh;
  return OpStatus::kOk;
}

// Brackets an in-place change of a collection: Finish() reports the change
// in size to the shard's memory accounting, tells WATCH when something
// changed, and deletes the key when the collection is empty (Redis never
// keeps an empty collection).
template <class T>
class CollectionEdit {
 public:
  CollectionEdit(Database& db, const Key& key, T* object, const Database::Slot& slot)
      : db_(db), key_(key), object_(object), slot_(slot), before_(object->MemoryUsage()) {}

  // Returns whether the key still exists.
  bool Finish(bool changed) {
    db_.AdjustExternalBytes(static_cast<ptrdiff_t>(object_->MemoryUsage()) -
                            static_cast<ptrdiff_t>(before_));
    before_ = object_->MemoryUsage();
    if (object_->size() == 0) {
      db_.Erase(key_, slot_);
      return false;
    }
    if (changed) db_.NotifyChanged(key_.bytes);
    return true;
  }

 private:
  Database& db_;
  const Key& key_;
  T* object_;
  Database::Slot slot_;
  size_t before_;
};

}  // namespace emberkv::storage
