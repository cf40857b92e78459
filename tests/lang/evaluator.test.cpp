#include <cmath>
#include <map>

#include <catch2/catch.hpp>

#include "test_util.hpp"

using roam::lang::formatValue;
using roam::lang::ValueKind;
using roam::test::evalExpr;
using roam::test::exampleState;

TEST_CASE("expressions evaluate with units in SI base values", "[lang][evaluator]") {
  auto state = exampleState("paper-heterogeneous");
  CHECK(evalExpr("10Mbps * 2", *state).number == Approx(20e6));
  CHECK(evalExpr("1MB / 1s", *state).number == Approx(8e6));
  CHECK(evalExpr("80%", *state).number == Approx(0.8));
  CHECK(evalExpr("7 % 4", *state).number == Approx(3));
  CHECK(evalExpr("if 1 < 2 then 5ms else 1s", *state).number == Approx(0.005));
  CHECK(evalExpr("not (1 > 2) and (2 >= 2 or false)", *state).boolean);
  CHECK(formatValue(evalExpr("9500000bps", *state), *state) == "9.5 Mbps");
}

TEST_CASE("topology built-ins follow the paper's figure 3", "[lang][evaluator]") {
  auto hetero = exampleState("paper-heterogeneous");
  CHECK(evalExpr("hops(\"h2\", \"h3\")", *hetero).number == 2);
  CHECK(evalExpr("hops(\"h2\", \"h4\")", *hetero).number == 3);
  CHECK(formatValue(evalExpr("path(\"h2\", \"h4\")", *hetero), *hetero) == "[s2, s1, s4]");
  CHECK(formatValue(evalExpr("shortest_path(\"h2\", \"h3\")", *hetero), *hetero) == "[s2, s3]");
  CHECK(evalExpr("path_bandwidth(\"h2\", \"h4\")", *hetero).number == Approx(10e6));
  CHECK(evalExpr("path_bandwidth(\"h2\", \"h3\")", *hetero).number == Approx(2e6));
  CHECK(evalExpr("path_bandwidth(\"h2\", \"h5\")", *hetero).number == Approx(5e6));
  CHECK(evalExpr("capacity(\"s1\", \"s4\")", *hetero).number == Approx(10e6));
  CHECK(evalExpr("\"s1\" in path(\"h2\", \"h5\")", *hetero).boolean);

  SECTION("available bandwidth subtracts the load in the direction of travel") {
    // h1 -> h2 carries ~9.5 Mbps over s1 -> s2, so little is left that way,
    // and almost all of the 100 Mbps is left in the other direction.
    double forward = evalExpr("available_bandwidth(\"h1\", \"h2\")", *hetero).number;
    double backward = evalExpr("available_bandwidth(\"h2\", \"h1\")", *hetero).number;
    CHECK(forward < 100e6 - 9e6);
    CHECK(backward > 99e6);
  }
}

TEST_CASE("measurement built-ins read the newest sample", "[lang][evaluator]") {
  auto state = exampleState("paper-heterogeneous");
  double h2 = evalExpr("host_bandwidth(\"h2\")", *state).number;
  CHECK(h2 > 9e6);
  CHECK(evalExpr("host_rx_bandwidth(\"h2\") > host_tx_bandwidth(\"h2\")", *state).boolean);
  CHECK(evalExpr("host_tx_bandwidth(\"h1\") > host_rx_bandwidth(\"h1\")", *state).boolean);
  CHECK(evalExpr("bandwidth(\"s2\", 1) == host_bandwidth(\"h2\")", *state).boolean);
  CHECK(evalExpr("utilization(\"s2\", 1) < 20%", *state).boolean);
  CHECK(evalExpr("packet_rate(\"s1\") > 100", *state).boolean);
  CHECK(evalExpr("avg_over(host_bandwidth(\"h2\"), 2s) > 9Mbps", *state).boolean);
  CHECK(evalExpr("max_over(host_bandwidth(\"h3\"), 2s) < 1Mbps", *state).boolean);
  CHECK(evalExpr("latency(\"h2\", \"h3\") == latency(\"h3\", \"h2\")", *state).boolean);
}

