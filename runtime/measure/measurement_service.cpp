#include "runtime/measure/measurement_service.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "runtime/measure/json_fields.hpp"

namespace roam::runtime {

namespace {

enum CollectorIndex { kTopology = 0, kBandwidth = 1, kAggregate = 2, kLatency = 3 };

// The slice runUntil sleeps in when it must watch a stop flag.
constexpr double kStopPollSeconds = 0.2;

std::string seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", s);
  return buf;
}

// Failures of one kind are logged once; HTTP errors are told apart by status
// (a 404 after a 500 is news), the others by kind only, so that the same
// refusal on /stats/port/1 and /stats/port/2 is one line, not two.
std::string kindKey(const FetchError& e) {
  std::string key = fetchErrorKindName(e.kind);
  if (e.kind == FetchError::Kind::Http) key += " " + e.reason;
  return key;
}

std::string describe(const std::vector<FetchError>& errors) {
  if (errors.empty()) return {};
  std::string s = errors.front().message();
  if (errors.size() > 1) s += " (and " + std::to_string(errors.size() - 1) + " more)";
  return s;
}

bool validRate(double v) {
  return std::isfinite(v) && v >= 0;
}

}  // namespace

MeasurementService::MeasurementService(ControllerBackend& backend, MeasurementSink& sink,
                                       Clock& clock, MeasurementOptions options,
                                       TopologyNaming naming, MeasurementLog log,
                                       LatencySource* latency)
    : backend_(backend),
      sink_(sink),
      clock_(clock),
      options_(options),
      naming_(std::move(naming)),
      log_(std::move(log)),
      latency_(latency) {
  // Topology first: the other collectors poll the switches it found.
  auto add = [this](const char* name, double interval, Attempt (MeasurementService::*poll)()) {
    Collector c;
    c.name = name;
    c.interval = interval > 0 ? interval : 1;
    c.poll = poll;
    collectors_.push_back(std::move(c));
  };
  // Topology first: the other collectors poll the switches it found.
  add("topology", options_.topologyIntervalSeconds, &MeasurementService::pollTopology);
  add("bandwidth", options_.bandwidthIntervalSeconds, &MeasurementService::pollBandwidth);
  add("aggregate", options_.aggregateIntervalSeconds, &MeasurementService::pollAggregate);
  if (latency_) add("latency", options_.latencyIntervalSeconds, &MeasurementService::pollLatency);
}

double MeasurementService::runDue() {
  double now = clock_.now();
  if (started_ == 0) {
    started_ = now;
    for (auto& c : collectors_) c.nextDue = now;
  }
  for (auto& c : collectors_) {
    if (c.nextDue > clock_.now()) continue;
    const double attemptStart = clock_.now();
    Attempt a = (this->*c.poll)();
    finish(c, a, attemptStart);
  }
  double next = collectors_.front().nextDue;
  for (const auto& c : collectors_) next = std::min(next, c.nextDue);
  return next;
}

void MeasurementService::runUntil(double until, const std::atomic<bool>* stop) {
  while (!(stop && stop->load())) {
    if (clock_.now() >= until) break;
    double next = runDue();
    if (stop && stop->load()) break;
    double wake = std::min(next, until);
    if (stop) wake = std::min(wake, clock_.now() + kStopPollSeconds);
    clock_.sleepUntil(wake);
  }
}

std::optional<double> MeasurementService::dataAgeSeconds() const {
  if (!stats_.newestPortSample) return std::nullopt;
  return std::max(0.0, clock_.now() - *stats_.newestPortSample);
}

bool MeasurementService::stale() const {
  const double limit = 2 * collectors_[kBandwidth].interval;
  if (auto age = dataAgeSeconds()) return *age > limit;
  return started_ != 0 && clock_.now() - started_ > limit;
}

void MeasurementService::log(const std::string& line) const {
  if (log_) log_(line);
}

template <class F>
bool MeasurementService::write(const char* what, F&& f) {
  try {
    f();
    sinkErrorLogged_.clear();
    return true;
  } catch (const std::exception& e) {
    ++stats_.errors;
    std::string message = std::string("writing ") + what + " failed: " + e.what();
    if (message != sinkErrorLogged_) log("measurement sink: " + message);
    sinkErrorLogged_ = message;
    return false;
  }
}

