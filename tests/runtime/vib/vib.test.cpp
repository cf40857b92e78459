// The VIB on real SQLite files in a temporary directory.

#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "lang/state_json.hpp"
#include "lang/synthetic_state.hpp"
#include "metrics_text.hpp"
#include "runtime/manager_metrics.hpp"
#include "runtime/vib/history.hpp"
#include "runtime/vib/schema.hpp"
#include "runtime/vib/vib.hpp"
#include "runtime/vib/vib_export.hpp"

namespace fs = std::filesystem;
using roam::runtime::Vib;
using roam::runtime::sqlite::Database;

namespace {

// A fresh directory per test case, removed with everything in it.
struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "roam-vib-XXXXXX").string();
    REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

std::unique_ptr<Vib> openVib(const std::string& path, Vib::OpenMode mode = Vib::OpenMode::create) {
  auto opened = Vib::open(path, mode);
  INFO(roam::errorText(opened));
  REQUIRE(opened.ok());
  return std::move(*opened);
}

std::unique_ptr<Database> openDb(const std::string& path) {
  auto opened = Database::open(path, Database::Mode::readWriteCreate);
  INFO(roam::errorText(opened));
  REQUIRE(opened.ok());
  return std::move(*opened);
}

std::int64_t queryInt(Database& db, const std::string& sql) {
  auto v = db.queryInt(sql);
  INFO(sql << ": " << roam::errorText(v));
  REQUIRE(v.ok());
  return *v;
}

double queryDouble(Database& db, const std::string& sql) {
  auto p = db.prepare(sql);
  INFO(sql << ": " << roam::errorText(p));
  REQUIRE(p.ok());
  REQUIRE(p->step() == roam::runtime::sqlite::Statement::Step::row);
  return p->getDouble(0);
}

roam::runtime::TopologyView topologyOf(const roam::lang::NetworkData& d) {
  return {d.switches, d.hosts, d.links};
}

// stateToJson lists latencies in the order they were given; the VIB returns
// them by pair, so compare them as a set.
nlohmann::json normalised(nlohmann::json j) {
  auto& lat = j["latency"];
  std::sort(lat.begin(), lat.end(),
            [](const auto& a, const auto& b) { return a.dump() < b.dump(); });
  return j;
}

// Writes every part of `data` into `vib`, as collectors and the Docker watcher would.
void writeAll(Vib& vib, const roam::lang::NetworkData& data, double latencyT) {
  vib.writeTopology(topologyOf(data), latencyT);
  REQUIRE(vib.setContainers(data.containers).ok());
  vib.writePortSamples(data.portSamples);
  vib.writeSwitchSamples(data.switchSamples);
  vib.writeLatencies(data.latencies, latencyT);
  INFO(vib.lastError());
  REQUIRE(vib.failedWrites() == 0);
}

roam::lang::PortSampleRecord portSample(const std::string& sw, int port, double t, double rx,
                                        double tx) {
  return {sw, port, {t, rx, tx}};
}

}  // namespace

TEST_CASE("vib: a VIB is created, versioned and reopened", "[runtime][vib]") {
  TempDir dir;
  const auto path = dir.file("vib.sqlite");

  SECTION("create, then reopen in every mode") {
    { auto vib = openVib(path); }
    REQUIRE(fs::exists(path));
    {
      auto db = openDb(path);
      CHECK(queryInt(*db, "PRAGMA user_version") == roam::runtime::latestVibSchemaVersion());
      CHECK(queryInt(*db, "PRAGMA application_id") == roam::runtime::kVibApplicationId);
      auto journal = db->prepare("PRAGMA journal_mode");
      REQUIRE(journal->step() == roam::runtime::sqlite::Statement::Step::row);
      CHECK(journal->getText(0) == "wal");
      for (const char* table :
           {"switches", "ports", "links", "hosts", "containers", "port_samples", "port_samples_1m",
            "switch_samples", "switch_samples_1m", "latency_samples", "latency_samples_1m",
            "collector_status", "migrations", "decisions"})
        CHECK(queryInt(*db, std::string("SELECT count(*) FROM sqlite_schema WHERE name = '") +
                                table + "'") == 1);
    }
    openVib(path);
    openVib(path, Vib::OpenMode::existing);
    openVib(path, Vib::OpenMode::readOnly);
  }

  SECTION("existing and read-only opens never create a file") {
    for (auto mode : {Vib::OpenMode::existing, Vib::OpenMode::readOnly}) {
      auto opened = Vib::open(path, mode);
      CHECK_FALSE(opened.ok());
      CHECK(opened.error().message == path + ": no such file");
      CHECK_FALSE(fs::exists(path));
    }
  }

  SECTION("an empty database file becomes a VIB; read-only refuses it") {
    std::ofstream(path).close();
    auto ro = Vib::open(path, Vib::OpenMode::readOnly);
    CHECK_FALSE(ro.ok());
    CHECK(ro.error().message == path + ": not a VIB: the database is empty");
    openVib(path, Vib::OpenMode::existing);
  }
}

