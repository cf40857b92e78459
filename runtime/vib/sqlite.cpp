#include "runtime/vib/sqlite.hpp"

#include <sqlite3.h>

namespace roam::runtime::sqlite {

void Statement::Finalizer::operator()(sqlite3_stmt* s) const {
  sqlite3_finalize(s);
}

void Statement::noteBindError(int rc) {
  if (!db_) return;  // not prepared: step() reports it
  // Keep the first error: later binds often fail only because of it.
  if (rc != SQLITE_OK && error_.empty())
    error_ = db_->errorMessage(std::string("bind: ") + sqlite3_errstr(rc));
}

Statement& Statement::bind(int index, double value) {
  if (stmt_) noteBindError(sqlite3_bind_double(stmt_.get(), index, value));
  return *this;
}

Statement& Statement::bind(int index, std::int64_t value) {
  if (stmt_) noteBindError(sqlite3_bind_int64(stmt_.get(), index, value));
  return *this;
}

Statement& Statement::bind(int index, std::string_view value) {
  if (stmt_)
    noteBindError(sqlite3_bind_text64(stmt_.get(), index, value.data(), value.size(),
                                      SQLITE_TRANSIENT, SQLITE_UTF8));
  return *this;
}

Statement& Statement::bindNull(int index) {
  if (stmt_) noteBindError(sqlite3_bind_null(stmt_.get(), index));
  return *this;
}

Statement::Step Statement::step() {
  if (!stmt_) {
    error_ = "statement was not prepared";
    return Step::error;
  }
  if (!error_.empty()) return Step::error;
  const int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return Step::row;
  if (rc == SQLITE_DONE) return Step::done;
  error_ = db_->errorMessage();
  return Step::error;
}

Status Statement::run() {
  Step s;
  while ((s = step()) == Step::row) {
  }
  Status status = s == Step::error ? Status(failure(error_)) : Status();
  reset();
  return status;
}

void Statement::reset() {
  if (stmt_) {
    sqlite3_reset(stmt_.get());
    sqlite3_clear_bindings(stmt_.get());
  }
  error_.clear();
}

bool Statement::isNull(int column) const {
  return sqlite3_column_type(stmt_.get(), column) == SQLITE_NULL;
}

double Statement::getDouble(int column) const {
  return sqlite3_column_double(stmt_.get(), column);
}

std::int64_t Statement::getInt(int column) const {
  return sqlite3_column_int64(stmt_.get(), column);
}

std::string Statement::getText(int column) const {
  const auto* text = sqlite3_column_text(stmt_.get(), column);
  if (!text) return {};
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<std::size_t>(sqlite3_column_bytes(stmt_.get(), column)));
}

std::optional<double> Statement::getOptionalDouble(int column) const {
  if (isNull(column)) return std::nullopt;
  return getDouble(column);
}

void Database::Closer::operator()(sqlite3* db) const {
  // v2 defers the close until every statement is finalized, so the order in
  // which owners are destroyed does not matter.
  sqlite3_close_v2(db);
}

Result<std::unique_ptr<Database>> Database::open(const std::string& path, Mode mode,
                                                 int busyTimeoutMs) {
  int flags = SQLITE_OPEN_NOMUTEX;  // callers serialise access (see Vib)
  switch (mode) {
    case Mode::readOnly:
      flags |= SQLITE_OPEN_READONLY;
      break;
    case Mode::readWrite:
      flags |= SQLITE_OPEN_READWRITE;
      break;
    case Mode::readWriteCreate:
      flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
      break;
  }
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  // sqlite3_open_v2 may hand back a handle even on failure; own it either way.
  std::unique_ptr<Database> db(new Database(raw, path));
  if (rc != SQLITE_OK) {
    std::string message = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    return failure(path + ": cannot open: " + message);
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, busyTimeoutMs);
  return db;
}

Status Database::exec(const std::string& sql) {
  char* message = nullptr;
  const int rc = sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, &message);
  if (rc == SQLITE_OK) return {};
  std::string text = message ? message : sqlite3_errstr(rc);
  sqlite3_free(message);
  return failure(path_ + ": " + text);
}

Result<Statement> Database::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return failure(errorMessage());
  }
  return Statement(stmt, this);
}

Result<std::int64_t> Database::queryInt(std::string_view sql) {
  auto prepared = prepare(sql);
  if (!prepared) return prepared.error();
  auto& st = *prepared;
  switch (st.step()) {
    case Statement::Step::row:
      return st.getInt(0);
    case Statement::Step::done:
      return failure(path_ + ": no result from: " + std::string(sql));
    case Statement::Step::error:
      break;
  }
  return failure(st.error());
}

std::string Database::errorMessage(std::string_view what) const {
  std::string out = path_ + ": ";
  if (!what.empty()) return out + std::string(what);
  return out + sqlite3_errmsg(db_.get());
}

bool Database::readOnly() const {
  return sqlite3_db_readonly(db_.get(), "main") == 1;
}

Result<Transaction> Transaction::begin(Database& db, Kind kind) {
  auto status = db.exec(kind == Kind::immediate ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED");
  if (!status) return status.error();
  return Transaction(&db);
}

Transaction::~Transaction() {
  rollback();
}

Status Transaction::commit() {
  if (!db_) return failure("transaction already finished");
  auto status = db_->exec("COMMIT");
  // A failed COMMIT (e.g. SQLITE_BUSY) leaves the transaction open; the
  // destructor's rollback then ends it.
  if (status) db_ = nullptr;
  return status;
}

void Transaction::rollback() {
  if (!db_) return;
  // Errors are ignored: SQLite may already have rolled back on its own (e.g.
  // after SQLITE_FULL), and there is nothing better to do in a destructor.
  (void)db_->exec("ROLLBACK");
  db_ = nullptr;
}

}  // namespace roam::runtime::sqlite
