// The manager's decisions and migrations in the VIB (runtime/vib/history.hpp).

#include <string>

#include "common/freeze_split_json.hpp"
#include "runtime/vib/query.hpp"
#include "runtime/vib/vib.hpp"

namespace roam::runtime {

using sqlite::failure;
using sqlite::query;
using sqlite::Statement;
using sqlite::Status;

nlohmann::json migrationToJson(const MigrationRecord& m) {
  nlohmann::json j = {{"migration_id", m.migrationId},
                      {"decision_id", m.decisionId},
                      {"container", m.container},
                      {"source", m.source},
                      {"destination", m.destination},
                      {"policy", m.policy},
                      {"mode", m.mode},
                      {"reported_mode", m.reportedMode},
                      {"state", m.state},
                      {"started_t", m.startedT},
                      {"updated_t", m.updatedT},
                      {"finished_t", nullptr},
                      {"decision_seconds", m.decisionSeconds},
                      {"migration_seconds", nullptr},
                      {"key_seconds", m.keySeconds},
                      {"freeze_ms", m.freezeMs},
                      {"redirect_ms", m.redirectMs},
                      {"rounds", m.rounds},
                      {"total_seconds", m.totalSeconds},
                      {"bytes_sent", m.bytesSent},
                      {"bytes_total", m.bytesTotal},
                      {"error", m.error},
                      {"note", m.note}};
  if (m.finishedT) j["finished_t"] = *m.finishedT;
  if (m.migrationSeconds) j["migration_seconds"] = *m.migrationSeconds;
  addFreezeSplitJson(j, {.mode = m.reportedMode,
                         .freezeMs = m.freezeMs,
                         .dumpMs = m.dumpMs,
                         .transferMs = m.transferMs,
                         .restoreMs = m.restoreMs,
                         .redirectMs = m.redirectMs,
                         .memoryBytes = m.memoryBytes});
  return j;
}

nlohmann::json decisionToJson(const DecisionRecord& d) {
  nlohmann::json j = d.json.is_object() ? d.json : nlohmann::json::object();
  if (!j.contains("decision_id")) j["decision_id"] = d.id;
  if (!j.contains("time")) j["time"] = d.t;
  if (!j.contains("policy")) j["policy"] = d.policy;
  return j;
}

Status Vib::recordDecision(const DecisionRecord& decision) {
  std::lock_guard lock(mutex_);
  auto status = writeTransaction([&]() -> Status {
    auto ins = db_->prepare(
        "INSERT INTO decisions (t, policy, json, decision_id) VALUES (?1, ?2, ?3, ?4)");
    if (!ins.ok()) return ins.error();
    return ins->run(decision.t, decision.policy, decision.json.dump(), decision.id);
  });
  noteWrite(status);
  countRows("decisions", 1);
  return status;
}

Status Vib::upsertMigration(const MigrationRecord& m) {
  std::lock_guard lock(mutex_);
  auto status = writeTransaction([&]() -> Status {
    auto up = db_->prepare(
        "INSERT INTO migrations (migration_id, decision_id, container, source, destination, "
        "policy, mode, state, started_t, updated_t, finished_t, decision_s, migration_s, "
        "bytes_sent, bytes_total, error, note, key_s, freeze_ms, rounds, total_s, reported_mode, "
        "dump_ms, transfer_ms, restore_ms, memory_bytes, redirect_ms) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, "
        "?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27) "
        "ON CONFLICT (migration_id) WHERE migration_id != '' DO UPDATE SET "
        "destination = excluded.destination, state = excluded.state, "
        "updated_t = excluded.updated_t, finished_t = excluded.finished_t, "
        "migration_s = excluded.migration_s, bytes_sent = excluded.bytes_sent, "
        "bytes_total = excluded.bytes_total, error = excluded.error, note = excluded.note, "
        "key_s = excluded.key_s, freeze_ms = excluded.freeze_ms, rounds = excluded.rounds, "
        "total_s = excluded.total_s, reported_mode = excluded.reported_mode, "
        "dump_ms = excluded.dump_ms, transfer_ms = excluded.transfer_ms, "
        "restore_ms = excluded.restore_ms, memory_bytes = excluded.memory_bytes, "
        "redirect_ms = excluded.redirect_ms");
    if (!up.ok()) return up.error();
    return up->run(m.migrationId, m.decisionId, m.container, m.source, m.destination, m.policy,
                   m.mode, m.state, m.startedT, m.updatedT, m.finishedT, m.decisionSeconds,
                   m.migrationSeconds, static_cast<std::int64_t>(m.bytesSent),
                   static_cast<std::int64_t>(m.bytesTotal), m.error, m.note, m.keySeconds,
                   m.freezeMs, static_cast<std::int64_t>(m.rounds), m.totalSeconds, m.reportedMode,
                   m.dumpMs, m.transferMs, m.restoreMs, static_cast<std::int64_t>(m.memoryBytes),
                   m.redirectMs);
  });
  noteWrite(status);
  countRows("migrations", 1);
  return status;
}

roam::Result<std::vector<DecisionRecord>> Vib::recentDecisions(std::size_t limit) {
  std::lock_guard lock(mutex_);
  std::vector<DecisionRecord> rows;
  auto s = query(
      *db_, "SELECT decision_id, t, policy, json FROM decisions ORDER BY t DESC, id DESC LIMIT ?1",
      [&](Statement& st) {
        DecisionRecord d{st.getText(0), st.getDouble(1), st.getText(2), {}};
        // Written by us; a hand-edited row that is not JSON is shown as text.
        d.json = nlohmann::json::parse(st.getText(3), nullptr, /*allow_exceptions=*/false);
        if (d.json.is_discarded()) d.json = st.getText(3);
        rows.push_back(std::move(d));
        return Status();
      },
      static_cast<std::int64_t>(limit));
  if (!s) return s.error();
  return rows;
}

namespace {

constexpr const char* kMigrationColumns =
    "SELECT migration_id, decision_id, container, source, destination, policy, mode, state, "
    "started_t, updated_t, finished_t, decision_s, migration_s, bytes_sent, bytes_total, error, "
    "note, key_s, freeze_ms, rounds, total_s, reported_mode, dump_ms, transfer_ms, restore_ms, "
    "memory_bytes, redirect_ms FROM migrations ";

MigrationRecord migrationFromRow(Statement& st) {
  MigrationRecord m;
  m.migrationId = st.getText(0);
  m.decisionId = st.getText(1);
  m.container = st.getText(2);
  m.source = st.getText(3);
  m.destination = st.getText(4);
  m.policy = st.getText(5);
  m.mode = st.getText(6);
  m.state = st.getText(7);
  m.startedT = st.getDouble(8);
  m.updatedT = st.getDouble(9);
  m.finishedT = st.getOptionalDouble(10);
  m.decisionSeconds = st.getDouble(11);
  m.migrationSeconds = st.getOptionalDouble(12);
  m.bytesSent = static_cast<std::uint64_t>(st.getInt(13));
  m.bytesTotal = static_cast<std::uint64_t>(st.getInt(14));
  m.error = st.getText(15);
  m.note = st.getText(16);
  m.keySeconds = st.getDouble(17);
  m.freezeMs = st.getDouble(18);
  m.rounds = static_cast<std::uint32_t>(st.getInt(19));
  m.totalSeconds = st.getDouble(20);
  m.reportedMode = st.getText(21);
  m.dumpMs = st.getDouble(22);
  m.transferMs = st.getDouble(23);
  m.restoreMs = st.getDouble(24);
  m.memoryBytes = static_cast<std::uint64_t>(st.getInt(25));
  m.redirectMs = st.getDouble(26);
  return m;
}

}  // namespace

namespace {

// The migrations rows `where` selects (kMigrationColumns + where), in order.
template <typename... Args>
roam::Result<std::vector<MigrationRecord>> queryMigrations(sqlite::Database& db,
                                                           const std::string& where,
                                                           const Args&... args) {
  std::vector<MigrationRecord> rows;
  auto s = query(
      db, std::string(kMigrationColumns) + where,
      [&](Statement& st) {
        rows.push_back(migrationFromRow(st));
        return Status();
      },
      args...);
  if (!s) return s.error();
  return rows;
}

}  // namespace

roam::Result<std::vector<MigrationRecord>> Vib::recentMigrations(std::size_t limit) {
  std::lock_guard lock(mutex_);
  return queryMigrations(*db_, "ORDER BY started_t DESC, id DESC LIMIT ?1",
                         static_cast<std::int64_t>(limit));
}

roam::Result<std::vector<MigrationRecord>> Vib::unfinishedMigrations() {
  std::lock_guard lock(mutex_);
  return queryMigrations(*db_,
                         "WHERE finished_t IS NULL AND state NOT IN ('done', 'failed') "
                         "ORDER BY started_t");
}

roam::Result<std::optional<MigrationRecord>> Vib::firstSuccessfulMigration(
    const std::string& container) {
  std::lock_guard lock(mutex_);
  auto rows = queryMigrations(*db_,
                              "WHERE container = ?1 AND state = 'done' "
                              "ORDER BY started_t, id LIMIT 1",
                              container);
  std::optional<MigrationRecord> first;
  if (!rows) return rows.error();
  if (!rows->empty()) first = std::move(rows->front());
  return first;
}

}  // namespace roam::runtime
