#include "runtime/vib/vib.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <unordered_map>
#include <utility>

#include <nlohmann/json.hpp>

#include "runtime/vib/query.hpp"
#include "runtime/vib/schema.hpp"

namespace roam::runtime {

namespace {

using sqlite::Database;
using sqlite::failure;
using sqlite::Statement;
using sqlite::Status;
using sqlite::Transaction;
using Step = Statement::Step;
using sqlite::forEachRow;
using sqlite::query;

// Start of the 1-minute bucket holding t (floor, also for negative t).
#define ROAM_VIB_BUCKET(t)                                               \
  "((CAST(" t " / 60 AS INTEGER) - (" t " < 0 AND " t " / 60 <> CAST(" t \
  " / 60 AS INTEGER))) * 60.0)"

// Binding a huge finite number instead of infinity keeps SQLite comparisons simple.
constexpr double kForever = 1e300;

double bound(double t) {
  return std::clamp(t, -kForever, kForever);
}

std::string labelsToJson(const lang::Labels& labels) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : labels) j[k] = v;
  return j.dump();
}

// Labels are written by us, but the file may have been edited by hand.
bool parseLabels(const std::string& text, lang::Labels& out) {
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return false;
  for (const auto& [k, v] : j.items()) {
    if (!v.is_string()) return false;
    out.emplace(k, v.get<std::string>());
  }
  return true;
}

// Hosts on one switch share their labels (rack=...), so a snapshot parses
// each distinct text once instead of once per row.
class LabelCache {
 public:
  bool get(const std::string& text, lang::Labels& out) {
    if (text == "{}") return true;
    auto it = cache_.find(text);
    if (it == cache_.end()) {
      lang::Labels parsed;
      if (!parseLabels(text, parsed)) return false;
      it = cache_.emplace(text, std::move(parsed)).first;
    }
    out = it->second;
    return true;
  }

 private:
  std::unordered_map<std::string, lang::Labels> cache_;
};

Status prepareInto(Database& db, Statement& st, std::string_view sql) {
  auto p = db.prepare(sql);
  if (!p.ok()) return p.error();
  st = std::move(*p);
  return Status();
}

}  // namespace

Vib::Vib(std::unique_ptr<Database> db) : db_(std::move(db)) {}

Vib::~Vib() = default;

Vib::OpenResult Vib::open(const std::string& path, OpenMode mode) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (mode != OpenMode::create && !fs::exists(path, ec))
    return roam::makeError(roam::ErrorCode::NotFound, path + ": no such file");
  if (fs::is_directory(path, ec))
    return roam::makeError(roam::ErrorCode::BadInput, path + ": is a directory, not a VIB file");

  const auto dbMode = mode == OpenMode::readOnly   ? Database::Mode::readOnly
                      : mode == OpenMode::existing ? Database::Mode::readWrite
                                                   : Database::Mode::readWriteCreate;
  auto opened = Database::open(path, dbMode);
  if (!opened) return opened.error();
  auto& db = **opened;

  if (mode == OpenMode::readOnly) {
    if (auto s = checkVibVersion(db, latestVibSchemaVersion()); !s) return s.error();
  } else {
    // SQLite silently falls back to read-only for a write-protected file;
    // a writer would only notice at its first write, so refuse now.
    if (db.readOnly())
      return failure(path + ": cannot open for writing (read-only file or directory)");
    // WAL must be set outside a transaction; it persists in the file. NORMAL
    // sync in WAL mode survives application crashes; a power cut may lose the
    // last transactions, which for measurements is the right trade for speed.
    auto journal = db.prepare("PRAGMA journal_mode = WAL");
    if (!journal) return journal.error();
    if (journal->step() == Step::error) return failure(journal->error());
    journal->reset();
    if (auto s = db.exec("PRAGMA synchronous = NORMAL"); !s) return s.error();
    if (auto s = migrateVib(db, vibMigrations()); !s) return s.error();
  }

  // A snapshot rereads the newest pages every time: keep them in our cache
  // (64 MiB) and map the file instead of copying pages through read().
  if (auto s = db.exec("PRAGMA cache_size = -65536; PRAGMA mmap_size = 268435456"); !s)
    return s.error();

  std::unique_ptr<Vib> vib(new Vib(std::move(*opened)));
  if (mode != OpenMode::readOnly)
    if (auto s = vib->prepareStatements(); !s) return s.error();
  return vib;
}

