#include "storage/list_ops.h"

#include <algorithm>

#include "storage/collection_access.h"

namespace emberkv::storage::lists {
namespace {

using Edit = CollectionEdit<ListValue>;

OpStatus FindList(Database& db, const Key& key, LookupMode mode, ListValue** list,
                  Database::Slot* slot = nullptr) {
  return FindCollection(db, key, ValueType::kList, mode, list, slot);
}

// Redis's index rule: negative counts from the tail. False when outside.
bool ResolveIndex(int64_t index, size_t size, size_t* out) {
  int64_t length = static_cast<int64_t>(size);
  if (index < 0) index += length;
  if (index < 0 || index >= length) return false;
  *out = static_cast<size_t>(index);
  return true;
}

// Redis's range rule (LRANGE, LTRIM): false when the range is empty.
bool ResolveRange(int64_t start, int64_t stop, size_t size, size_t* first, size_t* last) {
  int64_t length = static_cast<int64_t>(size);
  if (start < 0) start += length;
  if (stop < 0) stop += length;
  if (start < 0) start = 0;
  if (start > stop || start >= length) return false;
  if (stop >= length) stop = length - 1;
  *first = static_cast<size_t>(start);
  *last = static_cast<size_t>(stop);
  return true;
}

// The magnitude of a count argument; INT64_MIN means "no limit" (Redis
// negates it and never reaches the result).
size_t Magnitude(int64_t count) {
  if (count == INT64_MIN) return 0;
  return static_cast<size_t>(count < 0 ? -count : count);
}

}  // namespace

OpResult<int64_t> Push(Database& db, const Key& key, ListEnd end,
                       std::span<const std::string_view> values, bool only_existing) {
  Database::Slot slot;
  ListValue* list;
  OpStatus status = only_existing ? FindList(db, key, LookupMode::kWrite, &list, &slot)
                                  : FindOrCreateCollection(db, key, ValueType::kList, &list, &slot);
  if (status == OpStatus::kNotFound) return int64_t{0};
  if (status != OpStatus::kOk) return status;
  Edit edit(db, key, list, slot);
  for (std::string_view value : values) list->Push(end, value);
  int64_t length = static_cast<int64_t>(list->size());
  edit.Finish(!values.empty());
  return length;
}

OpStatus Pop(Database& db, const Key& key, ListEnd end, size_t count,
             std::vector<std::string>* out) {
  Database::Slot slot;
  ListValue* list;
  OpStatus status = FindList(db, key, LookupMode::kWrite, &list, &slot);
  if (status != OpStatus::kOk) return status;
  Edit edit(db, key, list, slot);
  size_t n = std::min(count, list->size());
  out->reserve(out->size() + n);
  for (size_t i = 0; i < n; ++i) out->push_back(list->Pop(end));
  edit.Finish(n > 0);
  return OpStatus::kOk;
}

OpResult<int64_t> Length(Database& db, const Key& key) {
  ListValue* list;
  OpStatus status = FindList(db, key, LookupMode::kRead, &list);
  if (status == OpStatus::kNotFound) return int64_t{0};
  if (status != OpStatus::kOk) return status;
  return static_cast<int64_t>(list->size());
}

OpStatus Range(Database& db, const Key& key, int64_t start, int64_t stop,
               std::vector<std::string_view>* out) {
  ListValue* list;
  OpStatus status = FindList(db, key, LookupMode::kRead, &list);
  if (status == OpStatus::kNotFound) return OpStatus::kOk;
  if (status != OpStatus::kOk) return status;
  size_t first, last;
  if (!ResolveRange(start, stop, list->size(), &first, &last)) return OpStatus::kOk;
  out->reserve(last - first + 1);
  ListValue::Cursor cursor = list->CursorAt(first);
  for (size_t i = first; i <= last; ++i, cursor.Next()) out->push_back(cursor.value());
  return OpStatus::kOk;
}

OpStatus Index(Database& db, const Key& key, int64_t index, std::string_view* value) {
  ListValue* list;
  OpStatus status = FindList(db, key, LookupMode::kRead, &list);
  if (status != OpStatus::kOk) return status;
  size_t at;
  if (!ResolveIndex(index, list->size(), &at)) return OpStatus::kNotFound;
  *value = list->At(at);
  return OpStatus::kOk;
}

OpResult<bool> Set(Database& db, const Key& key, int64_t index, std::string_view value) {
  Database::Slot slot;
  ListValue* list;
  OpStatus status = FindList(db, key, LookupMode::kWrite, &list, &slot);
  if (status != OpStatus::kOk) return status;
  size_t at;
  if (!ResolveIndex(index, list->size(), &at)) return false;
  Edit edit(db, key, list, slot);
  list->Set(at, value);
  edit.Finish(true);
  return true;
}

OpResult<int64_t> Insert(Database& db, const Key& key, bool after, std::string_view pivot,
                         std::string_view value) {
  Database::Slot slot;
  ListValue* list;
  OpStatus status = FindList(db, key, LookupMode::kWrite, &list, &slot);
  if (status == OpStatus::kNotFound) return int64_t{0};
  if (status != OpStatus::kOk) return status;
  size_t index = 0;
  ListValue::Cursor cursor = list->CursorAt(0);
  while (cursor.valid() && cursor.value() != pivot) {
    cursor.Next();
    ++index;
  }
  if (!cursor.valid()) return int64_t{-1};
  Edit edit(db, key, list, slot);
  list->Insert(after ? index + 1 : index, value);
  int64_t length = static_cast<int64_t>(list->size());
  edit.Finish(true);
  return length;
}

OpResult<int64_t> Remove(Database& db, const Key& key, int64_t count, std::string_view value) {
  Database::Slot slot;
  ListValue* list;
  OpStatus status = FindList(db, key, LookupMode::kWrite, &list, &slot);
  if (status == OpStatus::kNotFound) return int64_t{0};
  if (status != OpStatus::kOk) return status;
  Edit edit(db, key, list, slot);
  size_t removed =
      list->RemoveEqual(value, Magnitude(count), count < 0 ? ListEnd::kTail : ListEnd::kHead);
  edit.Finish(removed > 0);
  return static_cast<int64_t>(removed);
}

OpStatus Trim(Database& db, const Key& key, int64_t start, int64_t stop) {
  Database::Slot slot;
  ListValue* list;
  OpStatus status = FindList(db, key, LookupMode::kWrite, &list, &slot);
  if (status == OpStatus::kNotFound) return OpStatus::kOk;
  if (status != OpStatus::kOk) return status;
  size_t size = list->size();
  size_t first, last;
  size_t head = size, tail = 0;  // an empty range removes everything
  if (ResolveRange(start, stop, size, &first, &last)) {
    head = first;
    tail = size - 1 - last;
  }
  Edit edit(db, key, list, slot);
  list->Trim(head, tail);
  // Redis signals the key even when nothing was trimmed.
  edit.Finish(true);
  return OpStatus::kOk;
}

OpStatus Pos(Database& db, const Key& key, std::string_view element, const PosOptions& options,
             std::vector<int64_t>* out) {
  ListValue* list;
  OpStatus status = FindList(db, key, LookupMode::kRead, &list);
  if (status != OpStatus::kOk) return status;
  const bool from_tail = options.rank < 0;
  // RANK INT64_MIN: Redis negates it into itself, so every match qualifies
  // and COUNT never stops the search.
  const bool rank_overflow = options.rank == INT64_MIN;
  const uint64_t rank = rank_overflow ? 1 : Magnitude(options.rank);
  const uint64_t maxlen = static_cast<uint64_t>(options.maxlen);
  const uint64_t count = rank_overflow ? 0 : static_cast<uint64_t>(options.count);
  const size_t size = list->size();
  if (size == 0) return OpStatus::kOk;
  uint64_t matches = 0;
  uint64_t scanned = 0;
  ListValue::Cursor cursor = list->CursorAt(from_tail ? size - 1 : 0);
  for (; cursor.valid() && (maxlen == 0 || scanned < maxlen); ++scanned) {
    if (cursor.value() == element && ++matches >= rank) {
      out->push_back(static_cast<int64_t>(from_tail ? size - 1 - scanned : scanned));
      if (count != 0 && matches - rank + 1 >= count) break;
    }
    if (from_tail) {
      cursor.Prev();
    } else {
      cursor.Next();
    }
  }
  return OpStatus::kOk;
}

OpStatus Move(Database& from_db, const Key& source, Database& to_db, const Key& destination,
              ListEnd from, ListEnd to, std::string* moved) {
  Database::Slot slot;
  ListValue* list;
  OpStatus status = FindList(from_db, source, LookupMode::kWrite, &list, &slot);
  if (status != OpStatus::kOk) return status;
  if (source.bytes == destination.bytes) {
    // A rotation: the list never empties.
    Edit edit(from_db, source, list, slot);
    *moved = list->Pop(from);
    list->Push(to, *moved);
    edit.Finish(true);
    return OpStatus::kOk;
  }
  status = CheckPushable(to_db, destination);
  if (status != OpStatus::kOk) return status;
  {
    Edit edit(from_db, source, list, slot);
    *moved = list->Pop(from);
    edit.Finish(true);  // may delete the source, which moves slots: find the destination after
  }
  std::string_view value = *moved;
  status = Push(to_db, destination, to, std::span<const std::string_view>(&value, 1)).status;
  if (status != OpStatus::kOk) {
    // Memory refused the destination: the element goes back where it was,
    // and nobody saw it gone (the caller holds both keys). Only a new key
    // can be refused, and the source is either still there or just freed
    // the very arena space its key takes again.
    OpStatus restored =
        Push(from_db, source, from, std::span<const std::string_view>(&value, 1)).status;
    if (restored != OpStatus::kOk) return restored;
  }
  return status;
}

OpStatus CheckPushable(Database& db, const Key& key) {
  ListValue* list;
  OpStatus status = FindList(db, key, LookupMode::kWrite, &list);
  return status == OpStatus::kWrongType ? status : OpStatus::kOk;
}

OpStatus CheckPoppable(Database& db, const Key& key) {
  ListValue* list;
  return FindList(db, key, LookupMode::kWrite, &list);
}

}  // namespace emberkv::storage::lists
