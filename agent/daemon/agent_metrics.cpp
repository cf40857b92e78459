#include "agent/daemon/agent_metrics.hpp"

namespace roam::agent {

AgentMetrics::AgentMetrics(metrics::Registry& r)
    : registry(r),
      connections(r.counter("roam_agent_connections_total",
                            "TCP connections the agent accepted (before the TLS handshake)")),
      openConnections(r.gauge("roam_agent_open_connections", "Connections of the agent open now")),
      tlsRefused(r.counter("roam_agent_tls_refused_total",
                           "Peers refused in the mutual-TLS handshake (no certificate of the "
                           "deployment CA, or not TLS at all)")),
      inFlight(r.gauge("roam_agent_migrations_in_flight",
                       "Migrations this agent runs now, by role (source, destination, "
                       "key_gathering: an MTD migration gathering its key material)",
                       {"role"})),
      migrations(r.counter("roam_agent_migrations_total",
                           "Migrations this agent ended, by role (source, destination) and "
                           "result (success, failure)",
                           {"role", "result"})),
      keySeconds(r.histogram("roam_agent_mtd_key_gathering_seconds",
                             "MTD migrations as the source: gathering the key material from the "
                             "other agents, until the destination was known",
                             {"scheme"}, metrics::secondsBuckets())) {
  r.addBuildInfo();
  connections.get();
  openConnections.get();
  tlsRefused.get();
  for (const char* role : {"source", "destination", "key_gathering"}) inFlight.labels({role});
  for (const char* role : {"source", "destination"})
    for (const char* result : {"success", "failure"}) migrations.labels({role, result});
}

}  // namespace roam::agent
