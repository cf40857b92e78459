#include "runtime/manager/manager_launch.hpp"

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <iostream>
#include <memory>
#include <mutex>
#include <thread>

#include "common/http/metrics_endpoint.hpp"
#include "common/listen_address.hpp"
#include "common/service_notifier.hpp"
#include "runtime/manager/manager.hpp"
#include "runtime/manager/manager_live_source.hpp"
#include "runtime/manager/manager_repl_backend.hpp"
#include "runtime/manager/redirector.hpp"
#include "runtime/measure/system_clock.hpp"
#include "runtime/repl/admin_socket.hpp"
#include "runtime/repl/repl_protocol.hpp"
#include "runtime/time_text.hpp"
#include "runtime/web/web_view.hpp"

namespace roam::runtime {

void ManagerFlagOverrides::operator()(ManagerConfig& c) const {
  auto abs = [](const std::string& p) { return std::filesystem::absolute(p).string(); };
  if (!flags.policy.empty()) {
    c.policy.file = abs(flags.policy);
    c.policy.name.clear();
  }
  if (!flags.policyName.empty()) c.policy.name = flags.policyName;
  for (const auto& p : params) {
    std::erase_if(c.policy.params, [&](const auto& q) { return q.name == p.name; });
    c.policy.params.push_back(p);
  }
  if (!flags.state.empty()) c.stateFile = abs(flags.state);
  if (flags.dryRun) c.dryRun = true;
  if (!flags.decisionLog.empty()) c.decisionLog = abs(flags.decisionLog);
  if (interval) c.interval = interval;
  if (cooldown) c.cooldown = *cooldown;
  if (!flags.vib.empty()) c.vib = abs(flags.vib);
  if (!flags.adminSocket.empty()) c.adminSocket = abs(flags.adminSocket);
  if (!agents.empty()) c.agents = agents;
  if (!flags.certs.empty()) c.certs = abs(flags.certs);
  if (!flags.identity.empty()) c.identity = flags.identity;
  if (!flags.metrics.empty()) c.metrics = flags.metrics;
  if (!flags.logFormat.empty()) c.logFormat = flags.logFormat;
}

CommandResult<ManagerLaunch> prepareManagerLaunch(const ManagerFlags& flags,
                                                  const CommandLine& line) {
  ManagerLaunch launch;
  ManagerFlagOverrides& overrides = launch.overrides;
  overrides.flags = flags;
  auto params = parseParamFlags(flags.params, line);
  if (!params.ok()) return params.error();
  overrides.params = std::move(params.value());
  for (const auto& [text, out] : {std::pair{&flags.interval, &overrides.interval},
                                  std::pair{&flags.cooldown, &overrides.cooldown}}) {
    if (text->empty()) continue;
    *out = parseDuration(*text);
    if (!*out)
      return flagMistake(line, *text,
                         "expected a duration such as 1s, 500ms or 2min, got '" + *text + "'");
  }
  for (const auto& spec : flags.agents) {
    auto eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || spec.find(':', eq) == std::string::npos)
      return flagMistake(line, spec, "--agent expects NAME=HOST:PORT, got '" + spec + "'");
    overrides.agents.push_back({spec.substr(0, eq), spec.substr(eq + 1), ""});
  }
  if (!flags.logFormat.empty() && !logging::parseFormat(flags.logFormat))
    return flagMistake(line, flags.logFormat,
                       "--log-format expects text or json, got '" + flags.logFormat + "'");
  if (!flags.duration.empty()) {
    launch.duration = parseDuration(flags.duration);
    if (!launch.duration || *launch.duration <= 0)
      return flagMistake(line, flags.duration,
                         "--duration expects a positive duration, got '" + flags.duration + "'");
  }

  if (!flags.metrics.empty())
    if (auto address = parseListenAddress(flags.metrics); !address)
      return flagMistake(line, flags.metrics, "--metrics " + address.error().message);

  if (!flags.config.empty()) {
    auto loaded = loadManagerConfig(flags.config);
    if (!loaded) return CommandError{1, loaded.error().message};
    launch.config = std::move(*loaded);
  }
  overrides(launch.config);
  const ManagerConfig& c = launch.config;
  if (c.policy.file.empty())
    return commandLineMistake(line, -1,
                              "no policy: give --policy FILE or a configuration with \"policy\"");
  // The manager writes the decision log and the VIB; neither may be a file it reads.
  auto distinct = refuseOutputOverInput(line, {{"--decision-log", c.decisionLog}, {"--vib", c.vib}},
                                        {{"--config", flags.config},
                                         {"--policy", c.policy.file},
                                         {"--state", c.stateFile},
                                         {"topology", c.topology}});
  if (!distinct.ok()) return distinct.error();
  if (auto same =
          refuseOutputOverInput(line, {{"--decision-log", c.decisionLog}}, {{"--vib", c.vib}});
      !same.ok())
    return same.error();
  if (!flags.web.empty()) {
    // Anywhere but loopback, the live view needs mutual TLS (docs/web.md).
    auto address = parseWebAddress(flags.web);
    if (!address) return flagMistake(line, flags.web, address.error().message);
    if (!address->loopback)
      if (auto tls = checkWebCertificates(*address, c.certs, c.identity); !tls)
        return flagMistake(line, flags.web, tls.error().message);
    launch.web = *address;
  }
  return launch;
}