TEST_CASE("sets, binders and aggregates", "[lang][evaluator]") {
  auto state = exampleState("paper-heterogeneous");
  CHECK(formatValue(evalExpr("free_hosts()", *state), *state) == "{h3, h4, h5}");
  CHECK(formatValue(evalExpr("hosts - {\"h1\", \"h2\"}", *state), *state) == "{h3, h4, h5}");
  CHECK(formatValue(evalExpr("{h in hosts where host_bandwidth(h) > 4Mbps}", *state), *state) ==
        "{h1, h2}");
  CHECK(evalExpr("count(c in containers where c.labels.role == \"server\")", *state).number == 1);
  CHECK(evalExpr("count(hosts)", *state).number == 5);
  CHECK(evalExpr("sum(h in hosts: h.capacity)", *state).number == Approx(500e6));
  CHECK(evalExpr("max(h in free_hosts(): path_bandwidth(\"h2\", h))", *state).number ==
        Approx(10e6));
  CHECK(evalExpr("min(3s, 2s)", *state).number == Approx(2));
  CHECK(evalExpr("any(h in hosts: h.port == 1)", *state).boolean);
  CHECK_FALSE(evalExpr("all(h in hosts: host_bandwidth(h) > 1Mbps)", *state).boolean);
  CHECK(formatValue(evalExpr("argmax(h in free_hosts(): path_bandwidth(\"h2\", h))", *state),
                    *state) == "h4");
  CHECK(formatValue(evalExpr("argmin(h in free_hosts(): hops(\"h2\", h))", *state), *state) ==
        "h3");
  CHECK(evalExpr("\"h3\" in free_hosts()", *state).boolean);
  CHECK(evalExpr("\"h2\" not in free_hosts()", *state).boolean);
  CHECK(evalExpr("count(c in containers where has_label(c, \"role\"))", *state).number == 2);
  // A quoted name could be a host or a container, so has_label needs a typed value.
  CHECK(roam::test::checkExpr("has_label(\"iperf-server\", \"role\")").size() == 1);
}

TEST_CASE("random draws are reproducible from the seed", "[lang][evaluator]") {
  auto state = exampleState("paper-heterogeneous");
  auto draw = [&](std::uint64_t seed) {
    return formatValue(evalExpr("random(free_hosts())", *state, seed), *state);
  };
  CHECK(draw(7) == draw(7));
  std::map<std::string, int> seen;
  for (std::uint64_t s = 0; s < 60; ++s) ++seen[draw(s)];
  CHECK(seen.size() == 3);
  CHECK(seen.count("h3") == 1);
  CHECK(seen.count("h4") == 1);
  CHECK(seen.count("h5") == 1);
}

TEST_CASE("the paper's latency-weighted formula P(i,k) is expressible and sampled right",
          "[lang][evaluator]") {
  auto state = exampleState("paper-heterogeneous");
  const int draws = 20000;
  auto v = evalExpr("weighted_sample(h in hosts - {\"h2\"}: 1 / latency(\"h2\", h), " +
                        std::to_string(draws) + ")",
                    *state, 42);
  REQUIRE(v.kind == ValueKind::List);
  REQUIRE(v.elements().size() == static_cast<std::size_t>(draws));
  std::map<std::string, int> counts;
  for (const auto& e : v.elements()) ++counts[roam::lang::entityName(e, *state)];
  double norm = 0;
  for (const char* h : {"h1", "h3", "h4", "h5"}) norm += 1 / *state->latencySeconds("h2", h);
  // Chi-squared goodness of fit, 3 degrees of freedom: 16.27 is the 0.1% critical value.
  double chi2 = 0;
  for (const char* h : {"h1", "h3", "h4", "h5"}) {
    double expected = draws * (1 / *state->latencySeconds("h2", h)) / norm;
    chi2 += std::pow(counts[h] - expected, 2) / expected;
  }
  CHECK(chi2 < 16.27);
  CHECK(counts.count("h2") == 0);
}

TEST_CASE("evaluation errors carry the location of the culprit", "[lang][evaluator]") {
  auto state = exampleState("paper-heterogeneous");
  auto parsed = roam::lang::parseExpression("hops(\"h2\", \"h9\")", "<expr>");
  REQUIRE(parsed.expr);
  auto checked = roam::lang::checkExpression(*parsed.expr, {}, "<expr>");
  REQUIRE(checked.diagnostics.empty());
  roam::lang::Evaluator ev(nullptr, checked.frameSize, *state, 1);
  try {
    ev.eval(*parsed.expr);
    FAIL("expected an error");
  } catch (const roam::lang::EvalError& e) {
    CHECK(e.message == "no host or switch named \"h9\"");
    CHECK(e.loc.column == 12);
  }
}

TEST_CASE("names and elements mix in membership, equality and set arithmetic",
          "[lang][evaluator]") {
  auto state = exampleState("paper-heterogeneous");
  CHECK(evalExpr("argmax(h in hosts: host_rx_bandwidth(h)) in {\"h2\"}", *state).boolean);
  CHECK(evalExpr("count(h in hosts where h in {\"h3\", \"h4\"})", *state).number == 2);
  CHECK(evalExpr("free_hosts() == {\"h3\", \"h4\", \"h5\"}", *state).boolean);
  CHECK_FALSE(evalExpr("free_hosts() == {\"h3\", \"h4\"}", *state).boolean);
  CHECK(formatValue(evalExpr("{\"h1\"} + free_hosts()", *state), *state) == "{h1, h3, h4, h5}");
  CHECK(evalExpr("sum({})", *state).number == 0);
  // A set builder in braces is a set argument (duplicates gone), not a binder.
  CHECK(evalExpr("count({h in hosts: h.capacity})", *state).number == 1);
  CHECK(evalExpr("count(h in hosts: h.capacity)", *state).number == 5);
  CHECK(formatValue(evalExpr("random({h in hosts where h.name == \"h3\"})", *state), *state) ==
        "h3");
  CHECK(evalExpr("all({})", *state).boolean);
  CHECK_FALSE(evalExpr("any({})", *state).boolean);
}
