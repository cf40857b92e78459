// The VIB's ingest rate and snapshot latency (issue 3).
// Goals: >= 200,000 port samples/s ingested in 1,000-port batches; a
// latest-state snapshot of 10,000 ports in under 50 ms.
//
// Files live in the system temp directory (on the project's VM, the same disk
// as the build) and are rebuilt on every run.
//
// History: a day at 1 Hz for 1,000 ports is 86.4M raw rows, which the VIB
// never holds: with retention it keeps the last `retention` window raw and the
// rest as 1-minute averages. The "compacted day" benchmark builds exactly that
// shape directly in SQL (10 minutes raw + 1,430 minutes averaged, 2.03M rows)
// instead of ingesting and compacting 86.4M samples per run.

#include <benchmark/benchmark.h>

#include <unistd.h>

#include <filesystem>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "lang/synthetic_state.hpp"
#include "runtime/vib/vib.hpp"

namespace {

namespace fs = std::filesystem;
using roam::runtime::Vib;

constexpr double kStart = 1732470000;

void removeVibFiles(const std::string& path) {
  std::error_code ec;
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path + suffix, ec);
}

// Removes the benchmark's files when the program ends.
struct TempFiles {
  std::vector<std::string> paths;
  ~TempFiles() {
    for (const auto& p : paths) removeVibFiles(p);
  }
};

std::string tempPath(const std::string& name) {
  static TempFiles files;
  auto path =
      (fs::temp_directory_path() / ("roam-vib-bench-" + std::to_string(getpid()) + "-" + name))
          .string();
  removeVibFiles(path);
  files.paths.push_back(path);
  return path;
}

std::unique_ptr<Vib> openFresh(const std::string& path) {
  auto opened = Vib::open(path);
  if (!opened) throw std::runtime_error(opened.error().message);
  return std::move(*opened);
}

void check(const roam::runtime::sqlite::Status& s) {
  if (!s) throw std::runtime_error(s.error().message);
}

// Every switch port that carries a host or a link in `data`.
std::vector<std::pair<std::string, int>> portsOf(const roam::lang::NetworkData& data) {
  std::vector<std::pair<std::string, int>> ports;
  for (const auto& h : data.hosts) ports.emplace_back(h.switchName, h.port);
  for (const auto& l : data.links) {
    ports.emplace_back(l.src, l.srcPort);
    ports.emplace_back(l.dst, l.dstPort);
  }
  return ports;
}

// A network with about `ports` switch ports (synthetic: 24 hosts + 2 uplink
// ends per leaf), its topology and containers written.
struct Network {
  roam::lang::NetworkData data;
  std::vector<std::pair<std::string, int>> ports;
};

Network networkWithPorts(int ports) {
  const int hosts = ports * 24 / 26;
  Network n{roam::lang::makeSyntheticNetwork(hosts, 7), {}};
  n.ports = portsOf(n.data);
  return n;
}

void writeStructure(Vib& vib, const Network& n) {
  vib.writeTopology({n.data.switches, n.data.hosts, n.data.links}, kStart);
  check(vib.setContainers(n.data.containers));
}

std::vector<roam::lang::PortSampleRecord> batchAt(const Network& n, double t) {
  std::vector<roam::lang::PortSampleRecord> batch;
  batch.reserve(n.ports.size());
  for (std::size_t i = 0; i < n.ports.size(); ++i)
    batch.push_back(
        {n.ports[i].first, n.ports[i].second, {t, 1e6 + static_cast<double>(i), 2e6 + t - kStart}});
  return batch;
}

// Ingest: one writePortSamples call (one transaction) per batch of
// st.range(0) port samples, one batch per simulated second.
void ingestPortSamples(benchmark::State& st) {
  const int batchSize = static_cast<int>(st.range(0));
  const auto path = tempPath("ingest.sqlite");
  auto vib = openFresh(path);
  std::vector<roam::lang::PortSampleRecord> batch(static_cast<std::size_t>(batchSize));
  for (int i = 0; i < batchSize; ++i)
    batch[static_cast<std::size_t>(i)] = {"leaf" + std::to_string(i / 24 + 1), i % 24 + 1, {}};
  double t = kStart;
  for (auto _ : st) {
    for (auto& r : batch) r.sample = {t, 1e6 + t, 2e6};
    vib->writePortSamples(batch);
    t += 1;
  }
  if (vib->failedWrites() != 0) st.SkipWithError(vib->lastError().c_str());
  st.SetItemsProcessed(st.iterations() * batchSize);
}
BENCHMARK(ingestPortSamples)->Arg(100)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);