int runManager(const ManagerLaunch& launch, const logging::Logger& log) {
  const ManagerConfig& config = launch.config;
  const ServiceNotifier notifier = ServiceNotifier::fromEnvironment();
  std::atomic<bool> notifyFailed{false};
  auto notified = [&](const roam::Status& sent) {
    if (!sent && !notifyFailed.exchange(true))  // once: the watchdog would repeat it
      log(logging::Event(logging::Level::warning, "manager: " + sent.error().message)
              .with("event", "sd_notify_failed"));
  };
  // Every thread the manager starts inherits this mask, so the signals reach
  // only the sigwait() below, never an arbitrary thread.
  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGINT, SIGTERM, SIGHUP, SIGUSR1}) sigaddset(&signals, s);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  // The metrics outlive the manager, which counts into them until it is gone.
  metrics::Registry registry;
  ManagerMetrics managerMetrics(registry);
  std::unique_ptr<http::HttpServer> metricsServer;
  if (!config.metrics.empty()) {
    auto served = http::serveMetrics(config.metrics, registry);
    if (!served) {
      std::cerr << "manager: --metrics: " << served.error().message << "\n";
      return 1;
    }
    metricsServer = std::move(*served);
    log("manager: metrics at http://" + metricsServer->boundAddress() + "/metrics");
  }

  SystemClock clock;
  TlsAgentGateway gateway(agent::ClientIdentity{config.certs, config.identity});
  Manager manager(config, gateway, clock, log);
  manager.setFlagOverrides(launch.overrides);
  manager.setMetrics(&managerMetrics);
  // Redirection needs the controller's flow API: live mode with Ryu/os-ken.
  std::unique_ptr<RyuFlowRedirector> redirector;
  if (config.redirect && config.stateFile.empty() && config.controllerBackend == "ryu") {
    redirector = std::make_unique<RyuFlowRedirector>(config.controllerUrl);
    manager.setRedirector(redirector.get());
  } else if (config.redirect && config.stateFile.empty()) {
    log("manager: traffic redirection needs the ryu back-end; it is off");
  }
  if (auto started = manager.start(); !started) {
    notified(notifier.notify("STATUS=" + statusLine("failed to start")));
    if (config.logFormat == "json") {
      std::string message = started.error().message;
      while (!message.empty() && message.back() == '\n') message.pop_back();
      log(logging::Event(logging::Level::error, message).with("event", "start_failed"));
    } else {
      std::cerr << started.error().message;
    }
    return 1;
  }

  ManagerReplBackend backend(manager);
  std::error_code ec;
  auto socketDir = std::filesystem::path(config.adminSocket).parent_path();
  if (!socketDir.empty()) std::filesystem::create_directories(socketDir, ec);
  auto admin = AdminServer::listen(config.adminSocket, [&backend](const nlohmann::json& request) {
    return answerReplRequest(backend, request);
  });
  if (!admin)
    log("manager: admin socket off (roam repl --connect will not work): " + admin.error().message);
  else
    log("manager: admin socket " + config.adminSocket);

  // --web: the live view (docs/web.md), read-only; it stops before the manager.
  ManagerLiveSource liveSource(manager);
  std::unique_ptr<WebView> web;
  if (launch.web) {
    auto started = WebView::start(liveSource, {*launch.web, config.certs, config.identity, {}, {}});
    if (!started) {
      std::cerr << "error: --web " << launch.web->hostPort()
                << ": cannot serve the live view: " << started.error().message << "\n";
      return 1;
    }
    web = std::move(*started);
    log("manager: live view at " + web->url() +
        (web->tls() ? " (mutual TLS: a client certificate of the deployment CA is required)" : ""));
  }

  notified(notifier.ready(manager.describe()));

  std::thread signalThread([&] {
    while (true) {
      int sig = 0;
      if (sigwait(&signals, &sig) != 0) continue;
      if (sig == SIGHUP) {
        notified(notifier.reloading("reloading (SIGHUP)"));
        auto outcome = manager.reload("SIGHUP");
        notified(notifier.ready((outcome.ok ? "" : "reload (SIGHUP) rejected, running: ") +
                                manager.describe()));
        continue;
      }
      if (sig == SIGUSR1) return;  // the manager stopped on its own
      const std::string name = sig == SIGINT ? "SIGINT" : "SIGTERM";
      notified(notifier.stopping("stopping (" + name + ")"));
      log(logging::Event("manager: " + name + ", stopping")
              .with("event", "stopping")
              .with("signal", name));
      manager.stop();
      return;
    }
  });
  // --duration: bounded runs for tests and demos.
  std::mutex doneMutex;
  std::condition_variable doneChanged;
  bool done = false;
  std::thread timer;
  if (launch.duration)
    timer = std::thread([&, d = *launch.duration] {
      std::unique_lock lock(doneMutex);
      if (!doneChanged.wait_for(lock, std::chrono::duration<double>(d), [&] { return done; })) {
        notified(notifier.stopping("stopping (--duration over)"));
        manager.stop();
      }
    });
  // The watchdog: systemd restarts a manager silent for WatchdogSec.
  // describe() takes the configuration's and the policy's locks, so a
  // manager stuck holding one of them stops the watchdog too; its answer
  // refreshes STATUS (a policy may have changed by a file's hot reload).
  std::thread watchdog;
  if (auto every = notifier.watchdogInterval())
    watchdog = std::thread([&, every = *every] {
      std::unique_lock lock(doneMutex);
      while (!done) {
        lock.unlock();
        notified(notifier.notify("WATCHDOG=1\nSTATUS=" + statusLine(manager.describe())));
        lock.lock();
        doneChanged.wait_for(lock, every, [&] { return done; });
      }
    });
  manager.run();
  {
    std::lock_guard lock(doneMutex);
    done = true;
  }
  doneChanged.notify_all();
  if (timer.joinable()) timer.join();
  if (watchdog.joinable()) watchdog.join();
  pthread_kill(signalThread.native_handle(), SIGUSR1);
  signalThread.join();
  return 0;
}

}  // namespace roam::runtime
