// CPU cost of the measurement collectors at scale (issue 3 goal: 1,000
// switches x 48 ports polled at 1 Hz use under 10% of one core).
//
// A synthetic Ryu controller serves pre-generated /stats/port and
// /stats/aggregateflow documents (counters advancing as under load); the
// collectors parse them with the real Ryu readers, compute rates and write
// them into a real VIB file. Generating the documents is not timed.
// One benchmark iteration = one simulated second of collection.
//  - collectorsAtScale: the documents are handed over in process (what roam
//    does with an answer, without HTTP).
//  - collectorsAtScaleOverHttp: the real RyuBackend fetches them with libcurl
//    from an HTTP server thread on 127.0.0.1.
// Both report the CPU time (user + kernel, so receiving counts) of the
// collectors' thread, not the server's.

#include <benchmark/benchmark.h>

#include <sys/socket.h>
#include <time.h>

#include <atomic>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "connection_server.hpp"
#include "socket_reader.hpp"

#include "runtime/measure/clock.hpp"
#include "runtime/measure/controller_backend.hpp"
#include "runtime/measure/json_fields.hpp"
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

// Atomic: the HTTP server thread reads it to pick the round's documents.
class FakeClock final : public Clock {
 public:
  double now() const override { return t_.load(); }
  void sleepUntil(double t) override {
    if (t > t_) t_ = t;
  }

 private:
  std::atomic<double> t_ = kStart;
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

// The answers of kRounds simulated seconds, indexed [round][dpid - 1].
struct Documents {
  Documents() {
    for (int r = 0; r < kRounds; ++r) {
      ports.emplace_back();
      aggregates.emplace_back();
      for (Dpid d = 1; d <= kSwitches; ++d) {
        ports.back().push_back(portStatsDocument(d, r));
        aggregates.back().push_back(aggregateDocument(d, r));
      }
    }
  }
  static std::size_t round(const FakeClock& clock) {
    return static_cast<std::size_t>(clock.now() - kStart) % kRounds;
  }
  std::vector<std::vector<std::string>> ports, aggregates;
};

class SyntheticRyu final : public ControllerBackend {
 public:
  SyntheticRyu(const Documents& docs, const FakeClock& clock) : docs_(docs), clock_(clock) {
    for (Dpid d = 1; d <= kSwitches; ++d) topology_.switches.push_back(d);
  }
  std::string kind() const override { return "ryu"; }
  Result<bool> prepare() override { return true; }
  Result<std::vector<Dpid>> listSwitches() override { return topology_.switches; }
  Result<std::vector<PortStats>> portStats(Dpid dpid) override {
    return portStatsReader_.read(docs_.ports[Documents::round(clock_)][dpid - 1], dpid);
  }
  Result<std::vector<PortDescription>> portDescriptions(Dpid) override {
    return std::vector<PortDescription>{};
  }
  Result<AggregateCounters> aggregate(Dpid dpid) override {
    return parseRyuAggregate(docs_.aggregates[Documents::round(clock_)][dpid - 1], dpid);
  }
  Result<DiscoveredTopology> topology() override { return topology_; }

 private:
  const Documents& docs_;
  const FakeClock& clock_;
  RyuPortStatsReader portStatsReader_;  // as RyuBackend reads them
  DiscoveredTopology topology_;
};

// The same answers over HTTP/1.1 with keep-alive, at os-ken's REST paths: one
// listening thread and one thread per connection (libcurl keeps one).
class SyntheticRyuServer {
 public:
  SyntheticRyuServer(const Documents& docs, const FakeClock& clock) : docs_(docs), clock_(clock) {
    for (Dpid d = 1; d <= kSwitches; ++d) {
      switches_ += (d > 1 ? ", " : "") + std::to_string(d);
      topologySwitches_ +=
          std::string(d > 1 ? ", " : "") + "{\"dpid\": \"" + formatDpid(d) + "\", \"ports\": []}";
      portDescriptions_.push_back("{\"" + std::to_string(d) + "\": []}");
    }
    switches_ = "[" + switches_ + "]";
    topologySwitches_ = "[" + topologySwitches_ + "]";
    if (const int listening = roamtest::listenOnLoopback(port_); listening >= 0)
      server_.emplace(listening, [this](int fd) { serve(fd); });
  }

  // 0 when the socket could not be set up.
  int port() const { return server_ ? port_ : 0; }

