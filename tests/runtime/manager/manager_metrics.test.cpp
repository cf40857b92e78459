// The manager's metrics (docs/metrics.md) counted where the events happen:
// the brain's evaluations and decisions, migrations and their times, hot
// reloads, VIB rows; the fixture's fake agents and fixed state.

#include <catch2/catch.hpp>

#include "agent/tls/certificates.hpp"
#include "manager_fixture.hpp"
#include "metrics_text.hpp"
#include "runtime/manager/manager.hpp"
#include "runtime/manager_metrics.hpp"

using roam::runtime::BrainAction;
using roam::runtime::ManagerMetrics;
using roamtest::sample;

namespace {

struct Fixture : roamtest::ManagerFixture {
  roam::metrics::Registry registry;
  ManagerMetrics metrics{registry};
  Fixture()
      : ManagerFixture("roam-manager-metrics", "policies/load-balancing/bandwidth.policy",
                       "examples/states/paper-heterogeneous.json") {}
  double value(const std::string& series) {
    auto v = sample(registry, series);
    INFO(series << "\n" << registry.render());
    REQUIRE(v);
    return *v;
  }
};

const std::string kPolicy = "bandwidth";

}  // namespace

TEST_CASE("manager metrics: a decision and its migration", "[manager][metrics]") {
  Fixture f;
  f.agents.hold = true;
  auto manager = f.make(&f.metrics);
  REQUIRE(manager->activePolicy()->policy->name == kPolicy);
  auto step = manager->evaluateOnce();
  REQUIRE(step.action == BrainAction::dispatch);
  REQUIRE(f.agents.waitHeld());
  CHECK(f.value("roam_migrations_in_flight") == 1);
  f.agents.release();
  REQUIRE(manager->waitIdle(5));
  CHECK(f.value("roam_migrations_in_flight") == 0);

  CHECK(f.value("roam_decisions_total{policy=\"bandwidth\",outcome=\"dispatch\"}") == 1);
  CHECK(f.value("roam_policy_evaluations_total{policy=\"bandwidth\",outcome=\"dispatch\"}") == 1);
  CHECK(f.value("roam_decision_duration_seconds_count{policy=\"bandwidth\"}") == 1);
  CHECK(f.value("roam_decision_duration_seconds_sum{policy=\"bandwidth\"}") ==
        Approx(step.decisionSeconds));
  // The fake source's DONE: snapshot mode, 100 bytes, freeze 123.5 ms, two
  // rounds of 5 and 4 ms.
  CHECK(f.value("roam_migrations_total{mode=\"snapshot\",result=\"success\"}") == 1);
  CHECK_FALSE(sample(f.registry, "roam_migrations_total{mode=\"snapshot\",result=\"failure\"}"));
  CHECK(f.value("roam_migration_sent_bytes_total{mode=\"snapshot\"}") == 100);
  CHECK(f.value("roam_migration_freeze_seconds_sum{mode=\"snapshot\"}") == Approx(0.1235));
  CHECK(f.value("roam_migration_freeze_seconds_bucket{mode=\"snapshot\",le=\"0.1\"}") == 0);
  CHECK(f.value("roam_migration_freeze_seconds_bucket{mode=\"snapshot\",le=\"0.25\"}") == 1);
  CHECK(f.value("roam_migration_transfer_seconds_sum{mode=\"snapshot\"}") == Approx(0.009));
  CHECK(f.value("roam_migration_precopy_rounds_sum{mode=\"snapshot\"}") == 2);
  CHECK(f.value("roam_migration_precopy_rounds_bucket{mode=\"snapshot\",le=\"2\"}") == 1);
  CHECK(f.value("roam_migration_duration_seconds_count{mode=\"snapshot\"}") == 1);
  // One decision row; the migration's row written as dispatched, then done.
  CHECK(f.value("roam_vib_rows_written_total{table=\"decisions\"}") == 1);
  CHECK(f.value("roam_vib_rows_written_total{table=\"migrations\"}") >= 2);
  CHECK(f.value("roam_vib_write_errors_total") == 0);
  CHECK(f.value("roam_build_info{version=\"0.1.0\"}") == 1);
  // No container or migration id anywhere in the labels.
  const auto text = f.registry.render();
  CHECK(text.find("iperf") == std::string::npos);
  CHECK(text.find(step.decisionId) == std::string::npos);
}

TEST_CASE("manager metrics: a failed migration", "[manager][metrics]") {
  Fixture f;
  f.agents.failWith = "the destination's engine refused";
  auto manager = f.make(&f.metrics);
  REQUIRE(manager->evaluateOnce().action == BrainAction::dispatch);
  REQUIRE(manager->waitIdle(5));
  CHECK(f.value("roam_migrations_total{mode=\"snapshot\",result=\"failure\"}") == 1);
  CHECK_FALSE(sample(f.registry, "roam_migrations_total{mode=\"snapshot\",result=\"success\"}"));
  // Times are observed for successes only.
  CHECK_FALSE(sample(f.registry, "roam_migration_duration_seconds_count{mode=\"snapshot\"}"));
  CHECK(f.value("roam_migrations_in_flight") == 0);
}

