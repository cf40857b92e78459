// The paper's decisions (section V-A) on the shipped policies and example states.

#include <set>

#include <catch2/catch.hpp>

#include "lang/decision.hpp"
#include "runtime/policy_set.hpp"
#include "test_util.hpp"

using roam::test::exampleState;
using roam::test::headlines;
using roam::test::sourcePath;

namespace {

roam::lang::Decision decidePolicy(const std::string& policyFile, const std::string& stateName,
                                  std::uint64_t seed = 1,
                                  std::vector<roam::lang::ParamOverride> params = {}) {
  auto loaded = roam::runtime::PolicySet::load({sourcePath("policies/" + policyFile)});
  INFO(headlines(loaded.diagnostics));
  REQUIRE(loaded.set);
  auto found = loaded.set->find("");
  REQUIRE(found.ok());
  auto state = exampleState(stateName);
  roam::lang::DecideOptions options;
  options.seed = seed;
  options.params = std::move(params);
  auto result = roam::lang::decide(*found->policy, found->file->path, *state, options);
  INFO(headlines(result.diagnostics));
  REQUIRE(result.decision);
  return *result.decision;
}

}  // namespace

TEST_CASE("heterogeneous: bandwidth picks H4, shortest path H3, random one of H3-H5",
          "[lang][decision]") {
  auto bw = decidePolicy("load-balancing/bandwidth.policy", "paper-heterogeneous");
  CHECK(bw.triggered);
  CHECK(bw.container == "iperf-server");
  CHECK(bw.source == "h2");
  CHECK(bw.destination == "h4");
  REQUIRE(bw.candidates.size() == 3);
  CHECK(bw.candidates[0].host == "h4");
  CHECK(*bw.candidates[0].score == Approx(10e6));
  CHECK(bw.candidates[1].host == "h5");
  CHECK(bw.candidates[2].host == "h3");

  auto sp = decidePolicy("load-balancing/shortest-path.policy", "paper-heterogeneous");
  CHECK(sp.triggered);
  CHECK(sp.container == "iperf-server");
  CHECK(sp.destination == "h3");
  CHECK(*sp.candidates[0].score == 2);

  std::set<std::string> randomPicks;
  for (std::uint64_t seed = 0; seed < 40; ++seed)
    randomPicks.insert(
        *decidePolicy("load-balancing/random.policy", "paper-heterogeneous", seed).destination);
  CHECK(randomPicks == std::set<std::string>{"h3", "h4", "h5"});
}

TEST_CASE("homogeneous: shortest path still picks H3, bandwidth any of H3-H5", "[lang][decision]") {
  auto sp = decidePolicy("load-balancing/shortest-path.policy", "paper-homogeneous");
  CHECK(sp.destination == "h3");
  std::set<std::string> picks;
  for (std::uint64_t seed = 0; seed < 40; ++seed) {
    auto d = decidePolicy("load-balancing/bandwidth.policy", "paper-homogeneous", seed);
    CHECK(d.triggered);
    picks.insert(*d.destination);
  }
  CHECK(picks == std::set<std::string>{"h3", "h4", "h5"});
}

TEST_CASE("the trigger honours thresholds and sustain windows", "[lang][decision]") {
  SECTION("a threshold above the load does not fire") {
    auto d = decidePolicy("load-balancing/bandwidth.policy", "paper-heterogeneous", 1,
                          {{"threshold", "50Mbps"}});
    CHECK_FALSE(d.triggered);
    CHECK_FALSE(d.destination);
    CHECK(d.trigger.rfind("not sustained", 0) == 0);
  }
  SECTION("a window longer than the history does not fire") {
    auto d = decidePolicy("load-balancing/bandwidth.policy", "paper-heterogeneous", 1,
                          {{"sustain", "10s"}});
    CHECK_FALSE(d.triggered);
    CHECK(d.trigger.rfind("not enough history", 0) == 0);
  }
}

