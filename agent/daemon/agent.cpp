#include "agent/daemon/agent.hpp"

#include <cstdio>
#include <random>

#include "agent/daemon/destination_migration.hpp"
#include "agent/daemon/engine_steps.hpp"
#include "agent/daemon/peer_exchanges.hpp"
#include "agent/daemon/source_migration.hpp"
#include "agent/docker/docker_client.hpp"
#include "agent/tls/tls_context.hpp"
#include "agent/transport/agent_connector.hpp"
#include "agent/transport/host_port.hpp"

namespace roam::agent {

namespace {

// Runs `criu check`; "" when it passes, otherwise its first line of output.
std::string criuCheck(const std::string& criu) {
  std::string quoted = "'";
  for (char c : criu) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  quoted += "'";
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> pipe(popen((quoted + " check 2>&1").c_str(), "r"),
                                                       pclose);
  if (!pipe) return "cannot run criu";
  char line[512] = {0};
  std::string first;
  while (std::fgets(line, sizeof line, pipe.get()))
    if (first.empty()) first = line;
  int status = pclose(pipe.release());
  if (status == 0) return "";
  while (!first.empty() && (first.back() == '\n' || first.back() == '\r')) first.pop_back();
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127) return "criu is not installed";
  return "criu check failed: " + first;
}

// The run id of the dump a checkpoint-mode migration of CONTAINER (name or
// id) made here, read from its checkpoint: it names the lock table CRIU left.
// "" in snapshot mode or when the checkpoint is gone.
std::string dumpRunId(const std::string& socket, const std::string& container,
                      const JournalEntry& entry) {
  if (entry.mode != "checkpoint") return "";
  auto inspect = DockerClient(socket).inspectContainer(container);
  if (!inspect.ok()) return "";
  auto dir = checkpointDirOf(socket, inspect.body.value("Id", container),
                             checkpointNameFor(entry.migrationId));
  if (!dir.ok()) return "";
  auto runId = criuRunIdOf(*dir);
  return runId.ok() ? *runId : "";
}

// A checkpoint-mode source copy resumed from its checkpoint: the address
// claimed first (CRIU binds the restored sockets to it), the hold and CRIU's
// lock table lifted after.
roam::Status resumeHeldSource(const std::string& socket, const std::string& container,
                              const JournalEntry& entry, ServiceAddresses& addresses) {
  const bool dumped = entry.mode == "checkpoint";
  const auto runId = dumpRunId(socket, container, entry);
  const auto ip = containerServiceAddress(socket, container);
  if (ip && dumped) (void)addresses.claim(*ip);
  auto resumed =
      resumeSource(socket, container, dumped ? checkpointNameFor(entry.migrationId) : "");
  if (ip) {
    if (!dumped) (void)addresses.claim(*ip);
    (void)addresses.unhold(*ip);
    if (!runId.empty()) (void)addresses.dropCriuLock(runId);
  }
  return resumed;
}

// A source copy the destination runs: removed, then its address released,
// then the hold and CRIU's lock table lifted.
std::string retireHeldSource(const std::string& socket, const std::string& container,
                             const JournalEntry& entry, ServiceAddresses& addresses) {
  const auto runId = dumpRunId(socket, container, entry);
  const auto ip = containerServiceAddress(socket, container);
  auto problems = retireSource(socket, container, {});
  if (ip) {
    (void)addresses.release(*ip, runningServiceAddresses(socket));
    (void)addresses.unhold(*ip);
    if (!runId.empty()) (void)addresses.dropCriuLock(runId);
  }
  return problems;
}

Done doneFromJournal(const JournalEntry& entry, const std::string& self) {
  Done done;
  done.migrationId = entry.migrationId;
  done.container = entry.container;
  done.source = self;
  done.destination = entry.peer;
  done.mode = entry.mode;
  done.result = entry.result.empty() ? "interrupted" : entry.result;
  done.bytesSent = entry.bytesSent;
  done.seconds = entry.seconds;
  done.note = entry.note;
  return done;
}

// How the recovery log names a journalled migration: "CONTAINER (MIGRATION-ID)".
std::string named(const JournalEntry& entry) {
  return entry.container + " (" + entry.migrationId + ")";
}

}  // namespace

Agent::Agent(asio::io_context& io, AgentOptions options, Logger log)
    : io_(io),
      options_(std::move(options)),
      log_(std::move(log)),
      pool_(static_cast<std::size_t>(std::max(1, options_.workerThreads))),
      addresses_(std::make_unique<ServiceAddresses>(makeKernelHostAddresses())) {}

