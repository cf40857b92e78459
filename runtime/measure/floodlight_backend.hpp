#pragma once
// ControllerBackend for Floodlight v1.x REST:
// /wm/core/controller/switches/json, /wm/statistics/bandwidth/<dpid>/all/json
// (rates computed by Floodlight itself), /wm/core/switch/<dpid>/aggregate/json,
// /wm/topology/links/json, /wm/device/. Floodlight often writes numbers as
// strings and DPIDs in colon form; the parsers accept both spellings.

#include <string>
#include <string_view>
#include <vector>

#include "runtime/measure/controller_backend.hpp"
#include "runtime/measure/http_client.hpp"
#include "runtime/measure/rest_endpoint.hpp"

namespace roam::runtime {

// `[{"switchDPID": "00:00:00:00:00:00:00:01", ...}]`.
Result<std::vector<Dpid>> parseFloodlightSwitches(std::string_view text);

// One entry of the bandwidth resource.
struct FloodlightBandwidth {
  Dpid dpid = 0;
  int port = 0;
  double rxBps = 0;
  double txBps = 0;
  double linkSpeedBps = 0;  // 0 when the (older) serializer does not say
};
// `[{"dpid": "...", "port": "1", "bits-per-second-rx": "10624", ...}]`, from
// /bandwidth/all/all or /bandwidth/<dpid>/all. `null` entries (no data yet)
// and reserved ports are skipped.
Result<std::vector<FloodlightBandwidth>> parseFloodlightBandwidth(std::string_view text);
// `{"aggregate": {"packet_count"|"packetCount": ..., "byte_count"|"byteCount": ...,
//   "flow_count"|"flowCount": ...}}`.
Result<AggregateCounters> parseFloodlightAggregate(std::string_view text);
// `[{"src-switch": ..., "src-port": 2, "dst-switch": ..., "dst-port": 1, ...}]`.
Result<std::vector<DiscoveredLink>> parseFloodlightLinks(std::string_view text);
// `{"devices": [...]}` or a bare array of devices with mac/ipv4/attachmentPoint.
Result<std::vector<DiscoveredHost>> parseFloodlightDevices(std::string_view text);

class FloodlightBackend final : public ControllerBackend {
 public:
  explicit FloodlightBackend(std::string baseUrl, HttpOptions http = {});

  std::string kind() const override { return "floodlight"; }
  // Floodlight computes port bandwidth only while statistics collection is
  // enabled, which is off by default: POST /wm/statistics/config/enable/json.
  Result<bool> prepare() override;
  Result<std::vector<Dpid>> listSwitches() override;
  Result<std::vector<PortStats>> portStats(Dpid dpid) override;
  // From the bandwidth resource's link speed: Floodlight's port-desc format is
  // not documented well enough to rely on, and names are not needed.
  Result<std::vector<PortDescription>> portDescriptions(Dpid dpid) override;
  Result<AggregateCounters> aggregate(Dpid dpid) override;
  Result<DiscoveredTopology> topology() override;

 private:
  Result<std::vector<FloodlightBandwidth>> bandwidth(Dpid dpid);

  RestEndpoint rest_;
};

}  // namespace roam::runtime
