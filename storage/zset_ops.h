// Shard-local sorted-set operations with Redis 7.0 semantics (ZADD and its
// flags, ranges by rank, score and lex, removals, pops, the algebra of
// ZUNION/ZINTER/ZDIFF): plain functions on a Database. A sorted set that
// loses its last member is deleted.
//
// Pop() is what the blocking pops (BZPOPMIN, BZPOPMAX, BZMPOP) serve waiters
// with, so it takes nothing but the database, the key and the count.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "storage/database.h"
#include "storage/op_status.h"
#include "storage/zset_value.h"

namespace emberkv::storage::zsets {

struct ScoredMember {
  std::string member;
  double score;
};

// The sorted set at `key` for reading: kNotFound, kWrongType or kOk.
OpStatus Read(Database& db, const Key& key, const ZSetValue** zset);

struct AddOptions {
  bool nx = false, xx = false, gt = false, lt = false, ch = false, incr = false;
};
struct AddInput {
  double score;
  std::string_view member;
};
struct AddOutcome {
  int64_t count = 0;                // added (plus changed with CH)
  std::optional<double> new_score;  // INCR: the new score, nullopt when skipped
};
// ZADD / ZINCRBY. kNanOrInfinity when INCR would make a NaN.
OpResult<AddOutcome> Add(Database& db, const Key& key, const AddOptions& options,
                         std::span<const AddInput> inputs);
OpResult<int64_t> Remove(Database& db, const Key& key, std::span<const std::string_view> members);
OpResult<int64_t> Card(Database& db, const Key& key);
// ZRANK / ZREVRANK: kNotFound when the key or member is missing.
OpResult<int64_t> Rank(Database& db, const Key& key, std::string_view member, bool reverse);

// A range, in Redis's terms.
struct ScoreBound {
  double value = 0;
  bool exclusive = false;
};
struct LexBound {
  enum Kind : uint8_t {
    kMinusInfinity,
    kPlusInfinity,
    kInclusive,
    kExclusive
  } kind = kMinusInfinity;
  std::string value;
};
struct RangeSpec {
  enum Kind : uint8_t { kByRank, kByScore, kByLex } kind = kByRank;
  int64_t start = 0, stop = -1;     // kByRank
  ScoreBound min_score, max_score;  // kByScore
  LexBound min_lex, max_lex;        // kByLex
  bool reverse = false;
  int64_t offset = 0;  // LIMIT
  int64_t count = -1;  // LIMIT; negative: all
};
// "(1.5", "-inf", ... as ZRANGEBYSCORE takes them; false when invalid.
bool ParseScoreBound(std::string_view text, ScoreBound* bound);
// "[a", "(a", "-", "+"; false when invalid.
bool ParseLexBound(std::string_view text, LexBound* bound);

// ZRANGE and friends: the members of the range in reply order.
OpStatus Range(Database& db, const Key& key, const RangeSpec& spec, std::vector<ScoredMember>* out);
// ZCOUNT / ZLEXCOUNT: the size of a score or lex range (offset/count ignored).
OpResult<int64_t> Count(Database& db, const Key& key, const RangeSpec& spec);
// ZREMRANGEBYRANK / BYSCORE / BYLEX: the number removed.
OpResult<int64_t> RemoveRange(Database& db, const Key& key, const RangeSpec& spec);
// ZPOPMIN / ZPOPMAX (and the blocking pops): up to `count` members from the
// low (or high) end, removed.
OpResult<std::vector<ScoredMember>> Pop(Database& db, const Key& key, uint64_t count, bool max);
// ZRANDMEMBER with a count (as SRANDMEMBER's rules).
OpResult<std::vector<ScoredMember>> RandomMembers(Database& db, const Key& key, int64_t count,
                                                  std::mt19937_64& rng);

// Inputs of ZUNION/ZINTER/ZDIFF: a sorted set, or a set (every score 1), as
// Redis accepts. kNotFound leaves *out empty.
OpStatus Members(Database& db, const Key& key, std::vector<ScoredMember>* out);
// Replaces whatever is at `key` with a sorted set of `members` (distinct),
// or deletes the key when there are none. Returns the size.
OpResult<int64_t> Store(Database& db, const Key& key, std::vector<ScoredMember> members);

enum class Aggregate : uint8_t { kSum, kMin, kMax };
enum class SetOp : uint8_t { kUnion, kInter, kDiff };
// The algebra on member lists, with weights (one per input) and aggregate;
// the result is sorted by (score, member).
std::vector<ScoredMember> Combine(std::vector<std::vector<ScoredMember>> inputs,
                                  std::span<const double> weights, Aggregate aggregate, SetOp op);

}  // namespace emberkv::storage::zsets
