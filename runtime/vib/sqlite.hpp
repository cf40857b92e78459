#pragma once
// RAII wrappers for SQLite: a connection, prepared statements with bind
// helpers, and transactions that roll back unless committed. Every failure is
// a value naming the database file and SQLite's message; nothing here throws
// or aborts on a corrupt, locked or read-only file.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/result.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace roam::runtime::sqlite {

// Failures are roam::Error values (common/result.hpp); their message names the
// database file ("PATH: message").
using roam::Result;
using roam::Status;

// A failure reading or writing the database: ErrorCode::Io with MESSAGE.
inline roam::Error failure(std::string message) {
  return {roam::ErrorCode::Io, std::move(message)};
}

class Database;

// A prepared statement. Parameters are 1-based, as in SQL's ?1, ?2.
class Statement {
 public:
  enum class Step { row, done, error };

  Statement() = default;
  bool valid() const { return stmt_ != nullptr; }

  Statement& bind(int index, double value);
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
  Statement& bind(int index, bool value) { return bind(index, value ? 1 : 0); }
  // The text is copied (SQLITE_TRANSIENT), so temporaries are fine.
  Statement& bind(int index, std::string_view value);
  Statement& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
  Statement& bind(int index, const std::string& value) {
    return bind(index, std::string_view(value));
  }
  Statement& bindNull(int index);
  template <typename T>
  Statement& bind(int index, const std::optional<T>& value) {
    return value ? bind(index, *value) : bindNull(index);
  }
  // Binds every argument in order, from ?1.
  template <typename... Args>
  Statement& bindAll(const Args&... args) {
    int i = 0;
    (bind(++i, args), ...);
    return *this;
  }

  // A failed bind is remembered and reported by the next step().
  Step step();
  // Runs to completion (for statements without results) and resets.
  Status run();
  // bindAll + run.
  template <typename... Args>
  Status run(const Args&... args) {
    bindAll(args...);
    return run();
  }
  // Ready for new bindings; keeps the compiled statement.
  void reset();

  // The error of the last step() that returned Step::error.
  const std::string& error() const { return error_; }

  bool isNull(int column) const;
  double getDouble(int column) const;
  std::int64_t getInt(int column) const;
  std::string getText(int column) const;
  std::optional<double> getOptionalDouble(int column) const;

 private:
  friend class Database;
  struct Finalizer {
    void operator()(sqlite3_stmt* s) const;
  };
  Statement(sqlite3_stmt* stmt, Database* db) : stmt_(stmt), db_(db) {}
  void noteBindError(int rc);

  std::unique_ptr<sqlite3_stmt, Finalizer> stmt_;
  Database* db_ = nullptr;
  std::string error_;
};

class Database {
 public:
  enum class Mode {
    readOnly,         // the file must exist; no writes
    readWrite,        // the file must exist
    readWriteCreate,  // created when missing
  };

  // Opens `path` with extended result codes and a busy timeout, so a
  // concurrent writer makes us wait instead of failing at once.
  static Result<std::unique_ptr<Database>> open(const std::string& path, Mode mode,
                                                int busyTimeoutMs = 5000);

  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs one or more statements without results.
  Status exec(const std::string& sql);
  Result<Statement> prepare(std::string_view sql);
  // The single value of a one-row, one-column query (e.g. PRAGMA user_version).
  Result<std::int64_t> queryInt(std::string_view sql);

  // "PATH: MESSAGE" with SQLite's latest message on this connection.
  std::string errorMessage(std::string_view what = {}) const;
  const std::string& path() const { return path_; }
  bool readOnly() const;
  sqlite3* handle() const { return db_.get(); }

 private:
  struct Closer {
    void operator()(sqlite3* db) const;
  };
  Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

  std::unique_ptr<sqlite3, Closer> db_;
  std::string path_;
};

// A transaction that rolls back on scope exit unless commit() succeeded.
class Transaction {
 public:
  enum class Kind {
    deferred,   // for reads: a consistent snapshot from the first read on (WAL)
    immediate,  // for writes: takes the write lock now, so we never fail halfway
  };

  static Result<Transaction> begin(Database& db, Kind kind);

  Transaction(Transaction&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();

  Status commit();
  void rollback();

 private:
  explicit Transaction(Database* db) : db_(db) {}
  Database* db_;  // null once committed or rolled back
};

}  // namespace roam::runtime::sqlite
