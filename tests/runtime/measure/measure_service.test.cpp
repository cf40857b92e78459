// The collector loop with a fake controller and a fake clock: rates written,
// failures logged once per kind, backoff, no bogus samples, recovery.

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "metrics_text.hpp"
#include "runtime/manager_metrics.hpp"
#include "runtime/measure/measurement_service.hpp"

using namespace roam::runtime;

namespace {

constexpr double kStart = 1'700'000'000;

class FakeClock final : public Clock {
 public:
  double now() const override { return now_; }
  void sleepUntil(double t) override { now_ = std::max(now_, t); }
  double now_ = kStart;
};

// A controller with two switches (s1-s2 linked, h1 on s1) whose port
// counters grow at fixed rates as the fake clock advances.
class FakeBackend final : public ControllerBackend {
 public:
  explicit FakeBackend(const FakeClock& clock) : clock_(clock) {}

  std::string kind() const override { return "fake"; }
  Result<bool> prepare() override {
    ++prepares;
    if (failure) return *failure;
    return true;
  }
  Result<std::vector<Dpid>> listSwitches() override {
    if (failure) return *failure;
    return switches;
  }
  Result<std::vector<PortStats>> portStats(Dpid dpid) override {
    ++portCalls;
    polledAt[dpid].push_back(clock_.now());
    if (failure) return *failure;
    if (failingSwitches.contains(dpid))
      return FetchError{FetchError::Kind::Http,
                        "GET http://fake/stats/port/" + std::to_string(dpid), "HTTP 404"};
    const double s = elapsed();
    std::vector<PortStats> out;
    for (int port : {1, 2}) {
      PortCounters c;
      c.rxBytes = offset() + static_cast<std::uint64_t>(std::llround(s * rxBytesPerS * port));
      c.txBytes = offset() + static_cast<std::uint64_t>(std::llround(s * txBytesPerS));
      out.push_back({port, c, std::nullopt});
    }
    return out;
  }
  Result<std::vector<PortDescription>> portDescriptions(Dpid) override {
    if (failure) return *failure;
    return std::vector<PortDescription>{{1, "eth1", 1e9}, {2, "eth2", 1e7}};
  }
  Result<AggregateCounters> aggregate(Dpid) override {
    if (failure) return *failure;
    const double s = elapsed();
    return AggregateCounters{offset() + static_cast<std::uint64_t>(std::llround(s * 10)),
                             offset() + static_cast<std::uint64_t>(std::llround(s * 1000)), 3};
  }
  Result<DiscoveredTopology> topology() override {
    if (failure) return *failure;
    DiscoveredTopology t;
    t.switches = switches;
    t.links = {{1, 2, 2, 1}, {2, 1, 1, 2}};
    t.hosts = {{"00:00:00:00:00:01", {"10.0.0.1"}, 1, 1}};
    return t;
  }

  std::vector<Dpid> switches{1, 2};
  double rxBytesPerS = 1000;  // port p receives p * this
  double txBytesPerS = 500;
  double resetAt = 0;  // counters restart from zero at this time (0: never)
  std::optional<FetchError> failure;
  std::set<Dpid> failingSwitches;
  int prepares = 0;
  int portCalls = 0;
  std::map<Dpid, std::vector<double>> polledAt;  // port statistics requests

 private:
  bool afterReset() const { return resetAt > 0 && clock_.now() >= resetAt; }
  double elapsed() const { return clock_.now() - (afterReset() ? resetAt : kStart); }
  std::uint64_t offset() const { return afterReset() ? 0 : 1'000'000; }
  const FakeClock& clock_;
};

class RecordingSink final : public MeasurementSink {
 public:
  void writeTopology(const TopologyView& topology, double t) override {
    topologies.push_back({topology, t});
  }
  void writePortSamples(std::span<const roam::lang::PortSampleRecord> s) override {
    ports.insert(ports.end(), s.begin(), s.end());
  }
  void writeSwitchSamples(std::span<const roam::lang::SwitchSampleRecord> s) override {
    switches.insert(switches.end(), s.begin(), s.end());
  }
  void writeLatencies(std::span<const roam::lang::LatencyRecord> l, double) override {
    latencies.insert(latencies.end(), l.begin(), l.end());
  }
  void writeStatus(const CollectorStatus& s) override { statuses.push_back(s); }

