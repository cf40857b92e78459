// Rates from cumulative counters: normal, first poll, reset, gap, duration.

#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include "runtime/measure/rate_calculator.hpp"

using roam::runtime::RateCalculator;
using roam::runtime::RateKey;

namespace {

std::optional<RateCalculator::Rates> feed(RateCalculator& calc, double t, std::uint64_t rx,
                                          std::uint64_t tx, std::optional<double> duration = {}) {
  const std::uint64_t counters[] = {rx, tx};
  return calc.update(RateKey{1, 1}, t, duration, counters);
}

}  // namespace

TEST_CASE("measure: first poll is a baseline only", "[runtime][measure]") {
  RateCalculator calc;
  CHECK_FALSE(feed(calc, 100, 1000, 2000));
  CHECK(calc.size() == 1);
}

TEST_CASE("measure: rates are counter deltas over poll time", "[runtime][measure]") {
  RateCalculator calc;
  feed(calc, 100, 1000, 2000);
  auto r = feed(calc, 101, 2250, 2000);
  REQUIRE(r);
  CHECK((*r)[0] == Approx(1250));
  CHECK((*r)[1] == Approx(0));
  r = feed(calc, 103, 4250, 6000);
  REQUIRE(r);
  CHECK((*r)[0] == Approx(1000));
  CHECK((*r)[1] == Approx(2000));

  SECTION("keys are independent") {
    const std::uint64_t c[] = {5, 5};
    CHECK_FALSE(calc.update(RateKey{1, 2}, 104, std::nullopt, c));
  }
}

TEST_CASE("measure: a counter that goes down is a reset: no sample, new baseline",
          "[runtime][measure]") {
  RateCalculator calc;
  feed(calc, 100, 1'000'000, 1'000'000);
  CHECK_FALSE(feed(calc, 101, 500, 1'000'100));  // rx reset
  auto r = feed(calc, 102, 1500, 1'000'300);
  REQUIRE(r);
  CHECK((*r)[0] == Approx(1000));
  CHECK((*r)[1] == Approx(200));

  SECTION("a port duration that goes down is a reset too") {
    feed(calc, 103, 2500, 1'000'400, 50.0);
    // Counters grew, but the port was re-created in between.
    CHECK_FALSE(feed(calc, 104, 2600, 1'000'500, 0.5));
    CHECK(feed(calc, 105, 2700, 1'000'600, 1.5));
  }
}

TEST_CASE("measure: a gap (failed polls) is averaged over the real elapsed time",
          "[runtime][measure]") {
  RateCalculator calc;
  feed(calc, 100, 0, 0);
  feed(calc, 101, 1000, 1000);
  // Polls at 102..109 failed; 10 s worth of traffic at 1000 B/s arrives at once.
  auto r = feed(calc, 111, 11000, 11000);
  REQUIRE(r);
  CHECK((*r)[0] == Approx(1000));  // not 10000: no spike
}

TEST_CASE("measure: the controller's duration is the time base when present",
          "[runtime][measure]") {
  RateCalculator calc;
  feed(calc, 100.00, 0, 0, 10.0);
  // The answer took 0.3 s longer than the previous one to arrive; the switch
  // read its counters exactly 1 s apart.
  auto r = feed(calc, 101.30, 1000, 0, 11.0);
  REQUIRE(r);
  CHECK((*r)[0] == Approx(1000));

  SECTION("a duration that disagrees wildly with the clock is not trusted") {
    auto w = feed(calc, 102.30, 2000, 0, 11.001);
    REQUIRE(w);
    CHECK((*w)[0] == Approx(1000));
  }
  SECTION("a duration stuck at one value falls back to poll times") {
    RateCalculator stuck;
    feed(stuck, 100, 0, 0, 0.0);
    auto w = feed(stuck, 102, 4000, 0, 0.0);
    REQUIRE(w);
    CHECK((*w)[0] == Approx(2000));
  }
}

TEST_CASE("measure: no elapsed time: no rate, the baseline is kept", "[runtime][measure]") {
  RateCalculator calc;
  feed(calc, 100, 0, 0);
  CHECK_FALSE(feed(calc, 100, 500, 500));
  CHECK_FALSE(feed(calc, 99, 600, 600));  // clock stepped back
  auto r = feed(calc, 102, 2000, 2000);
  REQUIRE(r);
  CHECK((*r)[0] == Approx(1000));
}

TEST_CASE("measure: forgetting stale baselines", "[runtime][measure]") {
  RateCalculator calc;
  feed(calc, 100, 0, 0);
  const std::uint64_t c[] = {1, 1};
  calc.update(RateKey{2, 1}, 200, std::nullopt, c);
  calc.forgetOlderThan(150);
  CHECK(calc.size() == 1);
  CHECK_FALSE(feed(calc, 300, 10, 10));  // baseline again
}

TEST_CASE("measure: keys are told apart by switch and port; too many counters are refused",
          "[runtime][measure]") {
  RateCalculator calc;
  const std::uint64_t first[] = {100, 100};
  const std::uint64_t later[] = {300, 500};
  // Port 1 of switch 2, port 2 of switch 1 and switch 1 as a whole: three
  // baselines, none mistaken for another.
  for (RateKey key : {RateKey{2, 1}, RateKey{1, 2}, RateKey{1}})
    CHECK_FALSE(calc.update(key, 100, std::nullopt, first));
  CHECK(calc.size() == 3);
  auto r = calc.update(RateKey{1, 2}, 102, std::nullopt, later);
  REQUIRE(r);
  REQUIRE(r->size() == 2);
  CHECK((*r)[0] == Approx(100));
  CHECK((*r)[1] == Approx(200));

  const std::uint64_t five[] = {1, 2, 3, 4, 5};
  static_assert(std::size(five) > RateCalculator::kMaxCounters);
  CHECK_FALSE(calc.update(RateKey{3, 1}, 100, std::nullopt, five));
  CHECK_FALSE(calc.update(RateKey{3, 1}, 101, std::nullopt, five));
  CHECK(calc.size() == 3);
}