Agent::~Agent() {
  pool_.join();
}

std::filesystem::path Agent::spoolDir(const std::string& migrationId) const {
  return options_.dataDir / "spool" / migrationId;
}

void Agent::record(const JournalEntry& entry) {
  std::lock_guard lock(journalMutex_);
  auto stamped = entry;
  stamped.updatedAt =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  if (auto put = journal_->put(stamped); !put.ok())
    log_("journal: cannot record " + entry.migrationId + ": " + put.error().message);
}

std::optional<JournalEntry> Agent::lookup(const std::string& migrationId) {
  std::lock_guard lock(journalMutex_);
  return journal_->get(migrationId);
}

roam::Status Agent::start() {
  using roam::ErrorCode;
  auto bad = [](std::string message) {
    return roam::makeError(ErrorCode::BadInput, std::move(message));
  };
  if (options_.name.empty())
    return bad("the agent needs a name: give --name or \"name\" in the configuration");
  auto socket = DockerClient::socketFromUrl(options_.docker);
  if (!socket) return bad("--docker must be unix:///PATH, got '" + options_.docker + "'");
  dockerSocket_ = *socket;

  auto files = TlsFiles::forName(options_.certs, options_.name);
  auto server = makeTlsContext(files, TlsRole::server);
  if (!server.ok()) return server.error();
  auto client = makeTlsContext(files, TlsRole::client);
  if (!client.ok()) return client.error();
  serverTls_ = std::move(*server);
  clientTls_ = std::move(*client);

  std::error_code ec;
  std::filesystem::create_directories(options_.dataDir / "spool", ec);
  if (ec)
    return roam::makeError(ErrorCode::Io, "cannot create " + (options_.dataDir / "spool").string() +
                                              ": " + ec.message());
  auto journal = Journal::open(options_.dataDir);
  if (!journal.ok()) return journal.error();
  journal_ = std::make_unique<Journal>(std::move(*journal));

  if (auto version = DockerClient(dockerSocket_).version(); !version.ok())
    return roam::makeError(
        version.error().code,
        "cannot reach the Docker Engine at " + options_.docker + ": " + version.error().message);
  recover();
  probeCapabilities();

  auto address = parseHostPort(options_.listen);
  if (!address.ok()) return bad("--listen: " + address.error().message);
  const HostPort listen = *address;
  boost::system::error_code bindError;
  auto ip = asio::ip::make_address(listen.host, bindError);
  if (bindError) return bad("--listen: '" + listen.host + "' is not an IP address");
  acceptor_ = std::make_unique<Tcp::acceptor>(io_);
  Tcp::endpoint endpoint(ip, listen.port);
  acceptor_->open(endpoint.protocol(), bindError);
  if (!bindError) acceptor_->set_option(Tcp::acceptor::reuse_address(true), bindError);
  if (!bindError) acceptor_->bind(endpoint, bindError);
  if (!bindError) acceptor_->listen(asio::socket_base::max_listen_connections, bindError);
  if (bindError)
    return roam::makeError(ErrorCode::Io,
                           "cannot listen on " + options_.listen + ": " + bindError.message());

  asio::co_spawn(io_, acceptLoop(), asio::detached);
  asio::co_spawn(io_, keepServiceAddresses(), asio::detached);
  log_(logging::Event("agent " + options_.name + " listening on " +
                      localEndpoint().address().to_string() + ":" +
                      std::to_string(localEndpoint().port()) + ", engine " + options_.docker +
                      ", checkpoint: " + capabilities_.checkpointReason)
           .with("event", "start")
           .with("agent", options_.name)
           .with("listen", localEndpoint().address().to_string() + ":" +
                               std::to_string(localEndpoint().port()))
           .with("engine", options_.docker)
           .with("checkpoint", capabilities_.checkpoint ? "available" : "unavailable"));
  return {};
}

roam::Status Agent::reloadCertificates() {
  auto files = TlsFiles::forName(options_.certs, options_.name);
  auto server = makeTlsContext(files, TlsRole::server);
  if (!server.ok()) return server.error();
  auto client = makeTlsContext(files, TlsRole::client);
  if (!client.ok()) return client.error();
  retiredTls_.push_back(std::move(serverTls_));
  retiredTls_.push_back(std::move(clientTls_));
  serverTls_ = std::move(*server);
  clientTls_ = std::move(*client);
  log_(logging::Event("agent " + options_.name + ": certificates reloaded from " +
                      options_.certs.string())
           .with("event", "certificates_reloaded")
           .with("agent", options_.name)
           .with("certs", options_.certs.string()));
  return {};
}

