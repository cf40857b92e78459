#include "runtime/measure/measure_run.hpp"

#include <cstdio>
#include <iostream>
#include <memory>

#include "lang/location.hpp"
#include "runtime/measure/floodlight_backend.hpp"
#include "runtime/measure/measurement_service.hpp"
#include "runtime/measure/ryu_backend.hpp"
#include "runtime/measure/system_clock.hpp"
#include "runtime/measure/topology_file.hpp"
#include "runtime/time_text.hpp"
#include "runtime/vib/vib.hpp"

namespace roam::runtime {

namespace {

// Flags of measure take strictly positive durations.
std::optional<double> parsePositiveDuration(const std::string& text) {
  auto d = parseDuration(text);
  if (!d || !(*d > 0)) return std::nullopt;
  return d;
}

std::string clockTime(double t) {
  return formatTime(t, "%H:%M:%S", TimeZone::local);
}

std::string statusLine(const MeasurementService& service, double now) {
  const auto& s = service.stats();
  char age[32] = "-";
  if (auto a = service.dataAgeSeconds()) std::snprintf(age, sizeof age, "%.1fs", *a);
  std::string line = clockTime(now) + " switches=" + std::to_string(s.switches) +
                     " ports=" + std::to_string(s.ports) +
                     " samples=" + std::to_string(s.portSamples) +
                     " errors=" + std::to_string(s.errors) + " age=" + age;
  if (service.stale()) line += " stale";
  return line;
}

}  // namespace

CommandResult<MeasureSettings> checkMeasureFlags(const MeasureFlags& flags,
                                                 const CommandLine& line) {
  auto controller = parseControllerFlag(flags.controller, {"ryu", "floodlight"}, line);
  if (!controller.ok()) return controller.error();
  MeasureSettings s;
  s.kind = controller->kind;
  s.url = controller->url;
  s.vib = flags.vib;
  s.topology = flags.topology;
  if (auto distinct = refuseOutputOverInput(line, {{"--vib", s.vib}}, {{"--topology", s.topology}});
      !distinct.ok())
    return distinct.error();

  struct Flag {
    const char* name;
    const std::string* text;
    double* out;
  };
  for (const Flag& f :
       {Flag{"--bandwidth-interval", &flags.bandwidthInterval, &s.bandwidthInterval},
        Flag{"--aggregate-interval", &flags.aggregateInterval, &s.aggregateInterval},
        Flag{"--topology-interval", &flags.topologyInterval, &s.topologyInterval},
        Flag{"--timeout", &flags.timeout, &s.timeout},
        Flag{"--retention", &flags.retention, &s.retention}}) {
    auto d = parsePositiveDuration(*f.text);
    if (!d)
      return flagMistake(line, *f.text,
                         std::string(f.name) +
                             " expects a positive duration such as 1s, 500ms or 2min, got '" +
                             *f.text + "'");
    *f.out = *d;
  }
  if (!flags.duration.empty()) {
    auto d = parsePositiveDuration(flags.duration);
    if (!d)
      return flagMistake(line, flags.duration,
                         "--duration expects a positive duration such as 30s or 2min, got '" +
                             flags.duration + "'");
    s.duration = *d;
  }
  return s;
}

int runMeasurement(const MeasureSettings& settings, const std::atomic<bool>& stop,
                   const std::function<void()>& beforeMeasuring, std::ostream& out,
                   std::ostream& err) {
  TopologyNaming naming;
  if (!settings.topology.empty()) {
    auto loaded = loadTopologyFile(settings.topology);
    for (const auto& d : loaded.diagnostics) err << lang::formatHeadline(d) << "\n";
    if (!loaded.file) return 1;
    naming = TopologyNaming(std::move(*loaded.file));
  }

  auto opened = Vib::open(settings.vib);
  if (!opened) {
    err << "roam measure: " << opened.error().message << "\n";
    return 1;
  }
  Vib& vib = **opened;
  vib.setRetention(settings.retention);

  HttpOptions http;
  http.totalTimeoutSeconds = settings.timeout;
  http.connectTimeoutSeconds = std::min(settings.timeout, 1.0);
  std::unique_ptr<ControllerBackend> backend;
  if (settings.kind == "ryu")
    backend = std::make_unique<RyuBackend>(settings.url, http);
  else
    backend = std::make_unique<FloodlightBackend>(settings.url, http);

  SystemClock clock;
  MeasurementOptions options;
  options.bandwidthIntervalSeconds = settings.bandwidthInterval;
  options.aggregateIntervalSeconds = settings.aggregateInterval;
  options.topologyIntervalSeconds = settings.topologyInterval;
  auto log = [&clock, &err](const std::string& message) {
    err << clockTime(clock.now()) << " " << message << std::endl;
  };
  MeasurementService service(*backend, vib, clock, options, std::move(naming), log);

  beforeMeasuring();
  log("measuring " + settings.kind + " at " + settings.url + " into " + settings.vib);
  const double start = clock.now();
  const double end = start + settings.duration;
  double nextStatus = start + settings.bandwidthInterval;
  // Compaction averages whole minutes, so once a minute is often enough.
  double nextCompaction = start + 60;
  std::size_t vibFailures = 0;
  while (!stop.load() && clock.now() < end) {
    service.runUntil(std::min(nextStatus, end), &stop);
    if (stop.load()) break;
    // The VIB keeps write errors instead of throwing: report new ones.
    if (vib.failedWrites() != vibFailures) {
      vibFailures = vib.failedWrites();
      log("VIB write failed (" + std::to_string(vibFailures) + " so far): " + vib.lastError());
    }
    const double now = clock.now();
    if (now >= nextCompaction) {
      if (auto status = vib.compact(now); !status.ok())
        log("VIB retention failed: " + status.error().message);
      nextCompaction = now + 60;
    }
    if (now >= nextStatus) {
      out << statusLine(service, now) << std::endl;
      while (nextStatus <= now) nextStatus += settings.bandwidthInterval;
    }
  }
  if (stop.load()) log("stopped by signal");
  return 0;
}

}  // namespace roam::runtime
