#pragma once
// The migration daemon of one host: accepts mutually authenticated TLS
// connections from the manager, CLI users and other agents, answers PING and
// STATUS, runs MIGRATE as the source and PREPARE as the destination, and keeps
// a journal so that no crash leaves a container lost or half-restored.

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "agent/daemon/agent_metrics.hpp"
#include "agent/daemon/agent_options.hpp"
#include "agent/daemon/service_address.hpp"
#include "agent/migration/journal.hpp"
#include "agent/mtd/host_epoch.hpp"
#include "agent/transport/asio_types.hpp"
#include "agent/transport/framed_stream.hpp"
#include "common/log_event.hpp"
#include "common/result.hpp"

namespace roam::agent {

// Log events (common/log_event.hpp); a sink taking lines gets the messages.
using Logger = logging::Logger;

// Whether checkpoint (CRIU) migration can run on this host, and why not.
struct Capabilities {
  bool checkpoint = false;
  std::string checkpointReason;  // why it is unavailable (or "available")
};

// The current MTD epoch of this host and the key service that answers for it
// (docs/mtd.md). Replaced whole by the next MTD_SETUP; a resolution in flight
// keeps the one it started with.
struct MtdEpochState {
  mtd::HostEpoch epoch;
  mtd::KeyService keys;  // used on the io thread only
};

// A destination-side migration in flight, for ABORT and STATUS.
struct DestinationMigrationState {
  std::string source;  // the source agent's certificate name
  std::string container;
  FramedStreamPtr stream;          // the source's connection (closed to give it up)
  bool committed = false;          // the final round arrived: it starts, whatever comes
  std::optional<Message> outcome;  // SUCCESS or FAILURE, once decided
};

// A source-side migration in flight: who asked, and how far it got.
struct SourceMigrationState {
  Migrate request;
  std::vector<FramedStreamPtr> listeners;  // requesters waiting for PROGRESS and DONE
  Progress progress;
  std::optional<Done> done;
};

class Agent {
 public:
  Agent(asio::io_context& io, AgentOptions options, Logger log);
  ~Agent();
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  // Loads certificates, opens the journal and recovers from it, probes the
  // engine, binds the listening socket. The error is one line; those about
  // --listen start with "--listen".
  roam::Status start();
  // Counts into METRICS (which must outlive the agent) from now on; before
  // start(). Without it nothing is counted.
  void setMetrics(AgentMetrics* metrics) { metrics_ = metrics; }
  Tcp::endpoint localEndpoint() const;
  const std::string& name() const { return options_.name; }
  bool stopping() const { return stopping_; }
  // SIGHUP: loads the certificates again (ca.crt, NAME.crt, NAME.key from
  // the same directory) for the connections made from now on; connections
  // already open keep the contexts they were made with. On an error the
  // running certificates stay. Call on the io_context's thread.
  roam::Status reloadCertificates();
  // One line for systemd's STATUS: name, address, migrations in flight.
  std::string statusText() const;
  // Stops accepting; in-flight migrations get the grace period to finish,
  // then are cancelled (and roll back). Calls `whenStopped` at the end.
  void shutdown(std::function<void()> whenStopped);

  // Shared with the migration coroutines.
  const AgentOptions& options() const { return options_; }
  asio::thread_pool& pool() { return pool_; }
  asio::ssl::context& clientTls() { return *clientTls_; }
  Journal& journal() { return *journal_; }
  const std::string& dockerSocket() const { return dockerSocket_; }
  const Capabilities& capabilities() const { return capabilities_; }
  // The service addresses this host holds (agent/daemon/service_address.hpp).
  ServiceAddresses& addresses() { return *addresses_; }
  void log(const logging::Event& event) const { log_(event); }
  std::filesystem::path spoolDir(const std::string& migrationId) const;
  // Records a journal entry, logging (not failing) when the disk refuses.
  // Safe from the worker pool too (the journal is behind a mutex).
  void record(const JournalEntry& entry);
  std::optional<JournalEntry> lookup(const std::string& migrationId);
  // A source entry handed over whose outcome is unknown: asks its
  // destination (again and again, until it answers), then retires the frozen
  // copy here or resumes it.
  void resolveHandedOverLater(const JournalEntry& entry);

  // The destination migration in flight under ID, or null.
  std::shared_ptr<DestinationMigrationState> destinationMigration(const std::string& id) const {
    auto it = destinationMigrations_.find(id);
    return it == destinationMigrations_.end() ? nullptr : it->second;
  }

  // Streams to cut when the shutdown grace period is over.
  void track(const FramedStreamPtr& stream) { streams_.insert(stream); }
  void untrack(const FramedStreamPtr& stream) { streams_.erase(stream); }

 private:
  awaitable<void> acceptLoop();
  awaitable<void> session(FramedStreamPtr stream);
  // KEY_S > 0: an MTD migration whose key gathering took that long; NOTE is
  // added to DONE's note.
  awaitable<void> handleMigrate(FramedStreamPtr requester, Migrate request, double keySeconds,
                                std::string note);
  awaitable<void> handleMtdMigrate(FramedStreamPtr requester, MtdMigrate order);
  void handleMtdSetup(const FramedStreamPtr& stream, const MtdSetup& setup);
  awaitable<void> handleLatencyProbe(FramedStreamPtr stream, LatencyProbe probe);
  void handleKeyRequest(const FramedStreamPtr& stream, const KeyRequest& request);
  awaitable<void> handleStatus(const FramedStreamPtr& stream);
  void recover();
  awaitable<void> resolveHandedOver(JournalEntry entry);
  void probeCapabilities();
  // About once a second: claims the service address of each running
  // labelled container here that lacks it, releases those it claimed whose
  // container stopped or went.
  awaitable<void> keepServiceAddresses();
  void finishShutdownIfIdle();

  asio::io_context& io_;
  AgentOptions options_;
  Logger log_;
  std::string dockerSocket_;
  asio::thread_pool pool_;
  std::unique_ptr<asio::ssl::context> serverTls_;
  std::unique_ptr<asio::ssl::context> clientTls_;
  // Replaced by reloadCertificates(), kept alive for the streams and the
  // worker jobs that still refer to them (a few KiB per reload).
  std::vector<std::unique_ptr<asio::ssl::context>> retiredTls_;
  std::unique_ptr<Journal> journal_;
  std::unique_ptr<Tcp::acceptor> acceptor_;
  Capabilities capabilities_;
  std::map<std::string, std::shared_ptr<SourceMigrationState>> sourceMigrations_;
  std::map<std::string, std::shared_ptr<DestinationMigrationState>> destinationMigrations_;
  std::shared_ptr<MtdEpochState> mtd_;
  std::set<std::string> mtdResolving_;  // MTD migration ids still gathering keys
  int activeMigrations_ = 0;
  std::mutex journalMutex_;
  std::set<FramedStreamPtr> streams_;
  bool stopping_ = false;
  std::function<void()> whenStopped_;
  std::unique_ptr<asio::steady_timer> graceTimer_;
  std::unique_ptr<ServiceAddresses> addresses_;
  std::unique_ptr<asio::steady_timer> addressTimer_;
  AgentMetrics* metrics_ = nullptr;
};

}  // namespace roam::agent
