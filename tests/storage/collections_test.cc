// The structures behind hashes, sets and sorted sets, checked against
// std:: models with long random sequences: the ordered table (and its scan
// cursor across resizes), the intset, the score tree, and the three values
// through their encodings.
#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <map>
#include <random>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

#include "storage/detail/int_set.h"
#include "storage/detail/score_tree.h"
#include "storage/detail/string_table.h"
#include "storage/encoding_limits.h"
#include "storage/hash_value.h"
#include "storage/set_value.h"
#include "storage/zset_value.h"

using namespace emberkv::storage;
using namespace emberkv::storage::detail;

namespace {

struct IntTraits {
  static constexpr uint64_t kEmpty = uint64_t{1} << 63;
  static uint64_t Hash(uint64_t slot) { return HashInteger(static_cast<int64_t>(slot)); }
};
using IntTable = OrderedTable<IntTraits>;

bool TableContains(const IntTable& t, int64_t v) {
  return t.Find(HashInteger(v), [&](uint64_t s) { return s == static_cast<uint64_t>(v); }) !=
         IntTable::kNotFound;
}

}  // namespace

TEST_CASE("OrderedTable matches a set model through growth and shrinking") {
  std::mt19937_64 rng(7);
  IntTable table;
  std::set<int64_t> model;
  for (int step = 0; step < 200000; ++step) {
    int64_t v = static_cast<int64_t>(rng() % 20000) - 10000;
    bool insert = step < 100000 ? rng() % 4 != 0 : rng() % 4 == 0;
    if (insert) {
      if (!TableContains(table, v)) table.Insert(HashInteger(v), static_cast<uint64_t>(v));
      model.insert(v);
    } else {
      size_t at =
          table.Find(HashInteger(v), [&](uint64_t s) { return s == static_cast<uint64_t>(v); });
      CHECK((at != IntTable::kNotFound) == (model.count(v) == 1));
      if (at != IntTable::kNotFound) table.EraseAt(at);
      model.erase(v);
    }
  }
  REQUIRE(table.size() == model.size());
  for (int64_t v : model) REQUIRE(TableContains(table, v));
}

TEST_CASE("OrderedTable scan returns every element present throughout, across resizes") {
  std::mt19937_64 rng(11);
  IntTable table;
  std::set<int64_t> stable;
  for (int64_t v = 0; v < 5000; ++v) {
    table.Insert(HashInteger(v), static_cast<uint64_t>(v));
    stable.insert(v);
  }
  std::set<int64_t> seen;
  uint64_t cursor = 0;
  int64_t next_new = 1000000;
  int steps = 0;
  do {
    cursor =
        table.Scan(cursor, 10, [&](uint64_t slot) { seen.insert(static_cast<int64_t>(slot)); });
    // Grow the table a lot between the first steps (several resizes).
    if (steps < 100) {
      for (int i = 0; i < 200; ++i)
        table.Insert(HashInteger(next_new), static_cast<uint64_t>(next_new++));
    }
    ++steps;
  } while (cursor != 0 && steps < 1000000);
  REQUIRE(cursor == 0);
  for (int64_t v : stable) REQUIRE(seen.count(v) == 1);
}

TEST_CASE("IntSet widens and stays sorted") {
  std::mt19937_64 rng(3);
  IntSet set;
  std::set<int64_t> model;
  for (int i = 0; i < 3000; ++i) {
    int64_t v;
    switch (rng() % 3) {
      case 0:
        v = static_cast<int64_t>(rng() % 200) - 100;
        break;
      case 1:
        v = static_cast<int64_t>(rng() % 200000) - 100000;
        break;
      default:
        v = static_cast<int64_t>(rng());
    }
    if (rng() % 3 == 0) {
      CHECK(set.Remove(v) == (model.erase(v) == 1));
    } else {
      CHECK(set.Insert(v) == model.insert(v).second);
    }
  }
  REQUIRE(set.size() == model.size());
  uint32_t i = 0;
  for (int64_t v : model) REQUIRE(set.At(i++) == v);
  CHECK(set.Contains(*model.begin()));
  CHECK(!set.Contains(INT64_MIN) == (model.count(INT64_MIN) == 0));
}

