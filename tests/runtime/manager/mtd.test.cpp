// The manager's MTD path (docs/mtd.md) in one process: the paper's
// homogeneous state, the real brain, coordinator and VIB, and fake agents
// whose MTD is real in memory (each host keeps its MTD_SETUP material, the
// source resolves its destination with agent/mtd's code).

#include <set>

#include <catch2/catch.hpp>

#include "agent/protocol/messages.hpp"
#include "agent/tls/certificates.hpp"
#include "manager_fixture.hpp"
#include "runtime/manager/manager.hpp"
#include "runtime/measure/system_clock.hpp"
#include "temp_dir.hpp"

using roam::runtime::BrainAction;
using roam::runtime::Manager;
using roam::runtime::ManagerConfig;

namespace {

struct MtdFixture : roamtest::ManagerFixture {
  explicit MtdFixture(const std::string& policy)
      : ManagerFixture("roam-manager-mtd", "policies/mtd/" + policy,
                       "examples/states/paper-homogeneous.json") {
    const auto certs = dir.path / "certs";
    REQUIRE(roam::agent::initAuthority(certs).ok());
    REQUIRE(roam::agent::issueCertificate(certs, "manager", {}).ok());
    config.certs = certs.string();
    config.identity = "manager";
    // The agents' STATUS replaces the state's containers: report the roles
    // the MTD policies select on.
    agents.containerLabels = {{"iperf-client", {{"app", "iperf"}, {"role", "client"}}},
                              {"iperf-server", {{"app", "iperf"}, {"role", "server"}}}};
  }
};

}  // namespace

TEST_CASE("manager: MTD policies move the container without sending a destination",
          "[manager][mtd]") {
  const std::string policy = GENERATE("shamir.policy", "fountain.policy", "prf.policy");
  INFO(policy);
  MtdFixture f(policy);
  auto manager = f.make();

  auto step = manager->evaluateOnce();
  INFO(step.reason << step.errors << "\n" << f.allLogs());
  REQUIRE(step.action == BrainAction::dispatch);
  REQUIRE(step.decision->mtd);
  CHECK_FALSE(step.decision->destination);
  REQUIRE(manager->waitIdle(10));

  // Every agent got its MTD_SETUP, all for the same epoch.
  REQUIRE(f.agents.setups.size() == 5);
  const std::string epoch = f.agents.setups[0].epoch;
  for (const auto& s : f.agents.setups) CHECK(s.epoch == epoch);
  CHECK(f.logged("mtd: epoch " + epoch));

  // No MIGRATE, one MTD_MIGRATE to the source, and it names no destination.
  CHECK(f.agents.requests.empty());
  REQUIRE(f.agents.mtdOrders.size() == 1);
  const auto order = f.agents.mtdOrders[0];  // a copy: the vector grows below
  CHECK(order.container == "iperf-server");
  CHECK(order.epoch == epoch);
  CHECK(order.r.size() == 64);
  CHECK_FALSE(order.token.empty());
  auto header = roam::agent::toHeader(roam::agent::Message{order});
  std::set<std::string> keys;
  for (const auto& [k, v] : header.items()) keys.insert(k);
  CHECK(keys == std::set<std::string>{"v", "type", "migration_id", "container", "mode", "epoch",
                                      "r", "token"});
  CHECK(header.dump().find("10.0.0.") == std::string::npos);

  // The container is where the source's resolution sent it; the VIB knows it
  // from DONE only.
  const std::string moved = f.agents.containerHost["iperf-server"];
  CHECK(moved != "h2");
  auto migrations = manager->vib()->recentMigrations(10);
  REQUIRE(migrations.value().size() == 1);
  const auto& m = migrations.value()[0];
  CHECK(m.migrationId == order.migrationId);
  CHECK(m.state == "done");
  CHECK(m.source == "h2");
  CHECK(m.destination == moved);
  CHECK(m.keySeconds > 0);
  CHECK(f.logged("migration " + m.migrationId + " of iperf-server h2 -> " + moved + ": done"));
  CHECK(f.logged("key gathering"));

  // The decision, in the log and in the VIB, has no destination.
  auto log = f.decisionLog();
  REQUIRE(log.size() == 2);
  CHECK(log[0]["action"] == "dispatch");
  CHECK(log[0]["destination"].is_null());
  // The outcome line names the destination the source found.
  CHECK(log[1]["action"] == "outcome");
  CHECK(log[1]["destination"] == moved);
  CHECK(log[0]["mtd"]["scheme"] == policy.substr(0, policy.find('.')));
  auto decisions = manager->vib()->recentDecisions(10);
  REQUIRE(decisions.value().size() == 1);
  CHECK(decisions.value()[0].json["destination"].is_null());

  SECTION("the next MTD migration runs under a new epoch") {
    auto next = manager->evaluateOnce();
    INFO(next.reason << next.errors);
    REQUIRE(next.action == BrainAction::dispatch);
    REQUIRE(manager->waitIdle(10));
    REQUIRE(f.agents.setups.size() == 10);
    const std::string second = f.agents.setups[5].epoch;
    CHECK(second != epoch);
    for (std::size_t i = 5; i < 10; ++i) CHECK(f.agents.setups[i].epoch == second);
    REQUIRE(f.agents.mtdOrders.size() == 2);
    CHECK(f.agents.mtdOrders[1].epoch == second);
    CHECK(f.agents.mtdOrders[1].r != order.r);
    auto both = manager->vib()->recentMigrations(10);
    REQUIRE(both.value().size() == 2);
    CHECK(both.value()[0].source == moved);
    CHECK(both.value()[0].destination == f.agents.containerHost["iperf-server"]);
    CHECK(both.value()[0].destination != moved);
  }
}

