#pragma once
// NetworkState held in memory: built from STATE.json, by tests, or by
// benchmarks' generators.

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "lang/network_state.hpp"
#include "lang/topology.hpp"

namespace roam::lang {

struct PortSampleRecord {
  std::string switchName;
  int port = 0;
  PortSample sample;
};

struct SwitchSampleRecord {
  std::string switchName;
  SwitchSample sample;
};

struct LatencyRecord {
  std::string src;
  std::string dst;
  double seconds = 0;
};

// Plain data of a network snapshot, before validation and indexing.
struct NetworkData {
  std::vector<SwitchInfo> switches;
  std::vector<HostInfo> hosts;
  std::vector<LinkInfo> links;
  std::vector<ContainerInfo> containers;
  std::vector<PortSampleRecord> portSamples;
  std::vector<SwitchSampleRecord> switchSamples;
  std::vector<LatencyRecord> latencies;
};

class InMemoryState final : public NetworkState {
 public:
  // `data` should be valid (see validateNetworkData). If it is not, nothing
  // breaks: records naming unknown switches or hosts are ignored and the
  // first of duplicate names wins.
  explicit InMemoryState(NetworkData data, double dataAgeSeconds = 0);

  std::span<const SwitchInfo> switches() const override { return data_.switches; }
  std::span<const HostInfo> hosts() const override { return data_.hosts; }
  std::span<const LinkInfo> links() const override { return data_.links; }
  std::span<const ContainerInfo> containers() const override { return data_.containers; }
  int switchIndex(std::string_view name) const override;
  int hostIndex(std::string_view name) const override;
  int containerIndex(std::string_view name) const override;
  std::span<const PortSample> portSamples(int switchIdx, int port) const override;
  std::span<const SwitchSample> switchSamples(int switchIdx) const override;
  std::span<const double> sampleTimes() const override { return sampleTimes_; }
  std::optional<double> latencySeconds(std::string_view a, std::string_view b) const override;
  double now() const override { return now_; }
  double dataAgeSeconds() const override { return dataAge_; }
  const Topology& topology() const override { return *topology_; }

  const NetworkData& data() const { return data_; }

 private:
  // Lets the name maps be searched with a string_view without allocating.
  struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using NameMap = std::unordered_map<std::string, int, NameHash, std::equal_to<>>;

  static long long portKey(int switchIdx, int port);
  long long latencyKey(std::string_view a, std::string_view b) const;

  NetworkData data_;
  double dataAge_ = 0;
  double now_ = 0;
  NameMap switchByName_, hostByName_, containerByName_;
  // (switch index, port) -> samples ascending by t
  std::unordered_map<long long, std::vector<PortSample>> portSamples_;
  std::vector<std::vector<SwitchSample>> switchSamples_;
  std::vector<double> sampleTimes_;
  // (source host index, destination host index) as given; lookups try both ways.
  std::unordered_map<long long, double> latency_;
  std::unique_ptr<Topology> topology_;
};

}  // namespace roam::lang