TEST_CASE("manager metrics: a dry run counts decisions and no migrations", "[manager][metrics]") {
  Fixture f;
  f.config.dryRun = true;
  auto manager = f.make(&f.metrics);
  CHECK(manager->evaluateOnce().action == BrainAction::dryRun);
  CHECK(manager->evaluateOnce().action == BrainAction::dryRun);
  CHECK(f.value("roam_decisions_total{policy=\"bandwidth\",outcome=\"dry-run\"}") == 2);
  CHECK(f.value("roam_policy_evaluations_total{policy=\"bandwidth\",outcome=\"dry-run\"}") == 2);
  CHECK(f.value("roam_decision_duration_seconds_count{policy=\"bandwidth\"}") == 2);
  CHECK(f.registry.render().find("roam_migrations_total{") == std::string::npos);
  // As many decisions as the decision log has lines.
  CHECK(f.decisionLog().size() == 2);
}

TEST_CASE("manager metrics: a repeated refusal is one decision, every evaluation counts",
          "[manager][metrics]") {
  Fixture f;
  f.agents.hold = true;
  auto manager = f.make(&f.metrics);
  REQUIRE(manager->evaluateOnce().action == BrainAction::dispatch);
  REQUIRE(f.agents.waitHeld());
  CHECK(manager->evaluateOnce().action == BrainAction::suppressed);
  CHECK(manager->evaluateOnce().action == BrainAction::suppressed);
  f.agents.release();
  REQUIRE(manager->waitIdle(5));
  CHECK(f.value("roam_decisions_total{policy=\"bandwidth\",outcome=\"suppressed\"}") == 1);
  CHECK(f.value("roam_policy_evaluations_total{policy=\"bandwidth\",outcome=\"suppressed\"}") == 2);
  // Dispatch, outcome and one suppressed line in the log.
  CHECK(f.decisionLog().size() == 3);
}

TEST_CASE("manager metrics: reloads and failed reloads", "[manager][metrics][reload]") {
  Fixture f;
  auto manager = f.make(&f.metrics);
  // The first load is no reload.
  CHECK(f.value("roam_policy_reloads_total{result=\"success\"}") == 0);
  CHECK(f.value("roam_policy_reloads_total{result=\"failure\"}") == 0);
  REQUIRE(manager->reload("test", false).ok);
  roamtest::writeText(f.policyFile, "policy broken {\n  when every 1s { count(hosts) > }\n}\n");
  CHECK_FALSE(manager->reload("test", false).ok);
  CHECK_FALSE(manager->reload("test", false).ok);
  CHECK(f.value("roam_policy_reloads_total{result=\"success\"}") == 1);
  CHECK(f.value("roam_policy_reloads_total{result=\"failure\"}") == 2);
}

TEST_CASE("manager metrics: a configuration a reload rejects is a failed reload",
          "[manager][metrics][reload]") {
  Fixture f;
  f.config.file = f.dir.path / "manager.json";
  roamtest::writeText(f.config.file, "{\"policy\": {\"file\": \"" + f.policyFile.string() + "\"}}");
  auto manager = f.make(&f.metrics);
  roamtest::writeText(f.config.file, "{\"polcy\": 1}");
  CHECK_FALSE(manager->reload("test").ok);
  CHECK(f.value("roam_policy_reloads_total{result=\"failure\"}") == 1);
}

TEST_CASE("manager metrics: MTD key gathering", "[manager][metrics][mtd]") {
  roamtest::ManagerFixture f("roam-manager-metrics-mtd", "policies/mtd/shamir.policy",
                             "examples/states/paper-homogeneous.json");
  const auto certs = f.dir.path / "certs";
  REQUIRE(roam::agent::initAuthority(certs).ok());
  REQUIRE(roam::agent::issueCertificate(certs, "manager", {}).ok());
  f.config.certs = certs.string();
  f.config.identity = "manager";
  f.agents.containerLabels = {{"iperf-client", {{"app", "iperf"}, {"role", "client"}}},
                              {"iperf-server", {{"app", "iperf"}, {"role", "server"}}}};
  roam::metrics::Registry registry;
  ManagerMetrics metrics(registry);
  auto manager = f.make(&metrics);
  REQUIRE(manager->evaluateOnce().action == BrainAction::dispatch);
  REQUIRE(manager->waitIdle(10));
  INFO(registry.render());
  CHECK(sample(registry, "roam_mtd_key_gathering_seconds_count{scheme=\"shamir\"}") == 1);
  CHECK(sample(registry, "roam_migrations_total{mode=\"snapshot\",result=\"success\"}") == 1);
}
