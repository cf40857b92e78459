#pragma once
// ControllerBackend for Ryu / os-ken REST (ofctl_rest + rest_topology shapes):
// /stats/switches, /stats/port/<dpid>, /stats/portdesc/<dpid>,
// /stats/aggregateflow/<dpid>, /v1.0/topology/{switches,links,hosts}.
// The parse functions take the answer text so they can be tested on
// documents without HTTP.

#include <string>
#include <string_view>
#include <vector>

#include "runtime/measure/controller_backend.hpp"
#include "runtime/measure/http_client.hpp"
#include "runtime/measure/rest_endpoint.hpp"
#include "runtime/measure/ryu_port_stats_reader.hpp"

namespace roam::runtime {

// `[1, 2, 3]` (decimal DPIDs).
Result<std::vector<Dpid>> parseRyuSwitches(std::string_view text);
// `{"1": [{"port_no": 1, "rx_bytes": ..., "duration_sec": ..., ...}]}`.
Result<std::vector<PortStats>> parseRyuPortStats(std::string_view text, Dpid dpid);
// `{"1": [{"port_no": 1, "name": "s1-eth1", "curr_speed": 1e+07 (kbps), ...}]}`.
Result<std::vector<PortDescription>> parseRyuPortDescriptions(std::string_view text, Dpid dpid);
// `{"1": [{"packet_count": 18, "byte_count": 756, "flow_count": 3}]}`.
Result<AggregateCounters> parseRyuAggregate(std::string_view text, Dpid dpid);
// `[{"dpid": "0000000000000001", "ports": [...]}]`.
Result<std::vector<Dpid>> parseRyuTopologySwitches(std::string_view text);
// `[{"src": {"dpid": "...", "port_no": "00000002", ...}, "dst": {...}}]`.
Result<std::vector<DiscoveredLink>> parseRyuTopologyLinks(std::string_view text);
// `[{"mac": "...", "ipv4": ["10.0.0.1"], "port": {"dpid": ..., "port_no": ...}}]`.
Result<std::vector<DiscoveredHost>> parseRyuTopologyHosts(std::string_view text);

class RyuBackend final : public ControllerBackend {
 public:
  // `baseUrl` such as "http://127.0.0.1:8080" (a trailing slash is ignored).
  explicit RyuBackend(std::string baseUrl, HttpOptions http = {});

  std::string kind() const override { return "ryu"; }
  Result<bool> prepare() override { return true; }
  Result<std::vector<Dpid>> listSwitches() override;
  Result<std::vector<PortStats>> portStats(Dpid dpid) override;
  // os-ken answers concurrent requests (eventlet): kParallelRequests at a time.
  void portStatsEach(std::span<const Dpid> dpids, const PortStatsDone& done) override;
  static constexpr std::size_t kParallelRequests = 8;
  Result<std::vector<PortDescription>> portDescriptions(Dpid dpid) override;
  Result<AggregateCounters> aggregate(Dpid dpid) override;
  Result<DiscoveredTopology> topology() override;

 private:
  RestEndpoint rest_;
  RyuPortStatsReader portStatsReader_;
};

}  // namespace roam::runtime
