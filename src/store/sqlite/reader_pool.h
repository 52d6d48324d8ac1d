// Read connections for the SQLite store, one per concurrent reader: in WAL mode readers
// see the last commit without waiting for the writer. Connections are opened on demand
// and kept for reuse. Thread-safe.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/error.h"
#include "store/sqlite/db.h"

namespace ghscale::store::sqlite {

class ReaderPool {
 public:
  // Gives the connection back to the pool when it goes out of scope.
  class Borrowed {
   public:
    Borrowed(ReaderPool* pool, std::unique_ptr<Connection> conn) : pool_(pool), conn_(std::move(conn)) {}
    ~Borrowed();
    Borrowed(Borrowed&&) = default;
    Borrowed& operator=(Borrowed&&) = delete;
    Connection& operator*() { return *conn_; }

   private:
    ReaderPool* pool_;
    std::unique_ptr<Connection> conn_;
  };

  ReaderPool(std::string path, Duration busy_timeout) : path_(std::move(path)), busy_timeout_(busy_timeout) {}

  Result<Borrowed> borrow();
  // Closes the idle connections (the store calls it once no reader is in flight).
  void clear();

 private:
  void give_back(std::unique_ptr<Connection> conn);

  // Constant after construction.
  const std::string path_;
  const Duration busy_timeout_;

  std::mutex mu_;
  std::vector<std::unique_ptr<Connection>> idle_;  // guarded by mu_
};

}  // namespace ghscale::store::sqlite
