#pragma once
// Talking to an agent as a client (the CLI and the manager): connect
// with mutual TLS, then MIGRATE (following PROGRESS to DONE), PING, STATUS,
// the MTD requests or LATENCY_PROBE.
// Each call runs its own io_context until the exchange ends.

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <string>

#include "agent/protocol/messages.hpp"

namespace roam::agent {

struct ClientIdentity {
  std::filesystem::path certs;  // ca.crt, NAME.crt, NAME.key
  std::string name;             // whose certificate to present
};

struct MigrateOutcome {
  std::optional<Done> done;  // the source's verdict
  std::string error;         // could not get one (connection, refusal, ERROR reply)
  std::string sourceName;    // the source agent's certificate name
};

// Sends MIGRATE to `source` and waits for DONE; `onProgress` sees each PROGRESS.
// Setting `*cancel` abandons the wait (the agent carries on; sending the same
// MIGRATE again later joins the migration or replays its outcome).
MigrateOutcome requestMigration(const ClientIdentity& identity, const std::string& source,
                                const Migrate& request,
                                const std::function<void(const Progress&)>& onProgress,
                                std::chrono::seconds connectTimeout = std::chrono::seconds(10),
                                const std::atomic<bool>* cancel = nullptr);

// The same for an MTD migration (docs/mtd.md): MTD_MIGRATE carries R and the
// manager's token, never a destination; DONE names the one the source found.
MigrateOutcome requestMtdMigration(const ClientIdentity& identity, const std::string& source,
                                   const MtdMigrate& request,
                                   const std::function<void(const Progress&)>& onProgress,
                                   std::chrono::seconds connectTimeout = std::chrono::seconds(10),
                                   const std::atomic<bool>* cancel = nullptr);

// Sends an epoch's MTD_SETUP and waits for MTD_READY: "" or the error.
std::string setUpMtdEpoch(const ClientIdentity& identity, const std::string& address,
                          const MtdSetup& setup,
                          std::chrono::seconds timeout = std::chrono::seconds(10));

struct PingOutcome {
  double roundTripSeconds = 0;  // measured from PING sent to PONG received, TLS set up before
  std::string peerName;
  std::string error;
};
PingOutcome pingAgent(const ClientIdentity& identity, const std::string& address,
                      std::chrono::seconds timeout = std::chrono::seconds(10));

// Asks the agent at `address` for its round trips to `peers` (LATENCY_PROBE,
// manager only): the report, or why there is none.
struct LatencyOutcome {
  std::optional<LatencyReport> report;
  std::string error;
};
LatencyOutcome probeLatencies(const ClientIdentity& identity, const std::string& address,
                              const std::vector<AgentPeer>& peers,
                              std::chrono::seconds timeout = std::chrono::seconds(10));

struct StatusOutcome {
  std::optional<StatusReply> status;
  std::string error;
};
StatusOutcome agentStatus(const ClientIdentity& identity, const std::string& address,
                          std::chrono::seconds timeout = std::chrono::seconds(10));

// A fresh migration id: "m-<unix ms>-<8 hex>".
std::string newMigrationId();

}  // namespace roam::agent
