// The brain on in-memory state: triggers, which/where, the safety rules and
// what goes into the decision log.

#include <catch2/catch.hpp>

#include "file_text.hpp"
#include "lang/state_json.hpp"
#include "manager_fakes.hpp"
#include "runtime/manager/brain.hpp"

using roam::runtime::Brain;
using roam::runtime::BrainAction;
using roam::runtime::BrainOptions;

namespace {

std::shared_ptr<const roam::runtime::ActivePolicy> policy(
    const std::string& name, std::vector<roam::lang::ParamOverride> params = {}) {
  roam::runtime::PolicySource source{
      roamtest::sourcePath("policies/load-balancing/" + name + ".policy"), "", std::move(params)};
  auto loaded = roam::runtime::loadActivePolicy(source, 0);
  INFO(loaded.errors);
  REQUIRE(loaded.policy);
  return loaded.policy;
}

std::unique_ptr<roam::lang::InMemoryState> paperState(double dataAge = 0) {
  auto loaded =
      roam::lang::loadStateFile(roamtest::sourcePath("examples/states/paper-heterogeneous.json"));
  REQUIRE(loaded.state);
  if (dataAge == 0) return std::move(loaded.state);
  return std::make_unique<roam::lang::InMemoryState>(loaded.state->data(), dataAge);
}

BrainOptions options() {
  BrainOptions o;
  o.cooldownSeconds = 60;
  o.rateLimit = {2, 30};
  o.seed = 7;
  return o;
}

}  // namespace

TEST_CASE("brain: a firing policy dispatches its container to its destination",
          "[manager][brain]") {
  Brain brain(options());
  auto p = policy("bandwidth");
  auto state = paperState();
  auto step = brain.evaluate(*p, *state, 1000);
  REQUIRE(step.action == BrainAction::dispatch);
  CHECK(*step.decision->container == "iperf-server");
  CHECK(*step.decision->source == "h2");
  CHECK(*step.decision->destination == "h4");
  CHECK(step.decisionId.rfind("d-1000000-", 0) == 0);
  CHECK(step.decisionSeconds > 0);
  CHECK(brain.migrating("iperf-server"));

  // The log line carries roam eval --json's keys plus the manager's.
  const auto& log = step.logLine;
  for (const char* key :
       {"policy", "triggered", "container", "source", "destination", "candidates", "explanation",
        "decision_id", "time", "action", "policy_hash", "decision_seconds"})
    CHECK(log.contains(key));
  CHECK(log["action"] == "dispatch");
  CHECK(log["time"] == 1000);
  CHECK(log["policy_hash"].get<std::string>().rfind("sha256:", 0) == 0);

  SECTION("shortest path chooses h3 on the same state") {
    Brain other(options());
    auto sp = other.evaluate(*policy("shortest-path"), *state, 1000);
    REQUIRE(sp.action == BrainAction::dispatch);
    CHECK(*sp.decision->destination == "h3");
  }
}

TEST_CASE("brain: one migration per container, then a cooldown", "[manager][brain]") {
  Brain brain(options());
  auto p = policy("bandwidth");
  auto state = paperState();
  REQUIRE(brain.evaluate(*p, *state, 1000).action == BrainAction::dispatch);

  auto again = brain.evaluate(*p, *state, 1001);
  CHECK(again.action == BrainAction::suppressed);
  CHECK(again.reason == "container 'iperf-server' is already migrating");
  CHECK(again.logLine["action"] == "suppressed");
  CHECK(again.logLine["reason"] == again.reason);

  brain.migrationFinished("iperf-server", true, 1010);
  auto cooling = brain.evaluate(*p, *state, 1020);
  CHECK(cooling.action == BrainAction::suppressed);
  CHECK(cooling.reason.find("cooldown 50.0s left") != std::string::npos);

  CHECK(brain.evaluate(*p, *state, 1071).action == BrainAction::dispatch);
}

TEST_CASE("brain: a failed migration starts no cooldown", "[manager][brain]") {
  Brain brain(options());
  auto p = policy("bandwidth");
  auto state = paperState();
  REQUIRE(brain.evaluate(*p, *state, 1000).action == BrainAction::dispatch);
  brain.migrationFinished("iperf-server", false, 1001);
  CHECK(brain.evaluate(*p, *state, 1002).action == BrainAction::dispatch);
}

