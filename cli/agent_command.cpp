// `roam agent`: the per-host migration daemon (agent/daemon/agent.hpp). Its
// log goes to stderr as text or JSON lines; with $NOTIFY_SOCKET it tells
// systemd READY, RELOADING/READY around SIGHUP (which reloads the
// certificates), STOPPING and WATCHDOG (docs/operations.md).

#include <chrono>
#include <ctime>
#include <functional>
#include <iostream>

#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "agent/daemon/agent.hpp"
#include "cli/commands.hpp"
#include "common/http/metrics_endpoint.hpp"
#include "common/listen_address.hpp"
#include "common/log_event.hpp"
#include "common/service_notifier.hpp"

namespace roam::cli {

namespace {

struct AgentArgs {
  std::string config;
  std::string name;
  std::string listen;
  std::string docker;
  std::string certs;
  std::string dataDir;
  std::string metrics;
  std::string logFormat;
};

int runAgent(const AgentArgs& args, const CommandLine& line) {
  agent::AgentOptions options;
  if (!args.config.empty()) {
    auto loaded = agent::loadAgentOptions(args.config);
    if (!loaded.ok()) {
      std::cerr << loaded.error().message << "\n";
      return 1;
    }
    options = std::move(*loaded);
  }
  if (!args.name.empty()) options.name = args.name;
  if (!args.listen.empty()) options.listen = args.listen;
  if (!args.docker.empty()) options.docker = args.docker;
  if (!args.certs.empty()) options.certs = args.certs;
  if (!args.dataDir.empty()) options.dataDir = args.dataDir;
  if (!args.metrics.empty()) {
    if (auto address = parseListenAddress(args.metrics); !address) {
      commandLineError(line, line.find(args.metrics), "--metrics " + address.error().message);
      return 2;
    }
    options.metrics = args.metrics;
  }
  if (!args.logFormat.empty()) {
    if (!logging::parseFormat(args.logFormat)) {
      commandLineError(line, line.find(args.logFormat),
                       "--log-format expects text or json, got '" + args.logFormat + "'");
      return 2;
    }
    options.logFormat = args.logFormat;
  }
  if (options.certs.empty()) {
    commandLineError(line, -1, "the agent needs certificates: give --certs DIR (see roam certs)");
    return 2;
  }
  const auto format = logging::parseFormat(options.logFormat).value_or(logging::Format::text);
  logging::StreamSink sink(std::cerr, format);
  const logging::Logger log = [&sink](const logging::Event& e) { sink(e); };
  const ServiceNotifier notifier = ServiceNotifier::fromEnvironment();
  bool notifyFailed = false;  // used on the io thread only
  auto notified = [&](const roam::Status& sent) {
    if (!sent && !notifyFailed) {  // once: the watchdog would repeat it
      notifyFailed = true;
      log(logging::Event(logging::Level::warning, "agent: " + sent.error().message)
              .with("event", "sd_notify_failed"));
    }
  };

  // The metrics outlive the agent, which counts into them until it is gone.
  metrics::Registry registry;
  agent::AgentMetrics agentMetrics(registry);
  std::unique_ptr<http::HttpServer> metricsServer;
  if (!options.metrics.empty()) {
    auto served = http::serveMetrics(options.metrics, registry);
    if (!served) {
      commandLineError(line, line.find("--metrics"), "--metrics: " + served.error().message);
      return 1;
    }
    metricsServer = std::move(*served);
    log(logging::Event("agent: metrics at http://" + metricsServer->boundAddress() + "/metrics")
            .with("event", "metrics_serving"));
  }

  boost::asio::io_context io;
  // Before start(): a SIGHUP or SIGTERM while it runs waits for io.run()
  // instead of killing the process.
  boost::asio::signal_set signals(io, SIGTERM, SIGINT);
  boost::asio::signal_set hangup(io, SIGHUP);
  agent::Agent daemon(io, options, log);
  daemon.setMetrics(&agentMetrics);
  if (auto started = daemon.start(); !started.ok()) {
    const std::string& error = started.error().message;
    (void)notifier.status("failed to start: " + error);
    if (format == logging::Format::json) {
      log(logging::Event(logging::Level::error, error).with("event", "start_failed"));
      return 1;
    }
    int at = line.find("--listen");
    if (error.rfind("--listen", 0) != 0) at = -1;
    commandLineError(line, at, error);
    return 1;
  }
  // Tests and scripts read the bound port from this line (with --listen ...:0).
  std::cout << "listening " << daemon.localEndpoint().port() << std::endl;
  notified(notifier.ready(daemon.statusText()));

  // The watchdog runs on the io thread: a stuck event loop stops it. It
  // refreshes STATUS (migrations in flight) on the way.
  boost::asio::steady_timer watchdogTimer(io);
  std::function<void()> petWatchdog = [&] {
    notified(notifier.notify("WATCHDOG=1\nSTATUS=" + statusLine(daemon.statusText())));
    watchdogTimer.expires_after(*notifier.watchdogInterval());
    watchdogTimer.async_wait([&](const boost::system::error_code& ec) {
      if (!ec) petWatchdog();
    });
  };
  if (notifier.watchdogInterval()) petWatchdog();

  signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    notified(notifier.stopping(std::string("stopping (") + (sig == SIGINT ? "SIGINT" : "SIGTERM") +
                               ")"));
    daemon.shutdown([&] {
      watchdogTimer.cancel();
      io.stop();
    });
  });
  std::function<void()> awaitHangup = [&] {
    hangup.async_wait([&](const boost::system::error_code& ec, int) {
      if (ec) return;
      notified(notifier.reloading("reloading the certificates (SIGHUP)"));
      if (auto reloaded = daemon.reloadCertificates(); !reloaded.ok()) {
        log(logging::Event(logging::Level::error, "agent " + options.name +
                                                      ": certificate reload (SIGHUP) failed, "
                                                      "keeping the running ones: " +
                                                      reloaded.error().message)
                .with("event", "certificates_reload_failed")
                .with("agent", options.name)
                .with("error", reloaded.error().message));
        notified(notifier.ready("certificate reload failed; " + daemon.statusText()));
      } else {
        notified(notifier.ready(daemon.statusText()));
      }
      if (!daemon.stopping()) awaitHangup();
    });
  };
  awaitHangup();
  io.run();
  log(logging::Event("agent " + options.name + " stopped")
          .with("event", "stopped")
          .with("agent", options.name));
  return 0;
}

}  // namespace

Command addAgentCommand(CLI::App& app, const CommandLine& line) {
  auto args = std::make_shared<AgentArgs>();
  auto* cmd = app.add_subcommand("agent", "Run the migration daemon of this host");
  addOptions(*cmd, {
                       {"--config", &args->config, "JSON configuration file (docs/agent.md)"},
                       {"--name", &args->name, "this agent's name (its certificate's name)"},
                       {"--listen", &args->listen, "ADDR:PORT to listen on (default 0.0.0.0:7070)"},
                       {"--docker", &args->docker,
                        "the Docker Engine, unix:///PATH (default unix:///var/run/docker.sock)"},
                       {"--certs", &args->certs, "directory with ca.crt, NAME.crt and NAME.key"},
                       {"--data-dir", &args->dataDir,
                        "journal and spool directory (default /var/lib/roam-agent)"},
                       {"--metrics", &args->metrics,
                        "ADDR:PORT to serve Prometheus /metrics on (docs/metrics.md)"},
                       {"--log-format", &args->logFormat, "log lines as text (default) or json"},
                   });
  return {cmd, [args, &line] { return runAgent(*args, line); }};
}

}  // namespace roam::cli
