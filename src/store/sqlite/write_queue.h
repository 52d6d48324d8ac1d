// Group commit: callers hand writes to one writer thread, which runs everything queued
// in a single transaction and one fsync, then wakes each caller. Durability then costs
// one fsync per batch instead of one per write, so it does not cap throughput.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <semaphore>
#include <thread>
#include <utility>

#include "core/error.h"
#include "store/sqlite/db.h"

namespace ghscale::store::sqlite {

class WriteQueue {
 public:
  // A write: runs on the writer thread inside the batch transaction, under its own
  // savepoint, so an op that fails is rolled back alone. Outputs go to variables the op
  // captured by reference; the caller reads them only after run() returned ok, which is
  // after the commit.
  using Op = std::function<Status(Connection&)>;

  WriteQueue(std::unique_ptr<Connection> conn, std::size_t max_batch);
  ~WriteQueue();  // stop()
  WriteQueue(const WriteQueue&) = delete;
  WriteQueue& operator=(const WriteQueue&) = delete;

  // Blocks until the batch holding `op` committed (ok: durable) or failed. Returns the
  // op's own error, or the commit's. Fails with kPermanent after stop().
  Status run(Op op);
  // Finishes the queued writes, then closes the connection. Idempotent.
  void stop();

 private:
  // Shared with the writer, so the writer may still be waking the caller while the
  // caller returns.
  struct Pending {
    explicit Pending(Op o) : op(std::move(o)) {}
    Op op;
    Status result;
    std::binary_semaphore done{0};
  };
  void loop();
  void commit_batch(std::deque<std::shared_ptr<Pending>>& batch);

  // Constant after construction; conn_ is used only by the writer thread.
  const std::unique_ptr<Connection> conn_;
  const std::size_t max_batch_;

  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::shared_ptr<Pending>> queue_;  // guarded by mu_
  bool stopping_ = false;       // guarded by mu_
  std::thread writer_;
};

}  // namespace ghscale::store::sqlite