TEST_CASE("ScoreTree ranks, seeks and walks like a sorted model") {
  std::mt19937_64 rng(5);
  ScoreTree tree;
  std::map<std::string, char*> records;  // member -> record
  std::set<std::pair<double, std::string>> model;
  auto make = [](double score, const std::string& m) {
    char* r = static_cast<char*>(std::malloc(8 + StringRecordSize(m)));
    PutDouble(r, score);
    PutString(r + 8, m);
    return r;
  };
  for (int step = 0; step < 60000; ++step) {
    std::string m = "m" + std::to_string(rng() % 5000);
    auto it = records.find(m);
    if (it == records.end()) {
      double score = static_cast<double>(rng() % 100);  // many ties: members order them
      char* r = make(score, m);
      records[m] = r;
      tree.Insert(score, r);
      model.insert({score, m});
    } else {
      double score = RecordScore(it->second);
      REQUIRE(tree.Erase(score, m));
      model.erase({score, m});
      std::free(it->second);
      records.erase(it);
    }
    if (step % 5000 == 0 || step == 59999) {
      REQUIRE(tree.size() == model.size());
      size_t rank = 0;
      ScoreTree::Cursor cursor = tree.Seek(0);
      for (const auto& [score, member] : model) {
        REQUIRE(cursor.valid());
        ScoreEntry e = tree.At(cursor);
        REQUIRE(e.score == score);
        REQUIRE(e.member() == member);
        if (rank % 97 == 0) {
          REQUIRE(tree.Rank(score, member) == rank);
          ScoreTree::Cursor at = tree.Seek(rank);
          REQUIRE(tree.At(at).member() == member);
        }
        tree.Next(&cursor);
        ++rank;
      }
      REQUIRE(!cursor.valid());
      // Walking back from the end.
      if (!model.empty()) {
        ScoreTree::Cursor back = tree.Seek(model.size() - 1);
        for (auto it2 = model.rbegin(); it2 != model.rend(); ++it2) {
          REQUIRE(back.valid());
          REQUIRE(tree.At(back).member() == it2->second);
          tree.Prev(&back);
        }
      }
      size_t below_50 = tree.CountBefore([](double s, std::string_view) { return s < 50; });
      size_t expected =
          std::count_if(model.begin(), model.end(), [](const auto& e) { return e.first < 50; });
      REQUIRE(below_50 == expected);
    }
  }
  tree.Clear();
  for (auto& [m, r] : records) std::free(r);
}

TEST_CASE("SetValue moves through intset, listpack and hashtable") {
  SetValue set;
  CHECK(set.EncodingName() == "intset");
  for (int i = 0; i < 100; ++i) CHECK(set.Add(std::to_string(i)));
  CHECK(!set.Add("5"));
  CHECK(set.EncodingName() == "intset");
  CHECK(set.Add("apple"));
  CHECK(set.EncodingName() == "listpack");
  CHECK(set.Contains("apple"));
  CHECK(set.Contains("42"));
  for (int i = 100; i < 200; ++i) set.Add(std::to_string(i));
  CHECK(set.EncodingName() == "hashtable");
  CHECK(set.size() == 201);
  CHECK(set.Remove("apple"));
  CHECK(!set.Contains("apple"));

  SetValue ints;
  for (int i = 0; i < 600; ++i) ints.Add(std::to_string(i * 7));
  CHECK(ints.EncodingName() == "hashtable");
  CHECK(ints.Add("-9223372036854775808"));
  CHECK(ints.Contains("-9223372036854775808"));
  CHECK(ints.size() == 601);
  std::unordered_set<std::string> seen;
  ints.ForEach([&](std::string_view m) { seen.emplace(m); });
  CHECK(seen.size() == 601);
  CHECK(seen.count("-9223372036854775808") == 1);
  // An integer-looking member that is not canonical stays a string.
  CHECK(ints.Add("007"));
  CHECK(ints.Contains("007"));
  CHECK(!ints.Contains("8"));
  CHECK(ints.Contains("0"));
  auto copy = ints.Clone();
  CHECK(static_cast<SetValue&>(*copy).size() == ints.size());
}

TEST_CASE("HashValue converts on size and on long values, keeps memory counts") {
  HashValue hash;
  const uint64_t most = Limit(encoding_limits().hash_max_listpack_entries);
  CHECK(most == 512);  // Redis 7.0's built-in default
  for (uint64_t i = 0; i < most; ++i)
    CHECK(hash.Set("f" + std::to_string(i), "v" + std::to_string(i)));
  CHECK(hash.EncodingName() == "listpack");
  CHECK(!hash.Set("f1", "changed value"));
  CHECK(*hash.Get("f1") == "changed value");
  size_t compact = hash.MemoryUsage();
  CHECK(hash.Set("one more", "x"));
  CHECK(hash.EncodingName() == "hashtable");
  CHECK(hash.MemoryUsage() > compact);
  CHECK(*hash.Get("f1") == "changed value");
  CHECK(hash.size() == most + 1);
  HashValue other;
  other.Set("a", std::string(65, 'x'));
  CHECK(other.EncodingName() == "hashtable");
  CHECK(other.Remove("a"));
  CHECK(other.size() == 0);
}

