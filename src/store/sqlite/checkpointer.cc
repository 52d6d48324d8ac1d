#include "store/sqlite/checkpointer.h"

#include <utility>

#include "core/log.h"

namespace ghscale::store::sqlite {

Result<std::unique_ptr<Checkpointer>> Checkpointer::start(const std::string& path, Duration busy_timeout,
                                                          sqlite3* writer) {
  auto conn = Connection::open(path, Connection::Mode::kReadWrite, busy_timeout);
  if (!conn) return conn.error();
  std::unique_ptr<Checkpointer> c(new Checkpointer(std::move(*conn)));
  sqlite3_wal_hook(writer, &Checkpointer::on_commit, c.get());
  return c;
}

Checkpointer::Checkpointer(std::unique_ptr<Connection> conn) : conn_(std::move(conn)), thread_([this] { loop(); }) {}

Checkpointer::~Checkpointer() { stop(); }

void Checkpointer::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
  conn_.reset();
}

int Checkpointer::on_commit(void* self, sqlite3* db, const char*, int wal_pages) {
  // On the writer's thread, right after its commit (its write lock released).
  auto* c = static_cast<Checkpointer*>(self);
  {
    std::lock_guard lock(c->mu_);
    if (wal_pages < kCheckpointPages) {
      c->asked_at_ = 0;  // the WAL started over
      return SQLITE_OK;
    }
    if (c->stopping_) return SQLITE_OK;
    if (c->asked_at_ != 0 && wal_pages >= c->asked_at_ && wal_pages < c->asked_at_ + kCheckpointStep) return SQLITE_OK;
    if (wal_pages < kRestartPages) {
      // A passive one beside the writer: only a flag here, never the checkpoint.
      if (c->due_) return SQLITE_OK;
      c->asked_at_ = wal_pages;
      c->due_ = true;
      c->wake_.notify_one();
      return SQLITE_OK;
    }
    c->asked_at_ = wal_pages;
  }
  // Passive checkpoints never caught a writer that never pauses. A RESTART on the thread
  // beside it had to win the write lock between two commits, and could lose that race for
  // as long as the commits came (the WAL grew to 100 MB in a test): run here, between the
  // writer's own commits, it needs no race. The writer waits for this one checkpoint
  // (milliseconds) and its next commit starts the WAL over; if a reader holds it up past
  // the busy timeout, the next kCheckpointStep pages try again.
  if (const int rc = sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_RESTART, nullptr, nullptr); rc != SQLITE_OK) {
    log::warn("store: RESTART checkpoint failed; tried again after more commits", {{"error", std::string(sqlite3_errstr(rc))}});
  }
  c->checkpoints_.fetch_add(1, std::memory_order_relaxed);
  return SQLITE_OK;
}

void Checkpointer::loop() {
  for (;;) {
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [this] { return due_ || stopping_; });
      if (stopping_) return;
    }
    // PASSIVE copies what no reader still needs and never waits for a lock; what it could
    // not copy is taken by the next one (or by the writer's RESTART, on_commit).
    if (Status s = conn_->exec("PRAGMA wal_checkpoint(PASSIVE)"); !s) {
      log::warn("store: WAL checkpoint failed; the next commit past the threshold retries",
                {{"error", s.error().message}});
    }
    checkpoints_.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard lock(mu_);
    due_ = false;
  }
}

}  // namespace ghscale::store::sqlite