std::string Agent::statusText() const {
  auto at = localEndpoint();
  return "agent " + options_.name + " on " + at.address().to_string() + ":" +
         std::to_string(at.port()) + ", " + std::to_string(activeMigrations_) +
         " migration(s) in flight, checkpoint: " + capabilities_.checkpointReason;
}

Tcp::endpoint Agent::localEndpoint() const {
  boost::system::error_code ec;
  return acceptor_ ? acceptor_->local_endpoint(ec) : Tcp::endpoint{};
}

void Agent::recover() {
  std::vector<JournalEntry> entries;
  {
    std::lock_guard lock(journalMutex_);
    entries = journal_->all();
    for (const auto& warning : journal_->lastWarnings()) log_("journal: " + warning);
  }
  DockerClient docker(dockerSocket_);
  // No migration runs yet: no address needs holding (a frozen copy waiting
  // for its destination's answer keeps only CRIU's lock on its connections).
  if (auto unheld = addresses_->unholdAll(); !unheld.ok())
    log_("recovery: cannot lift held service addresses: " + unheld.error().message);
  for (auto entry : entries) {
    const auto action = recoveryActionFor(entry);
    if (action == RecoveryAction::none) continue;
    std::error_code ec;
    std::filesystem::remove_all(spoolDir(entry.migrationId), ec);
    const std::string container = entry.containerId.empty() ? entry.container : entry.containerId;
    switch (action) {
      case RecoveryAction::none:
        break;
      case RecoveryAction::rollBackDestination: {
        // Never committed: the source still has the container. Remove our part.
        auto problems = rollBackDestination(dockerSocket_, entry, addresses_.get());
        entry.state = "rolled-back";
        entry.result = "interrupted: this agent restarted before the final round arrived";
        log_("recovery: rolled back incoming " + named(entry) +
             (problems.empty() ? "" : "; left: " + problems));
        break;
      }
      case RecoveryAction::finishStarting: {
        // The final round arrived: the source is frozen and counts on us.
        const auto ip = containerServiceAddress(dockerSocket_, entry.createdContainer);
        const bool restoring = entry.mode == "checkpoint";
        if (ip) {
          if (restoring) (void)addresses_->hold(*ip);  // as in a migration's start
          if (auto claimed = addresses_->claim(*ip); !claimed.ok())
            log_("recovery: " + named(entry) + ": " + claimed.error().message);
        }
        auto started = startDestination(dockerSocket_, entry.createdContainer, entry.container,
                                        restoring ? checkpointNameFor(entry.migrationId) : "", [&] {
                                          if (ip && restoring) (void)addresses_->unhold(*ip);
                                        });
        if (started.ok()) {
          entry.state = "succeeded";
          entry.result = "success";
          log_("recovery: started incoming " + named(entry));
        } else {
          auto problems = rollBackDestination(dockerSocket_, entry, addresses_.get());
          entry.state = "rolled-back";
          entry.result = started.error().message;
          log_("recovery: cannot start incoming " + named(entry) + ": " + started.error().message +
               "; rolled back" + (problems.empty() ? "" : ", left: " + problems));
        }
        break;
      }
      case RecoveryAction::finishRetiring: {
        // The destination runs it: finish retiring the local copy.
        auto problems = retireHeldSource(dockerSocket_, container, entry, *addresses_);
        for (const auto& image : entry.images) docker.removeImage(image, true);
        entry.state = "done";
        entry.result = "success";
        log_("recovery: finished retiring " + named(entry) +
             (problems.empty() ? "" : "; " + problems));
        break;
      }
      case RecoveryAction::resumeSource: {
        // Frozen before the hand-over: the destination never started it.
        // In checkpoint mode from its own checkpoint, so its processes continue.
        auto resumed = resumeHeldSource(dockerSocket_, container, entry, *addresses_);
        entry.state = "failed";
        entry.result = "interrupted: this agent restarted while the container was frozen; " +
                       (resumed.ok() ? std::string("it was resumed here")
                                     : "resuming it failed: " + resumed.error().message);
        log_("recovery: " + named(entry) + ": " + entry.result);
        break;
      }
      case RecoveryAction::askDestination:
        // Only the destination knows whether it started the container.
        log_("recovery: " + named(entry) + " was handed over to " + entry.peer + "; asking it");
        resolveHandedOverLater(entry);
        continue;  // the entry changes when the destination answers
      case RecoveryAction::discardCapture:
      case RecoveryAction::restartSource: {
        for (const auto& image : entry.images) docker.removeImage(image, true);
        std::string kept = "the container kept running here";
        if (action == RecoveryAction::restartSource) {
          // A checkpoint may have stopped it: start it again (plain start; a
          // container that is still running answers 304, which is fine).
          const auto runId = dumpRunId(dockerSocket_, entry.container, entry);
          auto started = docker.startContainer(entry.container);
          if (!runId.empty()) (void)addresses_->dropCriuLock(runId);  // started afresh
          kept = started.ok() ? "the container, stopped by its checkpoint, was started again here"
                              : "starting the container again failed: " + started.error().message;
        }
        entry.state = "failed";
        entry.result =
            "interrupted: this agent restarted before the destination confirmed; " + kept;
        log_("recovery: " + named(entry) + " stays here (" + kept + ")");
        break;
      }
    }
    record(entry);
  }
}

