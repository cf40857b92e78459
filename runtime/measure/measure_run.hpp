#pragma once
// `roam measure` as a library: its flags checked, then the collectors run
// against an SDN controller into a VIB, one status line per bandwidth
// interval, until stopped or the --duration is over.

#include <atomic>
#include <functional>
#include <iosfwd>
#include <limits>
#include <string>

#include "runtime/command_line.hpp"

namespace roam::runtime {

// The flags as typed, with the defaults of `roam measure --help`.
struct MeasureFlags {
  std::string controller;  // KIND=URL
  std::string vib;
  std::string topology;
  std::string bandwidthInterval = "1s";
  std::string aggregateInterval = "5s";
  std::string topologyInterval = "5s";
  std::string duration;  // "": until stopped
  std::string timeout = "2s";
  std::string retention = "1h";
};

// The checked flags; durations in seconds.
struct MeasureSettings {
  std::string kind, url;  // the controller: "ryu" or "floodlight", and its URL
  std::string vib;
  std::string topology;  // "" = none
  double bandwidthInterval = 1, aggregateInterval = 5, topologyInterval = 5;
  double timeout = 2, retention = 3600;
  double duration = std::numeric_limits<double>::infinity();
};

// Every mistake is located on the command line, exit status 2.
CommandResult<MeasureSettings> checkMeasureFlags(const MeasureFlags& flags,
                                                 const CommandLine& line);

// Opens the topology file, the VIB and the controller client, calls
// `beforeMeasuring` (the CLI installs its signal handlers there), then
// measures until `stop` is set or the duration is over. Status lines go to
// `out`; the log and errors (a file's "FILE:LINE:COL: error:" lines) to
// `err`. Returns the exit status: 0, or 1 when a file could not be used.
int runMeasurement(const MeasureSettings& settings, const std::atomic<bool>& stop,
                   const std::function<void()>& beforeMeasuring, std::ostream& out,
                   std::ostream& err);

}  // namespace roam::runtime