TEST_CASE("vib: VIB migrations are ordered and resumable", "[runtime][vib]") {
  TempDir dir;
  const auto path = dir.file("vib.sqlite");
  // What a later roam could ship: today's migrations plus one more.
  const int current = roam::runtime::latestVibSchemaVersion();
  const int next = current + 1;
  std::vector<roam::runtime::Migration> withNext(roam::runtime::vibMigrations().begin(),
                                                 roam::runtime::vibMigrations().end());
  withNext.push_back({next, "switch vendors",
                      "ALTER TABLE switches ADD COLUMN vendor TEXT NOT NULL DEFAULT '';"
                      "CREATE TABLE vendors (name TEXT PRIMARY KEY) STRICT;"});

  SECTION("current -> next keeps the data, and today's roam then refuses the newer file") {
    {
      auto vib = openVib(path);
      vib->writeTopology({{{"s1", "0000000000000001"}}, {}, {}}, 1);
      REQUIRE(vib->failedWrites() == 0);
    }
    {
      auto db = openDb(path);
      auto s = roam::runtime::migrateVib(*db, withNext);
      INFO(roam::errorText(s));
      REQUIRE(s.ok());
      CHECK(queryInt(*db, "PRAGMA user_version") == next);
      CHECK(queryInt(*db, "SELECT count(*) FROM switches WHERE name = 's1' AND vendor = ''") == 1);
      CHECK(queryInt(*db, "SELECT count(*) FROM vendors") == 0);
      CHECK(roam::runtime::migrateVib(*db, withNext).ok());  // idempotent
    }
    auto opened = Vib::open(path);
    CHECK_FALSE(opened.ok());
    CHECK(opened.error().message.find("schema version " + std::to_string(next) +
                                      " is newer than this roam supports (" +
                                      std::to_string(current) + ")") != std::string::npos);
  }

  SECTION("an empty database goes through every version in order") {
    auto db = openDb(path);
    REQUIRE(roam::runtime::migrateVib(*db, withNext).ok());
    CHECK(queryInt(*db, "PRAGMA user_version") == next);
    CHECK(queryInt(*db, "SELECT count(*) FROM sqlite_schema WHERE name = 'vendors'") == 1);
    CHECK(queryInt(*db, "SELECT count(*) FROM sqlite_schema WHERE name = 'migrations_by_id'") == 1);
  }

  SECTION("a failing migration leaves the previous version whole") {
    { openVib(path); }
    withNext.back().sql = "CREATE TABLE half (x); THIS IS NOT SQL;";
    auto db = openDb(path);
    auto s = roam::runtime::migrateVib(*db, withNext);
    CHECK_FALSE(s.ok());
    CHECK(s.error().message.find("(in migration to schema version " + std::to_string(next) + ")") !=
          std::string::npos);
    CHECK(queryInt(*db, "PRAGMA user_version") == current);
    CHECK(queryInt(*db, "SELECT count(*) FROM sqlite_schema WHERE name = 'half'") == 0);
  }

  SECTION("a version-1 file is migrated to the current schema on a writable open") {
    {
      auto db = openDb(path);
      std::vector<roam::runtime::Migration> v1{roam::runtime::vibMigrations().front()};
      REQUIRE(roam::runtime::migrateVib(*db, v1).ok());
      REQUIRE(db->exec("INSERT INTO decisions (t, policy, json) VALUES (1, 'p', '{}')").ok());
    }
    auto vib = openVib(path);
    auto decisions = vib->recentDecisions(10);
    REQUIRE(decisions.ok());
    REQUIRE(decisions.value().size() == 1);
    CHECK(decisions.value()[0].policy == "p");
    CHECK(decisions.value()[0].id.empty());
  }
}