void Agent::resolveHandedOverLater(const JournalEntry& entry) {
  asio::co_spawn(io_, resolveHandedOver(entry), asio::detached);
}

awaitable<void> Agent::resolveHandedOver(JournalEntry entry) {
  const std::string container = entry.containerId.empty() ? entry.container : entry.containerId;
  asio::steady_timer pause(io_);
  const Abort abort{entry.migrationId, "the source asks for the outcome"};
  while (!stopping_) {
    auto outcome = co_await askHandedOverOutcome(*this, entry.peer, abort);
    if (outcome && std::holds_alternative<Success>(*outcome)) {
      auto retireWork = [socket = dockerSocket_, container, entry, addresses = addresses_.get()] {
        return retireHeldSource(socket, container, entry, *addresses);
      };
      auto problems = co_await runBlocking(pool_, retireWork);
      entry.state = "done";
      entry.result = "success";
      entry.note = problems;
      record(entry);
      log_("recovery: " + entry.peer + " runs " + named(entry) +
           "; the frozen copy here is retired" + (problems.empty() ? "" : ": " + problems));
      co_return;
    }
    if (outcome && std::holds_alternative<Failure>(*outcome)) {
      auto resumeWork = [socket = dockerSocket_, container, entry, addresses = addresses_.get()] {
        return resumeHeldSource(socket, container, entry, *addresses);
      };
      auto resumed = co_await runBlocking(pool_, resumeWork);
      entry.state = "failed";
      entry.result = "the destination did not start it (" + std::get<Failure>(*outcome).error +
                     "); " +
                     (resumed.ok() ? std::string("it was resumed here")
                                   : "resuming it failed: " + resumed.error().message);
      record(entry);
      log_("recovery: " + named(entry) + ": " + entry.result);
      co_return;
    }
    pause.expires_after(std::chrono::seconds(3));
    boost::system::error_code ec;
    co_await pause.async_wait(asio::redirect_error(use_awaitable, ec));
  }
}

awaitable<void> Agent::keepServiceAddresses() {
  addressTimer_ = std::make_unique<asio::steady_timer>(io_);
  std::string lastProblems;
  for (bool first = true; !stopping_; first = false) {
    // At start-up every address is announced again, held or not: a restarted
    // agent does not know what the clients last heard.
    auto work = [socket = dockerSocket_, addresses = addresses_.get(), first] {
      std::vector<std::string> problems;
      if (first)
        for (const auto& ip : runningServiceAddresses(socket))
          if (auto claimed = addresses->claim(ip); !claimed.ok())
            problems.push_back("cannot claim " + ip + ": " + claimed.error().message);
      if (problems.empty())
        problems = addresses->reconcile([&socket] { return serviceAddressesHere(socket); });
      std::string text;
      for (const auto& p : problems) text += (text.empty() ? "" : "; ") + p;
      return text;
    };
    auto problems = co_await runBlocking(pool_, work);
    if (problems != lastProblems && !problems.empty()) log_("service addresses: " + problems);
    lastProblems = problems;
    addressTimer_->expires_after(std::chrono::seconds(1));
    boost::system::error_code ec;
    co_await addressTimer_->async_wait(asio::redirect_error(use_awaitable, ec));
  }
}

