#pragma once
// The VIB (virtual information base, paper section III): the measured state of
// the network in one SQLite file. Collectors write through MeasurementSink;
// the manager, `roam eval --vib` and `roam vib export` read consistent
// snapshots of it as a NetworkState. Schema and queries: docs/vib.md.

#include <cstddef>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "lang/memory_state.hpp"
#include "runtime/manager_metrics.hpp"
#include "runtime/measure/measurement_sink.hpp"
#include "runtime/vib/history.hpp"
#include "runtime/vib/sqlite.hpp"

namespace roam::runtime {

// Every failure is a roam::Error whose message names the file ("PATH: message"):
// ErrorCode::NotFound for a missing file, BadInput for a file that is not a
// VIB, Unsupported for a schema version this roam cannot read or a write to a
// read-only open, Io for the rest (what SQLite reports, unreadable rows).
class Vib final : public MeasurementSink {
 public:
  enum class OpenMode {
    create,    // create the file when missing, migrate an older schema
    existing,  // the file must exist (and be a VIB or an empty database); migrates
    readOnly,  // the file must exist and be a VIB at the current version; no writes
  };

  // The VIB, or the error ("PATH: message").
  using OpenResult = roam::Result<std::unique_ptr<Vib>>;
  using SnapshotResult = roam::Result<std::unique_ptr<lang::InMemoryState>>;

  // Opens (and, unless read-only, creates or migrates) the VIB at `path`.
  // Writable opens switch the file to WAL mode, so readers never block the
  // collectors' writes and vice versa.
  static OpenResult open(const std::string& path, OpenMode mode = OpenMode::create);

  ~Vib() override;
  Vib(const Vib&) = delete;
  Vib& operator=(const Vib&) = delete;

  // MeasurementSink. Each call is one transaction: all of it is stored or none.
  // The interface has no return value, so a failure is kept in lastError().
  void writeTopology(const TopologyView& topology, double t) override;
  void writePortSamples(std::span<const lang::PortSampleRecord> samples) override;
  void writeSwitchSamples(std::span<const lang::SwitchSampleRecord> samples) override;
  void writeLatencies(std::span<const lang::LatencyRecord> latencies, double t) override;
  void writeStatus(const CollectorStatus& status) override;

  // The error of the most recent failed write ("" when none failed yet) and
  // how many writes have failed since open.
  std::string lastError() const;
  std::size_t failedWrites() const;

  // Counts rows written, by table, and failed writes into METRICS (may be null).
  void setMetrics(ManagerMetrics* metrics);

  // Replaces the known containers (from the Docker engines), in one transaction.
  sqlite::Status setContainers(std::span<const lang::ContainerInfo> containers);

  // Raw samples older than `rawSeconds` (before `now` of compact()) are averaged
  // into 1-minute buckets and deleted; buckets older than `downsampledSeconds`
  // are deleted. Defaults: one hour raw, downsampled kept forever.
  void setRetention(double rawSeconds,
                    double downsampledSeconds = std::numeric_limits<double>::infinity());
  // Applies the retention settings as of `now`, in one transaction. Only whole
  // minutes are compacted, so a bucket is never split between raw and averaged.
  sqlite::Status compact(double now);

  // A consistent state (one read transaction) at `now`: the latest topology and
  // containers, port and switch samples with t in [now - windowSeconds, now]
  // (1-minute averages, timed at their bucket's start, for buckets overlapping
  // the window), the latest latency per pair at or before `now`, and data age =
  // now - the newest sample time at or before `now` (infinity when there is none).
  SnapshotResult snapshot(double now, double windowSeconds);

  // The newest sample time of any kind (raw or downsampled), if any.
  roam::Result<std::optional<double>> latestSampleTime();
  // When `collector` last reported success, if ever.
  roam::Result<std::optional<double>> lastSuccess(const std::string& collector);
  // The latest status row of every collector, by collector name.
  roam::Result<std::vector<CollectorStatus>> collectorStatuses();

  // The manager's history (runtime/vib/vib_history.cpp).
  sqlite::Status recordDecision(const DecisionRecord& decision);
  // Inserts or updates the row of `migration.migrationId`.
  sqlite::Status upsertMigration(const MigrationRecord& migration);
  // Newest first.
  roam::Result<std::vector<DecisionRecord>> recentDecisions(std::size_t limit);
  roam::Result<std::vector<MigrationRecord>> recentMigrations(std::size_t limit);
  // Migrations not yet done or failed (for reconciling after a restart).
  roam::Result<std::vector<MigrationRecord>> unfinishedMigrations();
  // The container's first successful migration (its source is the container's
  // home, where clients address it), if any.
  roam::Result<std::optional<MigrationRecord>> firstSuccessfulMigration(
      const std::string& container);

  const std::string& path() const { return db_->path(); }

 private:
  explicit Vib(std::unique_ptr<sqlite::Database> db);
  sqlite::Status prepareStatements();
  // Runs `body` in an IMMEDIATE transaction; records a failure in lastError_.
  template <typename Body>
  sqlite::Status writeTransaction(const Body& body);
  void noteWrite(const sqlite::Status& status);
  // After noteWrite: ROWS rows of TABLE into the metrics, if that write succeeded.
  void countRows(const char* table, std::size_t rows);
  roam::Result<std::optional<double>> newestSampleAtOrBefore(double now);

  mutable std::mutex mutex_;  // one connection, shared by collector threads
  std::unique_ptr<sqlite::Database> db_;
  sqlite::Statement insertPortSample_, insertSwitchSample_, insertLatency_, insertStatus_;
  // kPortSampleRows samples per statement: at scale (48,000 a second) the
  // per-statement work of binding, stepping and resetting was a third of
  // the ingest cost.
  static constexpr int kPortSampleRows = 64;
  sqlite::Statement insertPortSampleRows_;
  double rawRetention_ = 3600;
  double downsampledRetention_ = std::numeric_limits<double>::infinity();
  std::string lastError_;
  std::size_t failedWrites_ = 0;
  ManagerMetrics* metrics_ = nullptr;
  bool lastWriteOk_ = false;  // of the last noteWrite, for countRows
};

// In the header because vib.cpp and vib_history.cpp both write.
template <typename Body>
sqlite::Status Vib::writeTransaction(const Body& body) {
  if (!insertPortSample_.valid())
    return roam::makeError(roam::ErrorCode::Unsupported,
                           db_->path() + ": opened read-only; writes are not allowed");
  auto begun = sqlite::Transaction::begin(*db_, sqlite::Transaction::Kind::immediate);
  if (!begun) return begun.error();
  if (auto s = body(); !s) return s;  // the transaction rolls back
  return begun->commit();
}

}  // namespace roam::runtime