TEST_CASE("vib: a version-4 VIB is upgraded in place to keep the freeze split", "[runtime][vib]") {
  TempDir dir;
  const auto path = dir.file("vib.sqlite");
  // A real file at version 4, with a migration row as a v4 manager wrote it.
  {
    auto db = openDb(path);
    const auto all = roam::runtime::vibMigrations();
    REQUIRE(all.size() >= 5);
    std::vector<roam::runtime::Migration> v4(all.begin(), all.begin() + 4);
    REQUIRE(roam::runtime::migrateVib(*db, v4).ok());
    REQUIRE(queryInt(*db, "PRAGMA user_version") == 4);
    REQUIRE(db->exec("INSERT INTO migrations (migration_id, container, source, destination, "
                     "mode, state, started_t, updated_t, finished_t, migration_s, freeze_ms, "
                     "rounds, total_s) VALUES ('m-old', 'c1', 'h1', 'h2', 'auto', 'done', 10, "
                     "12, 12, 2, 150, 3, 2.5)")
                .ok());
  }
  {
    // A read-only open does not migrate: it says so.
    auto readOnly = Vib::open(path, Vib::OpenMode::readOnly);
    REQUIRE_FALSE(readOnly.ok());
    CHECK(readOnly.error().message.find("VIB schema version 4 is older") != std::string::npos);
  }
  auto vib = openVib(path, Vib::OpenMode::existing);
  {
    auto db = openDb(path);
    CHECK(queryInt(*db, "PRAGMA user_version") == roam::runtime::latestVibSchemaVersion());
  }

  // The old row is whole; the new columns read as "no DONE said".
  auto rows = vib->recentMigrations(10);
  REQUIRE(rows.ok());
  REQUIRE(rows->size() == 1);
  auto old = rows->front();
  CHECK(old.migrationId == "m-old");
  CHECK(old.mode == "auto");
  CHECK(old.freezeMs == 150);
  CHECK(old.rounds == 3);
  CHECK(old.totalSeconds == 2.5);
  CHECK(old.reportedMode.empty());
  CHECK(old.dumpMs == 0);
  CHECK(old.transferMs == 0);
  CHECK(old.restoreMs == 0);
  CHECK(old.redirectMs == 0);
  CHECK(old.memoryBytes == 0);
  auto oldJson = roam::runtime::migrationToJson(old);
  CHECK(oldJson["reported_mode"] == "");
  CHECK_FALSE(oldJson.contains("freeze_split_ms"));
  CHECK_FALSE(oldJson.contains("memory_bytes"));

  // A checkpoint migration's numbers go in and come back, also on update.
  roam::runtime::MigrationRecord m;
  m.migrationId = "m-new";
  m.container = "c1";
  m.source = "h2";
  m.destination = "h3";
  m.mode = "auto";
  m.state = "transferring";
  m.startedT = 20;
  m.updatedT = 21;
  REQUIRE(vib->upsertMigration(m).ok());
  m.state = "done";
  m.finishedT = m.updatedT = 23;
  m.reportedMode = "checkpoint";
  m.freezeMs = 300;
  m.dumpMs = 120.5;
  m.transferMs = 100.25;
  m.restoreMs = 73.25;
  m.redirectMs = 6;
  m.memoryBytes = 104857600;
  REQUIRE(vib->upsertMigration(m).ok());
  rows = vib->recentMigrations(1);
  REQUIRE(rows.ok());
  REQUIRE(rows->size() == 1);
  const auto back = rows->front();
  CHECK(back.migrationId == "m-new");
  CHECK(back.reportedMode == "checkpoint");
  CHECK(back.dumpMs == 120.5);
  CHECK(back.transferMs == 100.25);
  CHECK(back.restoreMs == 73.25);
  CHECK(back.redirectMs == 6);
  CHECK(back.memoryBytes == 104857600);
  auto j = roam::runtime::migrationToJson(back);
  CHECK(j["mode"] == "auto");
  CHECK(j["reported_mode"] == "checkpoint");
  CHECK(j["freeze_ms"] == 300);
  CHECK(j["freeze_split_ms"] ==
        nlohmann::json{{"dump", 120.5}, {"transfer", 100.25}, {"restore", 73.25}, {"redirect", 6}});
  CHECK(j["redirect_ms"] == 6);
  CHECK(j["memory_bytes"] == 104857600);

  // A snapshot migration keeps its freeze but has no split to show.
  m.migrationId = "m-snapshot";
  m.startedT = 30;
  m.reportedMode = "snapshot";
  m.dumpMs = m.transferMs = m.restoreMs = 0;
  m.memoryBytes = 0;
  m.redirectMs = 2;  // a snapshot migration's address moves too
  REQUIRE(vib->upsertMigration(m).ok());
  rows = vib->recentMigrations(1);
  REQUIRE(rows.ok());
  REQUIRE(rows->size() == 1);
  j = roam::runtime::migrationToJson(rows->front());
  CHECK(j["reported_mode"] == "snapshot");
  CHECK(j["freeze_ms"] == 300);
  CHECK_FALSE(j.contains("freeze_split_ms"));
  CHECK_FALSE(j.contains("memory_bytes"));
  CHECK(j["redirect_ms"] == 2);
}

