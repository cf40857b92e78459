// `roam manager`: the Migration Manager (runtime/manager/manager_launch.hpp),
// its admin socket for `roam repl --connect`, and the signals: SIGHUP
// reloads, SIGINT/SIGTERM stop. Its log goes to stderr as text or JSON lines.

#include <iostream>

#include <memory>

#include "cli/commands.hpp"
#include "runtime/manager/manager_launch.hpp"

namespace roam::cli {

Command addManagerCommand(CLI::App& app, const CommandLine& line) {
  auto a = std::make_shared<runtime::ManagerFlags>();
  auto* cmd = app.add_subcommand(
      "manager", "Run the Migration Manager: measure, decide with the policy, migrate");
  addOptions(
      *cmd,
      {
          {"--config", &a->config, "configuration file (docs/configuration.md)"},
          {"--policy", &a->policy, "the .policy file (overrides the configuration)"},
          {"--policy-name", &a->policyName, "the policy in that file (when it has several)"},
          {"--param", &a->params, "override a policy parameter: NAME=VALUE"},
          {"--state", &a->state, "use this fixed STATE.json instead of live collectors"},
          {"--dry-run", &a->dryRun, "decide and log, never dispatch a migration"},
          {"--decision-log", &a->decisionLog, "append every decision here as a JSON line"},
          {"--interval", &a->interval, "evaluate this often (default: the policy's `when every`)"},
          {"--cooldown", &a->cooldown, "a container that moved stays put this long (60s)"},
          {"--vib", &a->vib, "the VIB file (default /var/lib/roam/vib.sqlite)"},
          {"--admin-socket", &a->adminSocket,
           "unix socket for roam repl --connect (default /run/roam/manager.sock)"},
          {"--agent", &a->agents, "an agent: NAME=HOST:PORT (repeat; replaces the file's)"},
          {"--certs", &a->certs, "directory with ca.crt and the manager's certificate"},
          {"--identity", &a->identity, "whose certificate to present (default manager)"},
          {"--duration", &a->duration, "stop after this long (default: until SIGTERM)"},
          {"--metrics", &a->metrics, "ADDR:PORT to serve Prometheus /metrics on (docs/metrics.md)"},
          {"--log-format", &a->logFormat, "log lines as text (default) or json"},
          {"--web", &a->web,
           "serve the live view at ADDR:PORT (PORT alone: loopback; elsewhere mutual TLS "
           "with --certs; docs/web.md)"},
      });
  return {cmd, [a, &line] {
            return runOrReport(runtime::prepareManagerLaunch(*a, line), [](const auto& launch) {
              logging::StreamSink sink(
                  std::cerr,
                  logging::parseFormat(launch.config.logFormat).value_or(logging::Format::text));
              return runtime::runManager(launch, [&sink](const logging::Event& e) { sink(e); });
            });
          }};
}

}  // namespace roam::cli
