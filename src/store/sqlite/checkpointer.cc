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

int Checkpointer::on_commit(void* self, sqlite3*, const char*, int wal_pages) {
  // On the writer's thread, right after its commit: only a flag, never the checkpoint.
  auto* c = static_cast<Checkpointer*>(self);
  {
    std::lock_guard lock(c->mu_);
    if (wal_pages < kCheckpointPages) {
      c->asked_at_ = 0;  // the WAL started over
      return SQLITE_OK;
    }
    if (c->due_ || c->stopping_) return SQLITE_OK;
    if (c->asked_at_ != 0 && wal_pages >= c->asked_at_ && wal_pages < c->asked_at_ + kCheckpointStep) return SQLITE_OK;
    c->asked_at_ = wal_pages;
    c->due_ = true;
    c->restart_ = wal_pages >= kRestartPages;
  }
  c->wake_.notify_one();
  return SQLITE_OK;
}

void Checkpointer::loop() {
  for (;;) {
    bool restart = false;
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [this] { return due_ || stopping_; });
      if (stopping_) return;
      restart = restart_;
    }
    // PASSIVE copies what no reader still needs and never waits for a lock; what it could
    // not copy is taken by the next one. RESTART (a WAL grown long because passive ones
    // never caught the writer) waits for the writer's current commit, holds the next one
    // while it copies, and so lets the WAL start over.
    if (Status s = conn_->exec(restart ? "PRAGMA wal_checkpoint(RESTART)" : "PRAGMA wal_checkpoint(PASSIVE)"); !s) {
      log::warn("store: WAL checkpoint failed; the next commit past the threshold retries",
                {{"error", s.error().message}});
    }
    checkpoints_.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard lock(mu_);
    due_ = false;
  }
}

}  // namespace ghscale::store::sqlite
