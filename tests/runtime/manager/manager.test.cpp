// The manager end to end inside one process: a fixed STATE.json, a real VIB
// file, the real brain and reloader, and fake agents (the real ones are in
// tests/integration/manager_e2e.py).

#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include "manager_fixture.hpp"
#include "runtime/manager/manager.hpp"
#include "runtime/manager/manager_repl_backend.hpp"
#include "runtime/manager/redirector.hpp"
#include "runtime/measure/system_clock.hpp"
#include "runtime/repl/repl_session.hpp"
#include "temp_dir.hpp"

using roam::runtime::BrainAction;
using roam::runtime::Manager;
using roam::runtime::ManagerConfig;

namespace {

struct Fixture : roamtest::ManagerFixture {
  Fixture()
      : ManagerFixture("roam-manager", "policies/load-balancing/bandwidth.policy",
                       "examples/states/paper-heterogeneous.json") {}
};

// The one migration the manager has recorded.
roam::runtime::MigrationRecord onlyMigration(Manager& manager) {
  auto migrations = manager.vib()->recentMigrations(10);
  REQUIRE(migrations.value().size() == 1);
  return migrations.value()[0];
}

// Replaces the policy file's text with the shortest-path policy (reload not included).
void writeShortestPath(const Fixture& f) {
  roamtest::writeText(
      f.policyFile,
      roamtest::readText(roamtest::sourcePath("policies/load-balancing/shortest-path.policy")));
}

}  // namespace

TEST_CASE("manager: the policy fires, the container moves, history is kept", "[manager]") {
  Fixture f;
  auto manager = f.make();
  auto step = manager->evaluateOnce();
  REQUIRE(step.action == BrainAction::dispatch);
  REQUIRE(manager->waitIdle(5));

  REQUIRE(f.agents.requests.size() == 1);
  const auto& request = f.agents.requests[0];
  CHECK(request.container == "iperf-server");
  CHECK(request.destination == "10.0.0.4:7070");  // h4's agent
  CHECK(request.mode == "auto");
  CHECK(f.agents.containerHost["iperf-server"] == "h4");

  // Two lines keyed by one decision_id: the dispatch, then its outcome.
  auto log = f.decisionLog();
  REQUIRE(log.size() == 2);
  CHECK(log[0]["decision_id"] == step.decisionId);
  CHECK(log[0]["destination"] == "h4");
  CHECK(log[0]["action"] == "dispatch");
  CHECK(log[1]["decision_id"] == step.decisionId);
  CHECK(log[1]["action"] == "outcome");
  CHECK(log[1]["result"] == "success");
  CHECK(log[1]["migration_id"] == request.migrationId);
  CHECK(log[1]["destination"] == "h4");
  CHECK(log[1]["freeze_ms"] == 123.5);
  CHECK(log[1]["round_count"] == 2);
  REQUIRE(log[1]["rounds"].size() == 2);
  CHECK(log[1]["rounds"][1] ==
        nlohmann::json{{"round", 2}, {"frozen", true}, {"bytes", 10}, {"seconds", 0.004}});
  CHECK(log[1]["time"].get<double>() >= log[0]["time"].get<double>());

  auto decisions = manager->vib()->recentDecisions(10);
  REQUIRE(decisions.value().size() == 1);
  CHECK(decisions.value()[0].id == step.decisionId);

  const auto m = onlyMigration(*manager);
  CHECK(m.migrationId == request.migrationId);
  CHECK(m.decisionId == step.decisionId);
  CHECK(m.state == "done");
  CHECK(m.source == "h2");
  CHECK(m.destination == "h4");
  CHECK(m.bytesSent == 100);
  // The pre-copy numbers of the source's DONE, kept in the VIB.
  CHECK(m.freezeMs == Approx(123.5));
  CHECK(m.rounds == 2);
  CHECK(m.totalSeconds == Approx(0.02));
  CHECK(roam::runtime::migrationToJson(m)["freeze_ms"] == 123.5);
  // Asked for auto, ran as the DONE says; a snapshot migration has no split.
  CHECK(m.mode == "auto");
  CHECK(m.reportedMode == "snapshot");
  CHECK(m.dumpMs == 0);
  CHECK(m.memoryBytes == 0);
  CHECK(log[1]["mode"] == "auto");
  CHECK(log[1]["reported_mode"] == "snapshot");
  CHECK_FALSE(log[1].contains("freeze_split_ms"));
  CHECK_FALSE(log[1].contains("memory_bytes"));
  CHECK(m.decisionSeconds == Approx(step.decisionSeconds));
  REQUIRE(m.migrationSeconds);
  CHECK(*m.migrationSeconds >= 0);
  CHECK(m.finishedT);
  CHECK(f.logged("migration " + m.migrationId + " of iperf-server h2 -> h4: done"));

  // The agents now report the server on h4, which the fixed state does not
  // show as overloaded: the server is not chosen again.
  auto next = manager->evaluateOnce();
  INFO(next.logLine.dump());
  CHECK(next.decision->container != std::optional<std::string>("iperf-server"));
}