  std::vector<std::pair<TopologyView, double>> topologies;
  std::vector<roam::lang::PortSampleRecord> ports;
  std::vector<roam::lang::SwitchSampleRecord> switches;
  std::vector<roam::lang::LatencyRecord> latencies;
  std::vector<CollectorStatus> statuses;

  std::vector<CollectorStatus> statusesOf(const std::string& collector) const {
    std::vector<CollectorStatus> out;
    for (const auto& s : statuses)
      if (s.collector == collector) out.push_back(s);
    return out;
  }
};

struct Fixture {
  FakeClock clock;
  FakeBackend backend{clock};
  RecordingSink sink;
  std::vector<std::string> logs;
  MeasurementOptions options;

  std::unique_ptr<MeasurementService> service(std::optional<TopologyFile> file = std::nullopt,
                                              LatencySource* latency = nullptr) {
    return std::make_unique<MeasurementService>(
        backend, sink, clock, options, TopologyNaming(std::move(file)),
        [this](const std::string& line) { logs.push_back(line); }, latency);
  }
  std::vector<std::string> logsContaining(const std::string& text) const {
    std::vector<std::string> out;
    for (const auto& l : logs)
      if (l.find(text) != std::string::npos) out.push_back(l);
    return out;
  }
};

FetchError refused() {
  return {FetchError::Kind::Connect, "GET http://127.0.0.1:8080/stats/switches",
          "connection refused"};
}

std::string allLogs(const std::vector<std::string>& logs) {
  std::string s;
  for (const auto& l : logs) s += l + "\n";
  return s;
}

}  // namespace

TEST_CASE("measure: collectors write rates, topology and status on schedule",
          "[runtime][measure]") {
  Fixture f;
  TopologyFile file;
  file.switches = {{1, "s1"}, {2, "s2"}};
  TopologyFileHost h1;
  h1.name = "h1";
  h1.ip = "10.0.0.1";
  h1.capacityBps = 1e8;
  file.hosts = {h1};
  auto service = f.service(file);
  service->runUntil(kStart + 10.5);

  INFO(allLogs(f.logs));
  CHECK(f.logs.empty());
  // Topology at 0, 5, 10; named and sized from the file and port speeds.
  REQUIRE(f.sink.topologies.size() == 3);
  const auto& view = f.sink.topologies[0].first;
  REQUIRE(view.switches.size() == 2);
  CHECK(view.switches[0].name == "s1");
  REQUIRE(view.links.size() == 1);
  CHECK(view.links[0].capacityBps == 1e7);  // min(s1:2 = 1e7, s2:1 = 1e9)
  REQUIRE(view.hosts.size() == 1);
  CHECK(view.hosts[0].name == "h1");
  CHECK(view.hosts[0].capacityBps == 1e8);

  // Bandwidth polls at 0..10: the first is a baseline; 10 polls x 4 ports.
  REQUIRE(f.sink.ports.size() == 40);
  for (const auto& s : f.sink.ports) {
    CHECK(s.sample.rxBps == Approx(8000.0 * s.port));
    CHECK(s.sample.txBps == Approx(4000.0));
  }
  CHECK(f.sink.ports.front().switchName == "s1");
  CHECK(f.sink.ports.front().sample.t == kStart + 1);
  // Aggregate at 0, 5, 10: two rates per switch.
  REQUIRE(f.sink.switches.size() == 4);
  CHECK(f.sink.switches[0].sample.packetsPerS == Approx(10));
  CHECK(f.sink.switches[0].sample.bytesPerS == Approx(1000));
  CHECK(f.sink.switches[0].sample.flows == 3);

  CHECK(f.sink.statusesOf("bandwidth").size() == 11);
  CHECK(f.sink.statusesOf("aggregate").size() == 3);
  for (const auto& s : f.sink.statuses) CHECK(s.ok);
  CHECK(service->stats().switches == 2);
  CHECK(service->stats().ports == 4);
  CHECK(service->stats().portSamples == 40);
  CHECK(service->stats().errors == 0);
  CHECK(*service->dataAgeSeconds() == Approx(0.5));
  CHECK_FALSE(service->stale());
}

