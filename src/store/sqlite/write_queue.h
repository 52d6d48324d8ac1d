// Group commit: writes are handed to one writer thread, which runs everything queued in a
// single transaction and one fsync, then completes each write. Durability then costs one
// fsync per batch instead of one per write, so it does not cap throughput.
//
// Nothing waits per write: submit() returns at once and the writer calls the write's
// finish() after the commit (run() is the blocking form, for callers that want it). There
// are two lanes, each behind its own lock held only to append or take pointers: webhook
// ingestion never waits on a lock that the scaler's or the CLI's writes take.
//
// A batch closes when max_batch writes are in it, or as soon as the writer is free when
// writes come alone (a lone delivery is never delayed). When recent batches held several
// writes, a batch found smaller than usual waits a few microseconds for more (at most
// max_linger, a quarter of the last commit's time) so that one fsync covers more of them.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"
#include "store/sqlite/db.h"

namespace ghscale::store::sqlite {

// One write handed to the queue.
class Write {
 public:
  virtual ~Write() = default;
  // On the writer thread inside the batch transaction, under its own savepoint, so a
  // write that fails is rolled back alone.
  virtual Status apply(Connection& conn) = 0;
  // Exactly once, on the writer thread, after the batch committed (ok: durable) or failed
  // (the write's own error, or the commit's). Must not block: it holds up the batch.
  virtual void finish(Status result) = 0;
};

struct WriteQueueOptions {
  std::size_t max_batch = 2048;  // most writes in one transaction
  // Longest a batch waits for more writes under load; zero commits whatever is queued.
  std::chrono::microseconds max_linger{200};
};

class WriteQueue {
 public:
  enum class Lane { kIngest, kGeneral };
  using Op = std::function<Status(Connection&)>;

  WriteQueue(std::unique_ptr<Connection> conn, WriteQueueOptions options);
  ~WriteQueue();  // stop()
  WriteQueue(const WriteQueue&) = delete;
  WriteQueue& operator=(const WriteQueue&) = delete;

  // Queues `write` and returns. After stop(), finishes it at once on the caller's thread
  // with kPermanent.
  void submit(Lane lane, std::unique_ptr<Write> write);
  // Blocks until the batch holding `op` committed (ok: durable) or failed. Returns the
  // op's own error, or the commit's. Outputs go to variables the op captured by
  // reference; the caller reads them after run() returned. Fails with kPermanent after stop().
  Status run(Op op, Lane lane = Lane::kGeneral);
  // Finishes the queued writes, then closes the connection. Idempotent.
  void stop();

  // How many batches were committed and how many writes they held (for tests and metrics).
  std::uint64_t batches() const { return batches_.load(std::memory_order_relaxed); }
  std::uint64_t writes() const { return writes_.load(std::memory_order_relaxed); }

 private:
  struct LaneQueue {
    std::mutex mu;
    std::vector<std::unique_ptr<Write>> items;  // guarded by mu
  };
  void loop();
  // Moves what both lanes hold into `batch`, up to max_batch.
  void take(std::vector<std::unique_ptr<Write>>& batch);
  std::chrono::nanoseconds linger_for(std::size_t have) const;
  void commit_batch(std::vector<std::unique_ptr<Write>>& batch);
  Error closed_error() const;
  void wake_writer();  // after an append or stop

  // Used only by the writer thread, and closed by stop() once it has ended.
  std::unique_ptr<Connection> conn_;
  // Constant after construction.
  const std::string path_;
  const WriteQueueOptions options_;

  LaneQueue ingest_;
  LaneQueue general_;
  // Set under both lanes' locks, so a write either is in a lane before it or is refused.
  std::atomic<bool> stopping_{false};
  // Bumped after every append; the idle writer sleeps on it (a futex, no lock), saying so
  // in sleeping_ so that appends to a busy writer make no system call.
  std::atomic<std::uint32_t> arrivals_{0};
  std::atomic<bool> sleeping_{false};
  std::mutex stop_mu_;  // serialises stop()

  // Writer thread only: what the linger adapts to.
  double average_batch_ = 1.0;
  std::chrono::nanoseconds last_commit_{};

  std::atomic<std::uint64_t> batches_{0};
  std::atomic<std::uint64_t> writes_{0};
  std::thread writer_;  // last: starts once everything above is built
};

}  // namespace ghscale::store::sqlite