TEST_CASE("manager: an MTD checkpoint migration keeps its mode, freeze split and memory",
          "[manager][mtd]") {
  MtdFixture f("prf.policy");
  f.agents.reportMode = "checkpoint";
  auto manager = f.make();
  auto step = manager->evaluateOnce();
  INFO(step.reason << step.errors << "\n" << f.allLogs());
  REQUIRE(step.action == BrainAction::dispatch);
  REQUIRE(manager->waitIdle(10));
  REQUIRE(f.agents.mtdOrders.size() == 1);
  CHECK(f.agents.mtdOrders[0].mode == "auto");

  auto migrations = manager->vib()->recentMigrations(10);
  REQUIRE(migrations.value().size() == 1);
  const auto& m = migrations.value()[0];
  roamtest::checkFakeCheckpointRow(m);

  auto log = f.decisionLog();
  REQUIRE(log.size() == 2);
  CHECK(log[1]["action"] == "outcome");
  CHECK(log[1]["reported_mode"] == "checkpoint");
  CHECK(log[1]["freeze_split_ms"] ==
        nlohmann::json{{"dump", 61.25}, {"transfer", 40.5}, {"restore", 18.25}, {"redirect", 3.5}});
  CHECK(log[1]["memory_bytes"] == 12345678);
}

TEST_CASE("manager: an agent that fails MTD setup fails the migration, naming it",
          "[manager][mtd]") {
  MtdFixture f("shamir.policy");
  f.agents.refuseSetup = {"10.0.0.3:7070"};
  auto manager = f.make();
  auto step = manager->evaluateOnce();
  REQUIRE(step.action == BrainAction::dispatch);
  REQUIRE(manager->waitIdle(10));

  CHECK(f.agents.mtdOrders.empty());
  CHECK(f.agents.containerHost["iperf-server"] == "h2");
  auto migrations = manager->vib()->recentMigrations(10);
  REQUIRE(migrations.value().size() == 1);
  const auto& m = migrations.value()[0];
  CHECK(m.state == "failed");
  CHECK(m.destination.empty());
  CHECK(m.error.find("MTD setup") != std::string::npos);
  CHECK(m.error.find("h3 (refused by the test)") != std::string::npos);

  SECTION("once the agent is back, the next decision sets up a fresh epoch and moves") {
    f.agents.refuseSetup.clear();
    auto next = manager->evaluateOnce();
    REQUIRE(next.action == BrainAction::dispatch);
    REQUIRE(manager->waitIdle(10));
    REQUIRE(f.agents.mtdOrders.size() == 1);
    CHECK(f.agents.containerHost["iperf-server"] != "h2");
  }
}

