// The embedded default Store: one SQLite file in WAL mode. Writes go through a single
// writer thread that commits whatever is queued as one durable transaction (group commit);
// record_async() queues a delivery and returns, its completion runs on that thread;
// reads use a pool of separate connections and never wait for the writer. Several
// processes may open the same file: writes take the file's write lock (BEGIN IMMEDIATE),
// so leases stay exclusive across processes.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "core/clock.h"
#include "core/error.h"
#include "store/store.h"

namespace ghscale::store {

struct SqliteOptions {
  std::shared_ptr<Clock> clock;  // for retention; nullptr = the system clock
  // true: every acknowledged write is fsynced (synchronous=FULL). false trades the last
  // moments before a power loss (not a process crash) for speed; for throwaway stores.
  bool durable = true;
  // How long a write waits for another process holding the file's write lock.
  Duration busy_timeout{std::chrono::seconds(5)};
  // Most writes committed together in one transaction.
  std::size_t max_batch = 2048;
  // Longest a batch waits for more writes when recent batches held several; zero commits
  // whatever is queued at once. A write that comes alone never waits.
  std::chrono::microseconds max_linger{200};
};

// Opens or creates the store at `path`, migrating an older schema. Refuses, with an error
// naming the file and what to do and without changing it: a file that is not an SQLite
// database or is damaged (kPermanent), a newer schema or another application's database
// (kInvalid), a path that cannot be opened (kPermanent).
Result<std::unique_ptr<Store>> open_sqlite_store(const std::string& path, const SqliteOptions& options = {});

}  // namespace ghscale::store