TEST_CASE("vib: a VIB snapshot gives back what the collectors wrote", "[runtime][vib]") {
  TempDir dir;
  const auto path = dir.file("vib.sqlite");
  const auto data = roam::lang::makeSyntheticNetwork(60, 3);
  REQUIRE_FALSE(data.portSamples.empty());
  REQUIRE_FALSE(data.latencies.empty());
  const double newest = 1732470002;  // the synthetic network's last sample time

  {
    auto vib = openVib(path);
    writeAll(*vib, data, newest);
  }
  auto vib = openVib(path);  // what was written survives closing
  auto snap = vib->snapshot(newest, 10);
  INFO(roam::errorText(snap));
  REQUIRE(snap.ok());

  const roam::lang::InMemoryState expected(data);
  CHECK(normalised(roam::lang::stateToJson(*snap.value())) ==
        normalised(roam::lang::stateToJson(expected)));
  CHECK(snap.value()->dataAgeSeconds() == 0);
  CHECK(snap.value()->now() == newest);
  CHECK(snap.value()->sampleTimes().size() == 3);

  SECTION("the topology is replaced, not merged") {
    vib->writeTopology({{{"only", "00000000000000aa"}}, {}, {}}, newest + 1);
    auto again = vib->snapshot(newest, 10);
    REQUIRE(again.ok());
    REQUIRE(again.value()->switches().size() == 1);
    CHECK(again.value()->switches()[0].name == "only");
    CHECK(again.value()->switches()[0].dpid == "00000000000000aa");
  }

  SECTION("the export function writes the same STATE.json") {
    const auto out = dir.file("state.json");
    auto r = roam::runtime::exportVibState(path, out, 10);
    INFO(roam::errorText(r));
    REQUIRE(r.ok());
    auto loaded = roam::lang::loadStateFile(out);
    REQUIRE(loaded.state);
    CHECK(normalised(roam::lang::stateToJson(*loaded.state)) ==
          normalised(roam::lang::stateToJson(expected)));
    CHECK_FALSE(fs::exists(out + ".tmp"));
  }
}

TEST_CASE("vib: a VIB snapshot keeps to its window and reports data age", "[runtime][vib]") {
  TempDir dir;
  auto vib = openVib(dir.file("vib.sqlite"));
  vib->writeTopology({{{"s1", "0000000000000001"}}, {}, {}}, 100);

  SECTION("an empty VIB is infinitely stale") {
    auto snap = vib->snapshot(100, 10);
    REQUIRE(snap.ok());
    CHECK(std::isinf(snap.value()->dataAgeSeconds()));
    CHECK(vib->latestSampleTime().value() == std::nullopt);
  }

  std::vector<roam::lang::PortSampleRecord> samples;
  for (int t = 100; t <= 110; ++t) samples.push_back(portSample("s1", 1, t, t * 10, t));
  vib->writePortSamples(samples);
  vib->writeSwitchSamples(std::vector<roam::lang::SwitchSampleRecord>{{"s1", {104, 1, 2, 3}}});
  vib->writeLatencies(std::vector<roam::lang::LatencyRecord>{{"h1", "h2", 0.001}}, 100);
  vib->writeLatencies(std::vector<roam::lang::LatencyRecord>{{"h1", "h2", 0.002}}, 108);
  REQUIRE(vib->failedWrites() == 0);
  CHECK(vib->latestSampleTime().value() == 110);

  SECTION("samples in [now - window, now] only") {
    auto snap = vib->snapshot(105, 2);
    REQUIRE(snap.ok());
    auto ps = snap.value()->portSamples(0, 1);
    REQUIRE(ps.size() == 3);
    CHECK(ps[0].t == 103);
    CHECK(ps[2].t == 105);
    CHECK(ps[2].rxBps == 1050);
    CHECK(snap.value()->switchSamples(0).size() == 1);
    CHECK(snap.value()->dataAgeSeconds() == 0);
    // The latest latency at or before now, not a later one.
    const auto& lat = snap.value()->data().latencies;
    REQUIRE(lat.size() == 1);
    CHECK(lat[0].seconds == 0.001);
  }

  SECTION("data age counts from the newest sample, even outside the window") {
    auto snap = vib->snapshot(130, 5);
    REQUIRE(snap.ok());
    CHECK(snap.value()->portSamples(0, 1).empty());
    CHECK(snap.value()->dataAgeSeconds() == 20);
    REQUIRE(snap.value()->data().latencies.size() == 1);
    CHECK(snap.value()->data().latencies[0].seconds == 0.002);
  }
}

