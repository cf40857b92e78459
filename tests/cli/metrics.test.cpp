// `--metrics ADDR:PORT` of the real `roam manager` and `roam agent`: a bad
// address is a located command-line mistake; the manager's /metrics, fetched
// while it runs a dry run, passes `promtool check metrics` (the agent's is
// checked in tests/agent/daemon/agent_metrics.test.cpp, the daemon needing
// an engine; both on the testbed by testbed/experiment --prometheus).

#include <signal.h>

#include <chrono>
#include <string>
#include <thread>

#include <curl/curl.h>
#include <catch2/catch.hpp>

#include "cli/run_command.hpp"
#include "http_client.hpp"
#include "metrics_text.hpp"
#include "temp_dir.hpp"

namespace {

using roamtest::Run;

const std::string kManager =
    "manager --policy policies/load-balancing/shortest-path.policy"
    " --state examples/states/paper-heterogeneous.json --dry-run";

// The status stays 0 when no HTTP answer came (the manager not serving yet).
std::string fetch(const std::string& url, long* status) {
  auto reply = roamtest::httpRequest(url, {.timeoutSeconds = 5});
  *status = reply.code == CURLE_OK ? reply.status : 0;
  return reply.body;
}

}  // namespace

TEST_CASE("roam manager and agent: a bad --metrics address is located", "[cli][metrics]") {
  Run manager = roamtest::roam(kManager + " --duration 1s --metrics 127.0.0.1:http");
  CHECK(manager.status == 2);
  CHECK(manager.err.find("<command-line>:1:") == 0);
  CHECK(manager.err.find("error: --metrics expected ADDR:PORT (the port must be a number from 0 "
                         "to 65535), got '127.0.0.1:http'") != std::string::npos);

  Run agent = roamtest::roam("agent --certs /nonexistent --metrics example.org:9100");
  CHECK(agent.status == 2);
  CHECK(agent.err.find("<command-line>:1:") == 0);
  CHECK(agent.err.find("error: --metrics expected ADDR:PORT ('example.org' is not a numeric "
                       "IPv4 address), got 'example.org:9100'") != std::string::npos);
}

TEST_CASE("roam manager --metrics serves /metrics that promtool accepts", "[cli][metrics]") {
  roamtest::TempDir dir("roam-manager-metrics");
  const auto err = (dir.path / "stderr").string();
  // In the background, its pid on stdout.
  Run started = roamtest::roam(kManager + " --interval 100ms --duration 20s --vib " +
                               (dir.path / "vib.sqlite").string() + " --admin-socket " +
                               (dir.path / "m.sock").string() +
                               " --metrics 127.0.0.1:0 >/dev/null 2>" + err + " & echo $!");
  const int pid = std::stoi(started.out);
  std::string url;
  for (int i = 0; i < 200 && url.empty(); ++i) {
    auto text = roamtest::slurp(err);
    if (auto at = text.find("metrics at "); at != std::string::npos) {
      auto end = text.find('\n', at);
      url = text.substr(at + 11, end - at - 11);
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  INFO(roamtest::slurp(err));
  REQUIRE(url.starts_with("http://127.0.0.1:"));
  REQUIRE(url.ends_with("/metrics"));

  // A few evaluations later.
  std::string body;
  long status = 0;
  for (int i = 0; i < 100; ++i) {
    body = fetch(url, &status);
    auto decisions = roamtest::sampleIn(
        body, "roam_decisions_total{policy=\"shortest-path\",outcome=\"dry-run\"}");
    if (decisions && *decisions >= 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  long missing = 0;
  fetch(url.substr(0, url.size() - 8) + "/nothing", &missing);
  ::kill(pid, SIGTERM);
  CHECK(status == 200);
  CHECK(missing == 404);
  INFO(body);
  CHECK(
      roamtest::sampleIn(body, "roam_decisions_total{policy=\"shortest-path\",outcome=\"dry-run\"}")
          .value_or(0) >= 1);
  CHECK(roamtest::sampleIn(body, "roam_build_info{version=\"0.1.0\"}") == 1);
  auto checked = roamtest::promtoolCheck(body);
  INFO(checked.output);
  CHECK(checked.status == 0);
  CHECK(checked.output.empty());
  // It stops on SIGTERM like without --metrics.
  for (int i = 0; i < 100 && ::kill(pid, 0) == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(roamtest::slurp(err).find("manager: stopped") != std::string::npos);
}
