#pragma once
// An agent's requests to several other agents at once: KEY_REQUEST during an
// MTD migration (docs/mtd.md), and PING for round-trip times (the fountain's
// sampling, and the manager's LATENCY_PROBE). Blocking: each call runs its own
// io_context, so the daemon calls them from its worker pool.

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "agent/mtd/host_epoch.hpp"
#include "agent/transport/asio_types.hpp"

namespace roam::agent {

// One answer per peer, in order: the KEY_REPLY, or why there is none (the
// peer's ERROR, a connection failure, a timeout).
std::vector<mtd::KeyAnswer> askPeersInParallel(asio::ssl::context& tls,
                                               const std::vector<AgentPeer>& peers,
                                               const KeyRequest& request,
                                               std::chrono::seconds timeout);

// How long a LATENCY_PROBE waits for each peer (connection and PONG).
inline constexpr std::chrono::seconds kLatencyProbeTimeout{2};

// Seconds from PING to PONG over an established connection, per peer that
// answered.
std::map<std::string, double> measureRoundTrips(asio::ssl::context& tls,
                                                const std::vector<AgentPeer>& peers,
                                                std::chrono::seconds timeout);

}  // namespace roam::agent
