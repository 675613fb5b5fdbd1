#include "server/observability/cycle_clock.h"

#include <catch2/catch.hpp>

#include <thread>

namespace emberkv::server {
namespace {

TEST_CASE("cycle clock: its first rate, taken early, converts spans within a percent") {
  CycleClock::Start();
  // The first conversion calibrates over a short span; a longer span
  // measured afterwards must still come out right.
  REQUIRE(CycleClock::NsPerCycle() > 0);
  uint64_t ns_before = CycleClock::MonotonicNs();
  uint64_t cycles_before = CycleClock::Now();
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  uint64_t cycles = CycleClock::Now() - cycles_before;
  uint64_t ns = CycleClock::MonotonicNs() - ns_before;
  double converted = CycleClock::ToNs(cycles);
  CHECK(converted == Approx(static_cast<double>(ns)).epsilon(0.01));
}

TEST_CASE("cycle clock: Refine keeps the rate consistent with the monotonic clock") {
  CycleClock::Start();
  std::this_thread::sleep_for(std::chrono::milliseconds(15));
  CycleClock::Refine();
  uint64_t ns_before = CycleClock::MonotonicNs();
  uint64_t cycles_before = CycleClock::Now();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  double converted = CycleClock::ToNs(CycleClock::Now() - cycles_before);
  double ns = static_cast<double>(CycleClock::MonotonicNs() - ns_before);
  CHECK(converted == Approx(ns).epsilon(0.01));
}

}  // namespace
}  // namespace emberkv::server