void Agent::probeCapabilities() {
  auto info = DockerClient(dockerSocket_).info();
  if (!info.ok()) {
    capabilities_ = {false, "cannot ask the engine: " + info.error().message};
  } else if (!info.body.value("ExperimentalBuild", false)) {
    capabilities_ = {false,
                     "the Docker Engine is not in experimental mode (checkpoints need "
                     "dockerd --experimental and a working CRIU)"};
  } else if (auto criu = criuCheck(options_.criu); !criu.empty()) {
    capabilities_ = {false, criu};
  } else {
    capabilities_ = {true, "available"};
  }
}

awaitable<void> Agent::acceptLoop() {
  while (!stopping_) {
    boost::system::error_code ec;
    Tcp::socket socket(io_);
    co_await acceptor_->async_accept(socket, asio::redirect_error(use_awaitable, ec));
    if (ec) {
      if (stopping_ || ec == asio::error::operation_aborted) break;
      log_("accept failed: " + ec.message());
      continue;
    }
    if (metrics_) metrics_->connections.get().inc();
    auto stream =
        std::make_shared<FramedStream>(TlsStream(std::move(socket), *serverTls_), FrameLimits{});
    asio::co_spawn(io_, session(stream), asio::detached);
  }
}

awaitable<void> Agent::session(FramedStreamPtr streamArg) {
  // Locals, not parameters, in lambdas (see runSourceMigration).
  const auto stream = std::move(streamArg);
  track(stream);
  if (metrics_) metrics_->openConnections.get().inc();
  if (auto shaken = co_await acceptHandshake(*stream, std::chrono::seconds(10)); !shaken.ok()) {
    log_(logging::Event(logging::Level::warning,
                        "refused " + stream->remoteAddress() +
                            ": TLS handshake failed: " + shaken.error().message)
             .with("event", "tls_refused")
             .with("peer_address", stream->remoteAddress())
             .with("error", shaken.error().message));
    if (metrics_) metrics_->tlsRefused.get().inc();
    if (metrics_) metrics_->openConnections.get().dec();
    stream->close();
    untrack(stream);
    co_return;
  }
  const auto peer = stream->peerName();
  auto reject = [&](const std::string& migrationId, const std::string& error) -> awaitable<void> {
    log_("closing the connection from " + peer + " (" + stream->remoteAddress() + "): " + error);
    stream->send(Error{migrationId, error});
    co_await stream->flush();
    stream->close();
  };

  while (stream->isOpen()) {
    auto next = co_await stream->read();
    if (next.closed) break;
    if (!next.message) {
      co_await reject("", next.error->message);
      break;
    }
    auto& message = *next.message;
    if (auto* ping = std::get_if<Ping>(&message)) {
      stream->send(Pong{ping->nonce});
    } else if (std::holds_alternative<Status>(message)) {
      co_await handleStatus(stream);
    } else if (auto* migrate = std::get_if<Migrate>(&message)) {
      const std::string noNote;
      asio::co_spawn(io_, handleMigrate(stream, *migrate, 0.0, noNote), asio::detached);
    } else if (auto* setup = std::get_if<MtdSetup>(&message)) {
      if (peer != options_.managerName) {
        co_await reject("", "only the manager may set up MTD");
        break;
      }
      handleMtdSetup(stream, *setup);
    } else if (auto* request = std::get_if<KeyRequest>(&message)) {
      handleKeyRequest(stream, *request);
    } else if (auto* order = std::get_if<MtdMigrate>(&message)) {
      if (peer != options_.managerName) {
        co_await reject(order->migrationId, "only the manager may order an MTD migration");
        break;
      }
      asio::co_spawn(io_, handleMtdMigrate(stream, *order), asio::detached);
    } else if (auto* probe = std::get_if<LatencyProbe>(&message)) {
      // Only the manager: a probe makes this agent connect to the addresses
      // it names.
      if (peer != options_.managerName) {
        co_await reject("", "only the manager may ask for latency probes");
        break;
      }
      co_await handleLatencyProbe(stream, *probe);
    } else if (auto* prepare = std::get_if<Prepare>(&message)) {
      if (stopping_) {
        stream->send(Failure{prepare->migrationId, "agent " + options_.name + " is shutting down"});
      } else if (destinationMigrations_.count(prepare->migrationId)) {
        stream->send(Failure{prepare->migrationId, "migration " + prepare->migrationId +
                                                       " is already being received here"});
      } else {
        auto state = std::make_shared<DestinationMigrationState>();
        state->source = peer;
        state->container = prepare->container;
        state->stream = stream;
        const std::string id = prepare->migrationId;
        destinationMigrations_[id] = state;
        ++activeMigrations_;
        if (metrics_) metrics_->inFlight.labels({"destination"}).inc();
        stream->setIdleTimeout(options_.idleTimeout);
        co_await receiveMigration(*this, stream, *prepare, *state);
        stream->setIdleTimeout(std::chrono::seconds(0));
        if (!state->outcome) state->outcome = Failure{id, "the migration ended without an outcome"};
        state->stream.reset();
        destinationMigrations_.erase(id);
        --activeMigrations_;
        if (metrics_) {
          metrics_->inFlight.labels({"destination"}).dec();
          const bool received = std::holds_alternative<Success>(*state->outcome);
          metrics_->migrations.labels({"destination", received ? "success" : "failure"}).inc();
        }
        finishShutdownIfIdle();
      }
    } else if (auto* abort = std::get_if<Abort>(&message)) {
      co_await answerAbort(*this, stream, *abort);
    } else {
      co_await reject(
          "", "unexpected " + std::string(toString(typeOf(message))) + " on this connection");
      break;
    }
  }
  stream->close();
  untrack(stream);
  if (metrics_) metrics_->openConnections.get().dec();
}

