// Deliveries written to DynamoDB without holding the caller's thread (Store::record_async).
// Events are sharded by job id over a few writer threads: one job's events always go to
// one writer, in arrival order, so this process never races itself for a job item (other
// processes still may: the store's compare-and-set handles them). A writer takes what
// waits on it, at most kMaxTake events, and hands each job's events to `apply` together:
// the store marks each delivery, then merges them all into the job item with one read and
// one conditional write, where one event at a time cost a read and a write apiece.
// Everything queued is bounded; past the bound a delivery is refused at once (the webhook
// answers 503 and GitHub delivers it again), never buffered without limit.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "store/store.h"

namespace ghscale::store::ddb {

class IngestQueue {
 public:
  // One result per event, in order; the events all have one job id.
  using Apply = std::function<std::vector<Result<RecordOutcome>>(const std::vector<const JobEvent*>& one_job)>;
  static constexpr std::size_t kMaxTake = 64;

  IngestQueue(std::size_t shards, std::size_t max_pending, Apply apply);
  ~IngestQueue();  // stop()
  IngestQueue(const IngestQueue&) = delete;
  IngestQueue& operator=(const IngestQueue&) = delete;

  // `done` is called exactly once: after the write (from a writer thread), or at once with
  // kRetryable when max_pending events wait already or the queue is stopped. `event`
  // must stay valid until then. Writer threads start with the first event.
  void submit(const JobEvent& event, Store::RecordDone done);
  // Writes what is queued, then ends the writers; later submits are refused. Idempotent.
  void stop();
  std::size_t pending() const { return pending_.load(std::memory_order_relaxed); }

 private:
  struct Item {
    const JobEvent* event;
    Store::RecordDone done;
  };
  struct Shard {
    std::mutex mu;
    std::condition_variable wake;
    std::deque<Item> items;  // guarded by mu
    std::thread thread;
  };

  void start_locked();  // under start_mu_
  void run(Shard& shard);
  void write(std::vector<Item>& batch);

  const std::size_t max_pending_;
  const Apply apply_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::atomic<std::size_t> pending_{0};
  std::mutex start_mu_;
  bool started_ = false;   // guarded by start_mu_
  bool stopping_ = false;  // guarded by start_mu_ (and read under a shard's mu after set)
  std::atomic<bool> stopped_{false};
};

}  // namespace ghscale::store::ddb