TEST_CASE("manager: a checkpoint migration's mode, freeze split and memory are kept", "[manager]") {
  Fixture f;
  f.agents.reportMode = "checkpoint";
  auto manager = f.make();
  auto step = manager->evaluateOnce();
  REQUIRE(step.action == BrainAction::dispatch);
  REQUIRE(manager->waitIdle(5));
  REQUIRE(f.agents.requests.size() == 1);
  CHECK(f.agents.requests[0].mode == "auto");

  // The VIB's row: what the source's DONE said, column by column.
  const auto m = onlyMigration(*manager);
  roamtest::checkFakeCheckpointRow(m);

  // The decision log's outcome line, in `roam migrate --json`'s shape.
  auto log = f.decisionLog();
  REQUIRE(log.size() == 2);
  CHECK(log[1]["action"] == "outcome");
  CHECK(log[1]["decision_id"] == step.decisionId);
  CHECK(log[1]["mode"] == "auto");
  CHECK(log[1]["reported_mode"] == "checkpoint");
  CHECK(log[1]["freeze_ms"] == 123.5);
  CHECK(log[1]["freeze_split_ms"] ==
        nlohmann::json{{"dump", 61.25}, {"transfer", 40.5}, {"restore", 18.25}, {"redirect", 3.5}});
  CHECK(log[1]["memory_bytes"] == 12345678);

  // The manager's own log line and its REPL's `migrations` show them too.
  INFO(f.allLogs());
  CHECK(
      f.logged("checkpoint freeze 124 ms: dump 61 + transfer 40 + restore 18 + redirect 4 ms, "
               "12345678 bytes of memory"));
  roam::runtime::ManagerReplBackend backend(*manager);
  roam::runtime::ReplSession session(backend);
  auto reply = session.execute("migrations");
  INFO(reply.text);
  REQUIRE(reply.json["migrations"].size() == 1);
  CHECK(reply.json["migrations"][0]["reported_mode"] == "checkpoint");
  CHECK(reply.json["migrations"][0]["freeze_split_ms"]["transfer"] == 40.5);
  CHECK(reply.json["migrations"][0]["memory_bytes"] == 12345678);
  CHECK(reply.text.find(" checkpoint ") != std::string::npos);
  CHECK(reply.text.find(
            "123.5 ms (dump 61.25 ms + transfer 40.5 ms + restore 18.25 ms + redirect 3.5 ms)") !=
        std::string::npos);
  CHECK(reply.text.find("12.3457 MB") != std::string::npos);
}

TEST_CASE("manager: a failed migration is recorded with the agent's reason", "[manager]") {
  Fixture f;
  f.agents.failWith = "destination engine refused the image";
  auto manager = f.make();
  REQUIRE(manager->evaluateOnce().action == BrainAction::dispatch);
  REQUIRE(manager->waitIdle(5));
  const auto m = onlyMigration(*manager);
  CHECK(m.state == "failed");
  CHECK(m.error == "destination engine refused the image");
  CHECK(f.agents.containerHost["iperf-server"] == "h2");
  auto log = f.decisionLog();
  REQUIRE(log.size() == 2);
  CHECK(log[1]["action"] == "outcome");
  CHECK(log[1]["result"] == "failure");
  CHECK(log[1]["error"] == "destination engine refused the image");
  CHECK(log[1]["decision_id"] == log[0]["decision_id"]);
}

TEST_CASE("manager: a host without an agent fails the migration clearly", "[manager]") {
  Fixture f;
  std::erase_if(f.config.agents, [](const auto& a) { return a.name == "h4"; });
  auto manager = f.make();
  REQUIRE(manager->evaluateOnce().action == BrainAction::dispatch);
  REQUIRE(manager->waitIdle(5));
  const auto m = onlyMigration(*manager);
  CHECK(m.state == "failed");
  CHECK(m.error == "no agent configured for host 'h4' (configuration: agents)");
  CHECK(f.agents.requests.empty());
}

