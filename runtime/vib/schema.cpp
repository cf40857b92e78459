#include "runtime/vib/schema.hpp"

#include <cassert>
#include <string>

namespace roam::runtime {

namespace {

using sqlite::Database;
using sqlite::failure;
using sqlite::Result;
using sqlite::Status;
using sqlite::Transaction;

// Version 1. `position` (the rowid) keeps the order the topology was
// written in, so snapshots list things as the collectors did, without a sort.
// Names, not ids, key every row: they are what policies and
// STATE.json use, and they keep the file readable from the sqlite3 shell.
// Sample tables are WITHOUT ROWID with the time first in the key: ingest
// appends to the end of one B-tree, and both the snapshot's window and the
// compaction's cutoff are range scans on that key.
constexpr std::string_view kSchemaV1 = R"sql(
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value ANY
) STRICT, WITHOUT ROWID;

CREATE TABLE switches (
  position INTEGER PRIMARY KEY,
  name     TEXT NOT NULL UNIQUE,
  dpid     TEXT NOT NULL
) STRICT;

CREATE TABLE ports (
  switch    TEXT NOT NULL,
  port_no   INTEGER NOT NULL,
  name      TEXT,
  hw_addr   TEXT,
  speed_bps REAL,
  PRIMARY KEY (switch, port_no)
) STRICT, WITHOUT ROWID;

CREATE TABLE links (
  position     INTEGER PRIMARY KEY,
  src          TEXT NOT NULL,
  src_port     INTEGER NOT NULL,
  dst          TEXT NOT NULL,
  dst_port     INTEGER NOT NULL,
  capacity_bps REAL NOT NULL
) STRICT;

CREATE TABLE hosts (
  position     INTEGER PRIMARY KEY,
  name         TEXT NOT NULL UNIQUE,
  ip           TEXT NOT NULL,
  mac          TEXT NOT NULL,
  switch       TEXT NOT NULL,
  port         INTEGER NOT NULL,
  capacity_bps REAL NOT NULL,
  labels       TEXT NOT NULL DEFAULT '{}'
) STRICT;

CREATE TABLE containers (
  position INTEGER PRIMARY KEY,
  name     TEXT NOT NULL UNIQUE,
  host     TEXT NOT NULL,
  image    TEXT NOT NULL,
  labels   TEXT NOT NULL DEFAULT '{}'
) STRICT;

CREATE TABLE port_samples (
  t      REAL NOT NULL,
  switch TEXT NOT NULL,
  port   INTEGER NOT NULL,
  rx_bps REAL NOT NULL,
  tx_bps REAL NOT NULL,
  PRIMARY KEY (t, switch, port)
) STRICT, WITHOUT ROWID;

CREATE TABLE port_samples_1m (
  t      REAL NOT NULL,
  switch TEXT NOT NULL,
  port   INTEGER NOT NULL,
  rx_bps REAL NOT NULL,
  tx_bps REAL NOT NULL,
  n      INTEGER NOT NULL,
  PRIMARY KEY (t, switch, port)
) STRICT, WITHOUT ROWID;

CREATE TABLE switch_samples (
  t             REAL NOT NULL,
  switch        TEXT NOT NULL,
  packets_per_s REAL NOT NULL,
  bytes_per_s   REAL NOT NULL,
  flows         REAL NOT NULL,
  PRIMARY KEY (t, switch)
) STRICT, WITHOUT ROWID;

CREATE TABLE switch_samples_1m (
  t             REAL NOT NULL,
  switch        TEXT NOT NULL,
  packets_per_s REAL NOT NULL,
  bytes_per_s   REAL NOT NULL,
  flows         REAL NOT NULL,
  n             INTEGER NOT NULL,
  PRIMARY KEY (t, switch)
) STRICT, WITHOUT ROWID;

CREATE TABLE latency_samples (
  t       REAL NOT NULL,
  src     TEXT NOT NULL,
  dst     TEXT NOT NULL,
  seconds REAL NOT NULL,
  PRIMARY KEY (t, src, dst)
) STRICT, WITHOUT ROWID;

CREATE TABLE latency_samples_1m (
  t       REAL NOT NULL,
  src     TEXT NOT NULL,
  dst     TEXT NOT NULL,
  seconds REAL NOT NULL,
  n       INTEGER NOT NULL,
  PRIMARY KEY (t, src, dst)
) STRICT, WITHOUT ROWID;

CREATE TABLE collector_status (
  collector TEXT NOT NULL,
  t         REAL NOT NULL,
  ok        INTEGER NOT NULL,
  error     TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (collector, t)
) STRICT, WITHOUT ROWID;

CREATE TABLE migrations (
  id          INTEGER PRIMARY KEY,
  container   TEXT NOT NULL,
  source      TEXT NOT NULL,
  destination TEXT NOT NULL,
  policy      TEXT NOT NULL DEFAULT '',
  state       TEXT NOT NULL,
  started_t   REAL NOT NULL,
  updated_t   REAL NOT NULL,
  finished_t  REAL,
  error       TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX migrations_by_container ON migrations (container, started_t);
CREATE INDEX migrations_by_time ON migrations (started_t);

CREATE TABLE decisions (
  id     INTEGER PRIMARY KEY,
  t      REAL NOT NULL,
  policy TEXT NOT NULL,
  json   TEXT NOT NULL
) STRICT;
CREATE INDEX decisions_by_time ON decisions (t);

PRAGMA application_id = 1380925773;
)sql";

// Version 2: what the manager records per decision and per migration. The
// paper reports decision time and migration time separately, so both are
// kept; `migration_id` is the agents' id, which makes every step idempotent.
constexpr std::string_view kSchemaV2 = R"sql(
ALTER TABLE decisions ADD COLUMN decision_id TEXT NOT NULL DEFAULT '';
ALTER TABLE migrations ADD COLUMN migration_id TEXT NOT NULL DEFAULT '';
ALTER TABLE migrations ADD COLUMN decision_id TEXT NOT NULL DEFAULT '';
ALTER TABLE migrations ADD COLUMN mode TEXT NOT NULL DEFAULT '';
ALTER TABLE migrations ADD COLUMN decision_s REAL NOT NULL DEFAULT 0;
ALTER TABLE migrations ADD COLUMN migration_s REAL;
ALTER TABLE migrations ADD COLUMN bytes_sent INTEGER NOT NULL DEFAULT 0;
ALTER TABLE migrations ADD COLUMN bytes_total INTEGER NOT NULL DEFAULT 0;
ALTER TABLE migrations ADD COLUMN note TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX migrations_by_id ON migrations (migration_id) WHERE migration_id != '';
CREATE INDEX migrations_unfinished ON migrations (state) WHERE finished_t IS NULL;
)sql";