TEST_CASE("ZSetValue keeps order through conversion and ranks") {
  std::mt19937_64 rng(9);
  ZSetValue zset;
  std::map<std::string, double> model;
  for (int i = 0; i < 3000; ++i) {
    std::string m = "member:" + std::to_string(rng() % 400);
    double score = static_cast<double>(rng() % 50) / 4;
    if (rng() % 4 == 0) {
      CHECK(zset.Remove(m) == (model.erase(m) == 1));
    } else {
      CHECK(zset.Set(m, score) == (model.count(m) == 0));
      model[m] = score;
    }
    if (i == 100) CHECK(zset.EncodingName() == "listpack");
  }
  CHECK(zset.EncodingName() == "skiplist");
  std::vector<std::pair<double, std::string>> sorted;
  for (auto& [m, s] : model) sorted.push_back({s, m});
  std::sort(sorted.begin(), sorted.end());
  REQUIRE(zset.size() == sorted.size());
  size_t rank = 0;
  zset.VisitRanks(0, zset.size() - 1, false, [&](std::string_view m, double s) {
    REQUIRE(m == sorted[rank].second);
    REQUIRE(s == sorted[rank].first);
    REQUIRE(*zset.Rank(m) == rank);
    ++rank;
  });
  std::vector<std::string> reversed;
  zset.VisitRanks(3, 10, true, [&](std::string_view m, double) { reversed.emplace_back(m); });
  REQUIRE(reversed.size() == 8);
  CHECK(reversed.front() == sorted[10].second);
  CHECK(reversed.back() == sorted[3].second);
  zset.RemoveRanks(0, 9);
  CHECK(zset.size() == sorted.size() - 10);
  CHECK(!zset.Score(sorted[0].second));
  CHECK(*zset.Score(sorted[10].second) == sorted[10].first);
}

TEST_CASE("Big collections release their parts a slice at a time") {
  auto set = std::make_unique<SetValue>();
  for (int i = 0; i < 20000; ++i) set->Add("member-" + std::to_string(i));
  CHECK(set->CostlyToDelete());
  size_t before = set->MemoryUsage();
  size_t freed = set->ReleaseSome(1000);
  CHECK(freed == 1000);
  CHECK(set->MemoryUsage() < before);
  while (set->ReleaseSome(1000) > 0) {
  }
  CHECK(set->MemoryUsage() < 1024);

  auto zset = std::make_unique<ZSetValue>();
  for (int i = 0; i < 20000; ++i) zset->Set("member-" + std::to_string(i), i);
  CHECK(zset->CostlyToDelete());
  while (zset->ReleaseSome(1000) > 0) {
  }
  CHECK(zset->MemoryUsage() < 1024);
}

// Sets one encoding limit for the length of a test, and puts it back.
class LimitFor {
 public:
  LimitFor(std::atomic<uint64_t>& limit, uint64_t value) : limit_(limit), saved_(Limit(limit)) {
    limit_.store(value);
  }
  ~LimitFor() { limit_.store(saved_); }

 private:
  std::atomic<uint64_t>& limit_;
  uint64_t saved_;
};

TEST_CASE("encoding limits changed at run time apply as collections next grow") {
  EncodingLimits& limits = encoding_limits();
  HashValue before;  // a listpack under the old limit, until its next write
  for (int i = 0; i < 3; ++i) before.Set("f" + std::to_string(i), "v");
  {
    LimitFor fields(limits.hash_max_listpack_entries, 2);
    LimitFor values(limits.hash_max_listpack_value, 1000);
    HashValue hash;
    hash.Set("a", std::string(1000, 'x'));
    hash.Set("b", "2");
    CHECK(hash.EncodingName() == "listpack");
    hash.Set("c", "3");
    CHECK(hash.EncodingName() == "hashtable");
    CHECK(before.EncodingName() == "listpack");
    before.Set("f0", "changed");  // any write past the limit converts, as in Redis
    CHECK(before.EncodingName() == "hashtable");
    CHECK(*before.Get("f0") == "changed");
  }
  {
    LimitFor ints(limits.set_max_intset_entries, 2);
    SetValue set;
    set.Add("1");
    set.Add("2");
    CHECK(set.EncodingName() == "intset");
    set.Add("3");
    CHECK(set.EncodingName() == "hashtable");
  }
  {
    LimitFor members(limits.zset_max_listpack_entries, 1000);
    LimitFor length(limits.zset_max_listpack_value, 3);
    ZSetValue zset;
    for (int i = 0; i < 600; ++i) zset.Set(std::to_string(i), i);
    CHECK(zset.EncodingName() == "listpack");
    // A reverse walk over more members than the default listpack holds.
    std::vector<std::string> backwards;
    zset.VisitRanks(0, 599, /*reverse=*/true,
                    [&](std::string_view member, double) { backwards.emplace_back(member); });
    REQUIRE(backwards.size() == 600);
    CHECK(backwards.front() == "599");
    CHECK(backwards.back() == "0");
    zset.Set("long", 1);
    CHECK(zset.EncodingName() == "skiplist");
  }
  CHECK(Limit(limits.hash_max_listpack_entries) == 512);
}