void Agent::handleMtdSetup(const FramedStreamPtr& stream, const MtdSetup& setup) {
  auto parsed = mtd::hostEpochFromSetup(setup, options_.name);
  if (!parsed.ok()) {
    log_("MTD setup refused: " + parsed.error().message);
    stream->send(Error{"", parsed.error().message});
    return;
  }
  auto state = std::make_shared<MtdEpochState>();
  state->epoch = std::move(*parsed);
  // Only the newest epoch is kept: the previous material is dropped (wiped).
  mtd_ = std::move(state);
  log_("MTD epoch " + setup.epoch + " ready (" + setup.scheme + ", k=" + std::to_string(setup.k) +
       ", " + std::to_string(setup.entries) + " entries, " + std::to_string(setup.peers.size()) +
       " peers)");
  stream->send(MtdReady{setup.epoch});
}

void Agent::handleKeyRequest(const FramedStreamPtr& stream, const KeyRequest& request) {
  const auto peer = stream->peerName();
  if (!mtd_) {
    stream->send(Error{request.migrationId, "no MTD epoch here"});
    return;
  }
  auto answer = mtd_->keys.answer(mtd_->epoch, request, peer);
  if (!answer.ok()) {
    const std::string& refusal = answer.error().message;
    log_("KEY_REQUEST from " + peer + " for " + request.migrationId + " refused: " + refusal);
    stream->send(Error{request.migrationId, refusal});
    return;
  }
  // Never the material itself in the log.
  log_("KEY_REQUEST from " + peer + " for " + request.migrationId + ": key material sent");
  stream->send(*answer);
}

awaitable<void> Agent::handleLatencyProbe(FramedStreamPtr streamArg, LatencyProbe probeArg) {
  const auto stream = std::move(streamArg);
  const auto probe = std::move(probeArg);
  // On the worker pool: the PINGs run on their own io_context, all at once.
  auto measure = [tls = clientTls_.get(), peers = probe.peers] {
    return measureRoundTrips(*tls, peers, kLatencyProbeTimeout);
  };
  auto measured = co_await runBlocking(pool_, measure);
  LatencyReport report;
  for (const auto& peer : probe.peers)
    if (auto it = measured.find(peer.name); it != measured.end())
      report.roundTrips.push_back({peer.name, it->second});
  stream->send(report);
}