// Version 3: MTD migrations report their key gathering time (DONE's key_s)
// apart from the migration time, as the paper's Table III does.
constexpr std::string_view kSchemaV3 = R"sql(
ALTER TABLE migrations ADD COLUMN key_s REAL NOT NULL DEFAULT 0;
)sql";

// Version 4: pre-copy migrations report their freeze, their rounds and the
// time until the source copy was gone (DONE's freeze_ms, rounds, total_s).
constexpr std::string_view kSchemaV4 = R"sql(
ALTER TABLE migrations ADD COLUMN freeze_ms REAL NOT NULL DEFAULT 0;
ALTER TABLE migrations ADD COLUMN rounds INTEGER NOT NULL DEFAULT 0;
ALTER TABLE migrations ADD COLUMN total_s REAL NOT NULL DEFAULT 0;
)sql";

// Version 5: checkpoint migrations split their freeze (DONE's dump_ms,
// transfer_ms, restore_ms) and report the process memory moved
// (memory_bytes). `reported_mode` is DONE's mode, the one the migration ran
// in; `mode` stays the one the manager asked for (`auto` resolves to
// checkpoint or snapshot at the source). '' and zeros until a DONE came.
constexpr std::string_view kSchemaV5 = R"sql(
ALTER TABLE migrations ADD COLUMN reported_mode TEXT NOT NULL DEFAULT '';
ALTER TABLE migrations ADD COLUMN dump_ms REAL NOT NULL DEFAULT 0;
ALTER TABLE migrations ADD COLUMN transfer_ms REAL NOT NULL DEFAULT 0;
ALTER TABLE migrations ADD COLUMN restore_ms REAL NOT NULL DEFAULT 0;
ALTER TABLE migrations ADD COLUMN memory_bytes INTEGER NOT NULL DEFAULT 0;
)sql";

// Version 6: the redirection's part of a migration (the destination's move of
// the service address, DONE's redirect_ms, plus the manager's rewrite rules).
constexpr std::string_view kSchemaV6 = R"sql(
ALTER TABLE migrations ADD COLUMN redirect_ms REAL NOT NULL DEFAULT 0;
)sql";

