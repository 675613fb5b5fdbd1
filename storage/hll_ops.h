// Shard-local HyperLogLog operations (PFADD, PFCOUNT, PFMERGE) on string
// values in Redis's representation (storage/hyperloglog.h).
//
// Every value read from a key is checked before it is decoded: a string
// that is no HLL gives kNotHyperLogLog ("WRONGTYPE Key is not a valid
// HyperLogLog string value."), a sparse HLL whose opcodes do not cover
// exactly the 16384 registers gives kCorruptHyperLogLog ("INVALIDOBJ
// Corrupted HLL object detected"), another type gives kWrongType.
//
// PFCOUNT of several keys and PFMERGE span shards: the server merges each
// key's registers into one array with MergeRegisters under its locks, then
// counts it (hll::CountRegisters) or stores it (StoreMerged).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "storage/database.h"
#include "storage/hyperloglog.h"
#include "storage/op_status.h"

namespace emberkv::storage::hlls {

// PFADD: whether any register changed (or the key was created).
OpResult<bool> Add(Database& db, const Key& key, std::span<const std::string_view> elements,
                   size_t sparse_max_bytes = hll::kDefaultSparseMaxBytes);

// PFCOUNT of one key: the cached estimate, or a fresh one, which is then
// cached in the value (PFCOUNT writes, as in Redis). 0 for a missing key.
OpResult<int64_t> Count(Database& db, const Key& key);

// Raises max[i] (hll::kRegisters of them) to the registers of the HLL at
// `key` (nothing for a missing key); *dense is set when that HLL is dense.
OpStatus MergeRegisters(Database& db, const Key& key, uint8_t* max, bool* dense);

// PFMERGE's write: raises the registers of the HLL at `key` (created empty
// if missing) to max[i], Redis's way; the HLL is made dense first when
// `make_dense` (when any input, the destination included, was dense). The
// caller has merged the destination itself into `max` with MergeRegisters
// first, as Redis's PFMERGE reads it, so its type is checked.
OpStatus StoreMerged(Database& db, const Key& key, const uint8_t* max, bool make_dense,
                     size_t sparse_max_bytes = hll::kDefaultSparseMaxBytes);

// PFDEBUG GETREG and TODENSE: turns the sparse HLL at `key` dense in place,
// as Redis's hllSparseToDense (header and cached cardinality kept); false
// when it already was dense. kNotFound, kWrongType, kNotHyperLogLog,
// kCorruptHyperLogLog (nothing is written then).
OpResult<bool> MakeDense(Database& db, const Key& key);

}  // namespace emberkv::storage::hlls
