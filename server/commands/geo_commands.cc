// Geo commands on sorted sets whose scores are 52-bit geohashes: GEOADD,
// GEODIST, GEOHASH, GEOPOS, GEOSEARCH, GEOSEARCHSTORE and the older
// GEORADIUS, GEORADIUSBYMEMBER and their _RO forms (storage/geo_ops.h does
// the searching; this file parses as Redis's georadiusGeneric does and
// prints as it prints).
//
// The STORE forms write a key that may live on another shard than the
// source: the executor holds both shards while the command runs.
#include <cinttypes>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "base/numbers.h"
#include "server/command_table.h"
#include "server/commands/arg_parsing.h"
#include "server/errors.h"
#include "storage/geo_ops.h"
#include "storage/key_ops.h"
#include "storage/zset_ops.h"
#include "storage/zset_value.h"

namespace emberkv::server {
namespace {

using storage::OpStatus;
namespace geo = storage::geo;
namespace zsets = storage::zsets;

// "ERR invalid longitude,latitude pair %f,%f", as Redis prints it.
std::string InvalidPair(double longitude, double latitude) {
  char buf[1024];  // "%f" of the largest double takes 316 characters
  std::snprintf(buf, sizeof(buf), "ERR invalid longitude,latitude pair %f,%f", longitude, latitude);
  return buf;
}

// Redis's extractLongLatOrReply: two doubles at args[first], in range.
bool LonLatArgs(CommandContext& c, size_t first, double* longitude, double* latitude) {
  if (!base::ParseDouble(c.args[first], longitude) ||
      !base::ParseDouble(c.args[first + 1], latitude)) {
    c.reply.Error(errors::kNotFloat);
    return false;
  }
  if (!base::geo::ValidLonLat(*longitude, *latitude)) {
    c.reply.Error(InvalidPair(*longitude, *latitude));
    return false;
  }
  return true;
}

bool UnitArg(CommandContext& c, std::string_view arg, double* conversion) {
  if (geo::UnitConversion(AsCString(arg), conversion)) return true;
  c.reply.Error(errors::kGeoUnit);
  return false;
}

// A non-negative double, or the error `not_numeric`.
bool DistanceArg(CommandContext& c, std::string_view arg, std::string_view not_numeric,
                 double* value) {
  if (!base::ParseDouble(arg, value)) {
    c.reply.Error(not_numeric);
    return false;
  }
  return true;
}

// Redis's extractDistanceOrReply: "radius unit".
bool RadiusArgs(CommandContext& c, size_t first, base::geo::Shape* shape) {
  if (!DistanceArg(c, c.args[first], errors::kGeoNeedRadius, &shape->radius)) return false;
  if (shape->radius < 0) {
    c.reply.Error(errors::kGeoNegativeRadius);
    return false;
  }
  shape->kind = base::geo::Shape::Kind::kCircle;
  return UnitArg(c, c.args[first + 1], &shape->conversion);
}

// Redis's extractBoxOrReply: "width height unit".
bool BoxArgs(CommandContext& c, size_t first, base::geo::Shape* shape) {
  if (!DistanceArg(c, c.args[first], errors::kGeoNeedWidth, &shape->width)) return false;
  if (!DistanceArg(c, c.args[first + 1], errors::kGeoNeedHeight, &shape->height)) return false;
  if (shape->width < 0 || shape->height < 0) {
    c.reply.Error(errors::kGeoNegativeBox);
    return false;
  }
  shape->kind = base::geo::Shape::Kind::kBox;
  return UnitArg(c, c.args[first + 2], &shape->conversion);
}

void ReplyCoordinate(protocol::ReplyBuilder& reply, double value) {
  reply.DoubleText(base::FormatLongDoubleHuman(value));
}

// GEODIST and WITHDIST print distances with four decimals, as bulk strings
// in both protocols.
void ReplyDistance(protocol::ReplyBuilder& reply, double distance) {
  char buf[128];
  int len = std::snprintf(buf, sizeof(buf), "%.4f", distance);
  reply.Bulk(std::string_view(buf, len));
}

void GeoAdd(CommandContext& c) {
  geo::AddOptions options;
  size_t first = 2;
  for (; first < c.args.size(); ++first) {
    std::string_view word = c.args[first];
    if (Is(word, "NX")) {
      options.nx = true;
    } else if (Is(word, "XX")) {
      options.xx = true;
    } else if (Is(word, "CH")) {
      options.ch = true;
    } else {
      break;
    }
  }
  // No triple at all is a syntax error too (Redis hands GEOADD to ZADD,
  // which refuses an empty list).
  const size_t rest = c.args.size() - first;
  if (rest % 3 != 0 || rest == 0 || (options.nx && options.xx))
    return c.reply.Error(errors::kSyntax);
  std::vector<geo::AddPoint> points;
  points.reserve(rest / 3);
  for (size_t i = first; i < c.args.size(); i += 3) {
    geo::AddPoint point{0, 0, c.args[i + 2]};
    if (!LonLatArgs(c, i, &point.longitude, &point.latitude)) return;
    points.push_back(point);
  }
  storage::OpResult<int64_t> result = geo::Add(c.Db(1), c.Key(1), options, points);
  if (!result.ok()) return errors::ReplyStatus(c.reply, result.status);
  c.reply.Integer(result.value);
}

void GeoDist(CommandContext& c) {
  double conversion = 1;
  if (c.args.size() == 5) {
    if (!UnitArg(c, c.args[4], &conversion)) return;
  } else if (c.args.size() > 5) {
    return c.reply.Error(errors::kSyntax);
  }
  storage::OpResult<std::optional<double>> result =
      geo::Distance(c.Db(1), c.Key(1), c.args[2], c.args[3], conversion);
  if (result.status == OpStatus::kNotFound) return c.reply.Null();
  if (!result.ok()) return errors::ReplyStatus(c.reply, result.status);
  if (!result.value) return c.reply.Null();
  ReplyDistance(c.reply, *result.value);
}

void GeoHash(CommandContext& c) {
  std::vector<std::string_view> members(c.args.begin() + 2, c.args.end());
  std::vector<std::optional<std::string>> hashes;
  OpStatus status = geo::Hashes(c.Db(1), c.Key(1), members, &hashes);
  if (status == OpStatus::kWrongType) return errors::ReplyStatus(c.reply, status);
  c.reply.ArrayHeader(members.size());
  for (size_t i = 0; i < members.size(); ++i) {
    if (i < hashes.size() && hashes[i]) {
      c.reply.Bulk(*hashes[i]);
    } else {
      c.reply.Null();
    }
  }
}

void GeoPos(CommandContext& c) {
  std::vector<std::string_view> members(c.args.begin() + 2, c.args.end());
  std::vector<std::optional<geo::Position>> positions;
  OpStatus status = geo::Positions(c.Db(1), c.Key(1), members, &positions);
  if (status == OpStatus::kWrongType) return errors::ReplyStatus(c.reply, status);
  c.reply.ArrayHeader(members.size());
  for (size_t i = 0; i < members.size(); ++i) {
    if (i < positions.size() && positions[i]) {
      c.reply.ArrayHeader(2);
      ReplyCoordinate(c.reply, positions[i]->longitude);
      ReplyCoordinate(c.reply, positions[i]->latitude);
    } else {
      c.reply.NullArray();
    }
  }
}

// ---- Searches ----

// Which command of the family is running; what Redis's georadiusGeneric
// calls its flags.
struct SearchForm {
  size_t source;              // argument index of the source key
  bool coords = false;        // GEORADIUS: "lon lat radius unit" first
  bool member = false;        // GEORADIUSBYMEMBER: "member radius unit" first
  bool no_store = false;      // the _RO forms
  bool search = false;        // GEOSEARCH syntax (FROM..., BY...)
  bool search_store = false;  // GEOSEARCHSTORE
};

struct SearchRequest {
  geo::SearchSpec spec;
  std::optional<size_t> store;  // argument index of the STORE key
  bool store_dist = false;
  bool with_dist = false, with_hash = false, with_coord = false;
};

// Whether `member` is in the sorted set at the source; replies Redis's error
// when it is not. `zset` is the source (the caller knows it exists).
bool MemberKnown(CommandContext& c, const storage::ZSetValue* zset, std::string_view member) {
  if (zset->Score(member)) return true;
  c.reply.Error(errors::kNoSuchMember);
  return false;
}

// Parses the command as georadiusGeneric does, in the same order, so that
// the first problem found is the one Redis reports. `zset` is the source
// or null when it is missing (the arguments are parsed all the same).
std::optional<SearchRequest> ParseSearch(CommandContext& c, const SearchForm& form,
                                         const storage::ZSetValue* zset) {
  SearchRequest r;
  base::geo::Shape& shape = r.spec.shape;
  size_t base_args;
  if (form.coords) {
    base_args = 6;
    if (!LonLatArgs(c, 2, &shape.longitude, &shape.latitude)) return std::nullopt;
    if (!RadiusArgs(c, 4, &shape)) return std::nullopt;
  } else if (form.member) {
    base_args = 5;
    if (zset != nullptr) {
      if (!MemberKnown(c, zset, c.args[2])) return std::nullopt;
      r.spec.from_member = std::string(c.args[2]);
      if (!RadiusArgs(c, 3, &shape)) return std::nullopt;
    }
  } else {
    base_args = form.search_store ? 3 : 2;
    if (form.search_store) r.store = 1;
  }
  bool from_member = false, from_lonlat = false, by_radius = false, by_box = false;
  int64_t count = 0;
  for (size_t i = base_args; i < c.args.size(); ++i) {
    std::string_view arg = c.args[i];
    const size_t remaining = c.args.size() - i - 1;
    if (Is(arg, "WITHDIST")) {
      r.with_dist = true;
    } else if (Is(arg, "WITHHASH")) {
      r.with_hash = true;
    } else if (Is(arg, "WITHCOORD")) {
      r.with_coord = true;
    } else if (Is(arg, "ANY")) {
      r.spec.any = true;
    } else if (Is(arg, "ASC")) {
      r.spec.order = geo::SearchSpec::Order::kAscending;
    } else if (Is(arg, "DESC")) {
      r.spec.order = geo::SearchSpec::Order::kDescending;
    } else if (Is(arg, "COUNT") && remaining >= 1) {
      std::optional<int64_t> n = IntArg(c.args[++i], c.reply);
      if (!n) return std::nullopt;
      if (*n <= 0) {
        c.reply.Error(errors::kGeoCountNotPositive);
        return std::nullopt;
      }
      count = *n;
    } else if ((Is(arg, "STORE") || Is(arg, "STOREDIST")) && remaining >= 1 && !form.no_store &&
               !form.search) {
      r.store_dist = Is(arg, "STOREDIST");
      r.store = ++i;
    } else if (Is(arg, "STOREDIST") && form.search_store) {
      r.store_dist = true;
    } else if (Is(arg, "FROMMEMBER") && remaining >= 1 && form.search && !from_lonlat) {
      std::string_view member = c.args[++i];
      if (zset != nullptr && !MemberKnown(c, zset, member)) return std::nullopt;
      r.spec.from_member = std::string(member);
      from_member = true;
    } else if (Is(arg, "FROMLONLAT") && remaining >= 2 && form.search && !from_member) {
      if (!LonLatArgs(c, i + 1, &shape.longitude, &shape.latitude)) return std::nullopt;
      from_lonlat = true;
      i += 2;
    } else if (Is(arg, "BYRADIUS") && remaining >= 2 && form.search && !by_box) {
      if (!RadiusArgs(c, i + 1, &shape)) return std::nullopt;
      by_radius = true;
      i += 2;
    } else if (Is(arg, "BYBOX") && remaining >= 3 && form.search && !by_radius) {
      if (!BoxArgs(c, i + 1, &shape)) return std::nullopt;
      by_box = true;
      i += 3;
    } else {
      c.reply.Error(errors::kSyntax);
      return std::nullopt;
    }
  }
  if (r.store && (r.with_dist || r.with_hash || r.with_coord)) {
    c.reply.Error(errors::GeoStoreWithOptions(form.search_store));
    return std::nullopt;
  }
  if (form.search && !(from_member || from_lonlat)) {
    c.reply.Error(errors::GeoSearchNeedsOne("FROMMEMBER or FROMLONLAT", c.args[0]));
    return std::nullopt;
  }
  if (form.search && !(by_radius || by_box)) {
    c.reply.Error(errors::GeoSearchNeedsOne("BYRADIUS and BYBOX", c.args[0]));
    return std::nullopt;
  }
  if (r.spec.any && count == 0) {
    c.reply.Error(errors::kGeoAnyWithoutCount);
    return std::nullopt;
  }
  r.spec.count = static_cast<uint64_t>(count);
  return r;
}

void ReplyFound(CommandContext& c, const SearchRequest& r, const std::vector<geo::Found>& found) {
  const size_t options = (r.with_dist ? 1 : 0) + (r.with_hash ? 1 : 0) + (r.with_coord ? 1 : 0);
  c.reply.ArrayHeader(found.size());
  for (const geo::Found& point : found) {
    if (options) c.reply.ArrayHeader(options + 1);
    c.reply.Bulk(point.member);
    if (r.with_dist) ReplyDistance(c.reply, point.distance);
    if (r.with_hash) c.reply.Integer(static_cast<int64_t>(point.score));
    if (r.with_coord) {
      c.reply.ArrayHeader(2);
      ReplyCoordinate(c.reply, point.longitude);
      ReplyCoordinate(c.reply, point.latitude);
    }
  }
}

void StoreFound(CommandContext& c, const SearchRequest& r, const std::vector<geo::Found>& found) {
  std::vector<zsets::ScoredMember> members;
  members.reserve(found.size());
  for (const geo::Found& point : found) {
    members.push_back({point.member, r.store_dist ? point.distance : point.score});
  }
  storage::OpResult<int64_t> stored =
      zsets::Store(c.Db(*r.store), c.Key(*r.store), std::move(members));
  if (!stored.ok()) return errors::ReplyStatus(c.reply, stored.status);
  c.reply.Integer(stored.value);
}

void RunSearch(CommandContext& c, const SearchForm& form) {
  const storage::ZSetValue* zset = nullptr;
  OpStatus status = zsets::Read(c.Db(form.source), c.Key(form.source), &zset);
  if (status == OpStatus::kWrongType) return errors::ReplyStatus(c.reply, status);
  std::optional<SearchRequest> r = ParseSearch(c, form, status == OpStatus::kOk ? zset : nullptr);
  if (!r) return;
  std::vector<geo::Found> found;
  if (status == OpStatus::kOk) {
    status = geo::Search(c.Db(form.source), c.Key(form.source), r->spec, &found);
    if (status != OpStatus::kOk && status != OpStatus::kNotFound)
      return errors::ReplyStatus(c.reply, status);
  }
  if (r->store) return StoreFound(c, *r, found);
  ReplyFound(c, *r, found);
}

void GeoRadius(CommandContext& c) { RunSearch(c, {.source = 1, .coords = true}); }
void GeoRadiusRo(CommandContext& c) {
  RunSearch(c, {.source = 1, .coords = true, .no_store = true});
}
void GeoRadiusByMember(CommandContext& c) { RunSearch(c, {.source = 1, .member = true}); }
void GeoRadiusByMemberRo(CommandContext& c) {
  RunSearch(c, {.source = 1, .member = true, .no_store = true});
}
void GeoSearch(CommandContext& c) { RunSearch(c, {.source = 1, .search = true}); }
void GeoSearchStore(CommandContext& c) {
  RunSearch(c, {.source = 2, .search = true, .search_store = true});
}

}  // namespace

void RegisterGeoCommands(CommandTable& table) {
  table.Register({
      {.name = "geoadd", .handler = GeoAdd},
      {.name = "geodist", .handler = GeoDist},
      {.name = "geohash", .handler = GeoHash},
      {.name = "geopos", .handler = GeoPos},
      {.name = "geosearch", .handler = GeoSearch},
      {.name = "geosearchstore", .handler = GeoSearchStore},
      {.name = "georadius", .handler = GeoRadius},
      {.name = "georadius_ro", .handler = GeoRadiusRo},
      {.name = "georadiusbymember", .handler = GeoRadiusByMember},
      {.name = "georadiusbymember_ro", .handler = GeoRadiusByMemberRo},
  });
}

}  // namespace emberkv::server
