#pragma once
// The manager's history in the VIB: every decision the brain made and every
// migration it dispatched, with the paper's two timings kept apart (decision
// time, migration time). The REPL's `decisions` and `migrations` read them.

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace roam::runtime {

struct DecisionRecord {
  std::string id;  // "d-<unix ms>-<hex>", unique
  double t = 0;    // when the evaluation started (seconds since the epoch)
  std::string policy;
  nlohmann::json json;  // the decision-log line (roam eval --json keys + time, id)
};

struct MigrationRecord {
  std::string migrationId;  // the agents' migration id, unique
  std::string decisionId;   // "" for a manual migration
  std::string container, source, destination, policy, mode;
  // dispatched -> transferring -> done | failed; `unknown` when the manager
  // lost track of it (agent unreachable after a restart).
  std::string state;
  double startedT = 0;  // MIGRATE sent
  double updatedT = 0;
  std::optional<double> finishedT;
  double decisionSeconds = 0;              // evaluating the policy
  std::optional<double> migrationSeconds;  // MIGRATE sent .. DONE received
  double keySeconds = 0;  // MTD: the source's key gathering (DONE's key_s); 0 otherwise
  // Pre-copy (DONE's freeze_ms, rounds, total_s): the freeze, the number of
  // rounds (the frozen one included), MIGRATE until the source copy was gone.
  double freezeMs = 0;
  std::uint32_t rounds = 0;
  double totalSeconds = 0;
  // DONE's mode: the one the migration ran in as the source reported it
  // (`mode` above is the one the manager asked for, often auto); "" until a
  // DONE came. In checkpoint mode DONE also splits the freeze (dump_ms,
  // transfer_ms, restore_ms) and counts the process memory moved
  // (memory_bytes); zeros otherwise.
  std::string reportedMode;
  double dumpMs = 0, transferMs = 0, restoreMs = 0;
  // Redirection (schema 6): the destination's move of the service address
  // (DONE's redirect_ms, a part of the freeze) plus the rewrite rules the
  // manager installed once the destination served, if it had to; any mode.
  double redirectMs = 0;
  std::uint64_t memoryBytes = 0;
  std::uint64_t bytesSent = 0, bytesTotal = 0;
  std::string error, note;
};

// States after which nothing more happens to a migration.
inline bool isFinishedMigrationState(const std::string& state) {
  return state == "done" || state == "failed";
}

// The row as the REPL's `migrations --json` and the decision log show it;
// a checkpoint migration's freeze split in `roam migrate --json`'s shape
// (`freeze_split_ms`, `memory_bytes`: common/freeze_split_json.hpp).
nlohmann::json migrationToJson(const MigrationRecord& m);
// The decision-log line, with decision_id, time and policy filled in from the
// row when it lacks them (rows written before schema version 2).
nlohmann::json decisionToJson(const DecisionRecord& d);

}  // namespace roam::runtime
