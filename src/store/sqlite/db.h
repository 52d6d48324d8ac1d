// Thin RAII over the SQLite C API for the store: a connection with a cache of prepared
// statements, a statement handle that resets itself, and SQLite result codes mapped to
// the closed ErrorKind with messages that name the file. Private to src/store/sqlite.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/error.h"

namespace ghscale::store::sqlite {

// Maps an SQLite result code to an Error: "store file '<path>': <doing>: <sqlite text>".
Error sqlite_error(int rc, std::string_view path, std::string_view doing, sqlite3* db = nullptr);

// A prepared statement borrowed from a Connection's cache. Binding is 1-based as in SQLite,
// columns 0-based. The destructor resets it so the next user starts clean and no read
// transaction stays open.
class Stmt {
 public:
  Stmt(sqlite3_stmt* stmt, std::string_view path) : stmt_(stmt), path_(path) {}
  ~Stmt();
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& bind(int i, std::int64_t v);
  Stmt& bind(int i, std::string_view v);
  Stmt& bind(int i, TimePoint t) { return bind(i, to_unix_ms(t)); }
  Stmt& bind(int i, const std::optional<TimePoint>& t);
  Stmt& bind_null(int i);

  // true: a row is ready; false: done. Errors name the file.
  Result<bool> step();
  // Runs to completion, ignoring rows, and resets.
  Status run();
  void reset() { sqlite3_reset(stmt_); }

  std::int64_t int64(int col) const { return sqlite3_column_int64(stmt_, col); }
  std::string text(int col) const;
  TimePoint time(int col) const { return from_unix_ms(int64(col)); }
  std::optional<TimePoint> optional_time(int col) const;

 private:
  sqlite3_stmt* stmt_;
  std::string_view path_;
};

class Connection {
 public:
  enum class Mode { kReadWrite, kReadOnly };
  // Opens (creating when kReadWrite) without touching the file's contents.
  static Result<std::unique_ptr<Connection>> open(const std::string& path, Mode mode, Duration busy_timeout);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // One or more statements, no results.
  Status exec(const char* sql);
  // A cached prepared statement for `sql` (a string literal, or any text that outlives
  // nothing: the cache keys on its contents).
  Result<std::unique_ptr<Stmt>> prepare(std::string_view sql);
  std::int64_t changes() const { return sqlite3_changes64(db_); }
  const std::string& path() const { return path_; }
  sqlite3* raw() { return db_; }

 private:
  Connection(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_;
  std::string path_;
  std::map<std::string, sqlite3_stmt*, std::less<>> cache_;
};

}  // namespace ghscale::store::sqlite