constexpr Migration kMigrations[] = {
    {1,
     "initial schema: topology, containers, samples, downsampled samples, status, "
     "migrations, decisions",
     kSchemaV1},
    {2, "manager history: migration and decision ids, timings, bytes", kSchemaV2},
    {3, "MTD key gathering time per migration", kSchemaV3},
    {4, "pre-copy freeze, rounds and total time per migration", kSchemaV4},
    {5, "mode the migration ran in, checkpoint freeze split and memory bytes", kSchemaV5},
    {6, "redirection time per migration", kSchemaV6},
};

struct Identity {
  std::int64_t version = 0;
  std::int64_t applicationId = 0;
  std::int64_t tables = 0;
};

// Reading the header is also the first real read: a file that is not a
// database fails here with SQLite's "file is not a database".
Result<Identity> readIdentity(Database& db) {
  Identity id;
  auto version = db.queryInt("PRAGMA user_version");
  if (!version) return version.error();
  auto app = db.queryInt("PRAGMA application_id");
  if (!app) return app.error();
  auto tables = db.queryInt("SELECT count(*) FROM sqlite_schema");
  if (!tables) return tables.error();
  id.version = *version;
  id.applicationId = *app;
  id.tables = *tables;
  return id;
}

Status checkIdentity(const Database& db, const Identity& id, int newest) {
  if (id.version == 0 && id.applicationId == 0) {
    if (id.tables == 0) return {};  // empty: ours to initialise
    return roam::makeError(
        roam::ErrorCode::BadInput,
        db.path() + ": not a VIB: an SQLite database with other tables and no VIB schema");
  }
  if (id.applicationId != kVibApplicationId)
    return roam::makeError(roam::ErrorCode::BadInput,
                           db.path() + ": not a VIB: SQLite application_id is " +
                               std::to_string(id.applicationId) + ", not roam's");
  if (id.version > newest)
    return roam::makeError(roam::ErrorCode::Unsupported,
                           db.path() + ": VIB schema version " + std::to_string(id.version) +
                               " is newer than this roam supports (" + std::to_string(newest) +
                               "); upgrade roam");
  return {};
}

}  // namespace

std::span<const Migration> vibMigrations() {
  return kMigrations;
}

int latestVibSchemaVersion() {
  return kMigrations[std::size(kMigrations) - 1].version;
}

Status migrateVib(Database& db, std::span<const Migration> migrations) {
  for (std::size_t i = 0; i < migrations.size(); ++i)
    assert(migrations[i].version == static_cast<int>(i) + 1 && "migrations must be 1..N");
  const int newest = migrations.empty() ? 0 : migrations.back().version;

  auto before = readIdentity(db);
  if (!before) return before.error();
  if (auto s = checkIdentity(db, *before, newest); !s) return s;
  if (before->version == newest) return {};

  for (const auto& m : migrations) {
    auto begun = Transaction::begin(db, Transaction::Kind::immediate);
    if (!begun) return begun.error();
    // Another process may have migrated while we waited for the lock.
    auto now = readIdentity(db);
    if (!now) return now.error();
    if (auto s = checkIdentity(db, *now, newest); !s) return s;
    if (now->version >= m.version) continue;
    if (auto s = db.exec(std::string(m.sql)); !s)
      return failure(s.error().message + " (in migration to schema version " +
                     std::to_string(m.version) + ")");
    if (auto s = db.exec("PRAGMA user_version = " + std::to_string(m.version)); !s) return s;
    if (auto s = begun->commit(); !s) return s;
  }
  return {};
}

Status checkVibVersion(Database& db, int expectedVersion) {
  auto id = readIdentity(db);
  if (!id) return id.error();
  if (id->version == 0 && id->applicationId == 0 && id->tables == 0)
    return roam::makeError(roam::ErrorCode::BadInput,
                           db.path() + ": not a VIB: the database is empty");
  if (auto s = checkIdentity(db, *id, expectedVersion); !s) return s;
  if (id->version < expectedVersion)
    return roam::makeError(roam::ErrorCode::Unsupported,
                           db.path() + ": VIB schema version " + std::to_string(id->version) +
                               " is older than this roam's (" + std::to_string(expectedVersion) +
                               "); open it writable once to migrate it");
  return {};
}

}  // namespace roam::runtime
