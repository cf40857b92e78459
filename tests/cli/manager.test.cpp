// `roam manager` as a program: flag and configuration errors, and a bounded
// dry run on a fixed state that writes its decision log and stops by itself.
// (Real agents and migrations: tests/integration/manager_e2e.py.)

#include <sstream>
#include <string>

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include "cli/run_command.hpp"
#include "temp_dir.hpp"

namespace {

using roamtest::roam;
using roamtest::Run;

const std::string kState = " --state examples/states/paper-heterogeneous.json";

}  // namespace

TEST_CASE("roam manager: a bounded dry run decides and logs", "[cli][manager]") {
  roamtest::TempDir dir("roam-manager-cli");
  const std::string log = (dir.path / "decisions.jsonl").string();
  Run r = roam("manager --policy policies/load-balancing/shortest-path.policy" + kState +
               " --dry-run --duration 1500ms --interval 200ms --vib " +
               (dir.path / "vib.sqlite").string() + " --admin-socket " +
               (dir.path / "m.sock").string() + " --decision-log " + log);
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(r.err.find("load (start): policy shortest-path from ") != std::string::npos);
  CHECK(r.err.find("dry-run iperf-server h2 -> h3") != std::string::npos);
  CHECK(r.err.find("manager: stopped") != std::string::npos);

  std::istringstream lines(roamtest::slurp(log));
  std::string first;
  REQUIRE(std::getline(lines, first));
  auto d = nlohmann::json::parse(first);
  CHECK(d["action"] == "dry-run");
  CHECK(d["destination"] == "h3");
  CHECK(d["policy"] == "shortest-path");
}

TEST_CASE("roam manager: --web serves the live view on loopback, elsewhere only with TLS",
          "[cli][manager][web]") {
  roamtest::TempDir dir("roam-manager-web");
  const std::string common = "manager --policy policies/load-balancing/bandwidth.policy" + kState +
                             " --dry-run --duration 1s --vib " +
                             (dir.path / "vib.sqlite").string() + " --admin-socket " +
                             (dir.path / "m.sock").string();
  Run served = roam(common + " --web 127.0.0.1:0");
  INFO(served.err);
  CHECK(served.status == 0);
  CHECK(served.err.find("manager: live view at http://127.0.0.1:") != std::string::npos);

  Run refused = roam(common + " --web 0.0.0.0:8470 --certs " + (dir.path / "none").string());
  CHECK(refused.status == 2);
  CHECK(refused.err.find("error: --web 0.0.0.0:8470 is not a loopback address, so the live view "
                         "is served only over mutual TLS") != std::string::npos);
  CHECK(refused.err.find("live view at") == std::string::npos);

  Run bad = roam(common + " --web nowhere");
  CHECK(bad.status == 2);
  CHECK(bad.err.find("error: --web expects PORT or ADDR:PORT, got 'nowhere'") != std::string::npos);
}

TEST_CASE("roam manager: mistakes are located", "[cli][manager]") {
  roamtest::TempDir dir("roam-manager-cli");

  Run none = roam("manager" + kState);
  CHECK(none.status == 2);
  CHECK(none.err.find("error: no policy: give --policy FILE") != std::string::npos);

  Run badParam =
      roam("manager --policy policies/load-balancing/bandwidth.policy" + kState +
           " --param nope=1 --dry-run --duration 1s --vib " + (dir.path / "v.sqlite").string());
  CHECK(badParam.status == 1);
  CHECK(badParam.err.find("policy 'bandwidth' has no parameter 'nope'") != std::string::npos);

  Run badInterval =
      roam("manager --policy policies/load-balancing/bandwidth.policy --interval soon");
  CHECK(badInterval.status == 2);
  CHECK(badInterval.err.find(":1:") != std::string::npos);
  CHECK(badInterval.err.find("error: expected a duration such as 1s, 500ms or 2min, got 'soon'") !=
        std::string::npos);

  Run badAgent = roam("manager --policy policies/load-balancing/bandwidth.policy --agent h1");
  CHECK(badAgent.status == 2);
  CHECK(badAgent.err.find("error: --agent expects NAME=HOST:PORT, got 'h1'") != std::string::npos);

  const std::string config = (dir.path / "m.jsonc").string();
  roamtest::shell("printf '{\\n  \"brain\": {\"cooldown\": \"x\"}\\n}\\n' > " + config);
  Run badConfig = roam("manager --config " + config);
  CHECK(badConfig.status == 1);
  CHECK(badConfig.err.find(config + ":2:13: error: 'brain.cooldown' must be a duration") !=
        std::string::npos);
}
