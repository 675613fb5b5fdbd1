// Redis's geohash: the 52-bit interleaved encoding of a (longitude,
// latitude) pair that GEOADD stores as a sorted-set score, its decoding,
// the haversine distance on Redis's sphere, and the 3x3 neighbourhood of
// boxes a radius or box search visits, step estimation included.
//
// Every formula is evaluated in the order Redis evaluates it, so that the
// doubles (and so every digit GEOPOS, GEODIST and GEOSEARCH print) are the
// same as Redis's on the same libm.
//
// Bit layout: latitude bits in the even positions, longitude bits in the
// odd ones, the most significant pair first. Pure functions, safe from any
// thread.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace emberkv::base::geo {

inline constexpr int kStepMax = 26;  // 26 * 2 = 52 bits
// The limits of EPSG:900913 (web mercator): nothing beyond is indexed.
inline constexpr double kLatMin = -85.05112878;
inline constexpr double kLatMax = 85.05112878;
inline constexpr double kLonMin = -180;
inline constexpr double kLonMax = 180;
inline constexpr double kEarthRadiusMeters = 6372797.560856;
inline constexpr double kMercatorMax = 20037726.37;

struct Range {
  double min = 0, max = 0;
};

// The hash of a box: `step` bits of each coordinate, interleaved.
struct HashBits {
  uint64_t bits = 0;
  uint8_t step = 0;
  bool empty() const { return bits == 0 && step == 0; }
};

struct Area {
  HashBits hash;
  Range longitude, latitude;
};

// Redis's geohashEncode: false when the point is outside the indexable
// limits or outside the given ranges.
bool Encode(Range lon_range, Range lat_range, double longitude, double latitude, uint8_t step,
            HashBits* hash);
// Redis's geohashDecode: the box a hash names.
bool Decode(Range lon_range, Range lat_range, HashBits hash, Area* area);

// Whether GEOADD accepts the pair (Redis's "invalid longitude,latitude pair").
bool ValidLonLat(double longitude, double latitude);
// The sorted-set score of a point: its 52-bit hash (the pair must be valid).
double Score(double longitude, double latitude);
// The centre of the box a score names (what GEOPOS reports), clamped to the
// limits; false for a score that is no 52-bit hash.
bool DecodeScore(double score, double* longitude, double* latitude);
// GEOHASH's 11 characters: the point re-encoded with the standard latitude
// range (-90, 90), as base32; the 11th character is always '0'.
std::string HashString(double score);

// Great-circle distance in meters (haversine on Redis's sphere).
double Distance(double lon1, double lat1, double lon2, double lat2);
// The north-south part of a distance, in meters.
double LatitudeDistance(double lat1, double lat2);

// A search area: a circle of `radius`, or a box of `width` x `height`, in a
// unit of `conversion` meters, centred on (longitude, latitude).
struct Shape {
  enum class Kind : uint8_t { kCircle, kBox } kind = Kind::kCircle;
  double longitude = 0, latitude = 0;
  double radius = 0;
  double width = 0, height = 0;
  double conversion = 1;
};
// Whether the point lies in the shape; *distance is its distance from the
// centre in meters when it does.
bool InShape(const Shape& shape, double longitude, double latitude, double* distance);

// The boxes a search of `shape` visits, in Redis's order: the centre, north,
// south, east, west, north-east, north-west, south-east, south-west. Boxes
// the shape cannot reach are empty().
std::array<HashBits, 9> SearchBoxes(const Shape& shape);
// The scores [*min, *max) of the points inside a box.
void ScoreRange(HashBits box, double* min, double* max);

}  // namespace emberkv::base::geo