void MeasurementService::finish(Collector& c, const Attempt& a, double started) {
  const double t = clock_.now();
  CollectorStatus status{c.name, t, a.errors.empty(), describe(a.errors)};
  write("status", [&] { sink_.writeStatus(status); });
  if (metrics_) {
    metrics_->collectorPolls.labels({c.name}).inc();
    if (!a.errors.empty()) metrics_->collectorErrors.labels({c.name}).inc();
    // Bandwidth: the newest port sample (a partial failure may have some).
    if (c.name == "bandwidth" && stats_.newestPortSample)
      metrics_->sampleAge.labels({c.name}).setTime(*stats_.newestPortSample);
    else if (c.name != "bandwidth" && a.errors.empty())
      metrics_->sampleAge.labels({c.name}).setTime(t);
  }

  if (a.errors.empty()) {
    if (c.failures > 0)
      log(c.name + " collector recovered after " + seconds(t - c.failingSince) + " (" +
          std::to_string(c.failures) + " failed attempt" + (c.failures == 1 ? "" : "s") + ")");
    c.failures = 0;
    c.loggedKind.clear();
    c.unloggedRepeats = 0;
    // Stay on the grid of the first attempt; skip slots that already passed.
    while (c.nextDue <= t) c.nextDue += c.interval;
    return;
  }

  ++stats_.errors;
  if (c.failures == 0) c.failingSince = started;
  ++c.failures;
  double delay = c.interval;
  if (!a.partial) {
    // Exponential backoff: interval, 2x, 4x, ... capped. A partial failure
    // (one switch of several) keeps the schedule so the others stay fresh.
    const double cap = std::max(options_.maxBackoffSeconds, c.interval);
    delay = std::min(cap, c.interval * std::pow(2.0, std::min(c.failures - 1, 30)));
  }
  c.nextDue = t + delay;

  const std::string key = kindKey(a.errors.front());
  if (key != c.loggedKind) {
    log(c.name + " collector: " + describe(a.errors) + "; retrying in " + seconds(delay));
    c.loggedKind = key;
    c.lastLogAt = t;
    c.unloggedRepeats = 0;
  } else if (++c.unloggedRepeats, t - c.lastLogAt >= options_.repeatLogSeconds) {
    log(c.name + " collector still failing (" + std::to_string(c.failures) + " times in " +
        seconds(t - c.failingSince) + "): " + describe(a.errors) + "; next try in " +
        seconds(delay));
    c.lastLogAt = t;
    c.unloggedRepeats = 0;
  }
}

Result<std::vector<Dpid>> MeasurementService::switchesToPoll() {
  // The topology's list only while it is current; otherwise ask directly, so
  // that switches that joined while the topology collector fails are polled.
  if (topologySwitches_ && collectors_[kTopology].failures == 0) return *topologySwitches_;
  return backend_.listSwitches();
}

MeasurementService::Attempt MeasurementService::pollTopology() {
  Attempt a;
  auto topo = backend_.topology();
  if (!topo) {
    a.errors.push_back(topo.error());
    return a;
  }
  PortSpeeds speeds;
  for (Dpid dpid : topo->switches) {
    auto ports = backend_.portDescriptions(dpid);
    if (!ports) {
      a.errors.push_back(ports.error());
      // Keep what was known of that switch's ports.
      for (const auto& [k, v] : portSpeeds_)
        if (k.first == dpid) speeds[k] = v;
      continue;
    }
    for (const auto& p : *ports)
      if (validRate(p.speedBps) && p.speedBps > 0) speeds[{dpid, p.port}] = p.speedBps;
  }
  portSpeeds_ = std::move(speeds);
  TopologyView view = naming_.build(*topo, portSpeeds_);
  const double t = clock_.now();
  if (!write("topology", [&] { sink_.writeTopology(view, t); })) {
    a.errors.push_back(FetchError{FetchError::Kind::Other, "VIB", "cannot write the topology"});
    return a;
  }
  topologySwitches_ = topo->switches;
  stats_.switches = view.switches.size();
  a.partial = true;  // the topology itself was read: no backoff for port details
  return a;
}