TEST_CASE("manager: dry run decides and logs but never dispatches", "[manager]") {
  Fixture f;
  f.config.dryRun = true;
  auto manager = f.make();
  CHECK(manager->evaluateOnce().action == BrainAction::dryRun);
  CHECK(f.agents.requests.empty());
  auto log = f.decisionLog();
  REQUIRE(log.size() == 1);
  CHECK(log[0]["action"] == "dry-run");
}

TEST_CASE("manager: hot reload switches decisions; a bad version keeps the old one",
          "[manager][reload]") {
  Fixture f;
  f.config.dryRun = true;
  auto manager = f.make();
  REQUIRE(*manager->evaluateOnce().decision->destination == "h4");

  writeShortestPath(f);
  auto good = manager->reload("test", /*configToo=*/false);
  REQUIRE(good.ok);
  CHECK(manager->activePolicy()->policy->name == "shortest-path");
  CHECK(*manager->evaluateOnce().decision->destination == "h3");

  roamtest::writeText(f.policyFile, "policy broken {\n  when every 1s { count(hosts) > }\n}\n");
  auto bad = manager->reload("test", false);
  CHECK_FALSE(bad.ok);
  CHECK(bad.errors.find(f.policyFile.string() + ":2:") != std::string::npos);
  CHECK(bad.errors.find("error:") != std::string::npos);
  CHECK(manager->activePolicy()->policy->name == "shortest-path");
  CHECK(*manager->evaluateOnce().decision->destination == "h3");
}

TEST_CASE("manager: a reload while a migration is in flight leaves it alone", "[manager][reload]") {
  Fixture f;
  f.agents.hold = true;
  auto manager = f.make();
  REQUIRE(manager->evaluateOnce().action == BrainAction::dispatch);
  REQUIRE(f.agents.waitHeld());

  writeShortestPath(f);
  REQUIRE(manager->reload("test", false).ok);
  // The new policy would send it to h3, but it is migrating (to h4) already.
  auto during = manager->evaluateOnce();
  CHECK(during.action == BrainAction::suppressed);
  CHECK(during.reason == "container 'iperf-server' is already migrating");

  f.agents.release();
  REQUIRE(manager->waitIdle(5));
  const auto m = onlyMigration(*manager);
  CHECK(m.state == "done");
  CHECK(m.destination == "h4");
  CHECK(f.agents.containerHost["iperf-server"] == "h4");
}

TEST_CASE("manager: a restarted manager reconciles unfinished migrations", "[manager]") {
  Fixture f;
  std::string id;
  {
    f.agents.hold = true;
    auto manager = f.make();
    REQUIRE(manager->evaluateOnce().action == BrainAction::dispatch);
    REQUIRE(f.agents.waitHeld());
    id = f.agents.requests[0].migrationId;
    manager->stop();  // abandons the wait; the (fake) agent keeps the migration
    REQUIRE(manager->waitIdle(5));
    auto rows = manager->vib()->unfinishedMigrations();
    REQUIRE(rows.value().size() == 1);
    CHECK(rows.value()[0].note.find("reconciled at the next start") != std::string::npos);
  }
  f.agents.hold = false;
  auto manager = f.make();  // start() re-sends the same MIGRATE
  REQUIRE(manager->waitIdle(5));
  REQUIRE(f.agents.requests.size() == 2);
  CHECK(f.agents.requests[1].migrationId == id);
  CHECK(f.logged("reconciling migration " + id));
  const auto m = onlyMigration(*manager);
  CHECK(m.state == "done");
  CHECK(manager->vib()->unfinishedMigrations().value().empty());
}

TEST_CASE("manager: manual migration through the manager", "[manager]") {
  Fixture f;
  auto manager = f.make();
  auto bad = manager->migrateManually("nope", "h3");
  CHECK(roam::errorText(bad) == "no container 'nope' in the current state");
  CHECK(roam::errorText(manager->migrateManually("iperf-server", "h2")) ==
        "'iperf-server' already runs on h2");
  auto ok = manager->migrateManually("iperf-server", "h5");
  REQUIRE(ok.ok());
  REQUIRE(manager->waitIdle(5));
  CHECK(f.agents.containerHost["iperf-server"] == "h5");
  const auto m = onlyMigration(*manager);
  CHECK(m.migrationId == *ok);
  CHECK(m.policy == "manual");
}

