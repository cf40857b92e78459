#pragma once
// The topology file (docs/topology-file.md): names for switches and hosts,
// and capacities for hosts and links, which controllers do not report.
// `buildTopologyView` merges it with what the controller discovered.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lang/location.hpp"
#include "lang/network_state.hpp"
#include "runtime/measure/controller_backend.hpp"
#include "runtime/measure/measurement_sink.hpp"

namespace roam::runtime {

struct TopologyFileSwitch {
  Dpid dpid = 0;
  std::string name;
};

struct TopologyFileHost {
  std::string name;
  std::string ip;          // at least one of ip and mac is set
  std::string mac;         // lower case
  double capacityBps = 0;  // 0: not given
  lang::Labels labels;
  // Where the host is attached, when the file says ("switch" and "port"):
  // places hosts the controller has not seen yet (they have sent no traffic).
  std::optional<Dpid> switchDpid;
  int port = 0;
};

struct TopologyFileLink {
  Dpid src = 0;
  int srcPort = 0;
  Dpid dst = 0;
  int dstPort = 0;
  double capacityBps = 0;
};

struct TopologyFile {
  std::vector<TopologyFileSwitch> switches;
  std::vector<TopologyFileHost> hosts;
  std::vector<TopologyFileLink> links;
};

struct TopologyFileResult {
  std::optional<TopologyFile> file;  // empty when there were errors
  lang::Diagnostics diagnostics;     // code "topology_error"; warnings do not fail
};

// Parses and validates a topology file's text; `file` names it in diagnostics.
TopologyFileResult parseTopologyFile(std::string_view text, const std::string& file);
// Reads and parses the file at `path` (unreadable: a diagnostic).
TopologyFileResult loadTopologyFile(const std::string& path);

// Port speeds from port descriptions, the fallback capacity.
using PortSpeeds = std::map<std::pair<Dpid, int>, double>;

// Applies a topology file (optional) to discovered topologies and samples.
class TopologyNaming {
 public:
  explicit TopologyNaming(std::optional<TopologyFile> file = std::nullopt);

  // The file's name for the switch, else its 16-hex-digit DPID.
  std::string switchName(Dpid dpid) const;

  // Switches and links named, links deduplicated (controllers list both
  // directions), capacities from the file, else from port speeds. Links the
  // file declares between discovered switches are added when discovery did
  // not report them (e.g. LLDP off). Hosts are named by the file (matched by
  // MAC, then IP), else by IP, else by MAC; hosts seen on inter-switch ports
  // or on unknown switches are left out. File hosts with an attachment that
  // discovery has not reported are added at that attachment.
  TopologyView build(const DiscoveredTopology& discovered, const PortSpeeds& speeds) const;

 private:
  std::optional<TopologyFile> file_;
  std::map<Dpid, std::string> switchNames_;
};

}  // namespace roam::runtime