Status Vib::prepareStatements() {
  if (auto s = prepareInto(*db_, insertPortSample_,
                           "INSERT OR REPLACE INTO port_samples (t, switch, port, rx_bps, tx_bps) "
                           "VALUES (?1, ?2, ?3, ?4, ?5)");
      !s)
    return s;
  std::string rows =
      "INSERT OR REPLACE INTO port_samples (t, switch, port, rx_bps, tx_bps) VALUES ";
  for (int i = 0; i < kPortSampleRows; ++i) rows += i ? ", (?, ?, ?, ?, ?)" : "(?, ?, ?, ?, ?)";
  if (auto s = prepareInto(*db_, insertPortSampleRows_, rows); !s) return s;
  if (auto s = prepareInto(*db_, insertSwitchSample_,
                           "INSERT OR REPLACE INTO switch_samples "
                           "(t, switch, packets_per_s, bytes_per_s, flows) "
                           "VALUES (?1, ?2, ?3, ?4, ?5)");
      !s)
    return s;
  if (auto s = prepareInto(*db_, insertLatency_,
                           "INSERT OR REPLACE INTO latency_samples (t, src, dst, seconds) "
                           "VALUES (?1, ?2, ?3, ?4)");
      !s)
    return s;
  return prepareInto(*db_, insertStatus_,
                     "INSERT OR REPLACE INTO collector_status (collector, t, ok, error) "
                     "VALUES (?1, ?2, ?3, ?4)");
}

void Vib::noteWrite(const Status& status) {
  lastWriteOk_ = status.ok();
  if (status) return;
  lastError_ = status.error().message;
  ++failedWrites_;
  if (metrics_) metrics_->vibWriteErrors.get().inc();
}

void Vib::countRows(const char* table, std::size_t rows) {
  if (metrics_ && lastWriteOk_) metrics_->vibRows.labels({table}).inc(static_cast<double>(rows));
}

void Vib::setMetrics(ManagerMetrics* metrics) {
  std::lock_guard lock(mutex_);
  metrics_ = metrics;
}

std::string Vib::lastError() const {
  std::lock_guard lock(mutex_);
  return lastError_;
}

std::size_t Vib::failedWrites() const {
  std::lock_guard lock(mutex_);
  return failedWrites_;
}

