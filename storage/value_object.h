// Base of the values that are not plain strings (hashes, lists, sets, sorted
// sets). An entry of such a type holds a pointer to one of these; deleting
// the entry deletes the object.
//
// MemoryUsage() must be cheap (objects keep a running count): the database
// adds it to ShardContext::external_bytes when the object is stored and
// subtracts it when the object leaves, and operations that grow or shrink an
// object in place report the difference (Database::AdjustExternalBytes).
//
// Objects made of many separate allocations (a big hash table of strings, a
// big sorted set) would stall the shard if deleted at once; such an object
// says so with CostlyToDelete() and the database hands it to the shard's
// lazy-free list instead, which calls ReleaseSome() a slice at a time from the
// shard's timer (see ShardStore::ReleaseLazyFree).
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

namespace emberkv::storage {

class ValueObject {
 public:
  virtual ~ValueObject() = default;
  // Bytes the object occupies, for memory accounting.
  virtual size_t MemoryUsage() const = 0;
  // A deep copy (COPY).
  virtual std::unique_ptr<ValueObject> Clone() const = 0;
  // Redis's name for the current encoding (OBJECT ENCODING): "listpack",
  // "intset", "hashtable", "skiplist", "quicklist".
  virtual std::string_view EncodingName() const { return "unknown"; }
  // Whether the destructor would take long (many separately allocated parts).
  virtual bool CostlyToDelete() const { return false; }
  // Frees up to about `budget` parts of an object that nobody uses any more;
  // returns how many it freed, 0 once the destructor is cheap.
  virtual size_t ReleaseSome(size_t budget) { return 0; }
};

}  // namespace emberkv::storage
