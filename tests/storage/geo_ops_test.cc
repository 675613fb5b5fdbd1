#include "storage/geo_ops.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "golden.h"
#include "storage/list_ops.h"
#include "storage/shard_store.h"
#include "storage/zset_ops.h"
#include "store_fixture.h"

using namespace emberkv::storage;
namespace bg = emberkv::base::geo;

namespace {

std::string Fixed4(double d) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.4f", d);
  return buf;
}

double Number(const std::string& text) { return std::strtod(text.c_str(), nullptr); }

// A coordinate as Redis prints it (ld2string's human mode: "%.17Lf" of the
// long double, trailing zeros dropped), which is how the server must print
// it too; small values keep fewer digits than a double has, so the text is
// what is compared.
std::string Human(double d) {
  char buf[128];
  std::snprintf(buf, sizeof(buf), "%.17Lf", static_cast<long double>(d));
  std::string s = buf;
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  return s;
}

// Parses "FROMLONLAT 15 37 BYRADIUS 200 km ASC WITHDIST ..." as GEOSEARCH does.
struct ParsedSearch {
  geo::SearchSpec spec;
  bool with_dist = false, with_hash = false, with_coord = false;
};
ParsedSearch ParseSearch(const std::vector<std::string>& args) {
  ParsedSearch p;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "FROMLONLAT") {
      p.spec.shape.longitude = Number(args[++i]);
      p.spec.shape.latitude = Number(args[++i]);
    } else if (a == "FROMMEMBER") {
      p.spec.from_member = args[++i];
    } else if (a == "BYRADIUS") {
      p.spec.shape.kind = bg::Shape::Kind::kCircle;
      p.spec.shape.radius = Number(args[++i]);
      REQUIRE(geo::UnitConversion(args[++i], &p.spec.shape.conversion));
    } else if (a == "BYBOX") {
      p.spec.shape.kind = bg::Shape::Kind::kBox;
      p.spec.shape.width = Number(args[++i]);
      p.spec.shape.height = Number(args[++i]);
      REQUIRE(geo::UnitConversion(args[++i], &p.spec.shape.conversion));
    } else if (a == "ASC") {
      p.spec.order = geo::SearchSpec::Order::kAscending;
    } else if (a == "DESC") {
      p.spec.order = geo::SearchSpec::Order::kDescending;
    } else if (a == "COUNT") {
      p.spec.count = std::stoull(args[++i]);
    } else if (a == "ANY") {
      p.spec.any = true;
    } else if (a == "WITHDIST") {
      p.with_dist = true;
    } else if (a == "WITHHASH") {
      p.with_hash = true;
    } else if (a == "WITHCOORD") {
      p.with_coord = true;
    } else {
      FAIL("unknown search argument " << a);
    }
  }
  return p;
}

// The words of a recorded reply, brackets dropped.
std::vector<std::string> ReplyWords(const std::vector<std::string>& words) {
  std::vector<std::string> out;
  for (std::string w : words) {
    w.erase(std::remove(w.begin(), w.end(), '['), w.end());
    w.erase(std::remove(w.begin(), w.end(), ']'), w.end());
    if (!w.empty()) out.push_back(w);
  }
  return out;
}

}  // namespace

TEST_CASE("Geohash: encoding, decoding and the base32 text") {
  CHECK(bg::ValidLonLat(180, 85.05112878));
  CHECK_FALSE(bg::ValidLonLat(180.0001, 0));
  CHECK_FALSE(bg::ValidLonLat(0, 85.06));
  double score = bg::Score(13.361389, 38.115556);
  CHECK(score == 3479099956230698.0);  // Redis's ZSCORE for Palermo
  double lon, lat;
  REQUIRE(bg::DecodeScore(score, &lon, &lat));
  CHECK(std::fabs(lon - 13.361389) < 1e-5);
  CHECK(std::fabs(lat - 38.115556) < 1e-5);
  CHECK(bg::HashString(score) == "sqc8b49rny0");
  // Scores that are no geohash decode somewhere without crashing.
  CHECK(bg::DecodeScore(-1.0, &lon, &lat));
  CHECK(bg::DecodeScore(1e300, &lon, &lat));
  CHECK(bg::ValidLonLat(lon, lat));
}