awaitable<void> Agent::handleMtdMigrate(FramedStreamPtr requesterArg, MtdMigrate orderArg) {
  const auto requester = std::move(requesterArg);
  const auto order = std::move(orderArg);
  // The same id again: join or replay through the normal path once resolved.
  if (sourceMigrations_.count(order.migrationId) || lookup(order.migrationId)) {
    // Named, not a temporary: GCC 12 mishandles temporaries passed to an
    // awaited coroutine.
    const Migrate again{order.migrationId, order.container, "", order.mode};
    const std::string noNote;
    co_await handleMigrate(requester, again, 0.0, noNote);
    co_return;
  }
  if (mtdResolving_.count(order.migrationId)) {
    requester->send(Error{order.migrationId, "MTD migration " + order.migrationId +
                                                 " is still gathering its keys; ask again"});
    co_return;
  }
  if (!mtd_) {
    requester->send(Error{order.migrationId, "MTD: no epoch has been set up on " + options_.name});
    co_return;
  }
  mtdResolving_.insert(order.migrationId);
  ++activeMigrations_;
  if (metrics_) metrics_->inFlight.labels({"key_gathering"}).inc();
  const std::string scheme = mtd_->epoch.scheme;
  log_(logging::Event("MTD_MIGRATE " + order.container + " (" + order.migrationId + ", epoch " +
                      order.epoch + ") from " + requester->peerName() + ": gathering key material")
           .with("event", "mtd_migrate")
           .with("migration_id", order.migrationId)
           .with("container", order.container)
           .with("source", options_.name)
           .with("epoch", order.epoch)
           .with("requester", requester->peerName()));
  // On the worker pool: the gathering blocks on its own io_context. It keeps
  // the epoch it started with even if a new setup arrives meanwhile.
  auto resolve = [state = mtd_, order, tls = clientTls_.get(),
                  seed = std::random_device{}()]() -> mtd::Resolution {
    const auto& epoch = state->epoch;
    std::map<std::string, double> latency;
    if (epoch.scheme == "fountain")
      latency = measureRoundTrips(*tls, epoch.peers, std::chrono::seconds(5));
    auto ask = [tls](const std::vector<AgentPeer>& peers, const KeyRequest& request) {
      return askPeersInParallel(*tls, peers, request, std::chrono::seconds(10));
    };
    return mtd::resolveDestination(epoch, order, ask, latency, seed);
  };
  auto resolved = co_await runBlocking(pool_, resolve);
  mtdResolving_.erase(order.migrationId);
  --activeMigrations_;
  if (metrics_) metrics_->inFlight.labels({"key_gathering"}).dec();
  if (metrics_ && resolved.destination)
    metrics_->keySeconds.labels({scheme}).observe(resolved.keySeconds);
  for (const auto& refusal : resolved.refusals) log_("MTD " + order.migrationId + ": " + refusal);
  if (!resolved.destination) {
    log_(logging::Event(logging::Level::error, "MTD " + order.migrationId + " failed after " +
                                                   std::to_string(resolved.requests) +
                                                   " key request(s): " + resolved.error->message)
             .with("event", "migration_failed")
             .with("migration_id", order.migrationId)
             .with("container", order.container)
             .with("source", options_.name)
             .with("error", resolved.error->message));
    requester->send(Error{order.migrationId, resolved.error->message});
    finishShutdownIfIdle();
    co_return;
  }
  log_("MTD " + order.migrationId + ": key material from " + std::to_string(resolved.requests) +
       " request(s) in " + std::to_string(resolved.keySeconds) + " s");
  const Migrate migrate{order.migrationId, order.container, resolved.destination->address,
                        order.mode};
  const std::string note = "MTD index " + std::to_string(resolved.index);
  co_await handleMigrate(requester, migrate, resolved.keySeconds, note);
}

awaitable<void> Agent::handleMigrate(FramedStreamPtr requesterArg, Migrate requestArg,
                                     double keySeconds, std::string note) {
  const auto requester = std::move(requesterArg);
  const auto request = std::move(requestArg);
  if (auto known = sourceMigrations_.find(request.migrationId); known != sourceMigrations_.end()) {
    // The same id again: join it (or hear its outcome) instead of migrating twice.
    auto& state = known->second;
    if (state->done) {
      requester->send(*state->done);
    } else {
      state->listeners.push_back(requester);
      requester->send(state->progress);
    }
    co_return;
  }
  if (auto known = lookup(request.migrationId)) {
    requester->send(doneFromJournal(*known, options_.name));
    co_return;
  }
  if (stopping_) {
    requester->send(Error{request.migrationId, "agent " + options_.name + " is shutting down"});
    co_return;
  }
  for (const auto& [id, state] : sourceMigrations_) {
    if (!state->done && state->request.container == request.container) {
      requester->send(Error{request.migrationId, "container " + request.container +
                                                     " is already being migrated (" + id + ")"});
      co_return;
    }
  }
  auto state = std::make_shared<SourceMigrationState>();
  state->request = request;
  state->listeners.push_back(requester);
  state->progress.migrationId = request.migrationId;
  state->progress.phase = "queued";
  sourceMigrations_[request.migrationId] = state;
  ++activeMigrations_;
  if (metrics_) metrics_->inFlight.labels({"source"}).inc();
  log_(logging::Event("MIGRATE " + request.container + " to " + request.destination + " (" +
                      request.migrationId + ", mode " + request.mode + ") from " +
                      requester->peerName())
           .with("event", "migration_started")
           .with("migration_id", request.migrationId)
           .with("container", request.container)
           .with("source", options_.name)
           .with("destination", request.destination)
           .with("mode", request.mode)
           .with("requester", requester->peerName()));
  const std::function<void(const Progress&)> report = [state](const Progress& progress) {
    state->progress = progress;
    for (auto& listener : state->listeners) listener->send(progress);
  };
  auto done = co_await runSourceMigration(*this, request, report);
  done.keySeconds = keySeconds;
  if (!note.empty()) done.note = done.note.empty() ? note : note + "; " + done.note;
  state->done = done;
  auto listeners = std::move(state->listeners);
  state->listeners.clear();
  for (auto& listener : listeners) listener->send(done);
  // Delivered before a shutdown may close the connections.
  for (auto& listener : listeners) co_await listener->flush();
  --activeMigrations_;
  if (metrics_) {
    metrics_->inFlight.labels({"source"}).dec();
    metrics_->migrations.labels({"source", done.result == "success" ? "success" : "failure"}).inc();
  }
  finishShutdownIfIdle();
}

