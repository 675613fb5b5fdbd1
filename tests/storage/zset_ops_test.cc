#include "storage/zset_ops.h"

#include <catch2/catch.hpp>

#include "storage/shard_store.h"
#include "store_fixture.h"

using namespace emberkv::storage;

namespace {
struct ZsetFixture : StoreFixture {
  void Add(std::string_view key, std::initializer_list<zsets::AddInput> inputs,
           zsets::AddOptions o = {}) {
    std::vector<zsets::AddInput> v(inputs);
    REQUIRE(Succeeded(zsets::Add(db, key, o, v)));
  }
  std::vector<std::string> Range(std::string_view key, const zsets::RangeSpec& spec) {
    std::vector<zsets::ScoredMember> out;
    REQUIRE(Succeeded(zsets::Range(db, key, spec, &out)));
    std::vector<std::string> members;
    for (auto& m : out) members.push_back(m.member);
    return members;
  }
};
using V = std::vector<std::string>;
}  // namespace

TEST_CASE("ZADD flags") {
  ZsetFixture f;
  f.Add("z", {{1, "a"}, {2, "b"}});
  zsets::AddOptions xx;
  xx.xx = true;
  xx.ch = true;
  std::vector<zsets::AddInput> in = {{5, "a"}, {7, "c"}};
  CHECK(zsets::Add(f.db, "z", xx, in).value.count == 1);
  zsets::AddOptions gt;
  gt.gt = true;
  gt.ch = true;
  std::vector<zsets::AddInput> lower = {{1, "a"}};
  CHECK(zsets::Add(f.db, "z", gt, lower).value.count == 0);
  zsets::AddOptions incr;
  incr.incr = true;
  std::vector<zsets::AddInput> plus = {{2.5, "b"}};
  CHECK(*zsets::Add(f.db, "z", incr, plus).value.new_score == 4.5);
  zsets::AddOptions none_yet;
  none_yet.xx = true;
  std::vector<zsets::AddInput> nothing = {{1, "x"}};
  REQUIRE(Succeeded(zsets::Add(f.db, "missing", none_yet, nothing)));
  Database::Slot slot;
  CHECK(!f.db.Find("missing", &slot));
}

TEST_CASE("Ranges by rank, score and lex, forwards and backwards") {
  ZsetFixture f;
  f.Add("z", {{1, "a"}, {2, "b"}, {3, "c"}, {4, "d"}});
  zsets::RangeSpec rank;
  rank.start = 1;
  rank.stop = -1;
  CHECK(f.Range("z", rank) == V{"b", "c", "d"});
  rank.reverse = true;
  CHECK(f.Range("z", rank) == V{"c", "b", "a"});
  zsets::RangeSpec score;
  score.kind = zsets::RangeSpec::kByScore;
  REQUIRE(zsets::ParseScoreBound("(1", &score.min_score));
  REQUIRE(zsets::ParseScoreBound("+inf", &score.max_score));
  CHECK(f.Range("z", score) == V{"b", "c", "d"});
  score.offset = 1;
  score.count = 1;
  CHECK(f.Range("z", score) == V{"c"});
  score.reverse = true;
  CHECK(f.Range("z", score) == V{"c"});
  f.Add("lex", {{0, "a"}, {0, "b"}, {0, "c"}});
  zsets::RangeSpec lex;
  lex.kind = zsets::RangeSpec::kByLex;
  REQUIRE(zsets::ParseLexBound("(a", &lex.min_lex));
  REQUIRE(zsets::ParseLexBound("+", &lex.max_lex));
  CHECK(f.Range("lex", lex) == V{"b", "c"});
  CHECK(zsets::Count(f.db, "lex", lex).value == 2);
  CHECK(!zsets::ParseLexBound("a", &lex.min_lex));
  CHECK(zsets::RemoveRange(f.db, "lex", lex).value == 2);
}

TEST_CASE("Pops take from either end and delete the emptied key") {
  ZsetFixture f;
  f.Add("z", {{1, "a"}, {2, "b"}, {3, "c"}});
  auto low = zsets::Pop(f.db, "z", 1, false).value;
  REQUIRE(low.size() == 1);
  CHECK(low[0].member == "a");
  auto high = zsets::Pop(f.db, "z", 5, true).value;
  REQUIRE(high.size() == 2);
  CHECK(high[0].member == "c");
  Database::Slot slot;
  CHECK(!f.db.Find("z", &slot));
}

TEST_CASE("Combine: weights, aggregates, and Redis's NaN rules") {
  std::vector<std::vector<zsets::ScoredMember>> in = {{{"a", 1}, {"b", 2}}, {{"b", 3}, {"c", 4}}};
  std::vector<double> weights = {2, 1};
  auto u = zsets::Combine(in, weights, zsets::Aggregate::kSum, zsets::SetOp::kUnion);
  REQUIRE(u.size() == 3);
  CHECK(u[0].member == "a");
  CHECK(u[0].score == 2);
  CHECK(u[2].member == "b");
  CHECK(u[2].score == 7);
  auto i = zsets::Combine(in, {}, zsets::Aggregate::kMax, zsets::SetOp::kInter);
  REQUIRE(i.size() == 1);
  CHECK(i[0].score == 3);
  auto d = zsets::Combine(in, {}, zsets::Aggregate::kSum, zsets::SetOp::kDiff);
  REQUIRE(d.size() == 1);
  CHECK(d[0].member == "a");
  std::vector<std::vector<zsets::ScoredMember>> inf = {{{"x", INFINITY}}, {{"x", -INFINITY}}};
  CHECK(zsets::Combine(inf, {}, zsets::Aggregate::kSum, zsets::SetOp::kUnion)[0].score == 0);
}
