#pragma once
// The manager's configuration file (docs/configuration.md): JSON with
// comments. Every key has a sensible default except the policy file, so a
// minimal file names just that; relative paths are relative to the file.
// Switching the paper's strategy is one line: "policy": {"file": ...}.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "runtime/active_policy.hpp"

namespace roam::runtime {

struct AgentAddress {
  std::string name;     // the host's name in the topology (and its certificate CN)
  std::string address;  // HOST:PORT where the manager reaches its `roam agent`
  // HOST:PORT where other agents send it containers, when the manager talks
  // to agents over a separate management network ("" = `address`). The
  // migration must cross the data network: that is what the policy measured.
  std::string dataAddress;

  const std::string& transferAddress() const { return dataAddress.empty() ? address : dataAddress; }
};

struct RateLimit {
  int migrations = 1;      // at most this many migrations started ...
  double perSeconds = 10;  // ... in any window this long (all containers together)
};

struct ManagerConfig {
  std::filesystem::path file;  // where it was read from ("" when built from flags only)

  // Measurement. With `stateFile` set, a fixed STATE.json replaces the
  // controller, the collectors and the VIB's samples.
  std::string controllerBackend = "ryu";  // ryu | floodlight
  std::string controllerUrl = "http://127.0.0.1:8080";
  double bandwidthInterval = 1, aggregateInterval = 5, topologyInterval = 5;
  double agentPollInterval = 5;  // agents' STATUS (containers)
  double latencyInterval = 5;    // agents' round trips to each other (LATENCY_PROBE), live only
  std::string vib = "/var/lib/roam/vib.sqlite";
  std::string topology;  // topology file (docs/topology-file.md); optional
  std::string stateFile;

  // Agents and credentials.
  std::vector<AgentAddress> agents;
  std::string certs = "/etc/roam/certs";
  std::string identity = "manager";  // whose certificate the manager presents

  // The policy and the brain.
  PolicySource policy;
  std::optional<double> interval;  // evaluation period; default: the policy's `every`, else 1s
  double window = 10;              // seconds of samples each evaluation sees
  double cooldown = 60;            // a container that moved stays put this long
  RateLimit rateLimit;
  std::optional<double> maxDataAge;  // refuse to decide on older data (default: 3 x bandwidth)
  std::string mode = "auto";         // migration mode sent to the agents
  std::uint64_t seed = 0;            // 0: a fresh seed per run
  bool dryRun = false;
  std::string decisionLog;  // JSON lines; "" = only the VIB

  // Operations.
  std::string adminSocket = "/run/roam/manager.sock";
  std::string metrics;  // ADDR:PORT serving /metrics (docs/metrics.md); "" = none
  // The log's lines: "text" or "json" (docs/operations.md). Read at start
  // only: a reload keeps the running format.
  std::string logFormat = "text";

  // Traffic redirection after a migration (docs/redirection.md).
  bool redirect = true;
};

// Reads FILE on top of `defaults`. On failure the error's message is
// "FILE:LINE:COL: error: MESSAGE" lines, located at the offending key when it
// can be found (ErrorCode::Io when FILE cannot be read, else BadInput).
using ConfigLoad = roam::Result<ManagerConfig>;
ConfigLoad loadManagerConfig(const std::filesystem::path& file, ManagerConfig defaults = {});

}  // namespace roam::runtime
