// Latency-weighted host sampling: P(k) proportional to 1/latency, and the
// frequencies of many draws fit it (chi-squared).

#include <cmath>
#include <limits>
#include <map>
#include <string>

#include <catch2/catch.hpp>

#include "crypto/latency_sampler.hpp"

using roam::crypto::LatencySampler;

TEST_CASE("LatencySampler probabilities follow 1/latency and sum to 1", "[mtd]") {
  const std::map<std::string, double> lat = {
      {"h1", 0.001}, {"h2", 0.002}, {"h3", 0.004}, {"h4", 0.008}};
  const auto p = LatencySampler::probabilities(lat);
  REQUIRE(p.size() == 4);
  double sum = 0;
  for (const auto& [h, v] : p) sum += v;
  CHECK(sum == Approx(1.0).epsilon(1e-12));
  // 1/lat = 1000, 500, 250, 125; total 1875.
  CHECK(p.at("h1") == Approx(1000.0 / 1875));
  CHECK(p.at("h2") == Approx(500.0 / 1875));
  CHECK(p.at("h3") == Approx(250.0 / 1875));
  CHECK(p.at("h4") == Approx(125.0 / 1875));
  CHECK(p.at("h1") == Approx(2 * p.at("h2")));

  const auto one = LatencySampler::probabilities({{"only", 3.0}});
  CHECK(one.at("only") == 1.0);
}

TEST_CASE("LatencySampler draws match P(k): chi-squared over 20000 draws", "[mtd]") {
  const std::map<std::string, double> lat = {
      {"h1", 0.001}, {"h2", 0.002}, {"h3", 0.004}, {"h4", 0.008}};
  const auto p = LatencySampler::probabilities(lat);
  for (std::uint64_t seed : {1u, 2u, 12345u}) {
    CAPTURE(seed);
    LatencySampler sampler(lat, seed);
    std::map<std::string, int> counts;
    const int draws = 20000;
    for (int i = 0; i < draws; ++i) ++counts[sampler.next()];
    REQUIRE(counts.size() == 4);
    double chi2 = 0;
    for (const auto& [h, prob] : p) {
      const double expected = prob * draws;
      const double d = counts[h] - expected;
      chi2 += d * d / expected;
    }
    CAPTURE(chi2);
    CHECK(chi2 < 16.27);  // the 0.999 quantile of chi-squared with 3 degrees of freedom
  }

  SECTION("the same seed repeats the same draws") {
    LatencySampler a(lat, 99), b(lat, 99);
    bool same = true;
    for (int i = 0; i < 100; ++i) same = same && a.next() == b.next();
    CHECK(same);
  }
}

TEST_CASE("LatencySampler rejects invalid latencies", "[mtd]") {
  using M = std::map<std::string, double>;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  for (const M& bad :
       {M{}, M{{"a", 0.0}}, M{{"a", -1.0}}, M{{"a", 0.1}, {"b", nan}}, M{{"a", inf}}}) {
    CHECK_THROWS_AS(LatencySampler(bad, 1), std::invalid_argument);
    CHECK_THROWS_AS(LatencySampler::probabilities(bad), std::invalid_argument);
  }
}
