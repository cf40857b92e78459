#pragma once
// The VIB's schema as an ordered list of migrations. Migration N turns a
// database at schema version N-1 into version N; the version is SQLite's
// `PRAGMA user_version` and a VIB is marked by `PRAGMA application_id`.
// To change the schema, append a migration (never edit a shipped one).

#include <cstdint>
#include <span>
#include <string_view>

#include "runtime/vib/sqlite.hpp"

namespace roam::runtime {

struct Migration {
  int version;               // the version this migration produces
  std::string_view summary;  // one line, for docs and errors
  std::string_view sql;      // run inside the migration's transaction
};

// 'ROAM' in ASCII: tells a VIB apart from any other SQLite file.
inline constexpr std::int32_t kVibApplicationId = 0x524f414d;

// Every migration roam knows, ascending by version (1, 2, ...).
std::span<const Migration> vibMigrations();

// The version vibMigrations() ends at.
int latestVibSchemaVersion();

// Checks that `db` is a VIB (or an empty database) at a version no newer than
// the last of `migrations`, then applies the missing ones in order, each in
// its own IMMEDIATE transaction together with its version bump, so a crash
// leaves the database at a whole version. Safe against concurrent openers:
// the version is re-read once the write lock is held. `migrations` must be
// numbered 1..N without gaps.
sqlite::Status migrateVib(sqlite::Database& db, std::span<const Migration> migrations);

// Checks without writing: a VIB at exactly `expectedVersion` (for read-only
// opens, which cannot migrate).
sqlite::Status checkVibVersion(sqlite::Database& db, int expectedVersion);

}  // namespace roam::runtime
