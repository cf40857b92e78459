#include "lang/synthetic_state.hpp"

#include <array>
#include <cstdio>
#include <string>

namespace roam::lang {

namespace {

constexpr int kHostsPerLeaf = 24;
constexpr int kLeavesPerSpine = 16;
constexpr int kLeafUplinkPort = kHostsPerLeaf + 1;
constexpr int kSpineUplinkPort = kLeavesPerSpine + 1;
constexpr double kT0 = 1732470000;
constexpr int kSamples = 3;
constexpr int kLatencySources = 10;

// splitmix64: std's distributions differ between standard libraries, and the
// network must be the same everywhere for benchmarks to be comparable.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }

 private:
  std::uint64_t state_;
};

std::string hexDpid(std::size_t position) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(position + 1));
  return buf;
}

std::string ipOf(int n) {
  char buf[20];
  std::snprintf(buf, sizeof buf, "10.%d.%d.%d", (n >> 16) & 255, (n >> 8) & 255, n & 255);
  return buf;
}

std::string macOf(int n) {
  char buf[18];
  std::snprintf(buf, sizeof buf, "00:00:00:%02x:%02x:%02x", (n >> 16) & 255, (n >> 8) & 255,
                n & 255);
  return buf;
}

std::string leafName(int leaf) {
  return "leaf" + std::to_string(leaf + 1);
}
std::string spineName(int spine) {
  return "spine" + std::to_string(spine + 1);
}

}  // namespace

NetworkData makeSyntheticNetwork(int hosts, std::uint64_t seed) {
  NetworkData d;
  if (hosts <= 0) return d;
  Rng rng(seed);
  const int leaves = (hosts + kHostsPerLeaf - 1) / kHostsPerLeaf;
  const int spines = (leaves + kLeavesPerSpine - 1) / kLeavesPerSpine;
  const bool core = spines > 1;

  auto addSwitch = [&](std::string name) {
    d.switches.push_back({std::move(name), hexDpid(d.switches.size())});
  };
  if (core) addSwitch("core");
  for (int s = 0; s < spines; ++s) addSwitch(spineName(s));
  for (int l = 0; l < leaves; ++l) addSwitch(leafName(l));

  // Port samples: a base load per port, varied a little from second to second.
  auto samplePort = [&](const std::string& sw, int port, double capacity) {
    const double rx = capacity * rng.uniform(0, 0.6);
    const double tx = capacity * rng.uniform(0, 0.6);
    for (int k = 0; k < kSamples; ++k)
      d.portSamples.push_back(
          {sw, port,
           PortSample{kT0 + k, rx * rng.uniform(0.95, 1.05), tx * rng.uniform(0.95, 1.05)}});
  };

  constexpr std::array kUplinkBps{1e6, 10e6, 100e6};
  d.links.reserve(static_cast<std::size_t>(leaves + (core ? spines : 0)));
  for (int s = 0; core && s < spines; ++s)
    d.links.push_back({spineName(s), kSpineUplinkPort, "core", s + 1, 1e9});
  for (int l = 0; l < leaves; ++l) {
    const int spine = l / kLeavesPerSpine;
    const int spinePort = l % kLeavesPerSpine + 1;
    const double capacity = kUplinkBps[rng.below(kUplinkBps.size())];
    d.links.push_back({leafName(l), kLeafUplinkPort, spineName(spine), spinePort, capacity});
    samplePort(leafName(l), kLeafUplinkPort, capacity);
    samplePort(spineName(spine), spinePort, capacity);
  }

  constexpr std::array kHostBps{100e6, 250e6, 500e6, 1e9};
  constexpr std::array<std::array<const char*, 2>, 3> kImages{
      {{"roam/iperf3", "iperf"}, {"nginx:1.25", "web"}, {"redis:7", "cache"}}};
  d.hosts.reserve(static_cast<std::size_t>(hosts));
  for (int k = 0; k < hosts; ++k) {
    HostInfo h;
    h.name = "h" + std::to_string(k + 1);
    h.ip = ipOf(k + 1);
    h.mac = macOf(k + 1);
    h.switchName = leafName(k / kHostsPerLeaf);
    h.port = k % kHostsPerLeaf + 1;
    h.capacityBps = kHostBps[rng.below(kHostBps.size())];
    h.labels.emplace("rack", h.switchName);
    samplePort(h.switchName, h.port, h.capacityBps);
    if (rng.uniform() < 0.3) {
      const auto& [image, app] = kImages[rng.below(kImages.size())];
      d.containers.push_back({"c" + std::to_string(k + 1), h.name, image, Labels{{"app", app}}});
    }
    d.hosts.push_back(std::move(h));
  }

  for (const auto& s : d.switches) {
    const double packets = rng.uniform(10, 5000);
    for (int k = 0; k < kSamples; ++k) {
      const double p = packets * rng.uniform(0.95, 1.05);
      d.switchSamples.push_back({s.name, SwitchSample{kT0 + k, p, p * rng.uniform(400, 1400),
                                                      static_cast<double>(4 + rng.below(60))}});
    }
  }

  // Links crossed between two hosts in the tree: 2 under one leaf, 4 under one
  // spine, 6 through the core.
  auto linksBetween = [&](int a, int b) {
    if (a / kHostsPerLeaf == b / kHostsPerLeaf) return 2;
    if (a / (kHostsPerLeaf * kLeavesPerSpine) == b / (kHostsPerLeaf * kLeavesPerSpine)) return 4;
    return 6;
  };
  const int sources = hosts < kLatencySources ? hosts : kLatencySources;
  for (int s = 0; s < sources; ++s) {
    for (int k = 0; k < hosts; ++k) {
      if (k == s || (k < sources && k < s)) continue;  // each pair once
      const double ms = 0.1 * linksBetween(s, k) + rng.uniform(0, 0.05);
      d.latencies.push_back({d.hosts[static_cast<std::size_t>(s)].name,
                             d.hosts[static_cast<std::size_t>(k)].name, ms / 1000});
    }
  }
  return d;
}

}  // namespace roam::lang
