#pragma once
// What the collectors need from an SDN controller, independent of which one
// (Ryu/os-ken or Floodlight). Implementations turn REST answers into these
// values; the collectors compute rates, apply names and write the VIB.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "runtime/measure/fetch_result.hpp"

namespace roam::runtime {

using Dpid = std::uint64_t;

// Cumulative counters of one switch port (OpenFlow port stats).
struct PortCounters {
  std::uint64_t rxBytes = 0;
  std::uint64_t txBytes = 0;
  std::uint64_t rxPackets = 0;
  std::uint64_t txPackets = 0;
  // How long the port has existed (duration_sec + duration_nsec), when the
  // controller reports it: a more exact time base than our poll times.
  std::optional<double> durationSeconds;
};

// Rates a controller computed itself (Floodlight's statistics module).
struct PortRates {
  double rxBps = 0;
  double txBps = 0;
};

// One port's statistics: counters, rates, or (rarely) both.
struct PortStats {
  int port = 0;
  std::optional<PortCounters> counters;
  std::optional<PortRates> rates;
};

struct PortDescription {
  int port = 0;
  std::string name;     // "s1-eth1"; empty when unknown
  double speedBps = 0;  // current link speed; 0 when unknown
};

// Cumulative counters summed over a switch's flows (OpenFlow aggregate stats).
struct AggregateCounters {
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;
  std::uint64_t flows = 0;  // a gauge, not a counter
};

struct DiscoveredLink {
  Dpid src = 0;
  int srcPort = 0;
  Dpid dst = 0;
  int dstPort = 0;
};

struct DiscoveredHost {
  std::string mac;               // lower case
  std::vector<std::string> ips;  // IPv4, possibly empty
  Dpid dpid = 0;                 // where it is attached
  int port = 0;
};

struct DiscoveredTopology {
  std::vector<Dpid> switches;
  std::vector<DiscoveredLink> links;  // as reported: often once per direction
  std::vector<DiscoveredHost> hosts;
};

class ControllerBackend {
 public:
  virtual ~ControllerBackend() = default;

  // "ryu" or "floodlight", for logs.
  virtual std::string kind() const = 0;
  // One-time setup before polling (Floodlight: enable statistics collection).
  virtual Result<bool> prepare() = 0;

  virtual Result<std::vector<Dpid>> listSwitches() = 0;
  // Physical ports only: reserved ports (LOCAL, CONTROLLER, ...) are left out.
  virtual Result<std::vector<PortStats>> portStats(Dpid dpid) = 0;
  // portStats of every switch in DPIDS; done(i, stats) for dpids[i] as each
  // answer arrives (completion order). A back-end may ask in parallel; this
  // default asks one switch after the other.
  using PortStatsDone = std::function<void(std::size_t, Result<std::vector<PortStats>>)>;
  virtual void portStatsEach(std::span<const Dpid> dpids, const PortStatsDone& done) {
    for (std::size_t i = 0; i < dpids.size(); ++i) done(i, portStats(dpids[i]));
  }
  virtual Result<std::vector<PortDescription>> portDescriptions(Dpid dpid) = 0;
  virtual Result<AggregateCounters> aggregate(Dpid dpid) = 0;
  virtual Result<DiscoveredTopology> topology() = 0;
};

using ControllerBackendPtr = std::unique_ptr<ControllerBackend>;

}  // namespace roam::runtime
