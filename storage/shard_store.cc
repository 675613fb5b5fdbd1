#include "storage/shard_store.h"

#include <algorithm>

namespace emberkv::storage {

ShardStore::ShardStore(int databases) : databases_(databases) {}

ShardStore::~ShardStore() {
  // Databases free their entries into the arena, which must outlive them.
  context_.observer = nullptr;
  databases_.clear();
  for (ValueObject* object : context_.lazy_free) delete object;
  context_.lazy_free.clear();
}

Database& ShardStore::db(int index) {
  std::unique_ptr<Database>& db = databases_[index];
  if (!db) db = std::make_unique<Database>(&context_, index);
  return *db;
}

size_t ShardStore::ExpireDue(size_t budget) {
  size_t expired = 0;
  for (auto& db : databases_) {
    if (expired >= budget) break;
    if (db && db->wheel_references() > 0) expired += db->ExpireDue(budget - expired);
  }
  return expired;
}

int64_t ShardStore::NextExpiryTime() const {
  int64_t next = INT64_MAX;
  for (const auto& db : databases_) {
    if (db) next = std::min(next, db->NextExpiryTime());
  }
  return next;
}

void ShardStore::Maintain() {
  for (auto& db : databases_) {
    if (db) db->Maintain();
  }
  if (!context_.lazy_free.empty()) ReleaseLazyFree(kLazyFreeBudget);
  evictor_.Maintain(context_.now_ms);
}

size_t ShardStore::ReleaseLazyFree(size_t budget) {
  size_t freed = 0;
  std::vector<ValueObject*>& pending = context_.lazy_free;
  while (!pending.empty() && freed < budget) {
    ValueObject* object = pending.back();
    size_t before = object->MemoryUsage();
    size_t parts = object->ReleaseSome(budget - freed);
    freed += parts;
    context_.external_bytes -= before - object->MemoryUsage();
    if (parts == 0) {
      context_.external_bytes -= object->MemoryUsage();
      delete object;
      pending.pop_back();
      ++freed;
    }
  }
  return freed;
}

void ShardStore::SwapDatabases(int a, int b) {
  // Watchers of keys in either database see them replaced.
  if (context_.observer) {
    context_.observer->DatabaseCleared(db(a), &db(b));
    context_.observer->DatabaseCleared(db(b), &db(a));
  }
  std::swap(databases_[a], databases_[b]);
  if (databases_[a]) databases_[a]->set_index(a);
  if (databases_[b]) databases_[b]->set_index(b);
}

void ShardStore::FlushAll() {
  for (auto& db : databases_) {
    if (db) db->Clear();
  }
  context_.arena.ReleaseEmptyPages();
}

size_t ShardStore::KeyCount() const {
  size_t keys = 0;
  for (const auto& db : databases_) {
    if (db) keys += db->size();
  }
  return keys;
}

size_t ShardStore::ExpiresCount() const {
  size_t expires = 0;
  for (const auto& db : databases_) {
    if (db) expires += db->expires();
  }
  return expires;
}

MemoryFigures ShardStore::Memory() const {
  MemoryFigures figures;
  figures.entry_bytes = context_.arena.allocated_bytes();
  figures.arena_page_bytes = context_.arena.resident_bytes();
  figures.external_bytes = context_.external_bytes;
  figures.overhead_bytes = context_.table_bytes;
  figures.client_bytes = context_.client_bytes.load(std::memory_order_relaxed);
  figures.lua_bytes = context_.lua_bytes.load(std::memory_order_relaxed);
  return figures;
}

}  // namespace emberkv::storage
