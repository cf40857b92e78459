// `roam measure`: runs the collectors against an SDN controller into a VIB
// and prints one status line per bandwidth interval
// (runtime/measure/measure_run.hpp); SIGINT/SIGTERM stop it.

#include <atomic>
#include <csignal>
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "runtime/measure/measure_run.hpp"

namespace roam::cli {

namespace {

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

int measure(const runtime::MeasureSettings& settings) {
  auto armStop = [] {
    stopRequested.store(false);
    installStopHandlers();
  };
  return runtime::runMeasurement(settings, stopRequested, armStop, std::cout, std::cerr);
}

}  // namespace

Command addMeasureCommand(CLI::App& app, const CommandLine& line) {
  auto* cmd = app.add_subcommand(
      "measure", "Poll an SDN controller's statistics into a VIB (software-defined measurement)");
  auto a = std::make_shared<runtime::MeasureFlags>();
  addOptions(
      *cmd,
      {
          {"--controller", &a->controller,
           "ryu=URL or floodlight=URL, e.g. ryu=http://127.0.0.1:8080", true},
          {"--vib", &a->vib, "the VIB file (SQLite), created when missing", true},
          {"--topology", &a->topology,
           "topology file: names and capacities (docs/topology-file.md)"},
          {"--bandwidth-interval", &a->bandwidthInterval, "port statistics poll interval (1s)"},
          {"--aggregate-interval", &a->aggregateInterval,
           "aggregate flow statistics interval (5s)"},
          {"--topology-interval", &a->topologyInterval, "topology refresh interval (5s)"},
          {"--duration", &a->duration, "stop after this long (default: until SIGINT/SIGTERM)"},
          {"--timeout", &a->timeout, "HTTP timeout per request (2s)"},
          {"--retention", &a->retention,
           "keep raw samples this long, then 1-minute averages (1h; docs/vib.md)"},
      });
  // Flags first: every mistake on the command line is exit status 2.
  return {cmd, [a, &line] { return runOrReport(runtime::checkMeasureFlags(*a, line), measure); }};
}

}  // namespace roam::cli