TEST_CASE("measure: an outage: one log line per kind, backoff, no samples, recovery",
          "[runtime][measure]") {
  Fixture f;
  f.options.maxBackoffSeconds = 8;
  auto service = f.service();
  service->runUntil(kStart + 2.5);  // polls at 0, 1, 2
  const auto samplesBefore = f.sink.ports.size();
  REQUIRE(samplesBefore == 8);

  f.backend.failure = refused();
  const int callsBefore = f.backend.portCalls;
  service->runUntil(kStart + 40.5);
  INFO(allLogs(f.logs));

  // One line per collector, not one per attempt.
  auto bw = f.logsContaining("bandwidth collector");
  REQUIRE(bw.size() == 1);
  // The topology was fine until now, so its two switches were tried.
  CHECK(bw[0] ==
        "bandwidth collector: GET http://127.0.0.1:8080/stats/switches: connection refused "
        "(and 1 more); retrying in 1.0 s");
  CHECK(f.logsContaining("aggregate collector").size() == 1);
  CHECK(f.logsContaining("topology collector").size() == 1);
  // No samples while failing.
  CHECK(f.sink.ports.size() == samplesBefore);
  // Backoff: attempts at 3, 4, 6, 10, 18, 26, 34 (1, 2, 4, 8, 8, ... s apart).
  auto failed = f.sink.statusesOf("bandwidth");
  std::vector<double> failedAt;
  for (const auto& s : failed)
    if (!s.ok) failedAt.push_back(s.t - kStart);
  CHECK(failedAt == std::vector<double>{3, 4, 6, 10, 18, 26, 34});
  CHECK(failed.back().error == "GET http://127.0.0.1:8080/stats/switches: connection refused");
  // Once the topology collector fails too (t = 5), the switch list is asked
  // for first, and its failure spares the per-switch requests.
  CHECK(f.backend.portCalls == callsBefore + 2 * 2);
  CHECK(service->stale());

  // Recovery at the next attempt (t = 42): logged once, and the first rate
  // spans the whole gap, so it is the true average, not a spike.
  f.backend.failure.reset();
  service->runUntil(kStart + 42.5);
  auto recovered = f.logsContaining("bandwidth collector recovered");
  REQUIRE(recovered.size() == 1);
  CHECK(recovered[0] == "bandwidth collector recovered after 39.0 s (7 failed attempts)");
  REQUIRE(f.sink.ports.size() == samplesBefore + 4);
  for (std::size_t i = samplesBefore; i < f.sink.ports.size(); ++i) {
    CHECK(f.sink.ports[i].sample.rxBps == Approx(8000.0 * f.sink.ports[i].port));
    CHECK(f.sink.ports[i].sample.t == kStart + 42);
  }
  CHECK_FALSE(service->stale());
  CHECK(service->stats().errors > 0);
}

TEST_CASE("measure: a long outage logs 'still failing' at a low rate", "[runtime][measure]") {
  Fixture f;
  f.options.maxBackoffSeconds = 4;
  f.options.repeatLogSeconds = 60;
  f.backend.failure = refused();
  auto service = f.service();
  service->runUntil(kStart + 200);
  INFO(allLogs(f.logs));
  auto bw = f.logsContaining("bandwidth collector");
  // The first line, then one per minute: at most 1 + 200/60.
  REQUIRE(bw.size() >= 3);
  CHECK(bw.size() <= 4);
  CHECK(bw[1].starts_with("bandwidth collector still failing ("));
  CHECK(f.sink.ports.empty());
  CHECK(f.sink.topologies.empty());
}

