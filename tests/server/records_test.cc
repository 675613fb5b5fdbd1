#include "server/observability/records.h"

#include <catch2/catch.hpp>
#include <string>
#include <string_view>
#include <vector>

using namespace emberkv::server;

TEST_CASE("slow log entries are shortened as Redis does") {
  Slowlog log;
  std::string big(200, 'x');
  std::vector<std::string_view> args = {"set", "key", big};
  log.Add(args, 1000, 15000, "127.0.0.1:5000", "app", 128);
  REQUIRE(log.entries().size() == 1);
  const SlowlogEntry& entry = log.entries().front();
  REQUIRE(entry.args.size() == 3);
  REQUIRE(entry.args[2] == std::string(128, 'x') + "... (72 more bytes)");
  REQUIRE(entry.client_address == "127.0.0.1:5000");
  REQUIRE(entry.client_name == "app");

  std::vector<std::string> many;
  for (int i = 0; i < 40; ++i) many.push_back("a" + std::to_string(i));
  std::vector<std::string_view> views(many.begin(), many.end());
  log.Add(views, 1001, 20000, "", "", 128);
  const SlowlogEntry& newest = log.entries().front();
  REQUIRE(newest.args.size() == 32);
  REQUIRE(newest.args[30] == "a30");
  REQUIRE(newest.args[31] == "... (9 more arguments)");
  REQUIRE(newest.id > entry.id);
}

TEST_CASE("the slow log keeps the newest entries and merges by id") {
  Slowlog a, b;
  std::vector<std::string_view> args = {"get", "k"};
  for (int i = 0; i < 5; ++i) {
    a.Add(args, i, 1, "", "", 3);
    b.Add(args, i, 2, "", "", 3);
  }
  REQUIRE(a.entries().size() == 3);
  std::vector<std::vector<SlowlogEntry>> logs = {{a.entries().begin(), a.entries().end()},
                                                 {b.entries().begin(), b.entries().end()}};
  std::vector<SlowlogEntry> merged = MergeSlowlogs(logs, 4);
  REQUIRE(merged.size() == 4);
  for (size_t i = 1; i < merged.size(); ++i) REQUIRE(merged[i - 1].id > merged[i].id);
  REQUIRE(merged.front().id == b.entries().front().id);
}

TEST_CASE("latency events keep one sample per second, the largest") {
  LatencyEvents events;
  events.Add("command", 100, 20);
  events.Add("command", 100, 50);
  events.Add("command", 100, 30);
  events.Add("command", 101, 10);
  const LatencySeries& series = events.events().at("command");
  REQUIRE(series.samples.size() == 2);
  REQUIRE(series.samples[0].latency_ms == 50);
  REQUIRE(series.samples[1].latency_ms == 10);
  REQUIRE(series.max_ms == 50);
  for (int s = 0; s < 500; ++s) events.Add("fast-command", s, s);
  REQUIRE(events.events().at("fast-command").samples.size() == LatencyEvents::kMaxSamples);

  LatencyEvents other;
  other.Add("command", 101, 40);
  other.Add("command", 99, 5);
  LatencySeries merged =
      MergeLatencySeries({&events.events().at("command"), &other.events().at("command")});
  REQUIRE(merged.samples.size() == 3);
  REQUIRE(merged.samples[0].time_s == 99);
  REQUIRE(merged.samples[2].latency_ms == 40);
  REQUIRE(merged.max_ms == 50);

  std::vector<std::string> which = {"command", "nosuch"};
  REQUIRE(events.Reset(which) == 1);
  REQUIRE(events.Reset({}) == 1);
  REQUIRE(events.events().empty());
}
