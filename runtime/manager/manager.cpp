#include "runtime/manager/manager.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "lang/state_json.hpp"
#include "runtime/manager/agent_latency_source.hpp"
#include "runtime/manager/file_watcher.hpp"
#include "runtime/manager/redirector.hpp"
#include "runtime/measure/floodlight_backend.hpp"
#include "runtime/measure/measurement_service.hpp"
#include "runtime/measure/ryu_backend.hpp"
#include "runtime/measure/topology_file.hpp"

namespace roam::runtime {

namespace {

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

// The decision log's second line for a dispatched decision: how its
// migration ended, keyed by the same decision_id. A reader joins the two
// without opening the VIB (docs/manager.md, "The decision log").
nlohmann::json outcomeLogLine(const MigrationRecord& m, const nlohmann::json& rounds) {
  nlohmann::json line = migrationToJson(m);
  line["action"] = "outcome";
  line["time"] = m.finishedT.value_or(m.updatedT);
  line["result"] = m.state == "done" ? "success" : "failure";
  line["rounds"] = rounds;
  line["round_count"] = m.rounds;
  return line;
}

// A migration's end in the metrics: by the mode the source ran (the
// configured one when it never said), its result, and for a success its
// times, rounds and, for MTD, the key gathering.
void countMigrationEnd(ManagerMetrics& metrics, const MigrationRecord& m, bool ok,
                       const nlohmann::json& rounds, const std::string& mtdScheme) {
  const std::string mode = m.reportedMode.empty() ? m.mode : m.reportedMode;
  metrics.migrations.labels({mode, ok ? "success" : "failure"}).inc();
  metrics.sentBytes.labels({mode}).inc(static_cast<double>(m.bytesSent));
  if (!ok) return;
  if (m.migrationSeconds) metrics.migrationSeconds.labels({mode}).observe(*m.migrationSeconds);
  metrics.freezeSeconds.labels({mode}).observe(m.freezeMs / 1000);
  if (!rounds.empty()) {
    double transfer = 0;
    for (const auto& r : rounds) transfer += r.value("seconds", 0.0);
    metrics.transferSeconds.labels({mode}).observe(transfer);
    metrics.precopyRounds.labels({mode}).observe(static_cast<double>(m.rounds));
  }
  if (!mtdScheme.empty()) metrics.keySeconds.labels({mtdScheme}).observe(m.keySeconds);
}

// The fields of every log event about migration M (docs/operations.md):
// the mode is the one the source ran when it said, else the one asked for.
logging::Event&& withMigrationFields(logging::Event&& e, const MigrationRecord& m) {
  return std::move(e)
      .with("migration_id", m.migrationId)
      .with("container", m.container)
      .with("source", m.source)
      .with("destination", m.destination)
      .with("policy", m.policy)
      .with("decision_id", m.decisionId)
      .with("mode", m.reportedMode.empty() ? m.mode : m.reportedMode);
}

std::string shortHash(const std::string& hash) {
  return hash.substr(0, std::min<std::size_t>(hash.size(), 19));  // "sha256:" + 12 hex
}

}  // namespace

Manager::Manager(ManagerConfig config, AgentGateway& agents, Clock& clock, Log log)
    : config_(std::move(config)),
      agents_(agents),
      clock_(clock),
      log_(std::move(log)),
      reloader_([this](const logging::Event& e) { log_(e); }, [this] { return clock_.now(); }),
      brain_(BrainOptions{}) {
  // The MTD tokens' signing key: the manager's TLS key (certs and identity
  // change only at a restart). Without it MTD decisions are refused.
  const auto keyFile = std::filesystem::path(config_.certs) / (config_.identity + ".key");
  mtd_ = std::make_unique<MtdCoordinator>(
      agents_, [this](const std::string& line) { log_(line); }, crypto::loadPrivateKey(keyFile));
  brain_.setOptions(brainOptions());
}

void Manager::setMetrics(ManagerMetrics* metrics) {
  metrics_ = metrics;
  reloader_.setMetrics(metrics);
}

Manager::~Manager() {
  stop();
  joinMigrations();
}

void Manager::joinMigrations() {
  // Joined outside the lock: a finishing migration takes it to report.
  std::list<std::thread> threads;
  {
    std::lock_guard lock(migrationsMutex_);
    threads.swap(migrationThreads_);
  }
  for (auto& t : threads)
    if (t.joinable()) t.join();
}

BrainOptions Manager::brainOptions() const {
  std::lock_guard lock(configMutex_);
  BrainOptions o;
  o.cooldownSeconds = config_.cooldown;
  o.rateLimit = config_.rateLimit;
  o.maxDataAge = config_.maxDataAge;
  // Live data is stale when the bandwidth collector missed a few polls.
  if (!o.maxDataAge && config_.stateFile.empty()) o.maxDataAge = 3 * config_.bandwidthInterval;
  o.seed = config_.seed != 0 ? config_.seed : static_cast<std::uint64_t>(clock_.now() * 1000);
  o.dryRun = config_.dryRun;
  if (mtd_) o.mtdUnavailable = mtd_->unavailable();
  return o;
}

roam::Status Manager::start() {
  auto fail = [](roam::ErrorCode code, std::string located) {
    return roam::makeError(code, std::move(located));
  };
  ManagerConfig c;
  {
    std::lock_guard lock(configMutex_);
    c = config_;
  }
  if (c.policy.file.empty())
    return fail(roam::ErrorCode::BadInput,
                "<config>:1:1: error: no policy: set \"policy\" in the configuration or give "
                "--policy FILE\n");
  auto loaded = reloader_.load(c.policy, "start");
  if (!loaded.ok) return fail(roam::ErrorCode::BadInput, loaded.errors);

  std::error_code ec;
  auto vibDir = std::filesystem::path(c.vib).parent_path();
  if (!vibDir.empty()) std::filesystem::create_directories(vibDir, ec);
  auto opened = Vib::open(c.vib);
  if (!opened)
    return fail(opened.error().code, c.vib + ":1:1: error: " + opened.error().message + "\n");
  vib_ = std::move(*opened);
  vib_->setMetrics(metrics_);

  if (!c.stateFile.empty()) {
    auto state = lang::loadStateFile(c.stateFile);
    if (!state.state) {
      std::string errors;
      for (const auto& d : state.diagnostics) errors += lang::formatHeadline(d) + "\n";
      return fail(roam::ErrorCode::BadInput, errors);
    }
    view_ = std::make_unique<NetworkView>(std::move(state.state));
  } else {
    view_ = std::make_unique<NetworkView>(*vib_, c.window);
    TopologyNaming naming;
    if (!c.topology.empty()) {
      auto topo = loadTopologyFile(c.topology);
      if (!topo.file) {
        std::string errors;
        for (const auto& d : topo.diagnostics) errors += lang::formatHeadline(d) + "\n";
        return fail(roam::ErrorCode::BadInput, errors);
      }
      naming = TopologyNaming(std::move(*topo.file));
    }
    HttpOptions http;
    if (c.controllerBackend == "floodlight")
      backend_ = std::make_unique<FloodlightBackend>(c.controllerUrl, http);
    else
      backend_ = std::make_unique<RyuBackend>(c.controllerUrl, http);
    MeasurementOptions options;
    options.bandwidthIntervalSeconds = c.bandwidthInterval;
    options.aggregateIntervalSeconds = c.aggregateInterval;
    options.topologyIntervalSeconds = c.topologyInterval;
    options.latencyIntervalSeconds = c.latencyInterval;
    latency_ = std::make_unique<AgentLatencySource>(agents_, [this] {
      std::lock_guard lock(configMutex_);
      return config_.agents;
    });
    measurement_ = std::make_unique<MeasurementService>(
        *backend_, *vib_, clock_, options, std::move(naming),
        [this, backend = c.controllerBackend](const std::string& line) {
          // "NAME collector: ...; retrying", "NAME collector still failing",
          // "NAME collector recovered after ...", "measurement sink: ...".
          const auto space = line.find(' ');
          const bool collector = line.compare(space + 1, 9, "collector") == 0;
          const bool recovered = line.find(" recovered after ") != std::string::npos;
          log_(logging::Event(recovered ? logging::Level::info : logging::Level::warning,
                              "measure: " + line)
                   .with("event", collector
                                      ? (recovered ? "collector_recovered" : "collector_error")
                                      : "measurement_sink_error")
                   .with("collector", collector ? line.substr(0, space) : "")
                   .with("backend", backend));
        },
        latency_.get());
    measurement_->setMetrics(metrics_);
  }
  log_(logging::Event(
           "manager: policy " + reloader_.current()->policy->name + " (" + shortHash(loaded.hash) +
           ") from " + c.policy.file + "; " +
           (c.stateFile.empty()
                ? "live measurements from " + c.controllerBackend + " at " + c.controllerUrl
                : "fixed state " + c.stateFile) +
           "; " + std::to_string(c.agents.size()) + " agent(s)" + (c.dryRun ? "; dry run" : ""))
           .with("event", "start")
           .with("policy", reloader_.current()->policy->name)
           .with("policy_hash", loaded.hash)
           .with("policy_file", c.policy.file)
           .with("state_file", c.stateFile)
           .with("agents", static_cast<long long>(c.agents.size()))
           .with("dry_run", c.dryRun));
  if (!c.agents.empty()) pollAgents();
  reconcile();
  return {};
}

std::string Manager::describe() const {
  auto policy = reloader_.current();
  std::lock_guard lock(configMutex_);
  std::string out = "manager";
  if (policy)
    out += " (policy " + policy->policy->name + " " + shortHash(policy->contentHash) + " from " +
           policy->source.file + ")";
  out += config_.stateFile.empty() ? ", live VIB " + config_.vib
                                   : ", fixed state " + config_.stateFile;
  return out;
}

double Manager::currentInterval() const {
  {
    std::lock_guard lock(configMutex_);
    if (config_.interval) return *config_.interval;
  }
  // The policy's own `when every D`, as the last evaluation reported it.
  return lastInterval_.load();
}

roam::Result<std::shared_ptr<const lang::NetworkState>> Manager::snapshot() {
  if (!view_) return roam::makeError(roam::ErrorCode::Internal, "the manager has not started");
  return view_->snapshot(clock_.now());
}

void Manager::logOnce(const std::string& key, const logging::Event& event) {
  {
    std::lock_guard lock(logMutex_);
    if (key == lastRepeated_) return;
    lastRepeated_ = key;
  }
  log_(event);
}

void Manager::appendDecisionLog(const nlohmann::json& line) {
  std::string path;
  {
    std::lock_guard lock(configMutex_);
    path = config_.decisionLog;
  }
  if (path.empty()) return;
  std::error_code ec;
  auto dir = std::filesystem::path(path).parent_path();
  if (!dir.empty()) std::filesystem::create_directories(dir, ec);
  std::ofstream out(path, std::ios::app);
  out << line.dump() << "\n";
  out.flush();
  if (!out)
    logOnce("decision-log", logging::Event(logging::Level::error,
                                           "manager: cannot append to the decision log " + path)
                                .with("path", path));
}

BrainStep Manager::evaluateOnce() {
  auto policy = reloader_.current();
  auto read = snapshot();
  if (!policy || !read) {
    const std::string error = roam::errorText(read);
    logOnce("snapshot:" + error,
            logging::Event(logging::Level::warning, "manager: no state to evaluate: " + error)
                .with("event", "no_state")
                .with("error", error));
    return {};
  }
  const auto& state = *read;
  const double now = clock_.now();
  BrainStep step = brain_.evaluate(*policy, *state, now);
  if (metrics_) {
    const std::string& name = policy->policy->name;
    metrics_->evaluations.labels({name, actionName(step.action)}).inc();
    metrics_->decisionSeconds.labels({name}).observe(step.decisionSeconds);
  }
  if (step.decision && step.decision->intervalSeconds)
    lastInterval_.store(*step.decision->intervalSeconds);
  if (step.action == BrainAction::error) {
    logOnce("eval:" + step.errors,
            logging::Event(logging::Level::error, "manager: policy " + policy->policy->name +
                                                      " could not be evaluated:\n" + step.errors)
                .with("event", "evaluation_failed")
                .with("policy", policy->policy->name)
                .with("error", step.errors));
    return step;
  }
  if (step.action == BrainAction::idle) {
    {
      std::lock_guard lock(logMutex_);
      lastSuppressed_.clear();
    }
    logOnce("idle", logging::Event("manager: policy " + policy->policy->name + " not triggered: " +
                                   (step.decision ? step.decision->trigger : std::string()))
                        .with("event", "idle")
                        .with("policy", policy->policy->name));
    return step;
  }
  const auto& d = *step.decision;
  // A refusal that repeats every interval (a long migration, a cooldown) is
  // logged once, not once per evaluation.
  const std::string suppressedKey =
      step.action == BrainAction::suppressed
          ? d.container.value_or("") + "|" + d.destination.value_or("") + "|" + step.reasonKind
          : "";
  {
    std::lock_guard lock(logMutex_);
    lastRepeated_.clear();
    if (!suppressedKey.empty() && suppressedKey == lastSuppressed_) return step;
    lastSuppressed_ = suppressedKey;
  }
  appendDecisionLog(step.logLine);
  if (vib_) (void)vib_->recordDecision({step.decisionId, now, d.policy, step.logLine});
  if (metrics_) metrics_->decisions.labels({policy->policy->name, actionName(step.action)}).inc();
  board_.touch();
  // An MTD decision has no destination: the source agent finds it.
  const std::string to =
      d.mtd ? "(hidden: mtd " + d.mtd->scheme + ")" : d.destination.value_or("?");
  std::string what = d.container ? *d.container + " " + d.source.value_or("?") + " -> " + to
                                 : std::string("no container");
  log_(logging::Event("decision " + step.decisionId + ": " + actionName(step.action) + " " + what +
                      (step.reason.empty() ? "" : " (" + step.reason + ")") + " in " +
                      fixed(step.decisionSeconds * 1000, 2) + " ms")
           .with("event", "decision")
           .with("decision_id", step.decisionId)
           .with("action", actionName(step.action))
           .with("policy", d.policy)
           .with("container", d.container.value_or(""))
           .with("source", d.source.value_or(""))
           .with("destination", d.destination.value_or(""))
           .with("mtd_scheme", d.mtd ? d.mtd->scheme : "")
           .with("reason", step.reason)
           .with("decision_ms", step.decisionSeconds * 1000));
  if (step.action == BrainAction::dispatch) {
    MigrationRecord m;
    m.container = *d.container;
    m.source = *d.source;
    m.decisionId = step.decisionId;
    m.policy = d.policy;
    m.decisionSeconds = step.decisionSeconds;
    if (d.mtd) {
      // The table's entries are the `where` block's candidates (the source
      // is never one: decide() excludes it), in name order.
      MtdPlan plan{d.mtd->scheme, d.mtd->k, {}};
      for (const auto& c : d.candidates) plan.candidates.push_back(c.host);
      dispatch(std::move(m), std::move(plan));
    } else {
      m.destination = *d.destination;
      dispatch(std::move(m));
    }
  }
  return step;
}

const AgentAddress* Manager::agentByName(const std::string& name) const {
  for (const auto& a : config_.agents)
    if (a.name == name) return &a;
  return nullptr;
}

void Manager::record(const MigrationRecord& m) {
  if (!vib_) return;
  if (auto s = vib_->upsertMigration(m); !s)
    logOnce("vib-migration",
            logging::Event(logging::Level::error, "manager: cannot record migration " +
                                                      m.migrationId + ": " + s.error().message)
                .with("migration_id", m.migrationId)
                .with("error", s.error().message));
}

void Manager::dispatch(MigrationRecord m, std::optional<MtdPlan> mtd) {
  if (m.migrationId.empty()) m.migrationId = agent::newMigrationId();
  std::lock_guard lock(migrationsMutex_);
  // Reap the threads of finished migrations.
  for (auto it = migrationThreads_.begin(); it != migrationThreads_.end();) {
    if (finished_.count(it->get_id())) {
      finished_.erase(it->get_id());
      it->join();
      it = migrationThreads_.erase(it);
    } else {
      ++it;
    }
  }
  ++inFlight_;
  if (metrics_) metrics_->migrationsInFlight.get().inc();
  migrationThreads_.emplace_back(
      [this, m = std::move(m), mtd = std::move(mtd)] { runMigration(m, mtd); });
}

void Manager::migrationThreadDone() {
  std::lock_guard lock(migrationsMutex_);
  --inFlight_;
  if (metrics_) metrics_->migrationsInFlight.get().dec();
  finished_.insert(std::this_thread::get_id());
  migrationsChanged_.notify_all();
}

void Manager::runMigration(MigrationRecord m, const std::optional<MtdPlan>& mtd) {
  // A reconciled migration starts over: its outcome comes from the agent.
  m.error.clear();
  m.note.clear();
  m.finishedT.reset();
  m.migrationSeconds.reset();
  m.bytesSent = m.bytesTotal = 0;
  m.keySeconds = 0;
  m.freezeMs = m.totalSeconds = 0;
  m.rounds = 0;
  m.reportedMode.clear();
  m.dumpMs = m.transferMs = m.restoreMs = m.redirectMs = 0;
  m.memoryBytes = 0;
  m.startedT = clock_.now();
  m.updatedT = m.startedT;
  m.state = "dispatched";

  std::string sourceAddress, destinationAddress, mode;
  {
    std::lock_guard lock(configMutex_);
    mode = config_.mode;
    if (auto* a = agentByName(m.source)) sourceAddress = a->address;
    if (auto* a = agentByName(m.destination)) destinationAddress = a->transferAddress();
  }
  m.mode = mode;

  // Traffic is redirected the moment the destination serves (PROGRESS
  // "serving", during the source's freeze), not after the source copy is
  // retired; an MTD migration's destination is known only from its DONE.
  bool redirected = false;
  double rulesMs = 0;  // the rewrite rules' installation, when the manager redirected
  nlohmann::json rounds = nlohmann::json::array();  // DONE's rounds, when one came
  auto finish = [&](bool ok) {
    if (ok && !redirected) {
      redirected = true;
      rulesMs = redirectTraffic(m);
      m.redirectMs += rulesMs;
    }
    m.updatedT = clock_.now();
    m.finishedT = m.updatedT;
    m.state = ok ? "done" : "failed";
    record(m);
    board_.finished(m);
    if (!m.decisionId.empty()) appendDecisionLog(outcomeLogLine(m, rounds));
    if (metrics_) countMigrationEnd(*metrics_, m, ok, rounds, mtd ? mtd->scheme : std::string());
    brain_.migrationFinished(m.container, ok, m.updatedT);
    log_(withMigrationFields(
        logging::Event(
            ok ? logging::Level::info : logging::Level::error,
            "migration " + m.migrationId + " of " + m.container + " " + m.source + " -> " +
                (m.destination.empty() ? "?" : m.destination) + ": " + m.state +
                (m.migrationSeconds ? " in " + fixed(*m.migrationSeconds, 2) + " s"
                                    : std::string()) +
                " (decision " + fixed(m.decisionSeconds * 1000, 2) + " ms" +
                (mtd ? ", key gathering " + fixed(m.keySeconds * 1000, 2) + " ms" : std::string()) +
                (m.reportedMode == "checkpoint" && m.freezeMs > 0
                     ? ", checkpoint freeze " + fixed(m.freezeMs, 0) + " ms: dump " +
                           fixed(m.dumpMs, 0) + " + transfer " + fixed(m.transferMs, 0) +
                           " + restore " + fixed(m.restoreMs, 0) + " + redirect " +
                           fixed(m.redirectMs, 0) + " ms, " + std::to_string(m.memoryBytes) +
                           " bytes of memory"
                     : std::string()) +
                ")" + (m.error.empty() ? "" : ": " + m.error))
            .with("event", ok ? "migration_done" : "migration_failed")
            .with("result", m.state)
            .with("migration_seconds", m.migrationSeconds)
            .with("bytes_sent", static_cast<long long>(m.bytesSent))
            .with("error", m.error),
        m));
    if (ok) pollAgents();  // the container's new place, before the next evaluation
    migrationThreadDone();
  };

  if (sourceAddress.empty() || (!mtd && destinationAddress.empty())) {
    m.error = "no agent configured for host '" +
              (sourceAddress.empty() ? m.source : m.destination) + "' (configuration: agents)";
    return finish(false);
  }
  record(m);
  log_(withMigrationFields(
      logging::Event("migration " + m.migrationId + " of " + m.container + " " + m.source + " -> " +
                     (mtd ? "(hidden: mtd)" : m.destination) + ": started (mode " + m.mode + ")")
          .with("event", "migration_started"),
      m));
  board_.started(m, m.startedT);

  double lastWrite = 0;
  auto onProgress = [&](const agent::Progress& p) {
    if (p.phase == "serving" && !mtd && !redirected) {
      redirected = true;
      rulesMs = redirectTraffic(m);
    }
    m.state = "transferring";
    m.bytesSent = p.bytesSent;
    m.bytesTotal = p.bytesTotal;
    m.updatedT = clock_.now();
    board_.progressed(m.migrationId, p.phase, p.bytesSent, p.bytesTotal, p.rateBps, m.updatedT);
    if (m.updatedT - lastWrite >= 1) {  // the VIB gets progress at most once a second
      lastWrite = m.updatedT;
      record(m);
    }
  };
  const double sent = clock_.now();
  const agent::MigrateOutcome outcome =
      mtd ? runMtd(m, *mtd, sourceAddress, onProgress)
          : agents_.migrate(sourceAddress,
                            agent::Migrate{m.migrationId, m.container, destinationAddress, mode},
                            onProgress, &stopping_);
  if (!outcome.ok()) {
    if (stopping_.load()) {
      // The agent carries on; the next start re-attaches (same migration id).
      m.note = "manager stopped while waiting; reconciled at the next start";
      m.updatedT = clock_.now();
      record(m);
      return migrationThreadDone();
    }
    m.error = mtd && mtd->rejoin
                  ? "could not re-attach to the MTD migration after a manager restart: " +
                        outcome.error().message
                  : outcome.error().message;
    return finish(false);
  }
  const auto& done = outcome->done;
  m.migrationSeconds = clock_.now() - sent;
  m.bytesSent = done.bytesSent;
  m.bytesTotal = done.bytesTotal;
  m.freezeMs = done.freezeMs;
  m.rounds = static_cast<std::uint32_t>(done.rounds.size());
  rounds = agent::roundsToJson(done.rounds);
  m.totalSeconds = done.totalSeconds;
  // The mode it ran in (auto resolved at the source) and, in checkpoint
  // mode, the freeze's split and the process memory moved.
  m.reportedMode = done.mode;
  m.dumpMs = done.dumpMs;
  m.transferMs = done.transferMs;
  m.restoreMs = done.restoreMs;
  // The destination's address move, and the rules installed here (once the
  // destination served) when the service has no address of its own.
  m.redirectMs = done.redirectMs + rulesMs;
  m.memoryBytes = done.memoryBytes;
  m.note = done.note;
  if (mtd) {
    // The manager learns the destination only now, from the source's DONE:
    // its agent's data address, mapped back to the host's name.
    m.keySeconds = done.keySeconds;
    std::lock_guard lock(configMutex_);
    for (const auto& a : config_.agents)
      if (a.name != m.source &&
          (done.destination == a.transferAddress() || done.destination == a.address))
        m.destination = a.name;
    // Not a configured agent's address: kept as reported, so it is not lost.
    if (m.destination.empty() && done.result == "success") m.destination = done.destination;
  }
  if (done.result != "success") m.error = done.note.empty() ? done.result : done.note;
  finish(done.result == "success");
}

agent::MigrateOutcome Manager::runMtd(
    MigrationRecord& m, const MtdPlan& plan, const std::string& sourceAddress,
    const std::function<void(const agent::Progress&)>& onProgress) {
  if (plan.rejoin)
    return agents_.mtdMigrate(sourceAddress,
                              MtdCoordinator::rejoinOrder(m.migrationId, m.container, m.mode),
                              onProgress, &stopping_);
  std::vector<AgentAddress> agents;
  {
    std::lock_guard lock(configMutex_);
    agents = config_.agents;
  }
  std::lock_guard serial(mtdMigrationMutex_);
  auto ensured = mtd_->ensureEpoch(plan.scheme, plan.k, agents, plan.candidates);
  agent::MigrateOutcome outcome =
      ensured.ok() ? agents_.mtdMigrate(sourceAddress,
                                        mtd_->order(m.migrationId, m.container, m.mode, m.source),
                                        onProgress, &stopping_)
                   : agent::MigrateOutcome(ensured.error());
  // Success or not, the next MTD migration runs under a new epoch, so the
  // shares of this one are useless from now on.
  mtd_->rotate();
  return outcome;
}

bool Manager::waitIdle(double timeoutSeconds) {
  std::unique_lock lock(migrationsMutex_);
  return migrationsChanged_.wait_for(lock, std::chrono::duration<double>(timeoutSeconds),
                                     [&] { return inFlight_ == 0; });
}

void Manager::reconcile() {
  if (!vib_) return;
  auto unfinished = vib_->unfinishedMigrations();
  if (!unfinished.ok()) {
    log_("manager: cannot read unfinished migrations: " + unfinished.error().message);
    return;
  }
  for (auto& m : *unfinished) {
    // Sending the same MIGRATE again joins the migration if the source agent
    // still runs it, or replays its outcome from the agent's journal. An MTD
    // migration (no destination) cannot be ordered again (its epoch died with
    // the previous manager), but the same id re-attaches the same way.
    const bool mtd = m.destination.empty();
    log_(logging::Event("manager: reconciling " + std::string(mtd ? "MTD " : "") + "migration " +
                        m.migrationId + " of " + m.container + " (" + m.state +
                        " when the manager stopped)")
             .with("event", "reconcile")
             .with("migration_id", m.migrationId)
             .with("container", m.container)
             .with("source", m.source)
             .with("destination", m.destination)
             .with("state", m.state));
    brain_.migrationStarted(m.container, clock_.now());
    if (mtd) {
      MtdPlan rejoin;
      rejoin.rejoin = true;
      dispatch(std::move(m), rejoin);
    } else {
      dispatch(std::move(m));
    }
  }
}

namespace {

// Service ports from the container's `roam.ports` label, e.g. "80,443" or
// "tcp/80, udp/53"; malformed items are skipped. None: all IP traffic.
void addServicePorts(const lang::Labels& labels, Redirect& r) {
  auto it = labels.find("roam.ports");
  if (it == labels.end()) return;
  std::istringstream items(it->second);
  for (std::string item; std::getline(items, item, ',');) {
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    addServicePort(item, r);
  }
}

}  // namespace

double Manager::redirectTraffic(const MigrationRecord& m) {
  if (!redirector_) return 0;
  // Clients address the container at its home: the source of its first
  // successful migration, which the VIB keeps across restarts.
  std::string home = m.source;
  if (auto first = vib_->firstSuccessfulMigration(m.container); first.ok() && *first)
    home = (*first)->source;
  auto read = snapshot();
  if (!read) {
    log_("redirect " + m.container + ": no state: " + read.error().message);
    return 0;
  }
  const auto& state = *read;
  int homeIdx = state->hostIndex(home), targetIdx = state->hostIndex(m.destination);
  if (homeIdx < 0 || targetIdx < 0) {
    log_("redirect " + m.container + ": host '" + (homeIdx < 0 ? home : m.destination) +
         "' is not in the topology; traffic is not redirected");
    return 0;
  }
  if (int ci = state->containerIndex(m.container); ci >= 0) {
    // A service address moves with its container (the agents hold and
    // announce it, docs/redirection.md): nothing to rewrite.
    const auto& labels = state->containers()[ci].labels;
    if (auto a = labels.find("roam.address"); a != labels.end() && !a->second.empty()) {
      log_("redirect " + m.container + ": its service address " + a->second + " moved with it to " +
           m.destination + "; no rewrite rules");
      return 0;
    }
  }
  Redirect r;
  r.container = m.container;
  const auto& h = state->hosts()[homeIdx];
  const auto& t = state->hosts()[targetIdx];
  r.home = {h.ip, h.mac};
  r.target = {t.ip, t.mac};
  for (const auto& sw : state->switches()) r.dpids.push_back(sw.dpid);
  if (int ci = state->containerIndex(m.container); ci >= 0)
    addServicePorts(state->containers()[ci].labels, r);
  // A target at home only removes the rules (Redirector::redirect).
  const double start = clock_.now();
  auto redirected = redirector_->redirect(r);
  const double ms = (clock_.now() - start) * 1000;
  if (!redirected)
    log_("redirect " + m.container + " failed: " + redirected.error().message);
  else if (home == m.destination)
    log_("redirect " + m.container + ": back at its home " + home + ", rules removed");
  else
    log_("redirect " + m.container + ": traffic for " + home + " (" + h.ip + ") now reaches " +
         m.destination + " (" + t.ip + ")");
  return ms;
}

void Manager::pollAgents() {
  std::vector<AgentAddress> agents;
  {
    std::lock_guard lock(configMutex_);
    agents = config_.agents;
  }
  if (agents.empty() || !view_) return;
  std::lock_guard lock(pollMutex_);
  for (const auto& a : agents) {
    auto status = agents_.status(a.address);
    if (!status.ok()) {
      const std::string& error = status.error().message;
      logOnce("agent:" + a.name + error,
              logging::Event(logging::Level::warning, "manager: agent " + a.name + " at " +
                                                          a.address + " unreachable: " + error)
                  .with("event", "agent_unreachable")
                  .with("agent", a.name)
                  .with("address", a.address)
                  .with("error", error));
      continue;  // keep what it reported last
    }
    std::vector<lang::ContainerInfo> containers;
    for (const auto& c : status->containers) {
      if (c.value("state", "") != "running") continue;
      lang::ContainerInfo info{c.value("name", ""), a.name, c.value("image", ""), {}};
      if (c.contains("labels") && c["labels"].is_object())
        for (const auto& [k, v] : c["labels"].items())
          if (v.is_string()) info.labels.emplace(k, v.get<std::string>());
      if (!info.name.empty()) containers.push_back(std::move(info));
    }
    agentContainers_[a.name] = std::move(containers);
  }
  std::vector<lang::ContainerInfo> all;
  for (const auto& a : agents)
    if (auto it = agentContainers_.find(a.name); it != agentContainers_.end())
      all.insert(all.end(), it->second.begin(), it->second.end());
  view_->setContainers(std::move(all));
}

ReloadOutcome Manager::reload(const std::string& reason, bool configToo) {
  std::filesystem::path file;
  {
    std::lock_guard lock(configMutex_);
    file = config_.file;
  }
  if (!configToo || file.empty()) return reloader_.reload(reason);

  auto loaded = loadManagerConfig(file);
  if (!loaded) {
    ReloadOutcome bad;
    bad.errors = loaded.error().message;
    bad.message = "reload (" + reason + "): configuration " + file.string() +
                  " rejected, keeping the running one";
    if (metrics_) metrics_->reloads.labels({"failure"}).inc();
    log_(logging::Event(logging::Level::error, bad.message + "\n" + bad.errors)
             .with("event", "reload_failed")
             .with("reason", reason)
             .with("config_file", file.string())
             .with("error", bad.errors));
    return bad;
  }
  ManagerConfig next = std::move(*loaded);
  if (flagOverrides_) flagOverrides_(next);
  // Policy first: if the new policy is invalid, nothing of the new configuration applies.
  auto outcome = reloader_.replaceSource(next.policy, reason);
  {
    std::lock_guard lock(configMutex_);
    wantedPolicyFile_ = outcome.ok ? std::string() : next.policy.file;
  }
  if (!outcome.ok) return outcome;
  std::vector<std::string> needRestart;
  {
    std::lock_guard lock(configMutex_);
    // Settings a reload cannot change (collectors are not restarted): the
    // running value stays, and a change is reported.
    auto keep = [&](const char* what, auto... members) {
      if (((next.*members != config_.*members) || ...)) needRestart.push_back(what);
      ((next.*members = config_.*members), ...);
    };
    keep("vib", &ManagerConfig::vib);
    keep("state", &ManagerConfig::stateFile);
    keep("controller", &ManagerConfig::controllerUrl, &ManagerConfig::controllerBackend);
    keep("collectors", &ManagerConfig::bandwidthInterval, &ManagerConfig::aggregateInterval,
         &ManagerConfig::topologyInterval, &ManagerConfig::latencyInterval,
         &ManagerConfig::topology);
    keep("admin_socket", &ManagerConfig::adminSocket);
    keep("metrics", &ManagerConfig::metrics);
    keep("certs", &ManagerConfig::certs, &ManagerConfig::identity);
    keep("log_format", &ManagerConfig::logFormat);
    config_ = next;
  }
  brain_.setOptions(brainOptions());
  std::string line = "reload (" + reason + "): configuration " + file.string() + " applied";
  if (!needRestart.empty()) {
    line += "; changes to";
    for (const auto& n : needRestart) line += " " + n;
    line += " take effect at the next restart";
  }
  log_(logging::Event(line)
           .with("event", "config_reloaded")
           .with("reason", reason)
           .with("config_file", file.string()));
  board_.touch();
  {
    std::lock_guard lock(wakeMutex_);
    configChanged_ = true;
  }
  wake_.notify_all();
  return outcome;
}

roam::Result<std::string> Manager::migrateManually(const std::string& container,
                                                   const std::string& host) {
  using roam::ErrorCode;
  using roam::makeError;
  auto read = snapshot();
  if (!read) return makeError(read.error().code, "no state: " + read.error().message);
  const auto& state = *read;
  int ci = state->containerIndex(container);
  if (ci < 0)
    return makeError(ErrorCode::NotFound, "no container '" + container + "' in the current state");
  const std::string source = state->containers()[ci].host;
  if (source == host)
    return makeError(ErrorCode::Conflict, "'" + container + "' already runs on " + host);
  if (state->hostIndex(host) < 0)
    return makeError(ErrorCode::NotFound, "no host '" + host + "' in the current state");
  {
    std::lock_guard lock(configMutex_);
    if (!agentByName(host))
      return makeError(ErrorCode::NotFound, "no agent configured for host '" + host + "'");
  }
  if (!brain_.migrationStarted(container, clock_.now()))
    return makeError(ErrorCode::Conflict, "container '" + container + "' is already migrating");
  MigrationRecord m;
  m.migrationId = agent::newMigrationId();
  m.container = container;
  m.source = source;
  m.destination = host;
  m.policy = "manual";
  const std::string id = m.migrationId;
  log_(logging::Event("manual migration " + id + ": " + container + " " + source + " -> " + host)
           .with("event", "manual_migration")
           .with("migration_id", id)
           .with("container", container)
           .with("source", source)
           .with("destination", host));
  dispatch(std::move(m));
  return id;
}

void Manager::stop() {
  stopping_.store(true);
  wake_.notify_all();
}

void Manager::brainLoop() {
  while (!stopping_.load()) {
    evaluateOnce();
    std::unique_lock lock(wakeMutex_);
    wake_.wait_for(lock, std::chrono::duration<double>(currentInterval()),
                   [&] { return stopping_.load() || std::exchange(configChanged_, false); });
  }
}

void Manager::pollLoop() {
  while (!stopping_.load()) {
    double interval = 5;
    {
      std::lock_guard lock(configMutex_);
      interval = config_.agentPollInterval;
    }
    std::unique_lock lock(wakeMutex_);
    if (wake_.wait_for(lock, std::chrono::duration<double>(interval),
                       [&] { return stopping_.load(); }))
      break;
    lock.unlock();
    pollAgents();
  }
}

void Manager::measureLoop() {
  if (measurement_) measurement_->runUntil(std::numeric_limits<double>::infinity(), &stopping_);
}

void Manager::watchLoop() {
  // The configuration file, the running policy's file, and the file a
  // rejected configuration asked for (so fixing it is noticed too).
  auto watched = [&] {
    std::vector<std::filesystem::path> files;
    std::lock_guard lock(configMutex_);
    if (!config_.file.empty()) files.push_back(config_.file);
    if (auto policy = reloader_.current()) files.push_back(policy->source.file);
    if (!wantedPolicyFile_.empty()) files.push_back(wantedPolicyFile_);
    return files;
  };
  auto files = watched();
  FileWatcher watcher(files);
  if (const auto& started = watcher.startStatus(); !started)
    log_("manager: hot reload: " + started.error().message);
  while (!stopping_.load()) {
    auto changed = watcher.waitForChanges(std::chrono::milliseconds(250));
    if (changed.empty()) continue;
    bool config = false;
    std::string names;
    for (const auto& c : changed) {
      names += (names.empty() ? "" : ", ") + c.string();
      std::lock_guard lock(configMutex_);
      if (!config_.file.empty() && std::filesystem::path(config_.file) == c) config = true;
      if (!wantedPolicyFile_.empty() && std::filesystem::path(wantedPolicyFile_) == c)
        config = true;  // re-apply the configuration that names it
    }
    reload("changed: " + names, config);
    auto now = watched();
    if (now != files) {
      files = now;
      if (auto watching = watcher.watch(files); !watching)
        log_("manager: hot reload: " + watching.error().message);
    }
  }
}

void Manager::run() {
  std::vector<std::thread> threads;
  if (measurement_) threads.emplace_back([this] { measureLoop(); });
  threads.emplace_back([this] { pollLoop(); });
  threads.emplace_back([this] { watchLoop(); });
  brainLoop();
  for (auto& t : threads) t.join();
  joinMigrations();
  log_("manager: stopped");
}

}  // namespace roam::runtime
