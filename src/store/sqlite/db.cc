#include "store/sqlite/db.h"

#include <string>
#include <utility>

namespace ghscale::store::sqlite {

Error sqlite_error(int rc, std::string_view path, std::string_view doing, sqlite3* db) {
  const char* detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  std::string message = "store file '" + std::string(path) + "': " + std::string(doing) + ": " + detail;
  ErrorKind kind = ErrorKind::kPermanent;
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      kind = ErrorKind::kRetryable;
      message += " (another process holds the database; retry, or check no stray ghscale is running)";
      break;
    case SQLITE_CONSTRAINT: kind = ErrorKind::kConflict; break;
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
      message += "; the file is damaged or not a ghscale store: move it away and restore a backup, "
                 "or set store.sqlite.path to a new file";
      break;
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_READONLY:
    case SQLITE_AUTH:
      message += "; check that the directory exists and that ghscale may read and write it";
      break;
    case SQLITE_FULL: message += "; the disk is full: free space and retry"; break;
    case SQLITE_IOERR: kind = ErrorKind::kRetryable; break;
    default: break;
  }
  return make_error(kind, std::move(message));
}

Stmt::~Stmt() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

Stmt& Stmt::bind(int i, std::int64_t v) {
  sqlite3_bind_int64(stmt_, i, v);
  return *this;
}

Stmt& Stmt::bind(int i, std::string_view v) {
  sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}

Stmt& Stmt::bind(int i, const std::optional<TimePoint>& t) {
  return t ? bind(i, to_unix_ms(*t)) : bind_null(i);
}

Stmt& Stmt::bind_null(int i) {
  sqlite3_bind_null(stmt_, i);
  return *this;
}

Result<bool> Stmt::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return sqlite_error(rc, path_, "running a statement", sqlite3_db_handle(stmt_));
}

Status Stmt::run() {
  for (;;) {
    auto row = step();
    if (!row) return row.error();
    if (!*row) {
      reset();
      return ok_status();
    }
  }
}

std::string Stmt::text(int col) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
  if (p == nullptr) return {};
  return std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)));
}

std::optional<TimePoint> Stmt::optional_time(int col) const {
  if (sqlite3_column_type(stmt_, col) == SQLITE_NULL) return std::nullopt;
  return time(col);
}

Result<std::unique_ptr<Connection>> Connection::open(const std::string& path, Mode mode, Duration busy_timeout) {
  // NOMUTEX: each Connection is used by one thread at a time (the writer thread, or a
  // reader borrowed from the pool), so SQLite's own per-connection mutex is not needed.
  int flags = SQLITE_OPEN_NOMUTEX;
  flags |= mode == Mode::kReadOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    Error error = sqlite_error(rc, path, "cannot open", db);
    sqlite3_close(db);
    return error;
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, static_cast<int>(busy_timeout.count()));
  return std::unique_ptr<Connection>(new Connection(db, path));
}

Connection::~Connection() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close(db_);
}

Status Connection::exec(const char* sql) {
  char* message = nullptr;
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &message);
  if (rc == SQLITE_OK) return ok_status();
  std::string doing = "executing '" + std::string(sql).substr(0, 60) + "'";
  sqlite3_free(message);
  return sqlite_error(rc, path_, doing, db_);
}

Result<std::unique_ptr<Stmt>> Connection::prepare(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                                      &stmt, nullptr);
    if (rc != SQLITE_OK) return sqlite_error(rc, path_, "preparing a statement", db_);
    it = cache_.emplace(std::string(sql), stmt).first;
  }
  return std::make_unique<Stmt>(it->second, path_);
}

}  // namespace ghscale::store::sqlite
