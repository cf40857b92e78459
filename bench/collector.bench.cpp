// CPU cost of the measurement collectors at scale (issue 3 goal: 1,000
// switches x 48 ports polled at 1 Hz use under 10% of one core).
//
// A synthetic Ryu controller serves pre-generated /stats/port and
// /stats/aggregateflow documents (counters advancing as under load); the
// collectors parse them with the real Ryu parsers, compute rates and write
// them into a real VIB file. HTTP transfer is left out (it is kernel and
// controller time, not roam's); generating the documents is not timed.
// One benchmark iteration = one simulated second of collection.

#include <benchmark/benchmark.h>

#include <filesystem>
#include <string>
#include <vector>

#include "runtime/measure/clock.hpp"
#include "runtime/measure/controller_backend.hpp"
#include "runtime/measure/measurement_service.hpp"
#include "runtime/measure/ryu_backend.hpp"
#include "runtime/measure/ryu_port_stats_reader.hpp"
#include "runtime/vib/vib.hpp"

namespace {

using namespace roam::runtime;

constexpr int kSwitches = 1000;
constexpr int kPorts = 48;
constexpr int kRounds = 12;  // simulated seconds of documents
constexpr double kStart = 1732470000;

class FakeClock final : public Clock {
 public:
  double now() const override { return t_; }
  void sleepUntil(double t) override {
    if (t > t_) t_ = t;
  }

 private:
  double t_ = kStart;
};

// Documents exactly as os-ken's ofctl_rest writes them (tests/fixtures/ryu).
std::string portStatsDocument(Dpid dpid, int round) {
  std::string out = "{\"" + std::to_string(dpid) + "\": [";
  for (int p = 1; p <= kPorts; ++p) {
    // About 5 Mbit/s in and 3 Mbit/s out per port.
    std::uint64_t rx = static_cast<std::uint64_t>(round) * 625000 + p * 1000;
    std::uint64_t tx = static_cast<std::uint64_t>(round) * 375000 + p * 700;
    if (p > 1) out += ", ";
    out += "{\"port_no\": " + std::to_string(p) + ", \"rx_packets\": " + std::to_string(rx / 1000) +
           ", \"tx_packets\": " + std::to_string(tx / 1000) +
           ", \"rx_bytes\": " + std::to_string(rx) + ", \"tx_bytes\": " + std::to_string(tx) +
           ", \"rx_dropped\": 0, \"tx_dropped\": 0, \"rx_errors\": 0, \"tx_errors\": 0, "
           "\"rx_frame_err\": 0, \"rx_over_err\": 0, \"rx_crc_err\": 0, \"collisions\": 0, "
           "\"duration_sec\": " +
           std::to_string(100 + round) + ", \"duration_nsec\": 5e+08}";
  }
  // Every OVS bridge also reports its LOCAL port, by name.
  out +=
      ", {\"port_no\": \"LOCAL\", \"rx_packets\": 0, \"tx_packets\": 0, \"rx_bytes\": 0, "
      "\"tx_bytes\": 0, \"rx_dropped\": 0, \"tx_dropped\": 0, \"rx_errors\": 0, "
      "\"tx_errors\": 0, \"rx_frame_err\": 0, \"rx_over_err\": 0, \"rx_crc_err\": 0, "
      "\"collisions\": 0, \"duration_sec\": 100, \"duration_nsec\": 0}";
  return out + "]}";
}

std::string aggregateDocument(Dpid dpid, int round) {
  return "{\"" + std::to_string(dpid) + "\": [{\"packet_count\": " + std::to_string(round * 9000) +
         ", \"byte_count\": " + std::to_string(round * 12000000) + ", \"flow_count\": 12}]}";
}

class SyntheticRyu final : public ControllerBackend {
 public:
  explicit SyntheticRyu(const FakeClock& clock) : clock_(clock) {
    for (int r = 0; r < kRounds; ++r) {
      ports_.emplace_back();
      aggregates_.emplace_back();
      for (Dpid d = 1; d <= kSwitches; ++d) {
        ports_.back().push_back(portStatsDocument(d, r));
        aggregates_.back().push_back(aggregateDocument(d, r));
      }
    }
    for (Dpid d = 1; d <= kSwitches; ++d) topology_.switches.push_back(d);
  }
  std::string kind() const override { return "ryu"; }
  Result<bool> prepare() override { return true; }
  Result<std::vector<Dpid>> listSwitches() override { return topology_.switches; }
  Result<std::vector<PortStats>> portStats(Dpid dpid) override {
    return portStatsReader_.read(ports_[round()][dpid - 1], dpid);
  }
  Result<std::vector<PortDescription>> portDescriptions(Dpid) override {
    return std::vector<PortDescription>{};
  }
  Result<AggregateCounters> aggregate(Dpid dpid) override {
    return parseRyuAggregate(aggregates_[round()][dpid - 1], dpid);
  }
  Result<DiscoveredTopology> topology() override { return topology_; }

 private:
  std::size_t round() const { return static_cast<std::size_t>(clock_.now() - kStart) % kRounds; }
  const FakeClock& clock_;
  RyuPortStatsReader portStatsReader_;  // as RyuBackend reads them
  std::vector<std::vector<std::string>> ports_, aggregates_;
  DiscoveredTopology topology_;
};

void collectorsAtScale(benchmark::State& st) {
  auto path = std::filesystem::temp_directory_path() / "roam-collector-bench.sqlite";
  std::filesystem::remove(path);
  auto opened = Vib::open(path.string());
  if (!opened.vib) {
    st.SkipWithError(opened.error.c_str());
    return;
  }
  FakeClock clock;
  SyntheticRyu controller(clock);
  MeasurementService service(controller, *opened.vib, clock);
  service.runUntil(kStart + 1, nullptr);  // first poll: baselines, topology
  double t = kStart + 1;
  for (auto _ : st) {
    t += 1;
    service.runUntil(t, nullptr);
  }
  // CPU seconds per simulated second = the fraction of one core the
  // collectors need at 1 Hz.
  st.counters["core_fraction"] =
      benchmark::Counter(static_cast<double>(st.iterations()),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  st.counters["port_samples_per_round"] = kSwitches * kPorts;
  std::filesystem::remove(path);
  std::filesystem::remove(path.string() + "-wal");
  std::filesystem::remove(path.string() + "-shm");
}

}  // namespace

BENCHMARK(collectorsAtScale)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(20)
    ->MeasureProcessCPUTime();

BENCHMARK_MAIN();
