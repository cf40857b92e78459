#pragma once
// The manager's side of Moving Target Defense (docs/mtd.md): it owns the
// current epoch, sets it up on every agent (MTD_SETUP, in parallel) and turns
// an MTD decision into MTD_MIGRATE orders (R and the signed token), never
// into a destination. After every MTD migration the manager calls rotate(),
// so the next one runs under a new master secret and old shares are useless.
//
// Only the epoch's id and what it was built from are kept: the material
// (shares, droplets, S) goes to the agents and is wiped here once sent.
// Callers serialise ensureEpoch/order/rotate around one migration (each agent
// keeps only its newest epoch); the class's own lock only guards its state.

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "agent/protocol/messages.hpp"
#include "common/result.hpp"
#include "crypto/token.hpp"
#include "runtime/manager/agent_gateway.hpp"
#include "runtime/manager/manager_config.hpp"

namespace roam::runtime {

class MtdCoordinator {
 public:
  using Log = std::function<void(const std::string& line)>;

  // `key`: the manager's private key (tokens are signed with it, its public
  // half goes to the agents), or why it could not be loaded; then every MTD
  // request fails with that reason.
  MtdCoordinator(AgentGateway& agents, Log log, roam::Result<crypto::Pkey> key);

  // "" when MTD can be used; otherwise why not (no manager key).
  const std::string& unavailable() const { return unavailable_; }

  // Makes sure an epoch for exactly these inputs is set up on every agent: a
  // new one when there is none, when scheme, k, the agents or the candidates
  // changed, or after rotate(). The table holds `candidates` (host names, put
  // in name order) with their agents' data addresses; every agent of `agents`
  // receives material. Success once every agent answered MTD_READY; otherwise
  // one line naming the agents that failed (the epoch is then dropped).
  roam::Status ensureEpoch(const std::string& scheme, int k,
                           const std::vector<AgentAddress>& agents,
                           const std::vector<std::string>& candidates);

  // MTD_MIGRATE for the current epoch (after a successful ensureEpoch): a
  // fresh R (32 random bytes) and the token over epoch, id, source and R.
  agent::MtdMigrate order(const std::string& migrationId, const std::string& container,
                          const std::string& mode, const std::string& source);

  // MTD_MIGRATE that only re-attaches, after a manager restart, to a
  // migration the source agent already has: the same id joins it (still
  // running) or replays its outcome (journal). Its epoch ("rejoin"), R (zeros)
  // and token are valid on the wire but open nothing: an agent that never
  // started this migration refuses it (not its epoch), so nothing moves.
  static agent::MtdMigrate rejoinOrder(const std::string& migrationId, const std::string& container,
                                       const std::string& mode);

  // The next ensureEpoch builds a new epoch.
  void rotate();

  // The current epoch's id ("" when there is none).
  std::string epochId() const;

 private:
  struct Inputs {
    std::string scheme;
    int k = 0;
    std::vector<std::string> agents;  // name, address and data address, flattened
    std::vector<std::string> candidates;
    bool operator==(const Inputs&) const = default;
  };

  AgentGateway& agents_;
  Log log_;
  crypto::Pkey key_;
  std::string publicKeyPem_;
  std::string unavailable_;

  mutable std::mutex mutex_;
  std::string epochId_;  // "" when there is none (or after rotate())
  Inputs inputs_;
};

}  // namespace roam::runtime