void Vib::writeTopology(const TopologyView& topology, double t) {
  std::lock_guard lock(mutex_);
  noteWrite(writeTransaction([&]() -> Status {
    auto& db = *db_;
    if (auto s = db.exec("DELETE FROM switches; DELETE FROM ports; DELETE FROM links; "
                         "DELETE FROM hosts;");
        !s)
      return s;
    auto sw =
        db.prepare("INSERT OR IGNORE INTO switches (position, name, dpid) VALUES (?1, ?2, ?3)");
    auto host = db.prepare(
        "INSERT OR IGNORE INTO hosts (position, name, ip, mac, switch, port, capacity_bps, labels) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    auto link = db.prepare(
        "INSERT INTO links (position, src, src_port, dst, dst_port, capacity_bps) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    // The sink carries no port details yet, so only the ports in use are known.
    auto port = db.prepare("INSERT OR IGNORE INTO ports (switch, port_no) VALUES (?1, ?2)");
    for (auto* p : {&sw, &host, &link, &port})
      if (!p->ok()) return p->error();

    for (std::size_t i = 0; i < topology.switches.size(); ++i) {
      const auto& s = topology.switches[i];
      if (auto r = sw->run(static_cast<std::int64_t>(i), s.name, s.dpid); !r) return r;
    }
    for (std::size_t i = 0; i < topology.hosts.size(); ++i) {
      const auto& h = topology.hosts[i];
      if (auto r = host->run(static_cast<std::int64_t>(i), h.name, h.ip, h.mac, h.switchName,
                             h.port, h.capacityBps, labelsToJson(h.labels));
          !r)
        return r;
      if (auto r = port->run(h.switchName, h.port); !r) return r;
    }
    for (std::size_t i = 0; i < topology.links.size(); ++i) {
      const auto& l = topology.links[i];
      if (auto r = link->run(static_cast<std::int64_t>(i), l.src, l.srcPort, l.dst, l.dstPort,
                             l.capacityBps);
          !r)
        return r;
      if (auto r = port->run(l.src, l.srcPort); !r) return r;
      if (auto r = port->run(l.dst, l.dstPort); !r) return r;
    }
    return query(
        db, "INSERT OR REPLACE INTO meta (key, value) VALUES ('topology_t', ?1)",
        [](Statement&) { return Status(); }, t);
  }));
  countRows("topology", topology.switches.size() + topology.hosts.size() + topology.links.size());
}

void Vib::writePortSamples(std::span<const lang::PortSampleRecord> samples) {
  std::lock_guard lock(mutex_);
  noteWrite(writeTransaction([&]() -> Status {
    std::size_t i = 0;
    for (; i + kPortSampleRows <= samples.size(); i += kPortSampleRows) {
      int column = 0;
      for (const auto& r : samples.subspan(i, kPortSampleRows)) {
        insertPortSampleRows_.bind(++column, r.sample.t);
        insertPortSampleRows_.bind(++column, std::string_view(r.switchName));
        insertPortSampleRows_.bind(++column, r.port);
        insertPortSampleRows_.bind(++column, r.sample.rxBps);
        insertPortSampleRows_.bind(++column, r.sample.txBps);
      }
      if (auto s = insertPortSampleRows_.run(); !s) return s;
    }
    for (const auto& r : samples.subspan(i))
      if (auto s = insertPortSample_.run(r.sample.t, r.switchName, r.port, r.sample.rxBps,
                                         r.sample.txBps);
          !s)
        return s;
    return Status();
  }));
  countRows("port_samples", samples.size());
}

void Vib::writeSwitchSamples(std::span<const lang::SwitchSampleRecord> samples) {
  std::lock_guard lock(mutex_);
  noteWrite(writeTransaction([&]() -> Status {
    for (const auto& r : samples)
      if (auto s = insertSwitchSample_.run(r.sample.t, r.switchName, r.sample.packetsPerS,
                                           r.sample.bytesPerS, r.sample.flows);
          !s)
        return s;
    return Status();
  }));
  countRows("switch_samples", samples.size());
}

void Vib::writeLatencies(std::span<const lang::LatencyRecord> latencies, double t) {
  std::lock_guard lock(mutex_);
  noteWrite(writeTransaction([&]() -> Status {
    for (const auto& r : latencies)
      if (auto s = insertLatency_.run(t, r.src, r.dst, r.seconds); !s) return s;
    return Status();
  }));
  countRows("latency_samples", latencies.size());
}

void Vib::writeStatus(const CollectorStatus& status) {
  std::lock_guard lock(mutex_);
  noteWrite(writeTransaction([&]() -> Status {
    return insertStatus_.run(status.collector, status.t, status.ok, status.error);
  }));
  countRows("collector_status", 1);
}

Status Vib::setContainers(std::span<const lang::ContainerInfo> containers) {
  std::lock_guard lock(mutex_);
  auto status = writeTransaction([&]() -> Status {
    if (auto s = db_->exec("DELETE FROM containers"); !s) return s;
    auto ins = db_->prepare(
        "INSERT OR IGNORE INTO containers (position, name, host, image, labels) "
        "VALUES (?1, ?2, ?3, ?4, ?5)");
    if (!ins.ok()) return ins.error();
    for (std::size_t i = 0; i < containers.size(); ++i) {
      const auto& c = containers[i];
      if (auto s = ins->run(static_cast<std::int64_t>(i), c.name, c.host, c.image,
                            labelsToJson(c.labels));
          !s)
        return s;
    }
    return Status();
  });
  noteWrite(status);
  countRows("containers", containers.size());
  return status;
}

void Vib::setRetention(double rawSeconds, double downsampledSeconds) {
  std::lock_guard lock(mutex_);
  rawRetention_ = rawSeconds;
  downsampledRetention_ = downsampledSeconds;
}

Status Vib::compact(double now) {
  std::lock_guard lock(mutex_);
  // Whole minutes only: a bucket is compacted once, when all of it is old.
  const double cutoff = std::floor((now - rawRetention_) / 60) * 60;
  const double dropBefore = now - downsampledRetention_;
  auto status = writeTransaction([&]() -> Status {
    auto& db = *db_;
    if (std::isfinite(cutoff)) {
      // A bucket may already exist when late samples arrive for a compacted
      // minute: merge by weighting both averages with their counts.
      const char* steps[] = {
          "INSERT INTO port_samples_1m (t, switch, port, rx_bps, tx_bps, n) "
          "SELECT " ROAM_VIB_BUCKET("t") " AS b, switch, port, avg(rx_bps), avg(tx_bps), count(*) "
          "FROM port_samples WHERE t < ?1 GROUP BY b, switch, port "
          "ON CONFLICT (t, switch, port) DO UPDATE SET "
          "rx_bps = (rx_bps * n + excluded.rx_bps * excluded.n) / (n + excluded.n), "
          "tx_bps = (tx_bps * n + excluded.tx_bps * excluded.n) / (n + excluded.n), "
          "n = n + excluded.n",
          "DELETE FROM port_samples WHERE t < ?1",
          "INSERT INTO switch_samples_1m (t, switch, packets_per_s, bytes_per_s, flows, n) "
          "SELECT " ROAM_VIB_BUCKET("t") " AS b, switch, avg(packets_per_s), avg(bytes_per_s), "
          "avg(flows), count(*) FROM switch_samples WHERE t < ?1 GROUP BY b, switch "
          "ON CONFLICT (t, switch) DO UPDATE SET "
          "packets_per_s = (packets_per_s * n + excluded.packets_per_s * excluded.n) / "
          "(n + excluded.n), "
          "bytes_per_s = (bytes_per_s * n + excluded.bytes_per_s * excluded.n) / (n + excluded.n), "
          "flows = (flows * n + excluded.flows * excluded.n) / (n + excluded.n), "
          "n = n + excluded.n",
          "DELETE FROM switch_samples WHERE t < ?1",
          "INSERT INTO latency_samples_1m (t, src, dst, seconds, n) "
          "SELECT " ROAM_VIB_BUCKET("t") " AS b, src, dst, avg(seconds), count(*) "
          "FROM latency_samples WHERE t < ?1 GROUP BY b, src, dst "
          "ON CONFLICT (t, src, dst) DO UPDATE SET "
          "seconds = (seconds * n + excluded.seconds * excluded.n) / (n + excluded.n), "
          "n = n + excluded.n",
          "DELETE FROM latency_samples WHERE t < ?1",
          // Old status rows go too, except each collector's latest row and
          // latest success, which staleness checks need however old they are.
          "DELETE FROM collector_status AS s WHERE t < ?1 "
          "AND t < (SELECT max(t) FROM collector_status WHERE collector = s.collector) "
          "AND t < coalesce((SELECT max(t) FROM collector_status "
          "WHERE collector = s.collector AND ok = 1), 1e300)",
      };
      for (const char* sql : steps)
        if (auto s = query(
                db, sql, [](Statement&) { return Status(); }, cutoff);
            !s)
          return s;
    }
    if (std::isfinite(dropBefore)) {
      for (const char* sql : {"DELETE FROM port_samples_1m WHERE t < ?1",
                              "DELETE FROM switch_samples_1m WHERE t < ?1",
                              "DELETE FROM latency_samples_1m WHERE t < ?1"})
        if (auto s = query(
                db, sql, [](Statement&) { return Status(); }, dropBefore);
            !s)
          return s;
    }
    return Status();
  });
  noteWrite(status);
  return status;
}

roam::Result<std::optional<double>> Vib::newestSampleAtOrBefore(double now) {
  // Each subquery is one seek from the end of a table's (t, ...) key.
  std::optional<double> newest;
  auto s = query(
      *db_,
      "SELECT (SELECT t FROM port_samples WHERE t <= ?1 ORDER BY t DESC LIMIT 1), "
      "(SELECT t FROM port_samples_1m WHERE t <= ?1 ORDER BY t DESC LIMIT 1), "
      "(SELECT t FROM switch_samples WHERE t <= ?1 ORDER BY t DESC LIMIT 1), "
      "(SELECT t FROM switch_samples_1m WHERE t <= ?1 ORDER BY t DESC LIMIT 1), "
      "(SELECT t FROM latency_samples WHERE t <= ?1 ORDER BY t DESC LIMIT 1), "
      "(SELECT t FROM latency_samples_1m WHERE t <= ?1 ORDER BY t DESC LIMIT 1)",
      [&](Statement& st) {
        for (int c = 0; c < 6; ++c)
          if (auto t = st.getOptionalDouble(c)) newest = std::max(newest.value_or(*t), *t);
        return Status();
      },
      bound(now));
  if (!s) return s.error();
  return newest;
}

roam::Result<std::optional<double>> Vib::latestSampleTime() {
  std::lock_guard lock(mutex_);
  return newestSampleAtOrBefore(kForever);
}

roam::Result<std::optional<double>> Vib::lastSuccess(const std::string& collector) {
  std::lock_guard lock(mutex_);
  std::optional<double> t;
  auto s = query(
      *db_,
      "SELECT t FROM collector_status WHERE collector = ?1 AND ok = 1 ORDER BY t DESC LIMIT 1",
      [&](Statement& st) {
        t = st.getDouble(0);
        return Status();
      },
      collector);
  if (!s) return s.error();
  return t;
}

roam::Result<std::vector<CollectorStatus>> Vib::collectorStatuses() {
  std::lock_guard lock(mutex_);
  std::vector<CollectorStatus> rows;
  // SQLite returns the bare columns of the row holding max(t).
  auto s =
      query(*db_,
            "SELECT collector, max(t), ok, error FROM collector_status "
            "GROUP BY collector ORDER BY collector",
            [&](Statement& st) {
              rows.push_back({st.getText(0), st.getDouble(1), st.getInt(2) != 0, st.getText(3)});
              return Status();
            });
  if (!s) return s.error();
  return rows;
}

Vib::SnapshotResult Vib::snapshot(double now, double windowSeconds) {
  std::lock_guard lock(mutex_);
  auto& db = *db_;
  // DEFERRED: in WAL mode every read below sees the database as of the first
  // one, whatever the collectors commit meanwhile.
  auto begun = Transaction::begin(db, Transaction::Kind::deferred);
  if (!begun) return begun.error();

  lang::NetworkData data;
  const double from = bound(now - windowSeconds);
  const double to = bound(now);
  LabelCache labels;

  Status s = query(db, "SELECT name, dpid FROM switches ORDER BY position", [&](Statement& st) {
    data.switches.push_back({st.getText(0), st.getText(1)});
    return Status();
  });
  if (s)
    s = query(db,
              "SELECT name, ip, mac, switch, port, capacity_bps, labels FROM hosts "
              "ORDER BY position",
              [&](Statement& st) {
                lang::HostInfo h;
                h.name = st.getText(0);
                h.ip = st.getText(1);
                h.mac = st.getText(2);
                h.switchName = st.getText(3);
                h.port = static_cast<int>(st.getInt(4));
                h.capacityBps = st.getDouble(5);
                if (!labels.get(st.getText(6), h.labels))
                  return Status(failure(db.path() + ": hosts." + h.name +
                                        ": labels are not a JSON object of strings"));
                data.hosts.push_back(std::move(h));
                return Status();
              });
  if (s)
    s = query(db, "SELECT src, src_port, dst, dst_port, capacity_bps FROM links ORDER BY position",
              [&](Statement& st) {
                data.links.push_back({st.getText(0), static_cast<int>(st.getInt(1)), st.getText(2),
                                      static_cast<int>(st.getInt(3)), st.getDouble(4)});
                return Status();
              });
  if (s)
    s = query(db, "SELECT name, host, image, labels FROM containers ORDER BY position",
              [&](Statement& st) {
                lang::ContainerInfo c{st.getText(0), st.getText(1), st.getText(2), {}};
                if (!labels.get(st.getText(3), c.labels))
                  return Status(failure(db.path() + ": containers." + c.name +
                                        ": labels are not a JSON object of strings"));
                data.containers.push_back(std::move(c));
                return Status();
              });
  // Raw samples in the window plus the averaged minutes overlapping it; the
  // two never cover the same minute, since compaction moves whole minutes.
  if (s)
    s = query(
        db,
        "SELECT switch, port, t, rx_bps, tx_bps FROM port_samples WHERE t >= ?1 AND t <= ?2 "
        "UNION ALL "
        "SELECT switch, port, t, rx_bps, tx_bps FROM port_samples_1m "
        "WHERE t > ?1 - 60 AND t <= ?2",
        [&](Statement& st) {
          data.portSamples.push_back(
              {st.getText(0), static_cast<int>(st.getInt(1)),
               lang::PortSample{st.getDouble(2), st.getDouble(3), st.getDouble(4)}});
          return Status();
        },
        from, to);
  if (s)
    s = query(
        db,
        "SELECT switch, t, packets_per_s, bytes_per_s, flows FROM switch_samples "
        "WHERE t >= ?1 AND t <= ?2 "
        "UNION ALL "
        "SELECT switch, t, packets_per_s, bytes_per_s, flows FROM switch_samples_1m "
        "WHERE t > ?1 - 60 AND t <= ?2",
        [&](Statement& st) {
          data.switchSamples.push_back(
              {st.getText(0), lang::SwitchSample{st.getDouble(1), st.getDouble(2), st.getDouble(3),
                                                 st.getDouble(4)}});
          return Status();
        },
        from, to);
  // The newest measurement of each pair, raw or averaged, at or before now.
  if (s)
    s = query(
        db,
        "SELECT src, dst, seconds, max(t) FROM ("
        "SELECT t, src, dst, seconds FROM latency_samples WHERE t <= ?1 "
        "UNION ALL "
        "SELECT t, src, dst, seconds FROM latency_samples_1m WHERE t <= ?1) "
        "GROUP BY src, dst",
        [&](Statement& st) {
          data.latencies.push_back({st.getText(0), st.getText(1), st.getDouble(2)});
          return Status();
        },
        to);
  if (!s) return s.error();
  auto newest = newestSampleAtOrBefore(now);
  if (!newest.ok()) return newest.error();
  if (auto c = begun->commit(); !c) return c.error();

  const double age =
      *newest ? std::max(0.0, now - **newest) : std::numeric_limits<double>::infinity();
  return std::make_unique<lang::InMemoryState>(std::move(data), age);
}

}  // namespace roam::runtime
