// DEBUG DIGEST and DIGEST-VALUE's signatures, computed as Redis 7.0
// computes them, so that the same data gives the same 40 hex digits on
// emberkv and on Redis (test suites compare a server's digest before and
// after a change, or two servers' digests).
//
// Redis's scheme, in its terms: "xor" folds SHA-1(data) into a digest by
// exclusive or (order-free: set members, hash fields, keys); "mix" does the
// same and then replaces the digest with its own SHA-1 (ordered: list
// elements, a key's parts). A key's digest mixes its name, its type's
// number and its value, and xors in "!!expire!!" if it has a deadline. A
// database's keys are xored together; the dataset digest mixes in each
// non-empty database's number before xoring in its keys.
//
// Thread safety: none; the caller holds the shards it reads.
#pragma once

#include <array>
#include <cstdint>

#include "storage/entry.h"

namespace emberkv::server {

using Digest = std::array<uint8_t, 20>;

// The digest of an entry's value, type and deadline (DIGEST-VALUE's).
Digest ValueDigest(const storage::Entry& entry);
// Folds a whole key (its name, then ValueDigest's parts) into the digest
// of its database's keys.
void AddKey(Digest& keys, const storage::Entry& entry);
// Folds the digest of database `db`'s keys into the dataset's.
void AddDatabase(Digest& dataset, int db, const Digest& keys);

}  // namespace emberkv::server