TEST_CASE("measure: a new kind of failure gets its own line", "[runtime][measure]") {
  Fixture f;
  auto service = f.service();
  f.backend.failure = refused();
  service->runUntil(kStart + 3.5);
  f.backend.failure =
      FetchError{FetchError::Kind::BadAnswer, "GET http://127.0.0.1:8080/stats/switches",
                 "invalid JSON at byte 0"};
  service->runUntil(kStart + 30);
  f.backend.failure = FetchError{FetchError::Kind::Timeout,
                                 "GET http://127.0.0.1:8080/stats/switches", "timed out after 2 s"};
  service->runUntil(kStart + 60);
  INFO(allLogs(f.logs));
  auto bw = f.logsContaining("bandwidth collector");
  REQUIRE(bw.size() == 3);
  CHECK(bw[0].find("connection refused") != std::string::npos);
  CHECK(bw[1].find("invalid JSON at byte 0") != std::string::npos);
  CHECK(bw[2].find("timed out after 2 s") != std::string::npos);
}

TEST_CASE("measure: a counter reset gives no sample for that interval", "[runtime][measure]") {
  Fixture f;
  f.backend.resetAt = kStart + 3;  // the switch restarts between polls 2 and 3
  auto service = f.service();
  service->runUntil(kStart + 5.5);
  // Rates at 1, 2 (baseline 0); none at 3 (reset); rates at 4, 5.
  std::set<double> times;
  for (const auto& s : f.sink.ports) {
    times.insert(s.sample.t - kStart);
    CHECK(s.sample.rxBps == Approx(8000.0 * s.port));
    CHECK(s.sample.rxBps >= 0);
  }
  CHECK(times == std::set<double>{1, 2, 4, 5});
}

TEST_CASE("measure: a switch back after more than an hour starts from a fresh baseline",
          "[runtime][measure]") {
  Fixture f;
  auto service = f.service();
  service->runUntil(kStart + 5.5);
  f.backend.switches = {1};  // s2 leaves the network...
  service->runUntil(kStart + 4000);
  f.backend.switches = {1, 2};  // ...and comes back, its counters never reset
  f.backend.polledAt.clear();
  service->runUntil(kStart + 4030);

  const auto& polls = f.backend.polledAt[2];
  REQUIRE(polls.size() >= 3);
  std::vector<double> sampled;
  for (const auto& s : f.sink.ports)
    if (s.switchName == "0000000000000002" && s.sample.t >= polls.front() && s.port == 1)
      sampled.push_back(s.sample.t);
  // Its old baseline was swept, so the first poll after its return is a
  // baseline only (no rate averaged over the hour it was away); every later
  // poll gives a rate.
  CHECK(sampled == std::vector<double>(polls.begin() + 1, polls.end()));
}

TEST_CASE("measure: one failing switch: the others keep their schedule", "[runtime][measure]") {
  Fixture f;
  f.backend.failingSwitches = {2};
  auto service = f.service();
  service->runUntil(kStart + 5.5);
  INFO(allLogs(f.logs));
  // s1's two ports at 1..5; nothing for s2.
  CHECK(f.sink.ports.size() == 10);
  for (const auto& s : f.sink.ports) CHECK(s.switchName == "0000000000000001");
  auto statuses = f.sink.statusesOf("bandwidth");
  CHECK(statuses.size() == 6);  // no backoff
  for (const auto& s : statuses) {
    CHECK_FALSE(s.ok);
    CHECK(s.error == "GET http://fake/stats/port/2: HTTP 404");
  }
  CHECK(f.logsContaining("bandwidth collector").size() == 1);

  f.backend.failingSwitches.clear();
  service->runUntil(kStart + 7.5);
  CHECK(f.logsContaining("bandwidth collector recovered").size() == 1);
}

