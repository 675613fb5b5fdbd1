#include "base/geohash.h"

#include <cmath>

namespace emberkv::base::geo {
namespace {

constexpr Range kLonRange{kLonMin, kLonMax};
constexpr Range kLatRange{kLatMin, kLatMax};
constexpr double kDegreesToRadians = M_PI / 180.0;

double ToRadians(double degrees) { return degrees * kDegreesToRadians; }
double ToDegrees(double radians) { return radians / kDegreesToRadians; }

// Spreads the low 32 bits of x over the even bit positions of the result.
uint64_t SpreadBits(uint32_t x) {
  uint64_t v = x;
  v = (v | (v << 16)) & 0x0000FFFF0000FFFFULL;
  v = (v | (v << 8)) & 0x00FF00FF00FF00FFULL;
  v = (v | (v << 4)) & 0x0F0F0F0F0F0F0F0FULL;
  v = (v | (v << 2)) & 0x3333333333333333ULL;
  v = (v | (v << 1)) & 0x5555555555555555ULL;
  return v;
}

// The inverse: gathers the even bit positions of v into 32 bits.
uint32_t GatherBits(uint64_t v) {
  v &= 0x5555555555555555ULL;
  v = (v | (v >> 1)) & 0x3333333333333333ULL;
  v = (v | (v >> 2)) & 0x0F0F0F0F0F0F0F0FULL;
  v = (v | (v >> 4)) & 0x00FF00FF00FF00FFULL;
  v = (v | (v >> 8)) & 0x0000FFFF0000FFFFULL;
  v = (v | (v >> 16)) & 0x00000000FFFFFFFFULL;
  return static_cast<uint32_t>(v);
}

bool RangeEmpty(Range r) { return r.min == 0 && r.max == 0; }

constexpr uint64_t kLongitudeBits = 0xAAAAAAAAAAAAAAAAULL;  // odd positions
constexpr uint64_t kLatitudeBits = 0x5555555555555555ULL;   // even positions

// Moves a box one step along one coordinate (`moving`: its bit positions),
// +1 east or north, -1 west or south, wrapping around.
void Move(HashBits* hash, uint64_t moving, int direction) {
  const unsigned shift = 64 - hash->step * 2u;
  uint64_t moved = hash->bits & moving;
  uint64_t kept = hash->bits & ~moving;
  // Filling the other coordinate's positions with ones makes the carry of
  // an addition (or the borrow of a subtraction) skip over them.
  uint64_t fill = ~moving >> shift;
  if (direction > 0) {
    moved += fill + 1;
  } else {
    moved = (moved | fill) - (fill + 1);
  }
  moved &= moving >> shift;
  hash->bits = moved | kept;
}

HashBits Moved(HashBits hash, int east, int north) {
  if (east) Move(&hash, kLongitudeBits, east);
  if (north) Move(&hash, kLatitudeBits, north);
  return hash;
}

// Redis's geohashEstimateStepsByRadius: the coarsest step whose boxes are
// still about as wide as the radius, coarser near the poles.
int EstimateSteps(double range_meters, double latitude) {
  if (range_meters == 0) return kStepMax;
  int step = 1;
  while (range_meters < kMercatorMax) {
    range_meters *= 2;
    ++step;
  }
  step -= 2;  // make sure the range is included in most of the base cases
  if (latitude > 66 || latitude < -66) {
    --step;
    if (latitude > 80 || latitude < -80) --step;
  }
  if (step < 1) step = 1;
  if (step > kStepMax) step = kStepMax;
  return step;
}

// Redis's geohashBoundingBox: min lon, min lat, max lon, max lat.
std::array<double, 4> BoundingBox(const Shape& shape) {
  const bool circle = shape.kind == Shape::Kind::kCircle;
  const double height = shape.conversion * (circle ? shape.radius : shape.height / 2);
  const double width = shape.conversion * (circle ? shape.radius : shape.width / 2);
  const double lat_delta = ToDegrees(height / kEarthRadiusMeters);
  const double lon_delta_top =
      ToDegrees(width / kEarthRadiusMeters / std::cos(ToRadians(shape.latitude + lat_delta)));
  const double lon_delta_bottom =
      ToDegrees(width / kEarthRadiusMeters / std::cos(ToRadians(shape.latitude - lat_delta)));
  // The widest parallel is the one nearer the equator.
  const bool southern = shape.latitude < 0;
  const double lon_delta = southern ? lon_delta_bottom : lon_delta_top;
  return {shape.longitude - lon_delta, shape.latitude - lat_delta, shape.longitude + lon_delta,
          shape.latitude + lat_delta};
}

}  // namespace

bool Encode(Range lon_range, Range lat_range, double longitude, double latitude, uint8_t step,
            HashBits* hash) {
  if (step > 32 || step == 0 || RangeEmpty(lat_range) || RangeEmpty(lon_range)) return false;
  if (longitude > kLonMax || longitude < kLonMin || latitude > kLatMax || latitude < kLatMin) {
    return false;
  }
  hash->bits = 0;
  hash->step = step;
  if (latitude < lat_range.min || latitude > lat_range.max || longitude < lon_range.min ||
      longitude > lon_range.max) {
    return false;
  }
  double lat_offset = (latitude - lat_range.min) / (lat_range.max - lat_range.min);
  double lon_offset = (longitude - lon_range.min) / (lon_range.max - lon_range.min);
  lat_offset *= static_cast<double>(1ULL << step);
  lon_offset *= static_cast<double>(1ULL << step);
  hash->bits = SpreadBits(static_cast<uint32_t>(lat_offset)) |
               (SpreadBits(static_cast<uint32_t>(lon_offset)) << 1);
  return true;
}

bool Decode(Range lon_range, Range lat_range, HashBits hash, Area* area) {
  if (hash.empty() || RangeEmpty(lat_range) || RangeEmpty(lon_range)) return false;
  area->hash = hash;
  const double cells = static_cast<double>(1ULL << hash.step);
  const uint32_t lat_cell = GatherBits(hash.bits);
  const uint32_t lon_cell = GatherBits(hash.bits >> 1);
  const double lat_scale = lat_range.max - lat_range.min;
  const double lon_scale = lon_range.max - lon_range.min;
  area->latitude.min = lat_range.min + (lat_cell * 1.0 / cells) * lat_scale;
  area->latitude.max = lat_range.min + ((lat_cell + 1) * 1.0 / cells) * lat_scale;
  area->longitude.min = lon_range.min + (lon_cell * 1.0 / cells) * lon_scale;
  area->longitude.max = lon_range.min + ((lon_cell + 1) * 1.0 / cells) * lon_scale;
  return true;
}

bool ValidLonLat(double longitude, double latitude) {
  return !(longitude < kLonMin || longitude > kLonMax || latitude < kLatMin || latitude > kLatMax);
}

double Score(double longitude, double latitude) {
  HashBits hash;
  Encode(kLonRange, kLatRange, longitude, latitude, kStepMax, &hash);
  return static_cast<double>(hash.bits);
}

bool DecodeScore(double score, double* longitude, double* latitude) {
  HashBits hash{static_cast<uint64_t>(score), kStepMax};
  Area area;
  if (!Decode(kLonRange, kLatRange, hash, &area)) return false;
  double lon = (area.longitude.min + area.longitude.max) / 2;
  double lat = (area.latitude.min + area.latitude.max) / 2;
  *longitude = lon > kLonMax ? kLonMax : lon < kLonMin ? kLonMin : lon;
  *latitude = lat > kLatMax ? kLatMax : lat < kLatMin ? kLatMin : lat;
  return true;
}

std::string HashString(double score) {
  static constexpr char kAlphabet[] = "0123456789bcdefghjkmnpqrstuvwxyz";
  double lon, lat;
  if (!DecodeScore(score, &lon, &lat)) return {};
  HashBits hash;
  Encode(Range{-180, 180}, Range{-90, 90}, lon, lat, kStepMax, &hash);
  std::string out(11, '0');
  // 52 bits make ten characters; Redis has always printed an eleventh, '0'.
  for (int i = 0; i < 10; ++i) out[i] = kAlphabet[(hash.bits >> (52 - (i + 1) * 5)) & 0x1f];
  return out;
}

double LatitudeDistance(double lat1, double lat2) {
  return kEarthRadiusMeters * std::fabs(ToRadians(lat2) - ToRadians(lat1));
}

double Distance(double lon1, double lat1, double lon2, double lat2) {
  const double lon1r = ToRadians(lon1);
  const double lon2r = ToRadians(lon2);
  const double v = std::sin((lon2r - lon1r) / 2);
  // On one meridian the haversine is the latitude difference; Redis takes
  // this shortcut, and it changes the last bits.
  if (v == 0.0) return LatitudeDistance(lat1, lat2);
  const double lat1r = ToRadians(lat1);
  const double lat2r = ToRadians(lat2);
  const double u = std::sin((lat2r - lat1r) / 2);
  const double a = u * u + std::cos(lat1r) * std::cos(lat2r) * v * v;
  return 2.0 * kEarthRadiusMeters * std::asin(std::sqrt(a));
}

bool InShape(const Shape& shape, double longitude, double latitude, double* distance) {
  if (shape.kind == Shape::Kind::kCircle) {
    double d = Distance(shape.longitude, shape.latitude, longitude, latitude);
    if (d > shape.radius * shape.conversion) return false;
    *distance = d;
    return true;
  }
  const double width = shape.width * shape.conversion;
  const double height = shape.height * shape.conversion;
  if (LatitudeDistance(latitude, shape.latitude) > height / 2) return false;
  if (Distance(longitude, latitude, shape.longitude, latitude) > width / 2) return false;
  *distance = Distance(shape.longitude, shape.latitude, longitude, latitude);
  return true;
}

std::array<HashBits, 9> SearchBoxes(const Shape& shape) {
  const std::array<double, 4> bounds = BoundingBox(shape);
  const double min_lon = bounds[0], min_lat = bounds[1], max_lon = bounds[2], max_lat = bounds[3];
  // A box search must reach the corners: its radius is the half diagonal.
  double radius = shape.kind == Shape::Kind::kCircle
                      ? shape.radius
                      : std::sqrt((shape.width / 2) * (shape.width / 2) +
                                  (shape.height / 2) * (shape.height / 2));
  radius *= shape.conversion;
  int steps = EstimateSteps(radius, shape.latitude);

  HashBits center;
  Area area;
  auto place = [&] {
    Encode(kLonRange, kLatRange, shape.longitude, shape.latitude, static_cast<uint8_t>(steps),
           &center);
    Decode(kLonRange, kLatRange, center, &area);
  };
  place();
  // Near the edge of its box the estimated step may leave part of the shape
  // outside the neighbours: one step coarser then.
  Area north, south, east, west;
  Decode(kLonRange, kLatRange, Moved(center, 0, 1), &north);
  Decode(kLonRange, kLatRange, Moved(center, 0, -1), &south);
  Decode(kLonRange, kLatRange, Moved(center, 1, 0), &east);
  Decode(kLonRange, kLatRange, Moved(center, -1, 0), &west);
  bool coarser = north.latitude.max < max_lat || south.latitude.min > min_lat ||
                 east.longitude.max < max_lon || west.longitude.min > min_lon;
  if (steps > 1 && coarser) {
    --steps;
    place();
  }

  enum { kCenter, kNorth, kSouth, kEast, kWest, kNorthEast, kNorthWest, kSouthEast, kSouthWest };
  std::array<HashBits, 9> boxes = {
      center,
      Moved(center, 0, 1),
      Moved(center, 0, -1),
      Moved(center, 1, 0),
      Moved(center, -1, 0),
      Moved(center, 1, 1),
      Moved(center, -1, 1),
      Moved(center, 1, -1),
      Moved(center, -1, -1),
  };
  // Neighbours the shape does not reach are left out.
  if (steps >= 2) {
    auto drop = [&](std::initializer_list<int> which) {
      for (int i : which) boxes[i] = HashBits{};
    };
    if (area.latitude.min < min_lat) drop({kSouth, kSouthWest, kSouthEast});
    if (area.latitude.max > max_lat) drop({kNorth, kNorthEast, kNorthWest});
    if (area.longitude.min < min_lon) drop({kWest, kSouthWest, kNorthWest});
    if (area.longitude.max > max_lon) drop({kEast, kSouthEast, kNorthEast});
  }
  return boxes;
}

void ScoreRange(HashBits box, double* min, double* max) {
  const unsigned shift = 52 - box.step * 2u;
  *min = static_cast<double>(box.bits << shift);
  *max = static_cast<double>((box.bits + 1) << shift);
}

}  // namespace emberkv::base::geo
