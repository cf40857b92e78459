// The live view's model looking into a real manager (fixed state, fake
// agents): a decision, the migration while it runs with the phases the
// source reports, and after it, the container on its new host.

#include <catch2/catch.hpp>

#include "manager_fixture.hpp"
#include "runtime/manager/manager_live_source.hpp"
#include "runtime/web/page_model.hpp"

using roam::runtime::BrainAction;

TEST_CASE("manager live view: decisions and a migration's phases, live and after",
          "[manager][web]") {
  roamtest::ManagerFixture f("roam-live-view", "policies/load-balancing/bandwidth.policy",
                             "examples/states/paper-heterogeneous.json");
  auto manager = f.make();
  roam::runtime::ManagerLiveSource source(*manager);
  roam::runtime::PageModel model(source);

  const auto before = source.changeCount();
  nlohmann::json during;
  f.agents.afterProgress = [&](const std::string& phase) {
    if (phase == "precopy") during = model.snapshot();
  };
  auto step = manager->evaluateOnce();
  REQUIRE(step.action == BrainAction::dispatch);
  REQUIRE(manager->waitIdle(5));
  CHECK(source.changeCount() > before);

  // While it ran: in flight, in its pre-copy phase, its container marked.
  REQUIRE(during.is_object());
  REQUIRE(during["migrations"].size() == 1);
  const auto& m = during["migrations"][0];
  CHECK(m["state"] == "transferring");
  CHECK(m["phase"] == "precopy");
  CHECK(m["precopy_rounds"] == 1);
  CHECK(m["bytes_sent"] == 50);
  CHECK(m["bytes_total"] == 100);
  CHECK(m["destination"] == "h4");
  bool marked = false;
  for (const auto& c : during["containers"])
    if (c["name"] == "iperf-server") marked = c["migrating"].get<bool>();
  CHECK(marked);

  const auto after = model.snapshot();
  REQUIRE(after["decisions"].size() == 1);
  CHECK(after["decisions"][0]["decision_id"] == step.decisionId);
  CHECK(after["decisions"][0]["action"] == "dispatch");
  CHECK(after["decisions"][0]["explanation"].get<std::string>().size() > 0);
  REQUIRE(after["migrations"].size() == 1);
  const auto& done = after["migrations"][0];
  CHECK(done["state"] == "done");
  CHECK(done["freeze_ms"] == 123.5);
  CHECK(done["rounds"] == 2);
  std::vector<std::string> phases;
  for (const auto& s : done["timeline"]) phases.push_back(s["phase"]);
  CHECK(phases == std::vector<std::string>{"dispatched", "precopy", "serving", "done"});
  for (const auto& c : after["containers"])
    if (c["name"] == "iperf-server") {
      CHECK(c["host"] == "h4");
      CHECK(c["migrating"] == false);
    }
  CHECK(after["policy"]["policy"] == "bandwidth");
  CHECK(after["topology"]["hosts"].size() == 5);
}
