// `roam manager`: the Migration Manager (runtime/manager/manager.hpp), its
// admin socket for `roam repl --connect`, and the signals: SIGHUP reloads,
// SIGINT/SIGTERM stop.

#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <condition_variable>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <thread>

#include "cli/commands.hpp"
#include "runtime/manager/manager.hpp"
#include "runtime/manager/manager_repl_backend.hpp"
#include "runtime/manager/redirector.hpp"
#include "runtime/measure/system_clock.hpp"
#include "runtime/repl/admin_socket.hpp"
#include "runtime/repl/repl_protocol.hpp"

namespace roam::cli {

namespace {

struct ManagerArgs {
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
};

// The flags as a function applied to the file's configuration at start and
// at every reload. Returns "" or the first flag error.
struct FlagApplier {
  std::shared_ptr<ManagerArgs> args;
  std::vector<lang::ParamOverride> params;
  std::optional<double> interval, cooldown;
  std::vector<runtime::AgentAddress> agents;

  void operator()(runtime::ManagerConfig& c) const {
    auto abs = [](const std::string& p) { return std::filesystem::absolute(p).string(); };
    if (!args->policy.empty()) {
      c.policy.file = abs(args->policy);
      c.policy.name.clear();
    }
    if (!args->policyName.empty()) c.policy.name = args->policyName;
    for (const auto& p : params) {
      std::erase_if(c.policy.params, [&](const auto& q) { return q.name == p.name; });
      c.policy.params.push_back(p);
    }
    if (!args->state.empty()) c.stateFile = abs(args->state);
    if (args->dryRun) c.dryRun = true;
    if (!args->decisionLog.empty()) c.decisionLog = abs(args->decisionLog);
    if (interval) c.interval = interval;
    if (cooldown) c.cooldown = *cooldown;
    if (!args->vib.empty()) c.vib = abs(args->vib);
    if (!args->adminSocket.empty()) c.adminSocket = abs(args->adminSocket);
    if (!agents.empty()) c.agents = agents;
    if (!args->certs.empty()) c.certs = abs(args->certs);
    if (!args->identity.empty()) c.identity = args->identity;
  }
};

int runManager(const std::shared_ptr<ManagerArgs>& a, const CommandLine& line) {
  FlagApplier flags{a, {}, {}, {}, {}};
  auto params = parseParamFlags(a->params, line);
  if (!params) return 2;
  flags.params = std::move(*params);
  for (const auto& [text, out] :
       {std::pair{&a->interval, &flags.interval}, std::pair{&a->cooldown, &flags.cooldown}}) {
    if (text->empty()) continue;
    *out = runtime::parseDuration(*text);
    if (!*out) {
      commandLineError(line, line.find(*text),
                       "expected a duration such as 1s, 500ms or 2min, got '" + *text + "'");
      return 2;
    }
  }
  for (const auto& spec : a->agents) {
    auto eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || spec.find(':', eq) == std::string::npos) {
      commandLineError(line, line.find(spec), "--agent expects NAME=HOST:PORT, got '" + spec + "'");
      return 2;
    }
    flags.agents.push_back({spec.substr(0, eq), spec.substr(eq + 1), ""});
  }
  std::optional<double> duration;
  if (!a->duration.empty()) {
    duration = runtime::parseDuration(a->duration);
    if (!duration || *duration <= 0) {
      commandLineError(line, line.find(a->duration),
                       "--duration expects a positive duration, got '" + a->duration + "'");
      return 2;
    }
  }

  runtime::ManagerConfig config;
  if (!a->config.empty()) {
    auto loaded = runtime::loadManagerConfig(a->config);
    if (!loaded.config) {
      std::cerr << loaded.errors;
      return 1;
    }
    config = std::move(*loaded.config);
  }
  flags(config);
  if (config.policy.file.empty()) {
    commandLineError(line, -1, "no policy: give --policy FILE or a configuration with \"policy\"");
    return 2;
  }