TEST_CASE("MTD policies fire and leave the destination to the agents", "[lang][decision]") {
  for (const char* file : {"mtd/shamir.policy", "mtd/fountain.policy", "mtd/prf.policy"}) {
    auto d = decidePolicy(file, "paper-homogeneous");
    INFO(file);
    CHECK(d.triggered);
    CHECK(d.container == "iperf-server");
    CHECK_FALSE(d.destination);
    REQUIRE(d.mtd);
    CHECK(d.candidates.size() == 4);
  }
  auto shamir = decidePolicy("mtd/shamir.policy", "paper-homogeneous", 1, {{"k", "4"}});
  CHECK(shamir.mtd->scheme == "shamir");
  CHECK(shamir.mtd->k == 4);
}

TEST_CASE("parameter overrides are checked against the declared type", "[lang][decision]") {
  auto loaded =
      roam::runtime::PolicySet::load({sourcePath("policies/load-balancing/bandwidth.policy")});
  REQUIRE(loaded.set);
  auto state = exampleState("paper-heterogeneous");
  const auto& policy = loaded.set->files()[0].policies[0];
  std::vector<roam::lang::ParamOverride> wrongUnit{{"threshold", "5s", "<param threshold>"}};
  auto r = roam::lang::resolveParams(policy, wrongUnit, *state);
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(headlines(r.diagnostics) ==
        "<param threshold>:1:1: error: parameter 'threshold' is rate, but '5s' is duration\n");
  std::vector<roam::lang::ParamOverride> unknown{{"treshold", "5Mbps", "<param treshold>"}};
  r = roam::lang::resolveParams(policy, unknown, *state);
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(
      r.diagnostics[0].message ==
      "policy 'bandwidth' has no parameter 'treshold' (parameters: threshold, sustain, interval)");
}

TEST_CASE("decision JSON has the documented keys", "[lang][decision]") {
  auto d = decidePolicy("load-balancing/bandwidth.policy", "paper-heterogeneous");
  auto j = roam::lang::decisionToJson(d);
  for (const char* key :
       {"policy", "triggered", "container", "source", "destination", "candidates", "explanation"})
    CHECK(j.contains(key));
  CHECK(j["destination"] == "h4");
  CHECK(j["candidates"][0]["host"] == "h4");
  CHECK(j["candidates"][0]["score"] == Approx(10e6));
  CHECK(j["explanation"].get<std::string>().find("-> h4") != std::string::npos);
  auto idle = decidePolicy("load-balancing/bandwidth.policy", "paper-heterogeneous", 1,
                           {{"threshold", "1Gbps"}});
  auto k = roam::lang::decisionToJson(idle);
  CHECK(k["triggered"] == false);
  CHECK(k["destination"].is_null());
  CHECK(k["container"].is_null());
}

TEST_CASE("negative windows and intervals are evaluation errors", "[lang][decision]") {
  // Constants (and a parameter's constant default) are refused by check
  // (value_error); values given to parameters when the policy runs.
  auto state = exampleState("paper-heterogeneous");
  for (const char* when : {"when { true for d }", "when every d { true }"}) {
    std::string text = std::string("policy p {\n  param d = 5s\n  ") + when +
                       "\n  which c in containers { }\n  where h in hosts { random }\n}\n";
    auto loaded = roam::runtime::PolicySet::fromSource("neg.policy", text);
    REQUIRE(loaded.set);
    roam::lang::DecideOptions options;
    options.params = {{"d", "-5s", "<param d>"}};
    auto r = roam::lang::decide(loaded.set->files()[0].policies[0], "neg.policy", *state, options);
    INFO(when);
    CHECK_FALSE(r.decision);
    REQUIRE(r.diagnostics.size() == 1);
    CHECK(r.diagnostics[0].code == "eval_error");
    CHECK(r.diagnostics[0].location.line == 3);
  }
  for (const char* when : {"when { true for -1s }", "when every -5s { true }",
                           "param d = -5s\n  when every d { true }"}) {
    std::string text = std::string("policy p {\n  ") + when +
                       "\n  which c in containers { }\n  where h in hosts { random }\n}\n";
    auto loaded = roam::runtime::PolicySet::fromSource("neg.policy", text);
    INFO(when);
    CHECK_FALSE(loaded.set);
    REQUIRE(loaded.diagnostics.size() == 1);
    CHECK(loaded.diagnostics[0].code == "value_error");
    CHECK(loaded.diagnostics[0].location.line ==
          (std::string(when).starts_with("param") ? 3u : 2u));
  }
}
