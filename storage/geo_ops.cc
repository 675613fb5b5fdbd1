#include "storage/geo_ops.h"

#include <algorithm>
#include <cctype>

#include "storage/collection_access.h"
#include "storage/zset_ops.h"
#include "storage/zset_value.h"

namespace emberkv::storage::geo {
namespace {

namespace bg = base::geo;

OpStatus Read(Database& db, const Key& key, const ZSetValue** zset) {
  return zsets::Read(db, key, zset);
}

// Redis's geoGetPointsInRange: the members with min <= score < max, in
// score order, that lie in the shape; stops at `limit` results (0: none).
void CollectBox(const ZSetValue& zset, double min, double max, const bg::Shape& shape, size_t limit,
                std::vector<Found>* out) {
  size_t first = zset.CountBefore([&](double s, std::string_view) { return s < min; });
  size_t end = zset.CountBefore([&](double s, std::string_view) { return s < max; });
  if (first >= end) return;
  zset.VisitRanks(first, end - 1, false, [&](std::string_view member, double score) {
    if (limit && out->size() >= limit) return;
    double lon, lat, distance;
    if (!bg::DecodeScore(score, &lon, &lat)) return;
    if (!bg::InShape(shape, lon, lat, &distance)) return;
    out->push_back(Found{std::string(member), distance, score, lon, lat});
  });
}

}  // namespace

bool UnitConversion(std::string_view unit, double* conversion) {
  std::string lower(unit);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "m") {
    *conversion = 1;
  } else if (lower == "km") {
    *conversion = 1000;
  } else if (lower == "ft") {
    *conversion = 0.3048;
  } else if (lower == "mi") {
    *conversion = 1609.34;
  } else {
    return false;
  }
  return true;
}

OpResult<int64_t> Add(Database& db, const Key& key, const AddOptions& options,
                      std::span<const AddPoint> points) {
  std::vector<zsets::AddInput> inputs;
  inputs.reserve(points.size());
  for (const AddPoint& p : points) {
    if (!bg::ValidLonLat(p.longitude, p.latitude)) return OpStatus::kNotFloat;
    inputs.push_back(zsets::AddInput{bg::Score(p.longitude, p.latitude), p.member});
  }
  zsets::AddOptions zadd;
  zadd.nx = options.nx;
  zadd.xx = options.xx;
  zadd.ch = options.ch;
  OpResult<zsets::AddOutcome> result = zsets::Add(db, key, zadd, inputs);
  if (!result.ok()) return result.status;
  return result.value.count;
}

OpStatus Positions(Database& db, const Key& key, std::span<const std::string_view> members,
                   std::vector<std::optional<Position>>* out) {
  const ZSetValue* zset = nullptr;
  OpStatus status = Read(db, key, &zset);
  if (status == OpStatus::kWrongType) return status;
  for (std::string_view member : members) {
    std::optional<double> score = zset ? zset->Score(member) : std::nullopt;
    Position p;
    if (score && bg::DecodeScore(*score, &p.longitude, &p.latitude)) {
      out->push_back(p);
    } else {
      out->push_back(std::nullopt);
    }
  }
  return OpStatus::kOk;
}

OpStatus Hashes(Database& db, const Key& key, std::span<const std::string_view> members,
                std::vector<std::optional<std::string>>* out) {
  const ZSetValue* zset = nullptr;
  OpStatus status = Read(db, key, &zset);
  if (status == OpStatus::kWrongType) return status;
  for (std::string_view member : members) {
    std::optional<double> score = zset ? zset->Score(member) : std::nullopt;
    std::string hash = score ? bg::HashString(*score) : std::string();
    if (hash.empty()) {
      out->push_back(std::nullopt);
    } else {
      out->push_back(std::move(hash));
    }
  }
  return OpStatus::kOk;
}

OpResult<std::optional<double>> Distance(Database& db, const Key& key, std::string_view a,
                                         std::string_view b, double conversion) {
  const ZSetValue* zset;
  OpStatus status = Read(db, key, &zset);
  if (status == OpStatus::kNotFound) return std::optional<double>();
  if (status != OpStatus::kOk) return status;
  std::optional<double> sa = zset->Score(a), sb = zset->Score(b);
  double lon1, lat1, lon2, lat2;
  if (!sa || !sb || !bg::DecodeScore(*sa, &lon1, &lat1) || !bg::DecodeScore(*sb, &lon2, &lat2)) {
    return std::optional<double>();
  }
  return std::optional<double>(bg::Distance(lon1, lat1, lon2, lat2) / conversion);
}

OpStatus Search(Database& db, const Key& key, const SearchSpec& spec, std::vector<Found>* out) {
  const ZSetValue* zset;
  OpStatus status = Read(db, key, &zset);
  if (status != OpStatus::kOk) return status;
  bg::Shape shape = spec.shape;
  if (spec.from_member) {
    std::optional<double> score = zset->Score(*spec.from_member);
    if (!score || !bg::DecodeScore(*score, &shape.longitude, &shape.latitude))
      return OpStatus::kNoSuchMember;
  }
  const size_t limit = spec.any ? spec.count : 0;
  std::array<bg::HashBits, 9> boxes = bg::SearchBoxes(shape);
  // Redis skips a box equal to the last one searched (huge radii make
  // neighbours coincide), though not when that last one was the centre.
  size_t last = 0;
  for (size_t i = 0; i < boxes.size(); ++i) {
    if (boxes[i].empty()) continue;
    if (last && boxes[i].bits == boxes[last].bits && boxes[i].step == boxes[last].step) continue;
    if (limit && out->size() >= limit) break;
    double min, max;
    bg::ScoreRange(boxes[i], &min, &max);
    CollectBox(*zset, min, max, shape, limit, out);
    last = i;
  }
  SearchSpec::Order order = spec.order;
  if (spec.count && order == SearchSpec::Order::kNone && !spec.any)
    order = SearchSpec::Order::kAscending;
  if (order == SearchSpec::Order::kAscending) {
    std::stable_sort(out->begin(), out->end(),
                     [](const Found& a, const Found& b) { return a.distance < b.distance; });
  } else if (order == SearchSpec::Order::kDescending) {
    std::stable_sort(out->begin(), out->end(),
                     [](const Found& a, const Found& b) { return a.distance > b.distance; });
  }
  if (spec.count && out->size() > spec.count) out->resize(spec.count);
  for (Found& f : *out) f.distance /= shape.conversion;
  return OpStatus::kOk;
}

}  // namespace emberkv::storage::geo