TEST_CASE("manager: without its private key the manager refuses MTD decisions", "[manager][mtd]") {
  MtdFixture f("prf.policy");
  f.config.certs = (f.dir.path / "no-certs").string();
  auto manager = f.make();
  auto step = manager->evaluateOnce();
  CHECK(step.action == BrainAction::suppressed);
  CHECK(step.reasonKind == "mtd");
  CHECK(step.reason.find("MTD needs the manager's private key") != std::string::npos);
  CHECK(step.reason.find("manager.key") != std::string::npos);
  CHECK(f.agents.setups.empty());
  CHECK(f.agents.mtdOrders.empty());
}

TEST_CASE("manager: after a restart an unfinished MTD migration is re-attached, not forgotten",
          "[manager][mtd]") {
  MtdFixture f("shamir.policy");
  std::string id, moved;
  {
    auto manager = f.make();
    REQUIRE(manager->evaluateOnce().action == BrainAction::dispatch);
    REQUIRE(manager->waitIdle(10));
    auto rows = manager->vib()->recentMigrations(10);
    REQUIRE(rows.value().size() == 1);
    id = rows.value()[0].migrationId;
    moved = rows.value()[0].destination;
    // As if the manager had died before DONE: the agent finished (and
    // journalled) it, the VIB still says it is under way, destination unknown.
    auto interrupted = rows.value()[0];
    interrupted.state = "transferring";
    interrupted.destination.clear();
    interrupted.finishedT.reset();
    interrupted.migrationSeconds.reset();
    REQUIRE(manager->vib()->upsertMigration(interrupted));
    // And one that no agent ever heard of (the manager died before sending it).
    auto never = interrupted;
    never.migrationId = "m-never-sent";
    never.container = "iperf-client";
    never.source = "h1";
    REQUIRE(manager->vib()->upsertMigration(never));
  }
  const auto setupsBefore = f.agents.setups.size();
  const auto ordersBefore = f.agents.mtdOrders.size();

  auto manager = f.make();  // start() reconciles both
  REQUIRE(manager->waitIdle(10));
  INFO(f.allLogs());
  CHECK(f.logged("reconciling MTD migration " + id));
  // Re-attaching needs no epoch and sends no key: no MTD_SETUP, two orders
  // that only name the migrations.
  CHECK(f.agents.setups.size() == setupsBefore);
  REQUIRE(f.agents.mtdOrders.size() == ordersBefore + 2);
  for (std::size_t i = ordersBefore; i < f.agents.mtdOrders.size(); ++i)
    CHECK(f.agents.mtdOrders[i].epoch == "rejoin");
  CHECK(manager->vib()->unfinishedMigrations().value().empty());

  auto rows = manager->vib()->recentMigrations(10);
  REQUIRE(rows.value().size() == 2);
  for (const auto& m : rows.value()) {
    if (m.migrationId == id) {
      // The agent's journal replayed DONE: the destination is known again.
      CHECK(m.state == "done");
      CHECK(m.destination == moved);
    } else {
      CHECK(m.migrationId == "m-never-sent");
      CHECK(m.state == "failed");
      CHECK(m.error.find("could not re-attach to the MTD migration") != std::string::npos);
      CHECK(m.error.find("epoch rejoin is not the current one") != std::string::npos);
    }
  }
  CHECK(f.agents.containerHost["iperf-client"] == "h1");  // nothing moved
}
