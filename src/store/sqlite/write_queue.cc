#include "store/sqlite/write_queue.h"

#include <utility>

namespace ghscale::store::sqlite {

WriteQueue::WriteQueue(std::unique_ptr<Connection> conn, std::size_t max_batch)
    : conn_(std::move(conn)), max_batch_(max_batch == 0 ? 1 : max_batch), writer_([this] { loop(); }) {}

WriteQueue::~WriteQueue() { stop(); }

Status WriteQueue::run(Op op) {
  auto pending = std::make_shared<Pending>(std::move(op));
  {
    std::lock_guard lock(mu_);
    if (stopping_) {
      return make_error(ErrorKind::kPermanent, "store file '" + conn_->path() + "' is closed");
    }
    queue_.push_back(pending);
  }
  wake_.notify_one();
  pending->done.acquire();
  return pending->result;
}

void WriteQueue::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !writer_.joinable()) return;
    stopping_ = true;
  }
  wake_.notify_one();
  if (writer_.joinable() && writer_.get_id() != std::this_thread::get_id()) writer_.join();
}

void WriteQueue::loop() {
  std::deque<std::shared_ptr<Pending>> batch;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and every accepted write is done
      while (!queue_.empty() && batch.size() < max_batch_) {
        batch.push_back(queue_.front());
        queue_.pop_front();
      }
    }
    commit_batch(batch);
    batch.clear();
  }
}

void WriteQueue::commit_batch(std::deque<std::shared_ptr<Pending>>& batch) {
  // IMMEDIATE takes the write lock up front (waiting up to busy_timeout for another
  // process), so read-modify-write ops such as leases are atomic across processes.
  Status begin = conn_->exec("BEGIN IMMEDIATE");
  if (!begin) {
    for (const auto& p : batch) {
      p->result = begin;
      p->done.release();
    }
    return;
  }
  auto savepoint = conn_->prepare("SAVEPOINT op");
  auto release = conn_->prepare("RELEASE op");
  auto rollback_to = conn_->prepare("ROLLBACK TO op");
  bool any_ok = false;
  for (const auto& p : batch) {
    if (!savepoint || !release || !rollback_to) {
      p->result = !savepoint ? savepoint.error() : !release ? release.error() : rollback_to.error();
      continue;
    }
    if (auto s = (*savepoint)->run(); !s) {
      p->result = s;
      continue;
    }
    p->result = p->op(*conn_);
    if (!p->result) (void)(*rollback_to)->run();
    (void)(*release)->run();
    any_ok = any_ok || p->result.ok();
  }
  Status commit = any_ok ? conn_->exec("COMMIT") : conn_->exec("ROLLBACK");
  if (!commit) {
    (void)conn_->exec("ROLLBACK");
    for (const auto& p : batch) {
      if (p->result) p->result = commit;
    }
  }
  for (const auto& p : batch) p->done.release();
}

}  // namespace ghscale::store::sqlite
