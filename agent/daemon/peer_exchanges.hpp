#pragma once
// The source agent's requests to the other hosts during an MTD migration
// (docs/mtd.md): KEY_REQUEST to several peers at once, and their round-trip
// times for the fountain's sampling. Blocking: each call runs its own
// io_context, so the daemon calls them from its worker pool.

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "agent/daemon/asio_types.hpp"
#include "agent/mtd/host_epoch.hpp"

namespace roam::agent {

// One answer per peer, in order: the KEY_REPLY, or why there is none (the
// peer's ERROR, a connection failure, a timeout).
std::vector<mtd::KeyAnswer> askPeersInParallel(asio::ssl::context& tls,
                                               const std::vector<MtdPeer>& peers,
                                               const KeyRequest& request,
                                               std::chrono::seconds timeout);

// Seconds from PING to PONG over an established connection, per peer that
// answered.
std::map<std::string, double> measureRoundTrips(asio::ssl::context& tls,
                                                const std::vector<MtdPeer>& peers,
                                                std::chrono::seconds timeout);

}  // namespace roam::agent
