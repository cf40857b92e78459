// `roam measure`: runs the collectors against an SDN controller into a VIB
// and prints one status line per bandwidth interval.

#include <atomic>
#include <cctype>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <limits>
#include <memory>

#include "cli/commands.hpp"
#include "lang/units.hpp"
#include "runtime/measure/floodlight_backend.hpp"
#include "runtime/measure/measurement_service.hpp"
#include "runtime/measure/ryu_backend.hpp"
#include "runtime/measure/system_clock.hpp"
#include "runtime/measure/topology_file.hpp"
#include "runtime/vib/vib.hpp"

namespace roam::cli {

namespace {

struct MeasureArgs {
  std::string controller;
  std::string vib;
  std::string topology;
  std::string bandwidthInterval = "1s";
  std::string aggregateInterval = "5s";
  std::string topologyInterval = "5s";
  std::string duration;
  std::string timeout = "2s";
  std::string retention = "1h";
};

// Set from the signal handler; lock-free atomics are async-signal-safe.
std::atomic<bool> stopRequested{false};

extern "C" void onStopSignal(int) {
  stopRequested.store(true);
}

void installStopHandlers() {
  struct sigaction sa {};
  sa.sa_handler = &onStopSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

// Flags of measure take strictly positive durations.
std::optional<double> parsePositiveDuration(const std::string& text) {
  auto d = parseDurationSeconds(text);
  if (!d || !(*d > 0)) return std::nullopt;
  return d;
}

std::string clockTime(double t) {
  std::time_t secs = static_cast<std::time_t>(t);
  std::tm tm{};
  localtime_r(&secs, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%H:%M:%S", &tm);
  return buf;
}

std::string statusLine(const runtime::MeasurementService& service, double now) {
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

Command addMeasureCommand(CLI::App& app, const CommandLine& line) {
  auto* cmd = app.add_subcommand(
      "measure", "Poll an SDN controller's statistics into a VIB (software-defined measurement)");
  auto a = std::make_shared<MeasureArgs>();
  cmd->add_option("--controller", a->controller,
                  "ryu=URL or floodlight=URL, e.g. ryu=http://127.0.0.1:8080")
      ->required();
  cmd->add_option("--vib", a->vib, "the VIB file (SQLite), created when missing")->required();
  cmd->add_option("--topology", a->topology,
                  "topology file: names and capacities (docs/topology-file.md)");
  cmd->add_option("--bandwidth-interval", a->bandwidthInterval,
                  "port statistics poll interval (1s)");
  cmd->add_option("--aggregate-interval", a->aggregateInterval,
                  "aggregate flow statistics interval (5s)");
  cmd->add_option("--topology-interval", a->topologyInterval, "topology refresh interval (5s)");
  cmd->add_option("--duration", a->duration,
                  "stop after this long (default: until SIGINT/SIGTERM)");
  cmd->add_option("--timeout", a->timeout, "HTTP timeout per request (2s)");
  cmd->add_option("--retention", a->retention,
                  "keep raw samples this long, then 1-minute averages (1h; docs/vib.md)");
  return {
      cmd, [a, &line]() -> int {
        // Flags first: every mistake on the command line is exit status 2.
        auto flagError = [&](const std::string& value, const std::string& message) {
          commandLineError(line, line.find(value), message);
          return 2;
        };
        auto controller = parseControllerFlag(a->controller, {"ryu", "floodlight"}, line);
        if (!controller) return 2;
        const std::string kind = controller->kind, url = controller->url;

        struct Flag {
          const char* name;
          const std::string* text;
          double* out;
        };
        double bandwidth = 0, aggregate = 0, topology = 0, timeout = 0, retention = 0;
        double duration = std::numeric_limits<double>::infinity();
        for (const Flag& f : {Flag{"--bandwidth-interval", &a->bandwidthInterval, &bandwidth},
                              Flag{"--aggregate-interval", &a->aggregateInterval, &aggregate},
                              Flag{"--topology-interval", &a->topologyInterval, &topology},
                              Flag{"--timeout", &a->timeout, &timeout},
                              Flag{"--retention", &a->retention, &retention}}) {
          auto d = parsePositiveDuration(*f.text);
          if (!d)
            return flagError(*f.text, std::string(f.name) +
                                          " expects a positive duration such as "
                                          "1s, 500ms or 2min, got '" +
                                          *f.text + "'");
          *f.out = *d;
        }
        if (!a->duration.empty()) {
          auto d = parsePositiveDuration(a->duration);
          if (!d)
            return flagError(a->duration,
                             "--duration expects a positive duration such as 30s or 2min, got '" +
                                 a->duration + "'");
          duration = *d;
        }

        runtime::TopologyNaming naming;
        if (!a->topology.empty()) {
          auto loaded = runtime::loadTopologyFile(a->topology);
          for (const auto& d : loaded.diagnostics) std::cerr << lang::formatHeadline(d) << "\n";
          if (!loaded.file) return 1;
          naming = runtime::TopologyNaming(std::move(*loaded.file));
        }

        auto opened = runtime::Vib::open(a->vib);
        if (!opened.vib) {
          std::cerr << "roam measure: " << opened.error << "\n";
          return 1;
        }
        runtime::Vib& vib = *opened.vib;
        vib.setRetention(retention);

        runtime::HttpOptions http;
        http.totalTimeoutSeconds = timeout;
        http.connectTimeoutSeconds = std::min(timeout, 1.0);
        std::unique_ptr<runtime::ControllerBackend> backend;
        if (kind == "ryu")
          backend = std::make_unique<runtime::RyuBackend>(url, http);
        else
          backend = std::make_unique<runtime::FloodlightBackend>(url, http);

        runtime::SystemClock clock;
        runtime::MeasurementOptions options;
        options.bandwidthIntervalSeconds = bandwidth;
        options.aggregateIntervalSeconds = aggregate;
        options.topologyIntervalSeconds = topology;
        auto log = [&clock](const std::string& message) {
          std::cerr << clockTime(clock.now()) << " " << message << std::endl;
        };
        runtime::MeasurementService service(*backend, vib, clock, options, std::move(naming), log);

        stopRequested.store(false);
        installStopHandlers();
        log("measuring " + kind + " at " + url + " into " + a->vib);
        const double start = clock.now();
        const double end = start + duration;
        double nextStatus = start + bandwidth;
        // Compaction averages whole minutes, so once a minute is often enough.
        double nextCompaction = start + 60;
        std::size_t vibFailures = 0;
        while (!stopRequested.load() && clock.now() < end) {
          service.runUntil(std::min(nextStatus, end), &stopRequested);
          if (stopRequested.load()) break;
          // The VIB keeps write errors instead of throwing: report new ones.
          if (vib.failedWrites() != vibFailures) {
            vibFailures = vib.failedWrites();
            log("VIB write failed (" + std::to_string(vibFailures) +
                " so far): " + vib.lastError());
          }
          const double now = clock.now();
          if (now >= nextCompaction) {
            if (auto status = vib.compact(now); !status.ok())
              log("VIB retention failed: " + status.error);
            nextCompaction = now + 60;
          }
          if (now >= nextStatus) {
            std::cout << statusLine(service, now) << std::endl;
            while (nextStatus <= now) nextStatus += bandwidth;
          }
        }
        if (stopRequested.load()) log("stopped by signal");
        return 0;
      }};
}

}  // namespace roam::cli