TEST_CASE("vib: a VIB snapshot is consistent while collectors write", "[runtime][vib]") {
  TempDir dir;
  const auto path = dir.file("vib.sqlite");
  constexpr int kPorts = 50;
  auto reader = openVib(path);
  {
    roam::runtime::TopologyView topo;
    topo.switches.push_back({"s1", "0000000000000001"});
    reader->writeTopology(topo, 0);
  }

  // A second connection, as a collector process would have.
  std::atomic<bool> stop{false};
  std::atomic<int> batches{0};
  std::thread writer([&] {
    auto w = Vib::open(path);
    if (!w) return;
    for (int t = 1; !stop && t <= 500; ++t) {
      std::vector<roam::lang::PortSampleRecord> batch;
      for (int p = 1; p <= kPorts; ++p) batch.push_back(portSample("s1", p, t, t, t));
      (*w)->writePortSamples(batch);
      if ((*w)->failedWrites() == 0) ++batches;
    }
  });

  // Snapshots are taken while the writer commits batches, from its first on.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (batches == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  int checked = 0;
  for (int i = 0; i < 50 && std::chrono::steady_clock::now() < deadline; ++i) {
    auto snap = reader->snapshot(1e6, 1e6);
    REQUIRE(snap.ok());
    // Every batch is all there or not at all, and the data age (another
    // query) agrees with the samples read.
    const auto first = snap.value()->portSamples(0, 1);
    for (int p = 2; p <= kPorts; ++p)
      REQUIRE(snap.value()->portSamples(0, p).size() == first.size());
    if (!first.empty()) {
      CHECK(snap.value()->dataAgeSeconds() == 1e6 - first.back().t);
      ++checked;
    }
  }
  stop = true;
  writer.join();
  CHECK(batches > 0);
  CHECK(checked > 0);
}

