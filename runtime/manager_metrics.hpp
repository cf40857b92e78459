#pragma once
// The Migration Manager's metrics (docs/metrics.md), registered on one
// metrics::Registry and handed to what they describe: the manager's brain
// and migrations (runtime/manager/manager.cpp), the policy reloader, the
// collectors (runtime/measure) and the VIB. In roam_runtime, below the
// manager, because the collectors and the VIB count too.
//
// Labels take values from small fixed sets only: a policy's name, an
// evaluation's outcome, a migration mode and result, a collector, a VIB
// table. Never a container, host or migration id.

#include "common/metrics/registry.hpp"

namespace roam::runtime {

struct ManagerMetrics {
  explicit ManagerMetrics(metrics::Registry& registry);

  metrics::Registry& registry;
  // The brain.
  metrics::Family<metrics::Counter>& evaluations;        // {policy, outcome}
  metrics::Family<metrics::Counter>& decisions;          // {policy, outcome}
  metrics::Family<metrics::Histogram>& decisionSeconds;  // {policy}
  // Migrations, as the manager sees them end.
  metrics::Family<metrics::Counter>& migrations;          // {mode, result}
  metrics::Family<metrics::Gauge>& migrationsInFlight;    // no labels
  metrics::Family<metrics::Histogram>& migrationSeconds;  // {mode}
  metrics::Family<metrics::Histogram>& freezeSeconds;     // {mode}
  metrics::Family<metrics::Histogram>& transferSeconds;   // {mode}
  metrics::Family<metrics::Counter>& sentBytes;           // {mode}
  metrics::Family<metrics::Histogram>& precopyRounds;     // {mode}
  metrics::Family<metrics::Histogram>& keySeconds;        // {scheme}
  // Hot reload.
  metrics::Family<metrics::Counter>& reloads;  // {result}
  // The collectors.
  metrics::Family<metrics::Counter>& collectorPolls;   // {collector}
  metrics::Family<metrics::Counter>& collectorErrors;  // {collector}
  metrics::Family<metrics::Age>& sampleAge;            // {collector}
  // The VIB.
  metrics::Family<metrics::Counter>& vibRows;         // {table}
  metrics::Family<metrics::Counter>& vibWriteErrors;  // no labels
};

}  // namespace roam::runtime