TEST_CASE("measure: prepare is retried until it works", "[runtime][measure]") {
  Fixture f;
  f.backend.failure = refused();
  auto service = f.service();
  service->runUntil(kStart + 2.5);
  f.backend.failure.reset();
  service->runUntil(kStart + 10);
  CHECK(f.backend.prepares >= 2);
  CHECK_FALSE(f.sink.ports.empty());
}

TEST_CASE("measure: latency samples come from a LatencySource when there is one",
          "[runtime][measure]") {
  struct Pinger final : LatencySource {
    LatencyMeasurement measureLatencies() override {
      return {{{"h1", "h2", 0.002}, {"h1", "h3", NAN}}, {}};
    }
  } pinger;
  Fixture f;
  f.options.latencyIntervalSeconds = 5;
  auto service = f.service(std::nullopt, &pinger);
  service->runUntil(kStart + 6);
  REQUIRE(f.sink.latencies.size() == 2);  // two rounds; the NaN is dropped
  CHECK(f.sink.latencies[0].seconds == 0.002);
  CHECK(f.sink.statusesOf("latency").size() == 2);
}

TEST_CASE("measure: a partly failing latency source keeps its samples, schedule and one log line",
          "[runtime][measure]") {
  struct HalfDown final : LatencySource {
    LatencyMeasurement measureLatencies() override {
      return {{{"h1", "h2", 0.002}},
              {FetchError{FetchError::Kind::Connect, "agent h3 (10.0.0.3:7070)", "refused"}}};
    }
  } source;
  Fixture f;
  f.options.latencyIntervalSeconds = 5;
  auto service = f.service(std::nullopt, &source);
  service->runUntil(kStart + 11);
  // Rounds at 0, 5 and 10 s: a partial failure does not back off.
  REQUIRE(f.sink.latencies.size() == 3);
  auto statuses = f.sink.statusesOf("latency");
  REQUIRE(statuses.size() == 3);
  CHECK_FALSE(statuses[0].ok);
  CHECK(statuses[0].error.find("agent h3 (10.0.0.3:7070): refused") != std::string::npos);
  CHECK(f.logsContaining("latency collector: agent h3").size() == 1);
}

TEST_CASE("measure: a stop flag ends runUntil", "[runtime][measure]") {
  Fixture f;
  auto service = f.service();
  std::atomic<bool> stop{true};
  service->runUntil(kStart + 100, &stop);
  CHECK(f.sink.statuses.empty());
}

TEST_CASE("measure: the metrics count polls and errors and give the newest data's age",
          "[runtime][measure][metrics]") {
  Fixture f;
  roam::metrics::Registry registry([&f] { return f.clock.now(); });
  ManagerMetrics metrics(registry);
  auto service = f.service();
  service->setMetrics(&metrics);
  service->runUntil(kStart + 2.5);  // bandwidth at 0, 1, 2; the first is a baseline
  f.backend.failure = refused();
  service->runUntil(kStart + 10.5);  // bandwidth fails at 3, 4, 6, 10; topology at 5, 10
  auto value = [&](const std::string& series) {
    auto v = roamtest::sample(registry, series);
    INFO(series << "\n" << registry.render());
    REQUIRE(v);
    return *v;
  };
  CHECK(value("roam_collector_polls_total{collector=\"bandwidth\"}") == 7);
  CHECK(value("roam_collector_errors_total{collector=\"bandwidth\"}") == 4);
  CHECK(value("roam_collector_polls_total{collector=\"topology\"}") == 3);
  CHECK(value("roam_collector_errors_total{collector=\"topology\"}") == 2);
  // The newest port sample is from t = 2; the topology's last success t = 0.
  CHECK(value("roam_collector_sample_age_seconds{collector=\"bandwidth\"}") == Approx(8.5));
  CHECK(value("roam_collector_sample_age_seconds{collector=\"topology\"}") == Approx(10.5));
  f.clock.now_ += 5;  // nothing new: the age grows
  CHECK(value("roam_collector_sample_age_seconds{collector=\"bandwidth\"}") == Approx(13.5));
}