TEST_CASE("vib: VIB retention averages old samples into minutes", "[runtime][vib]") {
  TempDir dir;
  const auto path = dir.file("vib.sqlite");
  auto vib = openVib(path);
  roam::runtime::TopologyView topo;
  topo.switches.push_back({"s1", "0000000000000001"});
  vib->writeTopology(topo, 0);

  // Ten minutes at 1 Hz: rx = t, tx = 2t on two ports; switch and latency too.
  std::vector<roam::lang::PortSampleRecord> ports;
  std::vector<roam::lang::SwitchSampleRecord> switches;
  for (int t = 0; t < 600; ++t) {
    ports.push_back(portSample("s1", 1, t, t, 2 * t));
    ports.push_back(portSample("s1", 2, t, 1000, 0));
    switches.push_back({"s1", {static_cast<double>(t), static_cast<double>(t), 0, 5}});
    vib->writeLatencies(std::vector<roam::lang::LatencyRecord>{{"h1", "h2", t * 1e-6}}, t);
  }
  vib->writePortSamples(ports);
  vib->writeSwitchSamples(switches);
  REQUIRE(vib->failedWrites() == 0);

  vib->setRetention(120);
  auto s = vib->compact(600);
  INFO(roam::errorText(s));
  REQUIRE(s.ok());

  auto db = openDb(path);
  // cutoff = 480: minutes 0..7 averaged, 480..599 kept raw.
  CHECK(queryInt(*db, "SELECT count(*) FROM port_samples WHERE t < 480") == 0);
  CHECK(queryInt(*db, "SELECT count(*) FROM port_samples") == 2 * 120);
  CHECK(queryInt(*db, "SELECT count(*) FROM port_samples_1m") == 2 * 8);
  CHECK(queryInt(*db, "SELECT count(*) FROM switch_samples_1m") == 8);
  CHECK(queryInt(*db, "SELECT count(*) FROM latency_samples_1m") == 8);
  CHECK(queryInt(*db, "SELECT min(t) FROM latency_samples") == 480);
  CHECK(queryDouble(*db, "SELECT rx_bps FROM port_samples_1m WHERE port = 1 AND t = 0") == 29.5);
  CHECK(queryDouble(*db, "SELECT tx_bps FROM port_samples_1m WHERE port = 1 AND t = 420") ==
        2 * 449.5);
  CHECK(queryInt(*db, "SELECT n FROM port_samples_1m WHERE port = 1 AND t = 60") == 60);
  CHECK(queryDouble(*db, "SELECT rx_bps FROM port_samples_1m WHERE port = 2 AND t = 60") == 1000);
  CHECK(queryDouble(*db, "SELECT packets_per_s FROM switch_samples_1m WHERE t = 120") == 149.5);
  CHECK(queryDouble(*db, "SELECT seconds FROM latency_samples_1m WHERE t = 60") == Approx(89.5e-6));

  SECTION("snapshots of compacted times read the minute averages") {
    auto snap = vib->snapshot(300, 120);
    REQUIRE(snap.ok());
    // Buckets overlapping [180, 300]: 180, 240 and 300.
    auto ps = snap.value()->portSamples(0, 1);
    REQUIRE(ps.size() == 3);
    CHECK(ps[0].t == 180);
    CHECK(ps[0].rxBps == 209.5);
    CHECK(ps[2].t == 300);
    CHECK(ps[2].txBps == 2 * 329.5);
    CHECK(snap.value()->switchSamples(0).size() == 3);
    CHECK(snap.value()->dataAgeSeconds() == 0);
    REQUIRE(snap.value()->data().latencies.size() == 1);
    CHECK(snap.value()->data().latencies[0].seconds == Approx(329.5e-6));
    // And recent times still read raw samples.
    auto recent = vib->snapshot(599, 2);
    REQUIRE(recent.ok());
    CHECK(recent.value()->portSamples(0, 1).size() == 3);
  }

  SECTION("late samples merge into their minute with the right weight") {
    vib->writePortSamples(std::vector{portSample("s1", 1, 30, 1000, 0)});
    REQUIRE(vib->compact(600).ok());
    CHECK(queryInt(*db, "SELECT n FROM port_samples_1m WHERE port = 1 AND t = 0") == 61);
    CHECK(queryDouble(*db, "SELECT rx_bps FROM port_samples_1m WHERE port = 1 AND t = 0") ==
          Approx((29.5 * 60 + 1000) / 61));
  }

  SECTION("compaction is idempotent") {
    REQUIRE(vib->compact(600).ok());
    CHECK(queryInt(*db, "SELECT count(*) FROM port_samples_1m") == 2 * 8);
    CHECK(queryInt(*db, "SELECT sum(n) FROM port_samples_1m") == 2 * 480);
  }

  SECTION("downsampled retention drops old minutes") {
    vib->setRetention(120, 300);
    REQUIRE(vib->compact(600).ok());
    CHECK(queryInt(*db, "SELECT min(t) FROM port_samples_1m") == 300);
    CHECK(queryInt(*db, "SELECT min(t) FROM switch_samples_1m") == 300);
  }
}