MeasurementService::Attempt MeasurementService::pollBandwidth() {
  Attempt a;
  if (!prepared_) {
    auto ready = backend_.prepare();
    if (!ready) {
      a.errors.push_back(ready.error());
      return a;
    }
    prepared_ = true;
  }
  auto dpids = switchesToPoll();
  if (!dpids) {
    a.errors.push_back(dpids.error());
    return a;
  }
  std::vector<lang::PortSampleRecord> samples;
  samples.reserve(stats_.ports);  // as many as last time, usually
  std::size_t ports = 0;
  bool anyAnswered = false;
  // The switch read its counters somewhere between the previous answer (or
  // the start) and its own: requests are in flight a few at a time.
  double previousAnswer = clock_.now();
  backend_.portStatsEach(*dpids, [&](std::size_t i, Result<std::vector<PortStats>> stats) {
    const double now = clock_.now();
    const double t = (previousAnswer + now) / 2;
    previousAnswer = now;
    if (!stats) {
      a.errors.push_back(stats.error());
      return;
    }
    anyAnswered = true;
    const Dpid dpid = (*dpids)[i];
    const std::string name = naming_.switchName(dpid);
    for (const auto& p : *stats) {
      ++ports;
      if (p.counters) {
        const std::uint64_t counters[] = {p.counters->rxBytes, p.counters->txBytes};
        auto rates =
            portRates_.update(RateKey{dpid, p.port}, t, p.counters->durationSeconds, counters);
        if (rates) samples.push_back({name, p.port, {t, (*rates)[0] * 8, (*rates)[1] * 8}});
      } else if (p.rates && validRate(p.rates->rxBps) && validRate(p.rates->txBps)) {
        samples.push_back({name, p.port, {t, p.rates->rxBps, p.rates->txBps}});
      }
    }
  });
  a.partial = anyAnswered;
  stats_.ports = ports;
  if (!topologySwitches_ || collectors_[kTopology].failures > 0) stats_.switches = dpids->size();
  if (!samples.empty() && write("port samples", [&] { sink_.writePortSamples(samples); })) {
    stats_.portSamples += samples.size();
    double newest = samples.front().sample.t;
    for (const auto& s : samples) newest = std::max(newest, s.sample.t);
    stats_.newestPortSample = std::max(stats_.newestPortSample.value_or(newest), newest);
  }
  // Baselines of ports gone for long are dropped; a port back after that
  // starts with a fresh baseline (its counters have usually reset anyway).
  sweepBaselines(collectors_[kBandwidth], portRates_);
  return a;
}

MeasurementService::Attempt MeasurementService::pollAggregate() {
  Attempt a;
  auto dpids = switchesToPoll();
  if (!dpids) {
    a.errors.push_back(dpids.error());
    return a;
  }
  std::vector<lang::SwitchSampleRecord> samples;
  bool anyAnswered = false;
  for (Dpid dpid : *dpids) {
    const double before = clock_.now();
    auto agg = backend_.aggregate(dpid);
    const double t = (before + clock_.now()) / 2;
    if (!agg) {
      a.errors.push_back(agg.error());
      continue;
    }
    anyAnswered = true;
    // Aggregate counters are sums over the current flows: when flows expire
    // the sums drop, which the calculator treats like a reset (no sample).
    const std::uint64_t counters[] = {agg->packets, agg->bytes};
    auto rates = switchRates_.update(RateKey{dpid}, t, std::nullopt, counters);
    if (rates)
      samples.push_back({naming_.switchName(dpid),
                         {t, (*rates)[0], (*rates)[1], static_cast<double>(agg->flows)}});
  }
  a.partial = anyAnswered;
  if (!samples.empty() && write("switch samples", [&] { sink_.writeSwitchSamples(samples); }))
    stats_.switchSamples += samples.size();
  sweepBaselines(collectors_[kAggregate], switchRates_);
  return a;
}

void MeasurementService::sweepBaselines(Collector& c, RateCalculator& rates) {
  constexpr double kSweepPeriodSeconds = 60;
  const double now = clock_.now();
  if (now < c.nextBaselineSweep) return;
  rates.forgetOlderThan(now - std::max(3600.0, 10 * c.interval));
  c.nextBaselineSweep = now + kSweepPeriodSeconds;
}

MeasurementService::Attempt MeasurementService::pollLatency() {
  Attempt a;
  auto measured = latency_->measureLatencies();
  a.errors = std::move(measured.errors);
  std::vector<lang::LatencyRecord> valid;
  for (const auto& l : measured.records)
    if (std::isfinite(l.seconds) && l.seconds >= 0 && !l.src.empty() && !l.dst.empty())
      valid.push_back(l);
  // Some pairs measured and some not: keep the schedule (no backoff).
  a.partial = !valid.empty();
  const double t = clock_.now();
  if (!valid.empty()) write("latencies", [&] { sink_.writeLatencies(valid, t); });
  return a;
}

}  // namespace roam::runtime