// Times snapshots of `vib` at `now`, the window being st.range(0) seconds;
// counts the ports and the samples of the last snapshot.
void timeSnapshots(benchmark::State& st, Vib& vib, double now, std::size_t ports) {
  std::size_t samples = 0;
  for (auto _ : st) {
    auto snap = vib.snapshot(now, static_cast<double>(st.range(0)));
    if (!snap) {
      st.SkipWithError(snap.error().message.c_str());
      break;
    }
    samples = (*snap)->data().portSamples.size();
    benchmark::DoNotOptimize(snap);
  }
  st.counters["ports"] = static_cast<double>(ports);
  st.counters["samples"] = static_cast<double>(samples);
}

// Snapshot of ~10,000 ports with one minute of raw 1 Hz history; the window
// (st.range(0) seconds) decides how many samples per port are read.
void snapshot10kPorts(benchmark::State& st) {
  static const auto path = tempPath("snapshot10k.sqlite");
  static const Network n = networkWithPorts(10000);
  static const bool built = [] {
    auto vib = openFresh(path);
    writeStructure(*vib, n);
    for (int s = 0; s < 60; ++s) vib->writePortSamples(batchAt(n, kStart + s));
    if (vib->failedWrites() != 0) throw std::runtime_error(vib->lastError());
    return true;
  }();
  (void)built;
  timeSnapshots(st, *openFresh(path), kStart + 59, n.ports.size());
}
BENCHMARK(snapshot10kPorts)->Arg(1)->Arg(5)->Arg(10)->Unit(benchmark::kMillisecond);

// Snapshot of ~1,000 ports with a compacted day behind it: the last 10 minutes
// raw at 1 Hz, the 1,430 minutes before as 1-minute averages.
void snapshotCompactedDay(benchmark::State& st) {
  static const auto path = tempPath("day.sqlite");
  static const Network n = networkWithPorts(1000);
  static const double end = kStart + 86400;
  static const bool built = [] {
    auto vib = openFresh(path);
    writeStructure(*vib, n);
    vib.reset();
    auto opened = roam::runtime::sqlite::Database::open(
        path, roam::runtime::sqlite::Database::Mode::readWrite);
    if (!opened) throw std::runtime_error(opened.error().message);
    auto& db = **opened;
    const std::string start = std::to_string(kStart);
    // Generated in SQL: one row per (port, minute) and per (port, raw second).
    check(db.exec(
        "BEGIN; CREATE TEMP TABLE p AS SELECT switch, port_no FROM ports;"
        "INSERT INTO port_samples_1m (t, switch, port, rx_bps, tx_bps, n) "
        "WITH RECURSIVE m(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM m WHERE k < 1429) "
        "SELECT " +
        start +
        " + k * 60.0, switch, port_no, 1e6 + k, 2e6, 60 FROM m, p;"
        "INSERT INTO port_samples (t, switch, port, rx_bps, tx_bps) "
        "WITH RECURSIVE s(k) AS (SELECT 85800 UNION ALL SELECT k + 1 FROM s WHERE k < 86399) "
        "SELECT " +
        start +
        " + k, switch, port_no, 1e6 + k, 2e6 FROM s, p;"
        "COMMIT;"));
    return true;
  }();
  (void)built;
  timeSnapshots(st, *openFresh(path), end - 1, n.ports.size());
}
BENCHMARK(snapshotCompactedDay)->Arg(10)->Arg(3600)->Unit(benchmark::kMillisecond);

// compact() of one minute of raw samples for ~1,000 ports (60,000 rows), as a
// manager calling it once a minute would see.
void compactMinute(benchmark::State& st) {
  const auto path = tempPath("compact.sqlite");
  const Network n = networkWithPorts(1000);
  auto vib = openFresh(path);
  writeStructure(*vib, n);
  vib->setRetention(60);
  double t = kStart;
  for (auto _ : st) {
    st.PauseTiming();
    for (int s = 0; s < 60; ++s) vib->writePortSamples(batchAt(n, t + s));
    t += 60;
    st.ResumeTiming();
    check(vib->compact(t + 60));
  }
  st.SetItemsProcessed(st.iterations() * 60 * static_cast<std::int64_t>(n.ports.size()));
}
BENCHMARK(compactMinute)->Unit(benchmark::kMillisecond)->Iterations(10);

}  // namespace

BENCHMARK_MAIN();
