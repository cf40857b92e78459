#pragma once
// How the manager reaches the agents. The real gateway speaks the agent
// protocol over mutual TLS (agent/client); tests substitute their own.

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "agent/client/agent_request.hpp"
#include "common/result.hpp"

namespace roam::runtime {

class AgentGateway {
 public:
  virtual ~AgentGateway() = default;
  // Sends MIGRATE to the agent at `sourceAddress` and waits for DONE, or
  // until `*cancel` is set (manager shutdown).
  virtual agent::MigrateOutcome migrate(
      const std::string& sourceAddress, const agent::Migrate& request,
      const std::function<void(const agent::Progress&)>& onProgress,
      const std::atomic<bool>* cancel) = 0;
  virtual agent::StatusOutcome status(const std::string& address) = 0;
  virtual agent::PingOutcome ping(const std::string& address) = 0;
  // LATENCY_PROBE: the agent's round trips to `peers`. Called from several
  // threads at once (one per agent).
  virtual agent::LatencyOutcome probeLatencies(const std::string& address,
                                               const std::vector<agent::AgentPeer>& peers) = 0;
  // MTD (docs/mtd.md): an epoch's setup (success once the agent is ready), and
  // a migration whose destination the source finds itself.
  virtual roam::Status mtdSetup(const std::string& address, const agent::MtdSetup& setup) = 0;
  virtual agent::MigrateOutcome mtdMigrate(
      const std::string& sourceAddress, const agent::MtdMigrate& request,
      const std::function<void(const agent::Progress&)>& onProgress,
      const std::atomic<bool>* cancel) = 0;
};

class TlsAgentGateway final : public AgentGateway {
 public:
  explicit TlsAgentGateway(agent::ClientIdentity identity) : identity_(std::move(identity)) {}

  agent::MigrateOutcome migrate(const std::string& sourceAddress, const agent::Migrate& request,
                                const std::function<void(const agent::Progress&)>& onProgress,
                                const std::atomic<bool>* cancel) override {
    return agent::requestMigration(identity_, sourceAddress, request, onProgress,
                                   std::chrono::seconds(10), cancel);
  }
  agent::StatusOutcome status(const std::string& address) override {
    return agent::agentStatus(identity_, address, std::chrono::seconds(5));
  }
  agent::PingOutcome ping(const std::string& address) override {
    return agent::pingAgent(identity_, address, std::chrono::seconds(5));
  }
  agent::LatencyOutcome probeLatencies(const std::string& address,
                                       const std::vector<agent::AgentPeer>& peers) override {
    // Longer than the agent's own wait for each peer (kLatencyProbeTimeout).
    return agent::probeLatencies(identity_, address, peers, std::chrono::seconds(5));
  }
  roam::Status mtdSetup(const std::string& address, const agent::MtdSetup& setup) override {
    return agent::setUpMtdEpoch(identity_, address, setup, std::chrono::seconds(10));
  }
  agent::MigrateOutcome mtdMigrate(const std::string& sourceAddress,
                                   const agent::MtdMigrate& request,
                                   const std::function<void(const agent::Progress&)>& onProgress,
                                   const std::atomic<bool>* cancel) override {
    return agent::requestMigration(identity_, sourceAddress, request, onProgress,
                                   std::chrono::seconds(10), cancel);
  }

 private:
  agent::ClientIdentity identity_;
};

}  // namespace roam::runtime
