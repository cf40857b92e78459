#pragma once
// The read-only view of the network that policies are evaluated against.
// The evaluator sees the network only through this interface: the in-memory
// implementation (STATE.json, tests, benchmarks) and the SQLite VIB both
// provide it.

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace roam::lang {

class Topology;

using Labels = std::map<std::string, std::string, std::less<>>;

struct SwitchInfo {
  std::string name;
  std::string dpid;  // 16 hex digits, as the controller reports it
};

struct HostInfo {
  std::string name;
  std::string ip;
  std::string mac;         // may be empty
  std::string switchName;  // the switch the host is attached to
  int port = 0;            // that switch's port number
  double capacityBps = 0;  // capacity of the host's link
  Labels labels;
};

// Links are bidirectional.
struct LinkInfo {
  std::string src;
  int srcPort = 0;
  std::string dst;
  int dstPort = 0;
  double capacityBps = 0;
};

struct ContainerInfo {
  std::string name;
  std::string host;
  std::string image;
  Labels labels;
  bool operator==(const ContainerInfo&) const = default;
};

// One measurement of a switch port, seen from the switch: rx = into the
// switch through that port, tx = out of the switch through that port.
struct PortSample {
  double t = 0;  // seconds since the epoch
  double rxBps = 0;
  double txBps = 0;
};

struct SwitchSample {
  double t = 0;
  double packetsPerS = 0;
  double bytesPerS = 0;
  double flows = 0;
};

class NetworkState {
 public:
  virtual ~NetworkState() = default;

  virtual std::span<const SwitchInfo> switches() const = 0;
  virtual std::span<const HostInfo> hosts() const = 0;
  virtual std::span<const LinkInfo> links() const = 0;
  virtual std::span<const ContainerInfo> containers() const = 0;

  // Index into the spans above, or -1 when there is no such name.
  virtual int switchIndex(std::string_view name) const = 0;
  virtual int hostIndex(std::string_view name) const = 0;
  virtual int containerIndex(std::string_view name) const = 0;

  // Samples of one port / switch, ascending by time; empty when none.
  virtual std::span<const PortSample> portSamples(int switchIdx, int port) const = 0;
  virtual std::span<const SwitchSample> switchSamples(int switchIdx) const = 0;

  // Every distinct sample time in the state, ascending. Temporal operators
  // (`for 5s`, avg_over) evaluate their operand at each of these instants.
  virtual std::span<const double> sampleTimes() const = 0;

  // Measured latency between two hosts in seconds (either direction), if any.
  virtual std::optional<double> latencySeconds(std::string_view a, std::string_view b) const = 0;

  // The instant decisions are made at: the newest sample time.
  virtual double now() const = 0;

  // Age in seconds of the newest measurement (0 for a fixed snapshot), so a
  // policy can refuse to decide on stale data.
  virtual double dataAgeSeconds() const = 0;

  // The graph of hosts, switches and links, with cached shortest paths.
  virtual const Topology& topology() const = 0;
};

}  // namespace roam::lang