TEST_CASE("brain: the global rate limit", "[manager][brain]") {
  auto o = options();
  o.cooldownSeconds = 0;
  o.rateLimit = {2, 30};
  Brain brain(o);
  auto p = policy("bandwidth");
  auto state = paperState();
  REQUIRE(brain.evaluate(*p, *state, 1000).action == BrainAction::dispatch);
  brain.migrationFinished("iperf-server", true, 1001);
  REQUIRE(brain.evaluate(*p, *state, 1002).action == BrainAction::dispatch);
  brain.migrationFinished("iperf-server", true, 1003);
  auto limited = brain.evaluate(*p, *state, 1004);
  CHECK(limited.action == BrainAction::suppressed);
  CHECK(limited.reason == "rate limit: 2 migration(s) started in the last 30.0s (max 2)");
  // The window slides: 30 s after the first start there is room again.
  CHECK(brain.evaluate(*p, *state, 1030.5).action == BrainAction::dispatch);
}

TEST_CASE("brain: stale data does not fire the policy", "[manager][brain]") {
  auto o = options();
  o.maxDataAge = 5;
  Brain brain(o);
  auto p = policy("bandwidth");
  auto stale = paperState(/*dataAge=*/12);
  auto step = brain.evaluate(*p, *stale, 1000);
  CHECK(step.action == BrainAction::idle);
  CHECK(step.decision->trigger.find("more than the 5") != std::string::npos);
  CHECK(step.logLine.is_null());
  CHECK_FALSE(brain.migrating("iperf-server"));

  auto fresh = paperState(/*dataAge=*/2);
  CHECK(brain.evaluate(*p, *fresh, 1001).action == BrainAction::dispatch);
}

TEST_CASE("brain: a policy that does not fire is idle; dry run never dispatches",
          "[manager][brain]") {
  auto p = policy("bandwidth", {{"threshold", "1Gbps", "<param threshold>"}});
  Brain brain(options());
  auto state = paperState();
  auto idle = brain.evaluate(*p, *state, 1000);
  CHECK(idle.action == BrainAction::idle);
  CHECK_FALSE(idle.decision->triggered);

  auto o = options();
  o.dryRun = true;
  Brain dry(o);
  auto step = dry.evaluate(*policy("bandwidth"), *state, 1000);
  CHECK(step.action == BrainAction::dryRun);
  CHECK(step.logLine["action"] == "dry-run");
  CHECK_FALSE(dry.migrating("iperf-server"));
}

TEST_CASE("brain: manual migrations share the book-keeping", "[manager][brain]") {
  Brain brain(options());
  CHECK(brain.migrationStarted("web", 10));
  CHECK_FALSE(brain.migrationStarted("web", 11));
  CHECK(brain.refusal("web", 11) == "container 'web' is already migrating");
  brain.migrationFinished("web", true, 12);
  CHECK(brain.refusal("web", 13).find("cooldown") != std::string::npos);
}

TEST_CASE("brain: with every host unreachable, the suppression says which and why",
          "[manager][brain]") {
  // The paper's network with h2's switch cut off: s1-s2 and s2-s3 are down.
  auto json = nlohmann::json::parse(
      roamtest::readText(roamtest::sourcePath("examples/states/paper-heterogeneous.json")));
  nlohmann::json kept = nlohmann::json::array();
  for (const auto& link : json["links"])
    if (link["src"] != "s2" && link["dst"] != "s2") kept.push_back(link);
  json["links"] = kept;
  auto loaded = roam::lang::loadStateJson(json.dump(), "cut.json");
  REQUIRE(loaded.state);

  Brain brain(options());
  auto step = brain.evaluate(*policy("bandwidth"), *loaded.state, 1000);
  REQUIRE(step.action == BrainAction::suppressed);
  CHECK(step.reasonKind == "no-destination");
  CHECK_THAT(step.reason, Catch::Contains("found no destination for 'iperf-server'"));
  CHECK_THAT(step.reason, Catch::Contains("h4: no path from h2"));
  CHECK_THAT(step.reason, Catch::Contains("h3: no path from h2"));
}