 private:
  // The answer's body, or nullptr for a 404.
  const std::string* answer(std::string_view path) const {
    auto dpidAfter = [&](std::string_view prefix) -> std::optional<std::size_t> {
      if (!path.starts_with(prefix)) return std::nullopt;
      const std::size_t d = std::stoul(std::string(path.substr(prefix.size())));
      if (d < 1 || d > static_cast<std::size_t>(kSwitches)) return std::nullopt;
      return d - 1;
    };
    const std::size_t round = Documents::round(clock_);
    if (path == "/stats/switches") return &switches_;
    if (path == "/v1.0/topology/switches") return &topologySwitches_;
    if (path == "/v1.0/topology/links" || path == "/v1.0/topology/hosts") return &emptyList_;
    if (auto i = dpidAfter("/stats/port/")) return &docs_.ports[round][*i];
    if (auto i = dpidAfter("/stats/aggregateflow/")) return &docs_.aggregates[round][*i];
    if (auto i = dpidAfter("/stats/portdesc/")) return &portDescriptions_[*i];
    return nullptr;
  }

  void serve(int fd) {
    roamtest::SocketReader reader(fd, server_->stopping());
    std::string head;
    while (reader.readUntil("\r\n\r\n", head)) {
      const auto sp1 = head.find(' '), sp2 = head.find(' ', sp1 + 1);
      const std::string* body = answer(std::string_view(head).substr(sp1 + 1, sp2 - sp1 - 1));
      const std::string response =
          std::string(body ? "HTTP/1.1 200 OK\r\n" : "HTTP/1.1 404 Not Found\r\n") +
          "Content-Type: application/json\r\nContent-Length: " +
          std::to_string(body ? body->size() : 0) + "\r\n\r\n" + (body ? *body : "");
      if (::send(fd, response.data(), response.size(), MSG_NOSIGNAL) < 0) break;
    }
  }

  const Documents& docs_;
  const FakeClock& clock_;
  std::string switches_, topologySwitches_, emptyList_ = "[]";
  std::vector<std::string> portDescriptions_;
  int port_ = 0;
  std::optional<roamtest::ConnectionServer> server_;  // last: its threads use the above
};

double threadCpuSeconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// A VIB file in the temp directory, removed with its WAL afterwards.
struct TempVib {
  explicit TempVib(const char* name) : path(std::filesystem::temp_directory_path() / name) {
    remove();
    opened = Vib::open(path.string());
  }
  ~TempVib() {
    if (opened) opened->reset();
    remove();
  }
  TempVib(const TempVib&) = delete;
  TempVib& operator=(const TempVib&) = delete;
  void remove() const {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix);
  }
  std::filesystem::path path;
  Vib::OpenResult opened{roam::Error{roam::ErrorCode::Internal, "not opened yet"}};
};

// One iteration = one simulated second of collection, after a first poll that
// sets the rate baselines and reads the topology. The iteration time is this
// thread's CPU time (the collectors run on it), so it is the fraction of one
// core the collectors need at 1 Hz.
void collect(benchmark::State& st, ControllerBackend& controller, FakeClock& clock,
             const char* vibName) {
  TempVib vib(vibName);
  if (!vib.opened) {
    st.SkipWithError(vib.opened.error().message.c_str());
    return;
  }
  MeasurementService service(controller, **vib.opened, clock);
  service.runUntil(kStart + 1, nullptr);
  double t = kStart + 1;
  double cpu = 0;
  for (auto _ : st) {
    t += 1;
    const double before = threadCpuSeconds();
    service.runUntil(t, nullptr);
    const double spent = threadCpuSeconds() - before;
    cpu += spent;
    st.SetIterationTime(spent);
  }
  if (service.stats().errors > 0) st.SkipWithError("the collectors reported errors");
  st.counters["core_fraction"] = benchmark::Counter(cpu, benchmark::Counter::kAvgIterations);
  st.counters["port_samples_per_round"] = kSwitches * kPorts;
}

void collectorsAtScale(benchmark::State& st) {
  FakeClock clock;
  Documents docs;
  SyntheticRyu controller(docs, clock);
  collect(st, controller, clock, "roam-collector-bench.sqlite");
}

void collectorsAtScaleOverHttp(benchmark::State& st) {
  FakeClock clock;
  Documents docs;
  SyntheticRyuServer server(docs, clock);
  if (server.port() == 0) {
    st.SkipWithError("cannot listen on 127.0.0.1");
    return;
  }
  RyuBackend controller("http://127.0.0.1:" + std::to_string(server.port()));
  collect(st, controller, clock, "roam-collector-http-bench.sqlite");
}

}  // namespace

BENCHMARK(collectorsAtScaleOverHttp)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(20)
    ->UseManualTime();

BENCHMARK(collectorsAtScale)->Unit(benchmark::kMillisecond)->Iterations(20)->UseManualTime();

BENCHMARK_MAIN();