TEST_CASE("Geo golden: scores, positions, hashes, distances and searches equal Redis 7.0's") {
  StoreFixture f;
  std::vector<std::string> members;
  int searches = 0, dists = 0;
  for (const auto& line : golden::ReadLines("geo.txt")) {
    const std::string& kind = line[0];
    if (kind == "point") {
      geo::AddPoint p{Number(line[2]), Number(line[3]), line[1]};
      REQUIRE(geo::Add(f.db, "geo", {}, std::span(&p, 1)).ok());
      members.push_back(line[1]);
    } else if (kind == "score") {
      Database::Slot slot;
      const ZSetValue* zset;
      REQUIRE(zsets::Read(f.db, "geo", &zset) == OpStatus::kOk);
      INFO("member " << line[1]);
      CHECK(zset->Score(line[1]) == Number(line[2]));
    } else if (kind == "pos") {
      std::vector<std::string_view> m = {line[1]};
      std::vector<std::optional<geo::Position>> pos;
      REQUIRE(geo::Positions(f.db, "geo", m, &pos) == OpStatus::kOk);
      INFO("member " << line[1]);
      REQUIRE(pos[0].has_value());
      CHECK(Human(pos[0]->longitude) == line[2]);
      CHECK(Human(pos[0]->latitude) == line[3]);
    } else if (kind == "hash") {
      std::vector<std::string_view> m = {line[1]};
      std::vector<std::optional<std::string>> hashes;
      REQUIRE(geo::Hashes(f.db, "geo", m, &hashes) == OpStatus::kOk);
      CHECK(hashes[0] == line[2]);
    } else if (kind == "dist") {
      double conversion;
      REQUIRE(geo::UnitConversion(line[3], &conversion));
      auto d = geo::Distance(f.db, "geo", line[1], line[2], conversion);
      REQUIRE(d.ok());
      REQUIRE(d.value.has_value());
      INFO(line[1] << " " << line[2] << " " << line[3]);
      CHECK(Fixed4(*d.value) == line[4]);
      ++dists;
    } else if (kind == "search") {
      auto arrow = std::find(line.begin(), line.end(), "=>");
      std::vector<std::string> args(line.begin() + 1, arrow);
      std::vector<std::string> want = ReplyWords(std::vector<std::string>(arrow + 1, line.end()));
      ParsedSearch p = ParseSearch(args);
      std::vector<geo::Found> found;
      REQUIRE(geo::Search(f.db, "geo", p.spec, &found) == OpStatus::kOk);
      std::vector<std::string> got;
      std::set<size_t> coordinates;  // indices of words compared as doubles
      std::vector<double> coordinate_values;
      for (const geo::Found& r : found) {
        got.push_back(r.member);
        if (p.with_dist) got.push_back(Fixed4(r.distance));
        if (p.with_hash) got.push_back(std::to_string(static_cast<long long>(r.score)));
        if (p.with_coord) {
          coordinates.insert(got.size());
          got.push_back("");
          coordinate_values.push_back(r.longitude);
          coordinates.insert(got.size());
          got.push_back("");
          coordinate_values.push_back(r.latitude);
        }
      }
      INFO("GEOSEARCH " << std::accumulate(
               args.begin(), args.end(), std::string(),
               [](std::string a, const std::string& b) { return a + " " + b; }));
      REQUIRE(got.size() == want.size());
      size_t next_coordinate = 0;
      for (size_t i = 0; i < got.size(); ++i) {
        if (coordinates.count(i)) {
          CHECK(Human(coordinate_values[next_coordinate++]) == want[i]);
        } else {
          CHECK(got[i] == want[i]);
        }
      }
      ++searches;
    }
  }
  CHECK(members.size() > 200);
  CHECK(dists == 60);
  CHECK(searches >= 40);
}

