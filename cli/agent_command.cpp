// `roam agent`: the per-host migration daemon (agent/daemon/agent.hpp).

#include <chrono>
#include <ctime>
#include <iostream>

#include <boost/asio/signal_set.hpp>

#include "agent/daemon/agent.hpp"
#include "cli/commands.hpp"
#include "common/http/metrics_endpoint.hpp"
#include "common/listen_address.hpp"

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
  if (options.certs.empty()) {
    commandLineError(line, -1, "the agent needs certificates: give --certs DIR (see roam certs)");
    return 2;
  }

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
    logLine("agent: metrics at http://" + metricsServer->boundAddress() + "/metrics");
  }

  boost::asio::io_context io;
  agent::Agent daemon(io, options, logLine);
  daemon.setMetrics(&agentMetrics);
  if (auto started = daemon.start(); !started.ok()) {
    const std::string& error = started.error().message;
    int at = line.find("--listen");
    if (error.rfind("--listen", 0) != 0) at = -1;
    commandLineError(line, at, error);
    return 1;
  }
  // Tests and scripts read the bound port from this line (with --listen ...:0).
  std::cout << "listening " << daemon.localEndpoint().port() << std::endl;

  boost::asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec) return;
    daemon.shutdown([&io] { io.stop(); });
  });
  io.run();
  logLine("agent " + options.name + " stopped");
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
                   });
  return {cmd, [args, &line] { return runAgent(*args, line); }};
}

}  // namespace roam::cli
