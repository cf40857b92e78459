// Durations and instants as text (runtime/time_text.hpp).

#include <catch2/catch.hpp>

#include "runtime/time_text.hpp"

using roam::runtime::formatTime;
using roam::runtime::parseDuration;
using roam::runtime::TimeZone;

TEST_CASE("time text: durations in the policy language's units", "[runtime]") {
  CHECK(parseDuration("10s") == 10.0);
  CHECK(parseDuration("500ms") == Approx(0.5));
  CHECK(parseDuration("2min") == 120.0);
  CHECK(parseDuration("1.5") == 1.5);  // a bare number is seconds
  CHECK(parseDuration("0") == 0.0);
  CHECK_FALSE(parseDuration("soon"));
  CHECK_FALSE(parseDuration(""));
  CHECK_FALSE(parseDuration("-1s"));
  CHECK_FALSE(parseDuration("inf"));
  CHECK_FALSE(parseDuration("5Mbps"));  // a unit, but not a duration
}

TEST_CASE("time text: instants through strftime", "[runtime]") {
  CHECK(formatTime(0, "%Y-%m-%d %H:%M:%S", TimeZone::utc) == "1970-01-01 00:00:00");
  CHECK(formatTime(86400 + 3723.9, "%Y-%m-%dT%H:%M:%S", TimeZone::utc) == "1970-01-02T01:02:03");
  CHECK(formatTime(3723, "%H:%M:%S", TimeZone::local).size() == 8);
}