  // Every thread the manager starts inherits this mask, so the signals reach
  // only the sigwait() below, never an arbitrary thread.
  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGINT, SIGTERM, SIGHUP, SIGUSR1}) sigaddset(&signals, s);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  runtime::SystemClock clock;
  runtime::TlsAgentGateway gateway(agent::ClientIdentity{config.certs, config.identity});
  runtime::Manager manager(config, gateway, clock, logLine);
  manager.setFlagOverrides(flags);
  // Redirection needs the controller's flow API: live mode with Ryu/os-ken.
  std::unique_ptr<runtime::RyuFlowRedirector> redirector;
  if (config.redirect && config.stateFile.empty() && config.controllerBackend == "ryu") {
    redirector = std::make_unique<runtime::RyuFlowRedirector>(config.controllerUrl);
    manager.setRedirector(redirector.get());
  } else if (config.redirect && config.stateFile.empty()) {
    logLine("manager: traffic redirection needs the ryu back-end; it is off");
  }
  if (auto errors = manager.start(); !errors.empty()) {
    std::cerr << errors;
    return 1;
  }

  runtime::ManagerReplBackend backend(manager);
  std::error_code ec;
  auto socketDir = std::filesystem::path(config.adminSocket).parent_path();
  if (!socketDir.empty()) std::filesystem::create_directories(socketDir, ec);
  std::string adminError;
  runtime::AdminServer admin(
      config.adminSocket,
      [&backend](const nlohmann::json& request) {
        return runtime::answerReplRequest(backend, request);
      },
      &adminError);
  if (!adminError.empty())
    logLine("manager: admin socket off (roam repl --connect will not work): " + adminError);
  else
    logLine("manager: admin socket " + config.adminSocket);

  std::thread signalThread([&] {
    while (true) {
      int sig = 0;
      if (sigwait(&signals, &sig) != 0) continue;
      if (sig == SIGHUP) {
        manager.reload("SIGHUP");
        continue;
      }
      if (sig == SIGUSR1) return;  // the manager stopped on its own
      logLine(std::string("manager: ") + (sig == SIGINT ? "SIGINT" : "SIGTERM") + ", stopping");
      manager.stop();
      return;
    }
  });
  // --duration: bounded runs for tests and demos.
  std::mutex doneMutex;
  std::condition_variable doneChanged;
  bool done = false;
  std::thread timer;
  if (duration)
    timer = std::thread([&, d = *duration] {
      std::unique_lock lock(doneMutex);
      if (!doneChanged.wait_for(lock, std::chrono::duration<double>(d), [&] { return done; }))
        manager.stop();
    });
  manager.run();
  {
    std::lock_guard lock(doneMutex);
    done = true;
  }
  doneChanged.notify_all();
  if (timer.joinable()) timer.join();
  pthread_kill(signalThread.native_handle(), SIGUSR1);
  signalThread.join();
  return 0;
}

}  // namespace

Command addManagerCommand(CLI::App& app, const CommandLine& line) {
  auto a = std::make_shared<ManagerArgs>();
  auto* cmd = app.add_subcommand(
      "manager", "Run the Migration Manager: measure, decide with the policy, migrate");
  cmd->add_option("--config", a->config, "configuration file (docs/configuration.md)");
  cmd->add_option("--policy", a->policy, "the .policy file (overrides the configuration)");
  cmd->add_option("--policy-name", a->policyName, "the policy in that file (when it has several)");
  cmd->add_option("--param", a->params, "override a policy parameter: NAME=VALUE");
  cmd->add_option("--state", a->state, "use this fixed STATE.json instead of live collectors");
  cmd->add_flag("--dry-run", a->dryRun, "decide and log, never dispatch a migration");
  cmd->add_option("--decision-log", a->decisionLog, "append every decision here as a JSON line");
  cmd->add_option("--interval", a->interval,
                  "evaluate this often (default: the policy's `when every`)");
  cmd->add_option("--cooldown", a->cooldown, "a container that moved stays put this long (60s)");
  cmd->add_option("--vib", a->vib, "the VIB file (default /var/lib/roam/vib.sqlite)");
  cmd->add_option("--admin-socket", a->adminSocket,
                  "unix socket for roam repl --connect (default /run/roam/manager.sock)");
  cmd->add_option("--agent", a->agents, "an agent: NAME=HOST:PORT (repeat; replaces the file's)");
  cmd->add_option("--certs", a->certs, "directory with ca.crt and the manager's certificate");
  cmd->add_option("--identity", a->identity, "whose certificate to present (default manager)");
  cmd->add_option("--duration", a->duration, "stop after this long (default: until SIGTERM)");
  return {cmd, [a, &line] { return runManager(a, line); }};
}

}  // namespace roam::cli