namespace {

class FakeRedirector final : public roam::runtime::Redirector {
 public:
  std::vector<roam::runtime::Redirect> redirects;
  std::vector<std::string> cleared;
  std::chrono::milliseconds delay{0};  // how long installing the rules takes
  // As the interface promises: a target at home only removes the rules.
  roam::Status redirect(const roam::runtime::Redirect& r) override {
    std::this_thread::sleep_for(delay);
    if (r.target.ip == r.home.ip) return clear(r.container, r.dpids);
    redirects.push_back(r);
    return {};
  }
  roam::Status clear(const std::string& container, const std::vector<std::string>&) override {
    cleared.push_back(container);
    return {};
  }
};

}  // namespace

TEST_CASE("manager: agents reached over a management network migrate over the data network",
          "[manager]") {
  Fixture f;
  for (auto& agent : f.config.agents) {
    agent.dataAddress = agent.address;  // 10.0.0.N: the data network the policy measured
    agent.address = "192.168.77." + agent.name.substr(1) + ":7070";
    f.agents.hostAt[agent.address] = agent.name;
  }
  auto manager = f.make();
  REQUIRE(manager->evaluateOnce().action == BrainAction::dispatch);
  REQUIRE(manager->waitIdle(5));
  REQUIRE(f.agents.requests.size() == 1);
  CHECK(f.agents.requests[0].destination == "10.0.0.4:7070");
  CHECK(f.agents.containerHost["iperf-server"] == "h4");
}

TEST_CASE("manager: a moved container's home address is redirected, and cleared back home",
          "[manager][redirect]") {
  Fixture f;
  auto manager = f.make();
  FakeRedirector redirector;
  redirector.delay = std::chrono::milliseconds(30);
  manager->setRedirector(&redirector);
  // Redirected as soon as the destination serves, before the source's DONE.
  std::size_t redirectsWhenServing = 0;
  f.agents.afterProgress = [&](const std::string& phase) {
    if (phase == "serving") redirectsWhenServing = redirector.redirects.size();
  };
  REQUIRE(manager->evaluateOnce().action == BrainAction::dispatch);
  REQUIRE(manager->waitIdle(5));
  CHECK(redirectsWhenServing == 1);
  REQUIRE(redirector.redirects.size() == 1);
  const auto& r = redirector.redirects[0];
  CHECK(r.container == "iperf-server");
  CHECK(r.home.ip == "10.0.0.2");    // h2, where clients address it
  CHECK(r.target.ip == "10.0.0.4");  // h4
  CHECK(r.dpids.size() == 5);        // every switch of the state
  CHECK(f.logged("redirect iperf-server: traffic for h2 (10.0.0.2) now reaches h4 (10.0.0.4)"));
  // The rules' installation is the migration's redirection time (no address
  // of its own moved: the fake agents' DONE reports none).
  CHECK(onlyMigration(*manager).redirectMs >= 30);

  // Moving on keeps the home; moving back home removes the rules.
  REQUIRE(manager->migrateManually("iperf-server", "h5").ok());
  REQUIRE(manager->waitIdle(5));
  REQUIRE(redirector.redirects.size() == 2);
  CHECK(redirector.redirects[1].home.ip == "10.0.0.2");
  CHECK(redirector.redirects[1].target.ip == "10.0.0.5");
  REQUIRE(manager->migrateManually("iperf-server", "h2").ok());
  REQUIRE(manager->waitIdle(5));
  CHECK(redirector.cleared == std::vector<std::string>{"iperf-server"});
}

TEST_CASE("manager: a container with its own service address gets no rewrite rules",
          "[manager][redirect]") {
  Fixture f;
  auto state = nlohmann::json::parse(
      roamtest::readText(roamtest::sourcePath("examples/states/paper-heterogeneous.json")));
  for (auto& c : state["containers"])
    if (c["name"] == "iperf-server") c["labels"]["roam.address"] = "10.0.1.5";
  const auto stateFile = f.dir.path / "state-with-address.json";
  roamtest::writeText(stateFile, state.dump());
  f.config.stateFile = stateFile.string();
  // The agents report where containers run, with their labels.
  f.agents.containerLabels["iperf-server"] = {{"app", "iperf"}, {"roam.address", "10.0.1.5"}};
  auto manager = f.make();
  FakeRedirector redirector;
  manager->setRedirector(&redirector);
  REQUIRE(manager->evaluateOnce().action == BrainAction::dispatch);
  REQUIRE(manager->waitIdle(5));
  CHECK(f.agents.containerHost["iperf-server"] == "h4");
  // The agents move the address; the switches keep forwarding by MAC.
  CHECK(redirector.redirects.empty());
  CHECK(redirector.cleared.empty());
  CHECK(
      f.logged("redirect iperf-server: its service address 10.0.1.5 moved with it to h4; no "
               "rewrite rules"));
}
