// The live view's model on a STATE.json (the paper's heterogeneous scenario):
// the REPL's answers, joined into one JSON object, and the migrations' live
// phases merged into the VIB's rows.

#include <catch2/catch.hpp>

#include "runtime/web/page_model.hpp"
#include "web_fixture.hpp"

using roam::runtime::PageModel;
using roamtest::StateLiveSource;

namespace {

const nlohmann::json* byKey(const nlohmann::json& items, const char* key, const std::string& v) {
  for (const auto& i : items)
    if (i.value(key, "") == v) return &i;
  return nullptr;
}

}  // namespace

TEST_CASE("page model: topology with each link's load, containers, policy", "[web]") {
  StateLiveSource source;
  PageModel model(source);
  const auto s = model.snapshot();

  std::vector<std::string> keys;
  for (const auto& [k, v] : s.items()) keys.push_back(k);
  CHECK(keys == std::vector<std::string>{"containers", "decisions", "generated_t", "manager",
                                         "migrations", "policy", "topology"});
  CHECK(s["generated_t"].get<double>() > 1.7e9);
  CHECK(s["manager"]["describe"].get<std::string>().find("paper-heterogeneous.json") !=
        std::string::npos);

  const auto& topo = s["topology"];
  CHECK(topo["error"].is_null());
  CHECK(topo["switches"].size() == 5);
  REQUIRE(topo["hosts"].size() == 5);
  const auto* h2 = byKey(topo["hosts"], "name", "h2");
  REQUIRE(h2);
  CHECK((*h2)["switch"] == "s2");
  CHECK((*h2)["capacity_bps"] == 100e6);
  // The iperf3 flow into h2 (~9.5 Mbps), as the REPL's `bandwidth` shows it.
  CHECK((*h2)["bandwidth_bps"].get<double>() > 9e6);
  CHECK((*h2)["utilization"].get<double>() ==
        Approx((*h2)["rx_bps"].get<double>() / 100e6).epsilon(0.2));
  CHECK((*h2)["containers"] == nlohmann::json{"iperf-server"});
  REQUIRE(topo["links"].size() == 4);
  const auto& s1s2 = topo["links"][0];
  CHECK(s1s2["src"] == "s1");
  CHECK(s1s2["dst"] == "s2");
  CHECK(s1s2["capacity_bps"] == 100e6);
  CHECK(s1s2["bandwidth_bps"].get<double>() > 9e6);
  CHECK(s1s2["utilization"].is_number());
  CHECK(topo["measured_t"].is_number());

  REQUIRE(s["containers"].size() == 2);
  const auto* server = byKey(s["containers"], "name", "iperf-server");
  REQUIRE(server);
  CHECK((*server)["host"] == "h2");
  CHECK((*server)["migrating"] == false);

  CHECK(s["policy"]["policy"] == "bandwidth");
  CHECK(s["policy"]["file"].get<std::string>().find("bandwidth.policy") != std::string::npos);
  CHECK(s["policy"]["content_hash"].get<std::string>().rfind("sha256:", 0) == 0);
  CHECK(s["policy"]["source"].get<std::string>().find("policy bandwidth") != std::string::npos);

  CHECK(s["decisions"] == nlohmann::json::array());
  CHECK(s["migrations"] == nlohmann::json::array());
}

TEST_CASE("page model: decisions as logged; migrations with their live phases", "[web]") {
  StateLiveSource source;
  nlohmann::json decision = {
      {"decision_id", "d-2"}, {"action", "dispatch"}, {"container", "iperf-server"},
      {"source", "h2"},       {"destination", "h4"},  {"explanation", "h4 has the widest path"},
      {"time", 100.0}};
  source.backend->decisions = {decision};
  // The VIB's row of the running migration is a second old; the board knows more.
  auto row = roam::runtime::migrationToJson(roamtest::migrationRecord("m-1", 100));
  row["state"] = "transferring";
  row["bytes_sent"] = 10;
  auto done = roamtest::migrationRecord("m-0", 50);
  done.state = "done";
  done.finishedT = 52;
  done.rounds = 3;
  source.backend->migrations = {row, roam::runtime::migrationToJson(done)};
  source.board.started(roamtest::migrationRecord("m-1", 100), 100);
  source.board.progressed("m-1", "precopy", 0, 0, 0, 100.5);
  source.board.progressed("m-1", "precopy", 600, 1000, 2e6, 100.8);
  // Started a moment ago, not yet in the VIB.
  auto fresh = roamtest::migrationRecord("m-2", 101);
  fresh.container = "iperf-client";
  fresh.source = "h1";
  source.board.started(fresh, 101);

  PageModel model(source);
  const auto s = model.snapshot();
  CHECK(s["decisions"] == nlohmann::json::array({decision}));

  const auto& ms = s["migrations"];
  REQUIRE(ms.size() == 3);
  CHECK(ms[0]["migration_id"] == "m-2");
  CHECK(ms[0]["state"] == "dispatched");
  CHECK(ms[1]["migration_id"] == "m-1");
  CHECK(ms[1]["state"] == "transferring");
  CHECK(ms[1]["phase"] == "precopy");
  CHECK(ms[1]["bytes_sent"] == 600);
  CHECK(ms[1]["bytes_total"] == 1000);
  CHECK(ms[1]["precopy_rounds"] == 1);
  CHECK(ms[1]["rate_bps"] == 2e6);
  CHECK(ms[1]["timeline"].size() == 2);
  CHECK(ms[1]["decision_id"] == "d-1");  // the VIB's columns stay
  // Known only from the VIB (before a restart, say): its state as the phase.
  CHECK(ms[2]["migration_id"] == "m-0");
  CHECK(ms[2]["phase"] == "done");
  CHECK(ms[2]["rounds"] == 3);
  CHECK(ms[2]["timeline"] == nlohmann::json::array());

  const auto* server = byKey(s["containers"], "name", "iperf-server");
  const auto* client = byKey(s["containers"], "name", "iperf-client");
  REQUIRE(server);
  REQUIRE(client);
  CHECK((*server)["migrating"] == true);
  CHECK((*client)["migrating"] == true);
}

TEST_CASE("page model: no policy and no state say why; nothing is changed", "[web]") {
  StateLiveSource source;
  // A state backend without a policy.
  auto made = roam::runtime::makeStateBackend(
      roamtest::sourceFile("examples/states/paper-heterogeneous.json"), {});
  REQUIRE(made.ok());
  source.backend = std::make_unique<roamtest::HistoryBackend>(std::move(*made));
  PageModel model(source);
  auto s = model.snapshot();
  CHECK(s["policy"] == nlohmann::json{{"error", "no policy is loaded"}});
  CHECK(s["topology"]["hosts"].size() == 5);
  CHECK(source.backend->mutations == 0);
}