TEST_CASE("vib: VIB collector status answers staleness questions", "[runtime][vib]") {
  TempDir dir;
  auto vib = openVib(dir.file("vib.sqlite"));
  CHECK(vib->lastSuccess("bandwidth").value() == std::nullopt);
  vib->writeStatus({"bandwidth", 10, true, ""});
  vib->writeStatus({"bandwidth", 20, false, "GET /stats/port/1: connection refused"});
  vib->writeStatus({"latency", 15, true, ""});
  for (int t = 30; t < 400; t += 10) vib->writeStatus({"bandwidth", double(t), false, "down"});
  REQUIRE(vib->failedWrites() == 0);
  CHECK(vib->lastSuccess("bandwidth").value() == 10);

  vib->setRetention(60);
  REQUIRE(vib->compact(400).ok());
  // Compaction keeps the latest success however old.
  CHECK(vib->lastSuccess("bandwidth").value() == 10);
  CHECK(vib->lastSuccess("latency").value() == 15);
  auto statuses = vib->collectorStatuses();
  REQUIRE(statuses.ok());
  REQUIRE(statuses.value().size() == 2);
  CHECK(statuses.value()[0].collector == "bandwidth");
  CHECK(statuses.value()[0].t == 390);
  CHECK_FALSE(statuses.value()[0].ok);
  CHECK(statuses.value()[0].error == "down");
  CHECK(statuses.value()[1].collector == "latency");
  CHECK(statuses.value()[1].ok);
}

TEST_CASE("vib: bad VIB files are errors, not crashes", "[runtime][vib]") {
  TempDir dir;

  SECTION("a file that is not a database") {
    const auto path = dir.file("notes.txt");
    std::ofstream(path) << std::string(4096, 'x');
    for (auto mode : {Vib::OpenMode::create, Vib::OpenMode::existing, Vib::OpenMode::readOnly}) {
      auto opened = Vib::open(path, mode);
      CHECK_FALSE(opened.ok());
      CHECK(opened.error().message == path + ": file is not a database");
    }
    auto r = roam::runtime::exportVibState(path, dir.file("out.json"), 10);
    CHECK(r.error().file == path);
    CHECK(r.error().message == "file is not a database");
    CHECK_FALSE(fs::exists(dir.file("out.json")));
  }

  SECTION("another application's database is left alone") {
    const auto path = dir.file("other.sqlite");
    {
      auto db = openDb(path);
      REQUIRE(db->exec("CREATE TABLE t (x)").ok());
    }
    auto opened = Vib::open(path);
    CHECK_FALSE(opened.ok());
    CHECK(opened.error().message.find("not a VIB") != std::string::npos);
    auto db = openDb(path);
    CHECK(queryInt(*db, "PRAGMA user_version") == 0);
    CHECK(queryInt(*db, "SELECT count(*) FROM sqlite_schema") == 1);
  }

  SECTION("a directory") {
    auto opened = Vib::open(dir.path.string());
    CHECK_FALSE(opened.ok());
    CHECK(opened.error().message.find("is a directory") != std::string::npos);
  }

  SECTION("writes to a VIB opened read-only") {
    const auto path = dir.file("vib.sqlite");
    { openVib(path); }
    auto vib = openVib(path, Vib::OpenMode::readOnly);
    vib->writePortSamples(std::vector{portSample("s1", 1, 1, 1, 1)});
    CHECK(vib->failedWrites() == 1);
    CHECK(vib->lastError().find("read-only") != std::string::npos);
    CHECK_FALSE(vib->setContainers({}).ok());
    CHECK_FALSE(vib->compact(1e9).ok());
    CHECK(vib->failedWrites() == 3);
    auto snap = vib->snapshot(1, 1);  // reads still work
    CHECK(snap.ok());
  }

  SECTION("a locked VIB makes a write fail after the busy timeout, not hang") {
    const auto path = dir.file("vib.sqlite");
    auto vib = openVib(path);
    auto other = openDb(path);
    REQUIRE(other->exec("BEGIN IMMEDIATE").ok());
    // The timeout is 5 s; that is the cost of this section.
    vib->writePortSamples(std::vector{portSample("s1", 1, 1, 1, 1)});
    CHECK(vib->failedWrites() == 1);
    CHECK(vib->lastError().find("locked") != std::string::npos);
    REQUIRE(other->exec("ROLLBACK").ok());
    vib->writePortSamples(std::vector{portSample("s1", 1, 1, 1, 1)});
    CHECK(vib->failedWrites() == 1);
  }
}

