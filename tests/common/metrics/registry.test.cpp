// common/metrics/registry: the Prometheus text exposition format 0.0.4 and
// the naming rules.

#include "common/metrics/registry.hpp"

#include <stdexcept>
#include <thread>

#include <catch2/catch.hpp>

using namespace roam::metrics;

TEST_CASE("A counter family renders HELP, TYPE and one line per series", "[common][metrics]") {
  Registry registry([] { return 1000.0; });
  auto& decisions =
      registry.counter("roam_decisions_total", "Decisions taken", {"policy", "outcome"});
  decisions.labels({"lb", "dispatch"}).inc();
  decisions.labels({"lb", "dispatch"}).inc(2);
  decisions.labels({"lb", "suppressed"});
  CHECK(registry.render() ==
        "# HELP roam_decisions_total Decisions taken\n"
        "# TYPE roam_decisions_total counter\n"
        "roam_decisions_total{policy=\"lb\",outcome=\"dispatch\"} 3\n"
        "roam_decisions_total{policy=\"lb\",outcome=\"suppressed\"} 0\n");
  CHECK(decisions.labels({"lb", "dispatch"}).value() == 3);
}

TEST_CASE("A counter never goes down", "[common][metrics]") {
  Counter c;
  c.inc(2.5);
  c.inc(-1);
  CHECK(c.value() == 2.5);
}

TEST_CASE("Gauges, ages and build info", "[common][metrics]") {
  double now = 1000;
  Registry registry([&] { return now; });
  registry.addBuildInfo("1.2.3");
  auto& inFlight = registry.gauge("roam_migrations_in_flight", "Migrations in flight");
  inFlight.get().inc();
  inFlight.get().inc();
  inFlight.get().dec();
  auto& age = registry.age("roam_collector_sample_age_seconds", "Age", {"collector"});
  age.labels({"bandwidth"}).setTime(997.5);
  age.labels({"topology"});  // never set: not rendered
  now = 1001;
  CHECK(registry.render() ==
        "# HELP roam_build_info roam's version; the value is always 1\n"
        "# TYPE roam_build_info gauge\n"
        "roam_build_info{version=\"1.2.3\"} 1\n"
        "# HELP roam_migrations_in_flight Migrations in flight\n"
        "# TYPE roam_migrations_in_flight gauge\n"
        "roam_migrations_in_flight 1\n"
        "# HELP roam_collector_sample_age_seconds Age\n"
        "# TYPE roam_collector_sample_age_seconds gauge\n"
        "roam_collector_sample_age_seconds{collector=\"bandwidth\"} 3.5\n");
  CHECK(std::string(buildVersion()) == "0.1.0");
}

TEST_CASE("A histogram renders cumulative buckets, +Inf, _sum and _count", "[common][metrics]") {
  Registry registry;
  auto& h =
      registry.histogram("roam_migration_duration_seconds", "How long", {"mode"}, {0.5, 1, 2.5});
  auto& snapshot = h.labels({"snapshot"});
  for (double v : {0.1, 0.5, 0.7, 3.0, 100.0}) snapshot.observe(v);
  CHECK(registry.render() ==
        "# HELP roam_migration_duration_seconds How long\n"
        "# TYPE roam_migration_duration_seconds histogram\n"
        "roam_migration_duration_seconds_bucket{mode=\"snapshot\",le=\"0.5\"} 2\n"
        "roam_migration_duration_seconds_bucket{mode=\"snapshot\",le=\"1\"} 3\n"
        "roam_migration_duration_seconds_bucket{mode=\"snapshot\",le=\"2.5\"} 3\n"
        "roam_migration_duration_seconds_bucket{mode=\"snapshot\",le=\"+Inf\"} 5\n"
        "roam_migration_duration_seconds_sum{mode=\"snapshot\"} 104.3\n"
        "roam_migration_duration_seconds_count{mode=\"snapshot\"} 5\n");
  auto& plain = registry.histogram("roam_x_seconds", "x", {}, {1});
  plain.get().observe(2);
  CHECK(registry.render().find("roam_x_seconds_bucket{le=\"1\"} 0\n"
                               "roam_x_seconds_bucket{le=\"+Inf\"} 1\n"
                               "roam_x_seconds_sum 2\n"
                               "roam_x_seconds_count 1\n") != std::string::npos);
}

