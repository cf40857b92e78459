#pragma once
// Where collectors put what they measure. The VIB implements it; tests use an
// in-memory recorder. Collectors only ever write through this interface, so
// they are testable without SQLite.

#include <span>
#include <string>

#include "lang/memory_state.hpp"

namespace roam::runtime {

// The network's structure as last discovered: switches, hosts, links (with
// capacities and names from the topology file). Samples are not part of it.
struct TopologyView {
  std::vector<lang::SwitchInfo> switches;
  std::vector<lang::HostInfo> hosts;
  std::vector<lang::LinkInfo> links;
};

// One line of collector health, for `roam measure` status and staleness.
struct CollectorStatus {
  std::string collector;  // "bandwidth", "aggregate", "topology", "latency"
  double t = 0;           // when this attempt finished (seconds since the epoch)
  bool ok = true;
  std::string error;  // "GET /stats/port/1: connection refused" when !ok
};

class MeasurementSink {
 public:
  virtual ~MeasurementSink() = default;
  // Replaces the known topology (switches/hosts/links seen at time t).
  virtual void writeTopology(const TopologyView& topology, double t) = 0;
  // Rates already computed from counter deltas (never raw counters).
  virtual void writePortSamples(std::span<const lang::PortSampleRecord> samples) = 0;
  virtual void writeSwitchSamples(std::span<const lang::SwitchSampleRecord> samples) = 0;
  virtual void writeLatencies(std::span<const lang::LatencyRecord> latencies, double t) = 0;
  virtual void writeStatus(const CollectorStatus& status) = 0;
};

}  // namespace roam::runtime
