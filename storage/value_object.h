// Base of the values that are not plain strings (hashes, lists, sets, sorted
// sets). An entry of such a type holds a pointer to one of these; deleting
// the entry deletes the object.
#pragma once

#include <cstddef>
#include <memory>

namespace emberkv::storage {

class ValueObject {
 public:
  virtual ~ValueObject() = default;
  // Bytes the object occupies, for memory accounting.
  virtual size_t MemoryUsage() const = 0;
  // A deep copy (COPY).
  virtual std::unique_ptr<ValueObject> Clone() const = 0;
};

}  // namespace emberkv::storage
