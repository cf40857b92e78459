#pragma once
// A manager in one process for the tests: a policy copied into a temporary
// directory (so reload tests can rewrite it), a fixed STATE.json, a real VIB
// file and decision log, five fake agents h1..h5 (10.0.0.N:7070) with the
// iperf client on h1 and the server on h2, and every log line kept.

#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "manager_fakes.hpp"
#include "runtime/manager/manager.hpp"
#include "runtime/measure/system_clock.hpp"
#include "temp_dir.hpp"

namespace roamtest {

struct ManagerFixture {
  TempDir dir;
  FakeAgents agents;
  roam::runtime::SystemClock clock;
  std::vector<std::string> logs;
  std::mutex logMutex;
  roam::runtime::ManagerConfig config;
  std::filesystem::path policyFile = dir.path / "active.policy";

  // POLICY and STATE are paths relative to the source tree.
  ManagerFixture(const std::string& prefix, const std::string& policy, const std::string& state)
      : dir(prefix) {
    writeText(policyFile, readText(sourcePath(policy)));
    config.stateFile = sourcePath(state);
    config.vib = (dir.path / "vib.sqlite").string();
    config.decisionLog = (dir.path / "decisions.jsonl").string();
    config.policy.file = policyFile.string();
    config.cooldown = 0;
    config.rateLimit = {10, 1};
    config.seed = 1;
    for (int i = 1; i <= 5; ++i) {
      std::string host = "h" + std::to_string(i);
      std::string address = "10.0.0." + std::to_string(i) + ":7070";
      config.agents.push_back({host, address, ""});
      agents.hostAt[address] = host;
    }
    agents.containerHost = {{"iperf-client", "h1"}, {"iperf-server", "h2"}};
  }

  // METRICS: counted into, when given (before start()).
  std::unique_ptr<roam::runtime::Manager> make(roam::runtime::ManagerMetrics* metrics = nullptr) {
    auto m = std::make_unique<roam::runtime::Manager>(config, agents, clock,
                                                      [this](const std::string& line) {
                                                        std::lock_guard lock(logMutex);
                                                        logs.push_back(line);
                                                      });
    if (metrics) m->setMetrics(metrics);
    auto started = m->start();
    INFO(roam::errorText(started));
    REQUIRE(started.ok());
    return m;
  }

  bool logged(const std::string& text) {
    std::lock_guard lock(logMutex);
    for (const auto& l : logs)
      if (l.find(text) != std::string::npos) return true;
    return false;
  }

  std::string allLogs() {
    std::lock_guard lock(logMutex);
    std::string out;
    for (const auto& l : logs) out += l + "\n";
    return out;
  }

  std::vector<nlohmann::json> decisionLog() {
    std::vector<nlohmann::json> lines;
    std::istringstream in(readText(config.decisionLog));
    for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
    return lines;
  }
};

}  // namespace roamtest
