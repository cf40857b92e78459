#pragma once
// Four real agents in this process (h1..h4), each a daemon on 127.0.0.1 with
// its own certificate and io_context thread, all pointing at the shared test
// engine (they need one to start). Certificates for "manager" and "cli" too.
// Used by the agent-to-agent tests (MTD, latency probes).

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "agent/client/agent_request.hpp"
#include "agent/daemon/agent.hpp"
#include "agent/tls/certificates.hpp"
#include "engine_fixture.hpp"
#include "temp_dir.hpp"

namespace roamtest {

inline const std::vector<std::string> kHosts = {"h1", "h2", "h3", "h4"};

// The four agents, each with its own io_context thread.
struct LocalAgents {
  TempDir dir;
  std::map<std::string, std::unique_ptr<roam::agent::asio::io_context>> io;
  std::map<std::string, std::unique_ptr<roam::agent::Agent>> agents;
  std::vector<std::thread> threads;
  std::map<std::string, std::string> address;
  std::vector<std::string> logs;
  std::mutex logMutex;

  LocalAgents() {
    auto& engine = roam::test::TestEngine::get();
    REQUIRE(roam::agent::initAuthority(dir.path / "certs").ok());
    for (const auto& name : kHosts)
      REQUIRE(roam::agent::issueCertificate(dir.path / "certs", name, {"127.0.0.1"}).ok());
    REQUIRE(roam::agent::issueCertificate(dir.path / "certs", "manager", {}).ok());
    REQUIRE(roam::agent::issueCertificate(dir.path / "certs", "cli", {}).ok());
    for (const auto& name : kHosts) {
      roam::agent::AgentOptions o;
      o.name = name;
      o.listen = "127.0.0.1:0";
      o.docker = "unix://" + engine.socket();
      o.certs = dir.path / "certs";
      o.dataDir = dir.path / ("data-" + name);
      io[name] = std::make_unique<roam::agent::asio::io_context>();
      agents[name] =
          std::make_unique<roam::agent::Agent>(*io[name], o, [this, name](const std::string& line) {
            std::lock_guard lock(logMutex);
            logs.push_back(name + ": " + line);
          });
      REQUIRE(roam::errorText(agents[name]->start()) == "");
      address[name] = "127.0.0.1:" + std::to_string(agents[name]->localEndpoint().port());
    }
    for (const auto& name : kHosts) threads.emplace_back([this, name] { io[name]->run(); });
  }

  ~LocalAgents() {
    for (const auto& name : kHosts)
      roam::agent::asio::post(*io[name], [this, name] { agents[name]->shutdown([] {}); });
    for (const auto& name : kHosts) io[name]->stop();
    for (auto& t : threads) t.join();
  }

  roam::agent::ClientIdentity as(const std::string& who) { return {dir.path / "certs", who}; }

  bool logged(const std::string& text) {
    std::lock_guard lock(logMutex);
    for (const auto& l : logs)
      if (l.find(text) != std::string::npos) return true;
    return false;
  }
};

}  // namespace roamtest