TEST_CASE("vib: roam vib export and roam eval --vib end to end", "[runtime][vib][cli]") {
  // runtime_tests lives in build/tests/; the roam binary in build/.
  const fs::path roam = fs::read_symlink("/proc/self/exe").parent_path().parent_path() / "roam";
  if (!fs::exists(roam)) {
    WARN("no roam binary at " << roam << ", skipped");
    return;
  }
  TempDir dir;
  const auto vibPath = dir.file("vib.sqlite");
  const auto out = dir.file("state.json");
  const auto data = roam::lang::makeSyntheticNetwork(30, 5);
  {
    auto vib = openVib(vibPath);
    writeAll(*vib, data, 1732470002);
  }
  auto run = [&](const std::string& args) {
    const std::string errFile = dir.file("stderr");
    std::string cmd = roam.string() + " " + args + " >" + dir.file("stdout") + " 2>" + errFile;
    int status = std::system(cmd.c_str());
    std::ifstream in(errFile);
    std::stringstream err;
    err << in.rdbuf();
    return std::make_pair(WIFEXITED(status) ? WEXITSTATUS(status) : -1, err.str());
  };

  SECTION("export writes the latest state") {
    auto [status, err] = run("vib export " + vibPath + " --state " + out + " --window 10s");
    INFO(err);
    REQUIRE(status == 0);
    auto loaded = roam::lang::loadStateFile(out);
    REQUIRE(loaded.state);
    CHECK(normalised(roam::lang::stateToJson(*loaded.state)) ==
          normalised(roam::lang::stateToJson(roam::lang::InMemoryState(data))));
  }

  SECTION("errors name the file and create nothing") {
    const auto missing = dir.file("missing.sqlite");
    auto [status, err] = run("vib export " + missing + " --state " + out);
    CHECK(status == 1);
    CHECK(err == missing + ":1:1: error: no such file\n");
    CHECK_FALSE(fs::exists(missing));
    CHECK_FALSE(fs::exists(out));

    const auto text = dir.file("text.sqlite");
    std::ofstream(text) << std::string(2048, 'x');
    std::tie(status, err) = run("vib export " + text + " --state " + out);
    CHECK(status == 1);
    CHECK(err == text + ":1:1: error: file is not a database\n");
    CHECK_FALSE(fs::exists(out));

    std::tie(status, err) = run("vib export " + vibPath + " --state " + out + " --window soon");
    CHECK(status == 1);
    CHECK(err.find("error: --window expects a duration") != std::string::npos);
  }

  SECTION("eval takes exactly one of --state and --vib") {
    const std::string policy =
        std::string(ROAM_SOURCE_DIR) + "/policies/load-balancing/shortest-path.policy";
    auto [status, err] = run("eval " + policy + " --vib " + vibPath + " --json");
    INFO(err);
    CHECK(status == 0);
    std::tie(status, err) = run("eval " + policy);
    CHECK(status == 2);
    CHECK(err.find("exactly one of --state FILE or --vib FILE") != std::string::npos);
    std::tie(status, err) = run("eval " + policy + " --vib " + vibPath + " --state x.json");
    CHECK(status == 2);
  }
}

TEST_CASE("vib: the metrics count the rows written by table, and failed writes",
          "[runtime][vib][metrics]") {
  TempDir dir;
  const auto path = dir.file("vib.sqlite");
  const auto data = roam::lang::makeSyntheticNetwork(20, 2);
  roam::metrics::Registry registry;
  roam::runtime::ManagerMetrics metrics(registry);
  {
    auto vib = openVib(path);
    vib->setMetrics(&metrics);
    writeAll(*vib, data, 1732470002);
    vib->writeStatus({"bandwidth", 1732470002, true, ""});
  }
  auto rows = [&](const std::string& table) {
    auto v = roamtest::sample(registry, "roam_vib_rows_written_total{table=\"" + table + "\"}");
    INFO(table << "\n" << registry.render());
    REQUIRE(v);
    return static_cast<std::size_t>(*v);
  };
  CHECK(rows("port_samples") == data.portSamples.size());
  CHECK(rows("switch_samples") == data.switchSamples.size());
  CHECK(rows("latency_samples") == data.latencies.size());
  CHECK(rows("containers") == data.containers.size());
  CHECK(rows("collector_status") == 1);
  const auto topology = topologyOf(data);
  CHECK(rows("topology") ==
        topology.switches.size() + topology.hosts.size() + topology.links.size());
  CHECK(roamtest::sample(registry, "roam_vib_write_errors_total") == 0);

  // A read-only VIB refuses writes: an error, no rows.
  auto ro = openVib(path, Vib::OpenMode::readOnly);
  ro->setMetrics(&metrics);
  ro->writeStatus({"bandwidth", 1732470003, true, ""});
  CHECK(roamtest::sample(registry, "roam_vib_write_errors_total") == 1);
  CHECK(rows("collector_status") == 1);
}
