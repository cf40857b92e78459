#pragma once
// Talking to an agent as a client (the CLI and the manager): connect with
// mutual TLS, then MIGRATE or MTD_MIGRATE (following PROGRESS to DONE), or one
// request and its reply: PING, STATUS, MTD_SETUP, LATENCY_PROBE.
// Each call runs its own io_context until the exchange ends.
//
// A call that gets no answer returns a roam::Error: the connection's (Connect,
// Timeout, Tls, BadInput for an address that is not HOST:PORT), Io when the
// agent closed the connection, Protocol for a malformed or unexpected reply,
// Refused for an ERROR reply, Internal when the wait was cancelled.

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "agent/protocol/messages.hpp"
#include "common/result.hpp"

namespace roam::agent {

struct ClientIdentity {
  std::filesystem::path certs;  // ca.crt, NAME.crt, NAME.key
  std::string name;             // whose certificate to present
};

struct MigrationVerdict {
  Done done;               // the source's verdict
  std::string sourceName;  // the source agent's certificate name
};
// The verdict, or why there is none.
using MigrateOutcome = roam::Result<MigrationVerdict>;

// MIGRATE, or MTD_MIGRATE (docs/mtd.md): that one carries R and the manager's
// token, never a destination; DONE names the one the source found.
using MigrationOrder = std::variant<Migrate, MtdMigrate>;

// Sends the order to `source` and waits for DONE; `onProgress` sees each PROGRESS.
// Setting `*cancel` abandons the wait (the agent carries on; sending the same
// order again later joins the migration or replays its outcome).
MigrateOutcome requestMigration(const ClientIdentity& identity, const std::string& source,
                                const MigrationOrder& order,
                                const std::function<void(const Progress&)>& onProgress,
                                std::chrono::seconds connectTimeout = std::chrono::seconds(10),
                                const std::atomic<bool>* cancel = nullptr);

// Sends an epoch's MTD_SETUP and waits for MTD_READY.
roam::Status setUpMtdEpoch(const ClientIdentity& identity, const std::string& address,
                           const MtdSetup& setup,
                           std::chrono::seconds timeout = std::chrono::seconds(10));

struct PingRoundTrip {
  double roundTripSeconds = 0;  // measured from PING sent to PONG received, TLS set up before
  std::string peerName;
};
using PingOutcome = roam::Result<PingRoundTrip>;
PingOutcome pingAgent(const ClientIdentity& identity, const std::string& address,
                      std::chrono::seconds timeout = std::chrono::seconds(10));

// Asks the agent at `address` for its round trips to `peers` (LATENCY_PROBE,
// manager only): the report, or why there is none.
using LatencyOutcome = roam::Result<LatencyReport>;
LatencyOutcome probeLatencies(const ClientIdentity& identity, const std::string& address,
                              const std::vector<AgentPeer>& peers,
                              std::chrono::seconds timeout = std::chrono::seconds(10));

using StatusOutcome = roam::Result<StatusReply>;
StatusOutcome agentStatus(const ClientIdentity& identity, const std::string& address,
                          std::chrono::seconds timeout = std::chrono::seconds(10));

// A fresh migration id: "m-<unix ms>-<8 hex>".
std::string newMigrationId();

}  // namespace roam::agent
