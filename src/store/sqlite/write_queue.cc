#include "store/sqlite/write_queue.h"

#include <linux/futex.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <semaphore>
#include <utility>

namespace ghscale::store::sqlite {
namespace {

// run()'s write: the caller waits on the semaphore, which finish() releases last.
class BlockingWrite final : public Write {
 public:
  BlockingWrite(WriteQueue::Op op, Status& result, std::binary_semaphore& done)
      : op_(std::move(op)), result_(result), done_(done) {}
  Status apply(Connection& conn) override { return op_(conn); }
  void finish(Status result) override {
    result_ = std::move(result);
    done_.release();  // the caller may return now: nothing of its may be touched after this
  }

 private:
  WriteQueue::Op op_;
  Status& result_;
  std::binary_semaphore& done_;
};

// The writer sleeps on `word` while it still holds `seen`. A plain futex: std::atomic's
// wait() first spins with sched_yield, which on a core shared with the I/O thread costs
// a delivery several context switches for nothing.
void futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t seen) {
  (void)syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAIT_PRIVATE, seen, nullptr, nullptr, 0);
}

void futex_wake(std::atomic<std::uint32_t>& word, int count) {
  (void)syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAKE_PRIVATE, count, nullptr, nullptr, 0);
}

// Weight of the newest batch in the running average the linger adapts to: a few batches
// after a burst ends, lone writes are committed at once again.
constexpr double kNewBatchWeight = 0.25;

}  // namespace

WriteQueue::WriteQueue(std::unique_ptr<Connection> conn, WriteQueueOptions options)
    : conn_(std::move(conn)),
      path_(conn_->path()),
      options_{std::max<std::size_t>(1, options.max_batch), options.max_linger},
      writer_([this] { loop(); }) {}

WriteQueue::~WriteQueue() { stop(); }

Error WriteQueue::closed_error() const {
  return make_error(ErrorKind::kPermanent, "store file '" + path_ + "' is closed");
}

void WriteQueue::submit(Lane lane, std::unique_ptr<Write> write) {
  LaneQueue& q = lane == Lane::kIngest ? ingest_ : general_;
  {
    std::lock_guard lock(q.mu);
    if (!stopping_.load(std::memory_order_relaxed)) {
      q.items.push_back(std::move(write));
    }
  }
  if (write) {  // refused: the queue is stopping
    write->finish(closed_error());
    return;
  }
  wake_writer();
}

void WriteQueue::wake_writer() {
  // Sequentially consistent with the writer's `sleeping_` then `arrivals_` (Dekker): either
  // the writer sees this arrival before it sleeps, or this sees it asleep and wakes it. A
  // busy writer costs the caller no system call.
  arrivals_.fetch_add(1, std::memory_order_seq_cst);
  if (sleeping_.load(std::memory_order_seq_cst)) futex_wake(arrivals_, 1);
}

Status WriteQueue::run(Op op, Lane lane) {
  Status result;
  std::binary_semaphore done{0};
  submit(lane, std::make_unique<BlockingWrite>(std::move(op), result, done));
  done.acquire();
  return result;
}

void WriteQueue::stop() {
  std::lock_guard serial(stop_mu_);
  {
    std::scoped_lock lock(ingest_.mu, general_.mu);
    stopping_.store(true, std::memory_order_release);
  }
  wake_writer();
  if (writer_.joinable() && writer_.get_id() != std::this_thread::get_id()) {
    writer_.join();
    conn_.reset();  // the last connection to the file checkpoints the WAL away
  }
}

void WriteQueue::take(std::vector<std::unique_ptr<Write>>& batch) {
  for (LaneQueue* q : {&ingest_, &general_}) {
    std::lock_guard lock(q->mu);
    const std::size_t room = options_.max_batch - std::min(options_.max_batch, batch.size());
    const std::size_t n = std::min(room, q->items.size());
    std::move(q->items.begin(), q->items.begin() + static_cast<std::ptrdiff_t>(n), std::back_inserter(batch));
    q->items.erase(q->items.begin(), q->items.begin() + static_cast<std::ptrdiff_t>(n));
  }
}