TEST_CASE("Geo search equals a naive scan of every member") {
  StoreFixture f;
  std::mt19937_64 rng(1616);
  std::uniform_real_distribution<double> lon(-180, 180), lat(-85, 85);
  std::vector<std::pair<std::string, std::pair<double, double>>> points;
  for (int i = 0; i < 3000; ++i) {
    double x = lon(rng), y = lat(rng);
    // Half of them clustered, so that small searches find something.
    if (i % 2) {
      x = 2.35 + (lon(rng) / 180) * 3;
      y = 48.85 + (lat(rng) / 85) * 3;
    }
    std::string m = "m" + std::to_string(i);
    geo::AddPoint p{x, y, m};
    REQUIRE(geo::Add(f.db, "g", {}, std::span(&p, 1)).ok());
    double dx, dy;
    REQUIRE(bg::DecodeScore(bg::Score(x, y), &dx, &dy));
    points.push_back({m, {dx, dy}});
  }
  for (int round = 0; round < 300; ++round) {
    geo::SearchSpec spec;
    bool near = round % 2;
    spec.shape.longitude = near ? 2.35 + (lon(rng) / 180) * 4 : lon(rng);
    spec.shape.latitude = near ? 48.85 + (lat(rng) / 85) * 4 : lat(rng);
    if (round % 3 == 0) {
      spec.shape.kind = bg::Shape::Kind::kBox;
      spec.shape.width = 1 + static_cast<double>(rng() % (near ? 400 : 8000));
      spec.shape.height = 1 + static_cast<double>(rng() % (near ? 400 : 8000));
    } else {
      spec.shape.radius = 1 + static_cast<double>(rng() % (near ? 300 : 6000));
    }
    spec.shape.conversion = 1000;
    spec.order = geo::SearchSpec::Order::kAscending;
    std::vector<geo::Found> found;
    REQUIRE(geo::Search(f.db, "g", spec, &found) == OpStatus::kOk);
    std::vector<std::pair<double, std::string>> want;
    for (const auto& [m, xy] : points) {
      double d;
      if (bg::InShape(spec.shape, xy.first, xy.second, &d)) want.push_back({d / 1000, m});
    }
    std::multiset<std::string> got_members, want_members;
    for (const auto& r : found) got_members.insert(r.member);
    for (const auto& w : want) want_members.insert(w.second);
    INFO("round " << round << " at " << spec.shape.longitude << "," << spec.shape.latitude);
    // Redis's boxes cover the shape wherever the neighbourhood reaches; a
    // wider shape than the 3x3 boxes may miss points, as it does in Redis:
    // everything found must be in the shape, and near searches find all.
    for (const auto& m : got_members) REQUIRE(want_members.count(m));
    if (near) REQUIRE(got_members == want_members);
    for (size_t i = 1; i < found.size(); ++i) REQUIRE(found[i - 1].distance <= found[i].distance);
  }
}

TEST_CASE("Geo: GEOADD options, missing members and keys, wrong types") {
  StoreFixture f;
  std::vector<geo::AddPoint> points = {{13.361389, 38.115556, "Palermo"},
                                       {15.087269, 37.502669, "Catania"}};
  CHECK(geo::Add(f.db, "Sicily", {}, points).value == 2);
  geo::AddOptions xx;
  xx.xx = true;
  xx.ch = true;
  std::vector<geo::AddPoint> moved = {{13.5, 38.1, "Palermo"}, {1, 1, "Nowhere"}};
  CHECK(geo::Add(f.db, "Sicily", xx, moved).value == 1);
  std::vector<geo::AddPoint> invalid = {{1, 1, "ok"}, {181, 0, "bad"}};
  CHECK(geo::Add(f.db, "Sicily", {}, invalid).status == OpStatus::kNotFloat);
  CHECK(zsets::Card(f.db, "Sicily").value == 2);
  auto d = geo::Distance(f.db, "Sicily", "Palermo", "Nowhere", 1);
  CHECK_FALSE(d.value.has_value());
  CHECK_FALSE(geo::Distance(f.db, "none", "a", "b", 1).value.has_value());
  std::vector<std::string_view> names = {"Catania", "Nowhere"};
  std::vector<std::optional<geo::Position>> pos;
  CHECK(geo::Positions(f.db, "Sicily", names, &pos) == OpStatus::kOk);
  CHECK(pos[0].has_value());
  CHECK_FALSE(pos[1].has_value());
  geo::SearchSpec spec;
  spec.from_member = "Nowhere";
  spec.shape.radius = 10;
  std::vector<geo::Found> found;
  CHECK(geo::Search(f.db, "Sicily", spec, &found) == OpStatus::kNoSuchMember);
  CHECK(geo::Search(f.db, "none", spec, &found) == OpStatus::kNotFound);
  REQUIRE(Succeeded(lists::Push(f.db, "list", ListEnd::kHead, std::vector<std::string_view>{"x"})));
  CHECK(geo::Search(f.db, "list", spec, &found) == OpStatus::kWrongType);
  CHECK(geo::Positions(f.db, "list", names, &pos) == OpStatus::kWrongType);
  CHECK(geo::Add(f.db, "list", {}, points).status == OpStatus::kWrongType);
  double conversion;
  CHECK(geo::UnitConversion("KM", &conversion));
  CHECK(conversion == 1000);
  CHECK_FALSE(geo::UnitConversion("yd", &conversion));
}
