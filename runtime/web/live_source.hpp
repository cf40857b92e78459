#pragma once
// What the live web view (docs/web.md) reads from a running manager: the
// REPL's queries for the topology, loads, containers, policy and history, and
// the progress of the migrations it follows, with a change counter the page's
// event feed waits on. The manager implements it (runtime/manager/
// manager_live_source.hpp); tests implement it over a state file.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/repl/repl_backend.hpp"

namespace roam::runtime {

// One step of a migration as the source agent reported it (PROGRESS phase:
// connecting, preparing, image, precopy, freezing, dumping, final-round,
// checkpoint, serving, retiring), or the manager's own (dispatched, done,
// failed), at time `t` (seconds since the epoch).
struct MigrationStep {
  std::string phase;
  double t = 0;
  bool operator==(const MigrationStep&) const = default;
};

// A migration the manager follows or followed lately, live.
struct MigrationProgress {
  std::string migrationId, container, source, destination, policy;
  std::string state;                            // dispatched | transferring | done | failed
  std::string phase;                            // the newest step's phase
  std::uint64_t bytesSent = 0, bytesTotal = 0;  // of the phase under way
  double rateBps = 0;
  int precopyRounds = 0;  // pre-copy rounds begun (the frozen round not included)
  double startedT = 0, updatedT = 0;
  std::optional<double> finishedT;
  double freezeMs = 0;                  // from the source's DONE
  std::vector<MigrationStep> timeline;  // every phase change, oldest first
  std::string error;
};

nlohmann::json progressToJson(const MigrationProgress& p);

class LiveSource {
 public:
  virtual ~LiveSource() = default;

  // The REPL's view of the manager. The web view uses only its queries:
  // never migrate() or reload().
  virtual ReplBackend& queries() = 0;

  // The migrations in flight and the last few finished, newest first.
  virtual std::vector<MigrationProgress> migrationProgress() = 0;

  // Grows whenever something the page shows may have changed: a decision, a
  // migration's start, progress or end, a reload.
  virtual std::uint64_t changeCount() = 0;
  // Waits until changeCount() differs from `seen` or the timeout passes;
  // returns changeCount().
  virtual std::uint64_t waitForChange(std::uint64_t seen, std::chrono::milliseconds timeout) = 0;
};

}  // namespace roam::runtime
