#include "storage/timing_wheel.h"

#include <catch2/catch.hpp>
#include <map>
#include <random>

using emberkv::storage::Handle;
using emberkv::storage::TimingWheel;

TEST_CASE("wheel offers each handle once its slot is reached, never after its deadline") {
  const int64_t start = 1'700'000'000'000;
  TimingWheel wheel(start);
  std::mt19937_64 rng(3);
  std::map<Handle, int64_t> deadline;
  for (Handle h = 1; h <= 20000; ++h) {
    int64_t d = start + static_cast<int64_t>(rng() % (3 * 3600 * 1000));  // up to 3 hours
    if (h % 100 == 0) d = start + static_cast<int64_t>(rng() % (40LL * 24 * 3600 * 1000));
    deadline[h] = d;
    wheel.Schedule(h, d);
  }
  std::map<Handle, int64_t> fired;
  int64_t now = start;
  auto fire = [&](Handle h) {
    // The owner's rule: re-schedule until the deadline is reached.
    if (deadline[h] > now) {
      wheel.Schedule(h, deadline[h]);
    } else {
      REQUIRE(fired.count(h) == 0);
      fired[h] = now;
    }
  };
  // Advance in irregular steps of up to ~10 minutes.
  while (fired.size() < deadline.size()) {
    now += 1 + static_cast<int64_t>(rng() % (600 * 1000));
    wheel.Advance(now, SIZE_MAX, fire);
  }
  CHECK(wheel.size() == 0);
  for (auto& [h, at] : fired) REQUIRE(at >= deadline[h]);
}

TEST_CASE("wheel fires on time when advanced every millisecond, and respects a budget") {
  const int64_t start = 1000;
  TimingWheel wheel(start);
  for (Handle h = 1; h <= 1000; ++h) wheel.Schedule(h, start + h * 37);
  int64_t now = start;
  size_t late = 0, total = 0;
  while (total < 1000) {
    ++now;
    wheel.Advance(now, SIZE_MAX, [&](Handle h) {
      int64_t d = start + static_cast<int64_t>(h) * 37;
      if (d > now) {
        wheel.Schedule(h, d);
        return;
      }
      if (now != d) ++late;
      ++total;
    });
  }
  CHECK(late == 0);
  CHECK(wheel.NextFireTime() == INT64_MAX);

  for (Handle h = 1; h <= 100; ++h) wheel.Schedule(h, now);
  CHECK(wheel.Advance(now + 1, 30, [](Handle) {}) == 30);
  CHECK(wheel.size() == 70);
  CHECK(wheel.Advance(now + 1, 1000, [](Handle) {}) == 70);
}