awaitable<void> Agent::handleStatus(const FramedStreamPtr& stream) {
  // A named closure: GCC 12 corrupts closure temporaries kept across co_await.
  auto listContainers = [socket = dockerSocket_] {
    auto list = DockerClient(socket).listContainers(true);
    nlohmann::json out = nlohmann::json::array();
    if (!list.ok() || !list.body.is_array()) return out;
    for (const auto& c : list.body) {
      std::string name =
          c.value("Names", nlohmann::json::array()).empty() ? "" : c["Names"][0].get<std::string>();
      if (!name.empty() && name.front() == '/') name.erase(0, 1);
      out.push_back({{"name", name},
                     {"id", c.value("Id", "")},
                     {"image", c.value("Image", "")},
                     {"state", c.value("State", "")},
                     {"labels", c.value("Labels", nlohmann::json::object())}});
    }
    return out;
  };
  auto containers = co_await runBlocking(pool_, listContainers);
  nlohmann::json migrations = nlohmann::json::array();
  for (const auto& [id, state] : sourceMigrations_)
    if (!state->done)
      migrations.push_back({{"migration_id", id},
                            {"role", "source"},
                            {"container", state->request.container},
                            {"destination", state->request.destination},
                            {"phase", state->progress.phase},
                            {"bytes_sent", state->progress.bytesSent},
                            {"bytes_total", state->progress.bytesTotal}});
  for (const auto& [id, state] : destinationMigrations_)
    migrations.push_back({{"migration_id", id},
                          {"role", "destination"},
                          {"container", state->container},
                          {"source", state->source},
                          {"committed", state->committed}});
  nlohmann::json modes = {"auto", "snapshot"};
  if (capabilities_.checkpoint) modes.push_back("checkpoint");
  nlohmann::json capabilities = {{"protocol", kProtocolVersion},
                                 {"modes", modes},
                                 {"checkpoint", capabilities_.checkpoint},
                                 {"checkpoint_reason", capabilities_.checkpointReason},
                                 {"compression", {"zstd"}}};
  stream->send(StatusReply{options_.name, containers, migrations, capabilities});
}

void Agent::shutdown(std::function<void()> whenStopped) {
  if (stopping_) return;
  stopping_ = true;
  whenStopped_ = std::move(whenStopped);
  boost::system::error_code ec;
  if (acceptor_) acceptor_->close(ec);
  if (addressTimer_) addressTimer_->cancel();
  log_("shutting down: " + std::to_string(activeMigrations_) + " migration(s) in flight");
  if (activeMigrations_ > 0) {
    graceTimer_ = std::make_unique<asio::steady_timer>(io_, options_.shutdownGrace);
    graceTimer_->async_wait([this](const boost::system::error_code& error) {
      if (error) return;
      log_("grace period over: cutting " + std::to_string(streams_.size()) +
           " connection(s); unfinished migrations roll back");
      auto streams = streams_;
      for (const auto& stream : streams) stream->close();
    });
  }
  finishShutdownIfIdle();
}

void Agent::finishShutdownIfIdle() {
  if (!stopping_ || activeMigrations_ > 0 || !whenStopped_) return;
  if (graceTimer_) graceTimer_->cancel();
  // Idle connections (a manager's, a CLI's) are closed so their sessions end.
  auto streams = streams_;
  for (const auto& stream : streams) stream->close();
  auto done = std::move(whenStopped_);
  whenStopped_ = nullptr;
  done();
}

}  // namespace roam::agent
