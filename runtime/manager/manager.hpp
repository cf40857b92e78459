#pragma once
// The Migration Manager (paper, section III): runs the collectors into the
// VIB, evaluates the active policy every interval (the Brain), dispatches
// MIGRATE to the source agent, follows each migration to its end and keeps
// the history; reloads the policy and configuration while running.
//
// Threads: the collectors (live mode), an agent poller (containers from the
// agents' STATUS), the brain loop, one thread per migration in flight, the
// file watcher (hot reload) and the admin socket. All shared state is behind
// the Brain's, the reloader's and the VIB's own locks, or this class's mutex.

#include <atomic>
#include <condition_variable>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/log_event.hpp"
#include "runtime/manager/agent_gateway.hpp"
#include "runtime/manager/brain.hpp"
#include "runtime/manager/manager_config.hpp"
#include "runtime/manager/mtd_coordinator.hpp"
#include "runtime/manager/network_view.hpp"
#include "runtime/manager/policy_reloader.hpp"
#include "runtime/manager_metrics.hpp"
#include "runtime/measure/clock.hpp"
#include "runtime/vib/vib.hpp"
#include "runtime/web/migration_board.hpp"

namespace roam::runtime {

class ControllerBackend;
class MeasurementService;
class LatencySource;
class FileWatcher;
class AdminServer;
class ReplBackend;

class Manager {
 public:
  // Log events (common/log_event.hpp); a sink taking lines gets the messages.
  using Log = logging::Logger;

  Manager(ManagerConfig config, AgentGateway& agents, Clock& clock, Log log);
  ~Manager();
  Manager(const Manager&) = delete;
  Manager& operator=(const Manager&) = delete;

  // Opens the VIB, loads the state or starts the collectors, loads the policy,
  // reconciles unfinished migrations. On failure the error's message is the
  // located diagnostics, one per line; then the manager must not be run.
  roam::Status start();

  // Runs the brain loop, the poller, the watcher and the admin socket until
  // stop(); then waits for them (in-flight migrations are abandoned, not
  // cancelled: the agents finish them and the next start reconciles).
  void run();
  void stop();

  // One evaluation now (the brain loop calls this every interval; tests too).
  BrainStep evaluateOnce();
  // Polls every agent's STATUS once and updates the containers.
  void pollAgents();
  // Waits until no migration is in flight (tests); false on timeout.
  bool waitIdle(double timeoutSeconds);

  // Hot reload: the policy file (and, with `configToo`, the configuration).
  ReloadOutcome reload(const std::string& reason, bool configToo = true);
  // A manual migration (REPL `migrate C to H`): the migration id, or why not
  // (NotFound: no such container, host or agent; Conflict: already there or
  // already migrating; or the snapshot's error).
  roam::Result<std::string> migrateManually(const std::string& container, const std::string& host);

  // For the REPL: never null on success.
  roam::Result<std::shared_ptr<const lang::NetworkState>> snapshot();
  std::shared_ptr<const ActivePolicy> activePolicy() const { return reloader_.current(); }
  Vib* vib() { return vib_.get(); }
  // The migrations' phases as the agents report them, and a change counter
  // that also moves on every decision and reload (the live view, docs/web.md).
  MigrationBoard& board() { return board_; }
  std::string describe() const;
  double currentInterval() const;

  // Traffic redirection after successful migrations (docs/redirection.md);
  // null: none (fixed state, or `"redirect": false`).
  void setRedirector(class Redirector* redirector) { redirector_ = redirector; }

  // Re-applied to the configuration file's values on every reload, so
  // command-line flags keep overriding the file.
  void setFlagOverrides(std::function<void(ManagerConfig&)> overrides) {
    flagOverrides_ = std::move(overrides);
  }

  // Counts into METRICS (docs/metrics.md; it must outlive the manager): the
  // brain, migrations, reloads, and the collectors and VIB start() makes.
  // Before start(); without it nothing is counted.
  void setMetrics(ManagerMetrics* metrics);

 private:
  // What an MTD decision leaves to the migration: the scheme and the
  // candidate hosts of the lookup table (the destination stays unknown).
  struct MtdPlan {
    std::string scheme;
    int k = 0;
    std::vector<std::string> candidates;
    // After a restart: re-attach to the source agent's migration of this id
    // (MtdCoordinator::rejoinOrder); no epoch, no key, no rotation.
    bool rejoin = false;
  };
  // Starts a thread for migration `m` (container, source, destination,
  // policy, decision id and time; a migration id when reconciling). With
  // `mtd`, `m.destination` is empty and the source agent finds it.
  void dispatch(MigrationRecord m, std::optional<MtdPlan> mtd = std::nullopt);
  void runMigration(MigrationRecord m, const std::optional<MtdPlan>& mtd);
  // The MTD part of runMigration: epoch, MTD_MIGRATE, rotation.
  agent::MigrateOutcome runMtd(MigrationRecord& m, const MtdPlan& plan,
                               const std::string& sourceAddress,
                               const std::function<void(const agent::Progress&)>& onProgress);
  void migrationThreadDone();
  void record(const MigrationRecord& m);
  void appendDecisionLog(const nlohmann::json& line);
  const AgentAddress* agentByName(const std::string& name) const;
  void reconcile();
  void joinMigrations();
  // Milliseconds spent installing rewrite rules; 0 when none were needed (no
  // redirector, or the service address moved with the container).
  double redirectTraffic(const MigrationRecord& m);
  void brainLoop();
  void pollLoop();
  void watchLoop();
  void measureLoop();
  BrainOptions brainOptions() const;
  void logOnce(const std::string& key, const logging::Event& event);

  ManagerConfig config_;
  mutable std::mutex configMutex_;  // config_ may change on reload
  AgentGateway& agents_;
  Clock& clock_;
  Log log_;
  PolicyReloader reloader_;
  Brain brain_;

  std::unique_ptr<Vib> vib_;
  std::unique_ptr<NetworkView> view_;
  std::unique_ptr<ControllerBackend> backend_;
  std::unique_ptr<LatencySource> latency_;  // before measurement_, which uses it
  std::unique_ptr<MeasurementService> measurement_;
  std::unique_ptr<MtdCoordinator> mtd_;
  // One MTD migration at a time: each agent keeps only its newest epoch, and
  // every MTD migration ends with a rotation.
  std::mutex mtdMigrationMutex_;

  std::function<void(ManagerConfig&)> flagOverrides_;
  class Redirector* redirector_ = nullptr;
  ManagerMetrics* metrics_ = nullptr;
  std::string wantedPolicyFile_;  // named by a configuration whose policy was rejected
  std::atomic<double> lastInterval_{1.0};

  std::atomic<bool> stopping_{false};
  std::mutex wakeMutex_;
  std::condition_variable wake_;
  bool configChanged_ = false;  // wakes the brain loop early (guarded by wakeMutex_)

  std::mutex migrationsMutex_;
  std::condition_variable migrationsChanged_;
  std::list<std::thread> migrationThreads_;
  std::set<std::thread::id> finished_;  // threads whose migration ended, to join
  int inFlight_ = 0;

  std::mutex pollMutex_;
  std::map<std::string, std::vector<lang::ContainerInfo>> agentContainers_;  // by agent

  MigrationBoard board_;

  std::mutex logMutex_;
  std::string lastRepeated_;
  std::string lastSuppressed_;  // container|destination|reason kind of the last refusal logged
};

}  // namespace roam::runtime
