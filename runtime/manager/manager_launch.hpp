#pragma once
// `roam manager` as a library: its flags checked and laid over the
// configuration file, then the Migration Manager run with its admin socket
// until SIGINT/SIGTERM (SIGHUP reloads) or the --duration is over.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/log_event.hpp"
#include "runtime/command_line.hpp"
#include "runtime/manager/manager_config.hpp"
#include "runtime/web/web_address.hpp"

namespace roam::runtime {

// The flags as typed ("" or empty: not given).
struct ManagerFlags {
  std::string config;
  std::string policy;
  std::string policyName;
  std::vector<std::string> params;
  std::string state;
  bool dryRun = false;
  std::string decisionLog;
  std::string interval;
  std::string vib;
  std::string adminSocket;
  std::vector<std::string> agents;
  std::string certs;
  std::string identity;
  std::string cooldown;
  std::string duration;
  std::string metrics;
  std::string logFormat;  // --log-format text|json
  std::string web;        // --web: the live view's address (docs/web.md)
};

// The checked flags as a function applied to the file's configuration at
// start and at every reload: a flag given wins over the file. Relative paths
// are made absolute against the working directory at the time of the call.
struct ManagerFlagOverrides {
  ManagerFlags flags;
  std::vector<lang::ParamOverride> params;
  std::optional<double> interval, cooldown;
  std::vector<AgentAddress> agents;

  void operator()(ManagerConfig& c) const;
};

// What the manager starts with.
struct ManagerLaunch {
  ManagerConfig config;  // the file's (or the defaults) with the flags laid over it
  ManagerFlagOverrides overrides;
  std::optional<double> duration;  // --duration: stop after this long
  std::optional<WebAddress> web;   // --web: serve the live view there
};

// Checks the flags, reads --config and lays the flags over it. Errors: flag
// mistakes at their place on the command line (status 2), the file's
// "FILE:LINE:COL: error:" lines (status 1).
CommandResult<ManagerLaunch> prepareManagerLaunch(const ManagerFlags& flags,
                                                  const CommandLine& line);

// Runs the manager of `launch` in this process until a signal or the
// duration stops it; `log` gets its log events. Blocks SIGINT, SIGTERM, SIGHUP
// and SIGUSR1 in the calling thread (and every thread it starts). Tells
// systemd (common/service_notifier.hpp, when $NOTIFY_SOCKET is set) READY
// once serving, RELOADING and READY around a SIGHUP reload, STOPPING on
// SIGINT/SIGTERM or at the end of --duration, and WATCHDOG every half
// $WATCHDOG_USEC. Returns the exit status after saying why (stderr in text
// format, an error event in JSON).
int runManager(const ManagerLaunch& launch, const logging::Logger& log);

}  // namespace roam::runtime