TEST_CASE("Label values and help text are escaped", "[common][metrics]") {
  CHECK(escapeLabelValue("a\\b\"c\nd") == "a\\\\b\\\"c\\nd");
  CHECK(escapeHelp("a\\b\"c\nd") == "a\\\\b\"c\\nd");
  Registry registry;
  registry.counter("roam_x_total", "line one\nline \\two", {"policy"})
      .labels({"my \"policy\"\n"})
      .inc();
  CHECK(registry.render() ==
        "# HELP roam_x_total line one\\nline \\\\two\n"
        "# TYPE roam_x_total counter\n"
        "roam_x_total{policy=\"my \\\"policy\\\"\\n\"} 1\n");
}

TEST_CASE("Values in the text format", "[common][metrics]") {
  CHECK(formatValue(0) == "0");
  CHECK(formatValue(3) == "3");
  CHECK(formatValue(0.25) == "0.25");
  CHECK(formatValue(1e21) == "1e+21");
  CHECK(formatValue(0.0001) == "0.0001");
  CHECK(formatValue(0.0005) == "0.0005");
  CHECK(formatValue(123456789) == "123456789");
  CHECK(formatValue(1e-7) == "1e-07");
  CHECK(formatValue(-2.5) == "-2.5");
  CHECK(formatValue(1.0 / 0.0) == "+Inf");
  CHECK(formatValue(-1.0 / 0.0) == "-Inf");
  CHECK(formatValue(0.0 / 0.0) == "NaN");
}

TEST_CASE("The naming rules are enforced at registration", "[common][metrics]") {
  Registry registry;
  CHECK_THROWS_AS(registry.counter("roam_decisions", "no _total"), std::logic_error);
  CHECK_THROWS_AS(registry.gauge("roam_things_total", "gauge with _total"), std::logic_error);
  CHECK_THROWS_AS(registry.gauge("decisions", "no prefix"), std::logic_error);
  CHECK_THROWS_AS(registry.gauge("roam_bad-name", "dash"), std::logic_error);
  CHECK_THROWS_AS(registry.gauge("roam_x", "bad label", {"0abc"}), std::logic_error);
  CHECK_THROWS_AS(registry.gauge("roam_x", "reserved label", {"__name"}), std::logic_error);
  CHECK_THROWS_AS(registry.histogram("roam_h_seconds", "le label", {"le"}, {1}), std::logic_error);
  CHECK_THROWS_AS(registry.histogram("roam_h_seconds", "bad bounds", {}, {2, 1}), std::logic_error);
  auto& family = registry.counter("roam_y_total", "y", {"a"});
  CHECK_THROWS_AS(family.labels({}), std::logic_error);
  CHECK_THROWS_AS(family.labels({"1", "2"}), std::logic_error);
}

TEST_CASE("Registering a family twice gives the same family", "[common][metrics]") {
  Registry registry;
  auto& a = registry.counter("roam_y_total", "y", {"a"});
  auto& b = registry.counter("roam_y_total", "y", {"a"});
  CHECK(&a == &b);
  CHECK_THROWS_AS(registry.counter("roam_y_total", "y", {"b"}), std::logic_error);
  CHECK_THROWS_AS(registry.gauge("roam_y_total", "y", {"a"}), std::logic_error);
  auto& h = registry.histogram("roam_h_seconds", "h", {}, {1, 2});
  CHECK(&registry.histogram("roam_h_seconds", "h", {}, {1, 2}) == &h);
  CHECK_THROWS_AS(registry.histogram("roam_h_seconds", "h", {}, {1, 3}), std::logic_error);
}

TEST_CASE("Updates from many threads while rendering", "[common][metrics]") {
  Registry registry;
  auto& c = registry.counter("roam_c_total", "c", {"t"});
  auto& h = registry.histogram("roam_h_seconds", "h", {}, secondsBuckets());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 1000; ++i) {
        c.labels({std::to_string(t % 2)}).inc();
        h.get().observe(0.01 * i);
      }
    });
  for (int i = 0; i < 20; ++i) CHECK_FALSE(registry.render().empty());
  for (auto& t : threads) t.join();
  CHECK(c.labels({"0"}).value() + c.labels({"1"}).value() == 4000);
  CHECK(h.get().snapshot().count == 4000);
}
