#pragma once
// The Migration Brain (paper, section III): every interval it evaluates the
// active policy on one consistent snapshot of the network and, when `when`
// fires, turns the decision into an action, or into a refusal with a reason.
// It owns only the safety book-keeping (migrations in flight, cooldowns, the
// global rate limit); snapshots, dispatch and logging belong to the manager,
// so the brain runs on in-memory state in tests.

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "lang/decision.hpp"
#include "lang/network_state.hpp"
#include "runtime/active_policy.hpp"
#include "runtime/manager/manager_config.hpp"

namespace roam::runtime {

struct BrainOptions {
  double cooldownSeconds = 60;
  RateLimit rateLimit;
  // Data older than this does not fire the policy. A policy's own duration
  // parameter `max_data_age` takes precedence.
  std::optional<double> maxDataAge;
  std::uint64_t seed = 1;  // evaluation n uses seed + n, so draws differ per evaluation
  bool dryRun = false;
  // Why MTD decisions cannot be carried out ("" when they can): the manager
  // has no private key to sign MTD tokens with.
  std::string mtdUnavailable;
};

enum class BrainAction {
  idle,        // `when` did not fire
  dispatch,    // migrate `decision.container` from source to destination
  dryRun,      // would dispatch, but the manager runs with --dry-run
  suppressed,  // fired, but a safety rule refused (reason says which)
  error,       // evaluation failed (errors says why)
};
const char* actionName(BrainAction action);

struct BrainStep {
  BrainAction action = BrainAction::idle;
  std::optional<lang::Decision> decision;
  std::string decisionId;  // set when the policy fired
  std::string reason;      // for suppressed
  // The rule behind `reason` without its numbers (migrating, cooldown,
  // rate-limit, no-container, no-destination, mtd), so repeats can be told apart.
  // An MTD decision (decision->mtd) is dispatched without a destination: the
  // source agent finds it; "mtd" refuses one only when MTD is unavailable.
  std::string reasonKind;
  std::string errors;          // rendered diagnostics for error
  double decisionSeconds = 0;  // time spent evaluating the policy
  // The decision-log line: `roam eval --json`'s keys plus time, decision id,
  // action, reason, policy hash and timings. Null when the policy did not fire.
  nlohmann::json logLine;
};

class Brain {
 public:
  explicit Brain(BrainOptions options);

  void setOptions(const BrainOptions& options);

  // Evaluates `policy` on `state` at wall-clock `now`. A dispatch is counted
  // against the rate limit and marks the container as migrating at once, so
  // the next evaluation cannot pick it again before migrationFinished().
  BrainStep evaluate(const ActivePolicy& policy, const lang::NetworkState& state, double now);

  // For migrations the brain did not decide (manual, reconciled after a
  // restart): same book-keeping as a dispatch. False when already migrating.
  bool migrationStarted(const std::string& container, double now);
  // Ends a migration; a successful one starts the container's cooldown.
  void migrationFinished(const std::string& container, bool succeeded, double now);

  bool migrating(const std::string& container) const;
  // Why `container` may not move at `now` ("" when it may).
  std::string refusal(const std::string& container, double now) const;

 private:
  struct Refusal {
    std::string kind;    // BrainStep::reasonKind
    std::string reason;  // "" when the container may move
  };
  Refusal refusalLocked(const std::string& container, double now) const;
  void startLocked(const std::string& container, double now);

  mutable std::mutex mutex_;
  BrainOptions options_;
  std::uint64_t evaluations_ = 0;
  std::map<std::string, double> inFlight_;      // container -> started
  std::map<std::string, double> lastFinished_;  // container -> end of last successful move
  std::deque<double> recentStarts_;             // for the rate limit
};

// "d-<unix ms>-<8 hex>".
std::string newDecisionId(double now);

}  // namespace roam::runtime
