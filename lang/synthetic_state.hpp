#pragma once
// A reproducible synthetic network for benchmarks and tests.
//
// Shape (a tree; it depends only on `hosts`):
//   - ceil(hosts / 24) leaf switches "leaf1".."leafL"; host k (0-based) is "h<k+1>"
//     on leaf k / 24, port k % 24 + 1. Host links are 100 Mbps, 250 Mbps, 500 Mbps
//     or 1 Gbps. Hosts have an ip (10.x.y.z of k + 1), a mac and label rack=<leaf>.
//   - ceil(leaves / 16) spine switches "spine1".."spineS"; leaf j's uplink is its
//     port 25 to spine j / 16, port j % 16 + 1, at 1, 10 or 100 Mbps.
//   - when there is more than one spine, a "core" switch joins them: spine i's port 17
//     to core port i + 1, at 1 Gbps.
//   Switches are listed core, spines, leaves; dpids are positions + 1 in hex.
// Data (depends on `seed` too; the same arguments always give the same network):
//   - a container "c<k+1>" on about 30% of hosts (images roam/iperf3, nginx, redis,
//     label app=iperf|web|cache);
//   - 3 port samples (t = 1732470000, +1, +2) on every host port and both ends of
//     every leaf uplink; 3 switch samples per switch at the same times;
//   - latencies from each of hosts[0..9] to every other host, about 0.1 ms per link.
// hosts <= 0 gives an empty network.

#include <cstdint>

#include "lang/memory_state.hpp"

namespace roam::lang {

NetworkData makeSyntheticNetwork(int hosts, std::uint64_t seed);

}  // namespace roam::lang
