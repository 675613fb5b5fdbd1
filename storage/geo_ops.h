// Shard-local geo operations (GEOADD, GEOPOS, GEOHASH, GEODIST, and the
// searches of GEOSEARCH, GEOSEARCHSTORE and GEORADIUS*) on sorted sets whose
// scores are Redis's 52-bit geohashes (base/geohash.h), with Redis 7.0's
// results: the same scores, the same doubles, the same order.
//
// Distances come back in the caller's unit: meters divided by `conversion`
// (1 for m, 1000 for km, 1609.34 for mi, 0.3048 for ft), computed as Redis
// computes them; the server prints them with "%.4f".
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/geohash.h"
#include "storage/database.h"
#include "storage/op_status.h"

namespace emberkv::storage::geo {

// The factor of a unit name ("m", "km", "mi", "ft", any case); false for
// anything else ("ERR unsupported unit provided. please use M, KM, FT, MI").
bool UnitConversion(std::string_view unit, double* conversion);

struct AddPoint {
  double longitude;
  double latitude;
  std::string_view member;
};
struct AddOptions {
  bool nx = false, xx = false, ch = false;
};
// GEOADD: the members added (plus changed with CH). Every pair must pass
// base::geo::ValidLonLat (the server checks, to name the pair in its
// error); kNotFloat, with nothing written, if one does not.
OpResult<int64_t> Add(Database& db, const Key& key, const AddOptions& options,
                      std::span<const AddPoint> points);

struct Position {
  double longitude;
  double latitude;
};
// GEOPOS: one entry per member, nullopt for a missing one (all of them for
// a missing key).
OpStatus Positions(Database& db, const Key& key, std::span<const std::string_view> members,
                   std::vector<std::optional<Position>>* out);
// GEOHASH: the 11-character hash of each member, nullopt for a missing one.
OpStatus Hashes(Database& db, const Key& key, std::span<const std::string_view> members,
                std::vector<std::optional<std::string>>* out);
// GEODIST: the distance between two members in the unit, nullopt when
// either is missing.
OpResult<std::optional<double>> Distance(Database& db, const Key& key, std::string_view a,
                                         std::string_view b, double conversion);

struct SearchSpec {
  // The shape's centre is ignored when `from_member` is set: the member's
  // position is used (FROMMEMBER).
  base::geo::Shape shape;
  std::optional<std::string> from_member;
  enum class Order : uint8_t { kNone, kAscending, kDescending } order = Order::kNone;
  uint64_t count = 0;  // 0: no COUNT
  bool any = false;    // COUNT ... ANY: stop at the first `count` found
};
struct Found {
  std::string member;
  double distance;  // in the shape's unit
  double score;     // the 52-bit hash (WITHHASH prints it as an integer)
  double longitude, latitude;
};
// The members inside the shape, in Redis's reply order: sorted by distance
// when asked (ties keep the order found), or as found (the boxes' order,
// then score order); COUNT without ANY sorts ascending. kNotFound for a
// missing key; kNoSuchMember when `from_member` is not in the set ("ERR
// could not decode requested zset member"); kWrongType.
OpStatus Search(Database& db, const Key& key, const SearchSpec& spec, std::vector<Found>* out);

}  // namespace emberkv::storage::geo
