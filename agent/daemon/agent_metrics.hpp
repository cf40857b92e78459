#pragma once
// The agent's metrics (docs/metrics.md), registered on one metrics::Registry
// that `roam agent --metrics` serves. Updated on the agent's io thread,
// rendered on the HTTP server's. Labels from fixed sets only (a role, a
// result, an MTD scheme); never a container, peer or migration id.

#include "common/metrics/registry.hpp"

namespace roam::agent {

struct AgentMetrics {
  explicit AgentMetrics(metrics::Registry& registry);

  metrics::Registry& registry;
  metrics::Family<metrics::Counter>& connections;    // accepted TCP connections
  metrics::Family<metrics::Gauge>& openConnections;  // sessions open now
  metrics::Family<metrics::Counter>& tlsRefused;     // failed TLS handshakes
  metrics::Family<metrics::Gauge>& inFlight;         // {role}: source, destination, key_gathering
  metrics::Family<metrics::Counter>& migrations;     // {role, result}
  metrics::Family<metrics::Histogram>& keySeconds;   // {scheme}
};

}  // namespace roam::agent
