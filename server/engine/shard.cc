#include "server/engine/shard.h"

namespace emberkv::server {

Shard::Shard(int index, int databases) : index_(index), store_(databases) {
  store_.context().observer = &key_events_;
}

void Shard::KeyEvents::KeyChanged(int db, std::string_view key) {
  shard_->watches_.KeyChanged(db, key);
  shard_->blocking_.KeyChanged(db, key);
}

void Shard::KeyEvents::DatabaseCleared(storage::Database& emptied,
                                       storage::Database* replaced_with) {
  shard_->watches_.DatabaseCleared(emptied, replaced_with);
  // SWAPDB: clients blocked in either database may find their keys now.
  if (replaced_with) shard_->blocking_.DatabaseChanged(emptied.index());
}

}  // namespace emberkv::server
