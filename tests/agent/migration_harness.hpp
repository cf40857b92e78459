#pragma once
// Two real agents in this process migrating containers between two fixture
// Docker engines, the way `roam migrate` drives them: a source host and a
// destination host, each a real Agent (its own io_context thread, journal and
// spool under a temporary directory) on 127.0.0.1 with a certificate from a
// CA made here with agent/tls/certificates, each pointing at its own
// DockerEngineModel behind a FakeDockerEngine unix socket. migrate() sends
// MIGRATE through the client call (requestMigration) as the CLI does and
// returns the outcome with every PROGRESS seen; both engines' states can be
// inspected and changed, and faults injected, before and after.
//
// The fixture engines stand in for dockerd because unit tests run without
// root or Docker; tests/integration runs the same migration on real engines.
//
// The agents' options can be tuned per host before they start (a small chunk
// size, testCorruptChunk, ...). Everything lives under one temporary
// directory, removed at the end.

#include <chrono>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "agent/client/agent_request.hpp"
#include "agent/daemon/agent.hpp"
#include "agent/tls/certificates.hpp"
#include "connection_server.hpp"
#include "docker_engine_model.hpp"
#include "fake_docker_engine.hpp"
#include "temp_dir.hpp"

namespace roamtest {

class MigrationHarness {
 public:
  // One host: its engine (state and socket) and its agent.
  struct Host {
    std::string name;
    DockerEngineModel engine;
    std::unique_ptr<FakeDockerEngine> socket;
    roam::agent::AgentOptions options;
    std::unique_ptr<roam::agent::asio::io_context> io;
    std::unique_ptr<roam::agent::Agent> agent;
    std::thread thread;
    std::string address;                           // 127.0.0.1:PORT once started
    roam::agent::AgentMetrics* metrics = nullptr;  // counted into when set before start

    std::filesystem::path spool() const { return options.dataDir / "spool"; }
  };

  struct Migration {
    roam::agent::MigrateOutcome outcome = roam::makeError(roam::ErrorCode::Internal, "not run");
    std::vector<roam::agent::Progress> progress;
    std::string migrationId;

    bool succeeded() const { return outcome.ok() && outcome->done.result == "success"; }
    std::string result() const {
      return outcome.ok() ? outcome->done.result : "no DONE: " + outcome.error().message;
    }
    std::vector<std::string> phases() const {
      std::vector<std::string> out;
      for (const auto& p : progress)
        if (out.empty() || out.back() != p.phase) out.push_back(p.phase);
      return out;
    }
  };

  MigrationHarness() : dir_("roam-migration") {
    const auto certs = dir_.path / "certs";
    REQUIRE(roam::agent::initAuthority(certs).ok());
    for (const char* name : {"source", "destination", "other"})
      REQUIRE(roam::agent::issueCertificate(certs, name, {"127.0.0.1"}).ok());
    REQUIRE(roam::agent::issueCertificate(certs, "cli", {}).ok());
    setUp(source, "source");
    setUp(destination, "destination");
    setUp(other, "other");
  }
  ~MigrationHarness() {
    stop(source);
    stop(destination);
    stop(other);
  }
  MigrationHarness(const MigrationHarness&) = delete;
  MigrationHarness& operator=(const MigrationHarness&) = delete;

  // Starts both agents (after the test tuned their options).
  void start() {
    startAgent(source);
    startAgent(destination);
  }

  // A third host, started only by tests that need two sources or two
  // destinations.
  void startOther() { startAgent(other); }

  // `roam migrate --source SOURCE --destination TO CONTAINER` (TO defaults to
  // the destination agent; ID defaults to a fresh one).
  Migration migrate(const std::string& container, const std::string& to = "",
                    const std::string& mode = "snapshot", const std::string& id = "") {
    return migrateFrom(source, container, to, mode, id);
  }
  // The same from another host (`other`, or `destination` for a way back).
  Migration migrateFrom(const Host& from, const std::string& container, const std::string& to = "",
                        const std::string& mode = "snapshot", const std::string& id = "") {
    Migration m;
    m.migrationId = id.empty() ? roam::agent::newMigrationId() : id;
    roam::agent::Migrate request{m.migrationId, container, to.empty() ? destination.address : to,
                                 mode};
    m.outcome = roam::agent::requestMigration(
        {dir_.path / "certs", "cli"}, from.address, request,
        [&m](const roam::agent::Progress& p) { m.progress.push_back(p); }, std::chrono::seconds(5));
    return m;
  }

  // An address on which nothing listens.
  static std::string deadAddress() {
    int port = 0;
    const int fd = listenOnLoopback(port);
    REQUIRE(fd >= 0);
    ::close(fd);
    return "127.0.0.1:" + std::to_string(port);
  }

  // Whether PRED holds within five seconds: what the other side does after
  // the outcome (a destination rolling back once its source has gone) runs
  // on its own time.
  static bool eventually(const std::function<bool()>& pred) {
    for (int i = 0; i < 500; ++i) {
      if (pred()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return pred();
  }

  // Whether a spool directory is empty within a second (the destination
  // removes its spool right after answering SUCCESS).
  static bool spoolEmpty(const Host& host) {
    for (int i = 0; i < 100; ++i) {
      std::error_code ec;
      if (std::filesystem::is_empty(host.spool(), ec) || ec) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  std::string logs() const {
    std::lock_guard lock(logMutex_);
    std::string out;
    for (const auto& line : logs_) out += line + "\n";
    return out;
  }

  // Declared before the hosts: removed after them.
 private:
  TempDir dir_;
  mutable std::mutex logMutex_;
  std::vector<std::string> logs_;

 public:
  Host source, destination, other;

 private:
  void setUp(Host& host, const std::string& name) {
    host.name = name;
    host.socket = std::make_unique<FakeDockerEngine>(
        dir_.path / (name + ".sock"),
        [&engine = host.engine](const FakeDockerEngine::Request& r) { return engine.handle(r); });
    host.options.name = name;
    host.options.listen = "127.0.0.1:0";
    host.options.docker = "unix://" + host.socket->socket();
    host.options.certs = dir_.path / "certs";
    host.options.dataDir = dir_.path / ("data-" + name);
    host.options.workerThreads = 2;
    host.options.idleTimeout = std::chrono::seconds(10);
    host.options.restoreTimeout = std::chrono::seconds(20);
    host.options.shutdownGrace = std::chrono::seconds(1);
  }

  void startAgent(Host& host) {
    host.io = std::make_unique<roam::agent::asio::io_context>();
    host.agent = std::make_unique<roam::agent::Agent>(
        *host.io, host.options, [this, name = host.name](const std::string& line) {
          std::lock_guard lock(logMutex_);
          logs_.push_back(name + ": " + line);
        });
    host.agent->setMetrics(host.metrics);
    REQUIRE(roam::errorText(host.agent->start()) == "");
    host.address = "127.0.0.1:" + std::to_string(host.agent->localEndpoint().port());
    host.thread = std::thread([io = host.io.get()] { io->run(); });
  }

  // Shuts the agent down as SIGTERM does, lets its io_context run dry, then
  // destroys it (before the engine it talks to).
  static void stop(Host& host) {
    if (!host.agent) return;
    auto stopped = std::make_shared<std::promise<void>>();
    auto done = stopped->get_future();
    roam::agent::asio::post(
        *host.io, [&host, stopped] { host.agent->shutdown([stopped] { stopped->set_value(); }); });
    done.wait_for(std::chrono::seconds(5));
    host.io->stop();
    host.thread.join();
    host.agent.reset();
    host.io.reset();
  }
};

}  // namespace roamtest
