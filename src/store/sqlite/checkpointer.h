// Moves the WAL's pages into the database file on a thread of its own. SQLite's automatic
// checkpoint runs inside the commit that crosses its threshold: that commit copies pages
// and fsyncs the database file, and every delivery of its batch waits milliseconds more.
// Here the writer's commit only notes the WAL's size; a passive checkpoint (which never
// blocks the writer or readers) runs beside it once the WAL holds kCheckpointPages, again
// every kCheckpointStep pages while it stays that long; and when a writer that never pauses
// has let it reach kRestartPages, the writer itself runs one RESTART checkpoint between
// two of its commits, so that the WAL starts over.
#pragma once

#include <sqlite3.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/clock.h"
#include "core/error.h"
#include "store/sqlite/db.h"

namespace ghscale::store::sqlite {

class Checkpointer {
 public:
  // SQLite's own default threshold (wal_autocheckpoint).
  static constexpr int kCheckpointPages = 1000;
  // Past the threshold, asked again only once the WAL has grown this much more: a passive
  // checkpoint running beside a busy writer rarely catches its last frames, so the WAL
  // stays past the threshold, and asking on every commit made a checkpoint (two fsyncs,
  // contending with the commit's own) per delivery.
  static constexpr int kCheckpointStep = 256;
  // A WAL this long is checkpointed with RESTART, by the writer between two commits: it
  // waits for that one checkpoint (milliseconds), and the next commit starts the WAL over
  // instead of growing it.
  static constexpr int kRestartPages = 8 * kCheckpointPages;

  // Opens its own connection to `path` and takes over `writer`'s WAL hook (which turns
  // the writer's automatic checkpoints off). `writer` must not commit concurrently with
  // this call. The object must outlive every commit on `writer`.
  static Result<std::unique_ptr<Checkpointer>> start(const std::string& path, Duration busy_timeout, sqlite3* writer);
  ~Checkpointer();
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // Ends the thread and closes its connection (so the writer's can be the file's last, and
  // remove the WAL); later commits are only noted. Idempotent.
  void stop();
  std::uint64_t checkpoints() const { return checkpoints_.load(std::memory_order_relaxed); }

 private:
  explicit Checkpointer(std::unique_ptr<Connection> conn);
  static int on_commit(void* self, sqlite3* db, const char* name, int wal_pages);
  void loop();

  std::unique_ptr<Connection> conn_;  // the thread's; closed by stop()
  std::mutex mu_;
  std::condition_variable wake_;
  bool due_ = false;       // guarded by mu_
  int asked_at_ = 0;       // guarded by mu_: WAL pages when a checkpoint was last asked for
  bool stopping_ = false;  // guarded by mu_
  std::atomic<std::uint64_t> checkpoints_{0};
  std::thread thread_;
};

}  // namespace ghscale::store::sqlite