std::chrono::nanoseconds WriteQueue::linger_for(std::size_t have) const {
  // Writes that come alone are committed at once: waiting would only add to their latency.
  if (have >= options_.max_batch || average_batch_ < 2.0 || static_cast<double>(have) >= average_batch_) {
    return std::chrono::nanoseconds::zero();
  }
  // Fewer than usual: more are probably on their way. A quarter of a commit's time
  // costs their senders little and can save a whole fsync.
  return std::min<std::chrono::nanoseconds>(options_.max_linger, last_commit_ / 4);
}

void WriteQueue::loop() {
  // Lingers are tens of microseconds; Linux's default 50 µs timer slack would swamp them.
  (void)prctl(PR_SET_TIMERSLACK, 1000UL, 0UL, 0UL, 0UL);
  std::vector<std::unique_ptr<Write>> batch;
  for (;;) {
    const std::uint32_t seen = arrivals_.load(std::memory_order_seq_cst);
    take(batch);
    if (batch.empty()) {
      if (!stopping_.load(std::memory_order_acquire)) {
        sleeping_.store(true, std::memory_order_seq_cst);
        if (arrivals_.load(std::memory_order_seq_cst) == seen) futex_wait(arrivals_, seen);
        sleeping_.store(false, std::memory_order_relaxed);
        continue;
      }
      take(batch);  // whatever a lane took before stopping_ was set is visible now
      if (batch.empty()) return;
    }
    if (const auto linger = linger_for(batch.size()); linger > std::chrono::nanoseconds::zero()) {
      std::this_thread::sleep_for(linger);
      take(batch);
    }
    average_batch_ = (1 - kNewBatchWeight) * average_batch_ + kNewBatchWeight * static_cast<double>(batch.size());
    // Counted before commit_batch() finishes the writes: a caller that saw its write
    // done must also see it counted.
    batches_.fetch_add(1, std::memory_order_relaxed);
    writes_.fetch_add(batch.size(), std::memory_order_relaxed);
    const auto started = std::chrono::steady_clock::now();
    commit_batch(batch);
    last_commit_ = std::chrono::steady_clock::now() - started;
    batch.clear();
  }
}

void WriteQueue::commit_batch(std::vector<std::unique_ptr<Write>>& batch) {
  std::vector<Status> results(batch.size());
  // IMMEDIATE takes the write lock up front (waiting up to busy_timeout for another
  // process), so read-modify-write ops such as leases are atomic across processes.
  auto begin = conn_->prepare("BEGIN IMMEDIATE");
  Status began = begin ? (*begin)->run() : Status(begin.error());
  if (!began) {
    for (auto& w : batch) w->finish(began);
    return;
  }
  auto savepoint = conn_->prepare("SAVEPOINT op");
  auto release = conn_->prepare("RELEASE op");
  auto rollback_to = conn_->prepare("ROLLBACK TO op");
  bool any_ok = false;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    Status& result = results[i];
    if (!savepoint || !release || !rollback_to) {
      result = !savepoint ? savepoint.error() : !release ? release.error() : rollback_to.error();
      continue;
    }
    if (result = (*savepoint)->run(); !result) continue;
    result = batch[i]->apply(*conn_);
    if (!result) (void)(*rollback_to)->run();
    (void)(*release)->run();
    any_ok = any_ok || result.ok();
  }
  Status commit = any_ok ? conn_->exec("COMMIT") : conn_->exec("ROLLBACK");
  if (!commit) {
    (void)conn_->exec("ROLLBACK");
    for (auto& result : results) {
      if (result) result = commit;
    }
  }
  for (std::size_t i = 0; i < batch.size(); ++i) batch[i]->finish(std::move(results[i]));
}

}  // namespace ghscale::store::sqlite
