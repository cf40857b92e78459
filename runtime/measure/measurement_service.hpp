#pragma once
// Software-defined measurement: the collectors that poll an SDN controller
// and write rates and topology into a MeasurementSink (the VIB).
//
// One thread, driven by deadlines: each collector (topology, bandwidth,
// aggregate, latency) has its own interval and next due time. A failing
// collector backs off exponentially (capped) and logs one line per kind of
// failure, then "still failing" at a low rate, then "recovered"; the sink
// keeps the last good data and gets a CollectorStatus row per attempt.

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "runtime/manager_metrics.hpp"
#include "runtime/measure/clock.hpp"
#include "runtime/measure/controller_backend.hpp"
#include "runtime/measure/latency_source.hpp"
#include "runtime/measure/measurement_sink.hpp"
#include "runtime/measure/rate_calculator.hpp"
#include "runtime/measure/topology_file.hpp"

namespace roam::runtime {

struct MeasurementOptions {
  double bandwidthIntervalSeconds = 1;
  double aggregateIntervalSeconds = 5;
  double topologyIntervalSeconds = 5;
  double latencyIntervalSeconds = 5;  // only with a LatencySource
  double maxBackoffSeconds = 30;      // never less than the collector's interval
  double repeatLogSeconds = 60;       // "still failing" at most this often
};

// What `roam measure` prints; counts are cumulative.
struct MeasurementStats {
  std::size_t switches = 0;  // in the last topology (or the last switch list)
  std::size_t ports = 0;     // polled in the last bandwidth attempt
  std::uint64_t portSamples = 0;
  std::uint64_t switchSamples = 0;
  std::uint64_t errors = 0;                // failed attempts, all collectors
  std::optional<double> newestPortSample;  // time of the newest sample written
};

using MeasurementLog = std::function<void(const std::string& line)>;

class MeasurementService {
 public:
  MeasurementService(ControllerBackend& backend, MeasurementSink& sink, Clock& clock,
                     MeasurementOptions options = {}, TopologyNaming naming = TopologyNaming(),
                     MeasurementLog log = {}, LatencySource* latency = nullptr);

  // Runs every collector due at the clock's now; returns the next due time.
  double runDue();
  // Runs collectors until the clock reaches `until` or `*stop` is set,
  // sleeping on the clock in between (in slices, so `stop` is honoured).
  void runUntil(double until, const std::atomic<bool>* stop = nullptr);

  const MeasurementStats& stats() const { return stats_; }
  // Counts each collector's attempts and failures and the age of its newest
  // data into METRICS (may be null); before the first run.
  void setMetrics(ManagerMetrics* metrics) { metrics_ = metrics; }

  // Seconds since the newest port sample, nullopt before the first one.
  std::optional<double> dataAgeSeconds() const;
  // True when the newest port data is older than two bandwidth intervals
  // (or there is none yet after two intervals of running).
  bool stale() const;

 private:
  // The outcome of one attempt: errors, and whether anything succeeded.
  struct Attempt {
    std::vector<FetchError> errors;
    bool partial = false;  // some parts worked: keep the normal schedule
  };

  struct Collector {
    std::string name;  // "bandwidth", ...
    double interval = 1;
    double nextDue = 0;
    int failures = 0;         // consecutive failed attempts
    double failingSince = 0;  // first failure of the current streak
    std::string loggedKind;   // kind of the failure last logged
    double lastLogAt = 0;
    int unloggedRepeats = 0;       // failures of the logged kind since the last log line
    double nextBaselineSweep = 0;  // when to drop the rate baselines of vanished ports
    Attempt (MeasurementService::*poll)() = nullptr;
  };
  // Drops baselines not updated for an hour (or 10 intervals), looking at
  // most once a minute: a sweep visits every baseline (48,000 at scale).
  void sweepBaselines(Collector& c, RateCalculator& rates);
  void finish(Collector& c, const Attempt& a, double started);
  Attempt pollTopology();
  Attempt pollBandwidth();
  Attempt pollAggregate();
  Attempt pollLatency();
  // The switches to poll: those of the last topology, else the switch list.
  Result<std::vector<Dpid>> switchesToPoll();
  void log(const std::string& line) const;
  // Sink calls guarded: a VIB that throws must not stop the collectors.
  template <class F>
  bool write(const char* what, F&& f);

  ControllerBackend& backend_;
  MeasurementSink& sink_;
  Clock& clock_;
  MeasurementOptions options_;
  TopologyNaming naming_;
  MeasurementLog log_;
  LatencySource* latency_;

  std::vector<Collector> collectors_;
  double started_ = 0;
  bool prepared_ = false;
  std::optional<std::vector<Dpid>> topologySwitches_;
  PortSpeeds portSpeeds_;
  RateCalculator portRates_;
  RateCalculator switchRates_;
  MeasurementStats stats_;
  std::string sinkErrorLogged_;
  ManagerMetrics* metrics_ = nullptr;
};

}  // namespace roam::runtime
