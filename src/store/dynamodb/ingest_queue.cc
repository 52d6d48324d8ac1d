#include "store/dynamodb/ingest_queue.h"

#include <map>
#include <utility>

namespace ghscale::store::ddb {

IngestQueue::IngestQueue(std::size_t shards, std::size_t max_pending, Apply apply)
    : max_pending_(std::max<std::size_t>(1, max_pending)), apply_(std::move(apply)) {
  for (std::size_t i = 0; i < std::max<std::size_t>(1, shards); ++i) shards_.push_back(std::make_unique<Shard>());
}

IngestQueue::~IngestQueue() { stop(); }

void IngestQueue::start_locked() {
  if (started_) return;
  started_ = true;
  for (auto& s : shards_) {
    Shard* shard = s.get();
    shard->thread = std::thread([this, shard] { run(*shard); });
  }
}

void IngestQueue::submit(const JobEvent& event, Store::RecordDone done) {
  auto refuse = [&](const std::string& why) { done(make_error(ErrorKind::kRetryable, why)); };
  if (stopped_.load(std::memory_order_acquire)) return refuse("the DynamoDB store is closed");
  // Reserve a place first: the bound holds however many threads submit at once.
  if (pending_.fetch_add(1, std::memory_order_acq_rel) >= max_pending_) {
    pending_.fetch_sub(1, std::memory_order_acq_rel);
    return refuse("the DynamoDB store has " + std::to_string(max_pending_) + " deliveries waiting to be written; retry");
  }
  Shard& shard = *shards_[static_cast<std::size_t>(event.job_id) % shards_.size()];
  bool refused = false;
  {
    // Queued under start_mu_: once stop() has set stopping_, every event that got past
    // this check is in a shard, and the writers write it before they end.
    std::lock_guard lock(start_mu_);
    if (stopping_) {
      refused = true;
    } else {
      start_locked();
      std::lock_guard queue(shard.mu);
      shard.items.push_back(Item{&event, std::move(done)});
    }
  }
  if (refused) {
    pending_.fetch_sub(1, std::memory_order_acq_rel);
    return refuse("the DynamoDB store is closed");
  }
  shard.wake.notify_one();
}

void IngestQueue::stop() {
  {
    std::lock_guard lock(start_mu_);
    if (stopping_) {
      // A second caller waits for nothing: the first joins the writers.
      return;
    }
    stopping_ = true;
    stopped_.store(true, std::memory_order_release);
  }
  for (auto& s : shards_) {
    {
      std::lock_guard lock(s->mu);  // a writer between its check and its wait sees stopping_
    }
    s->wake.notify_all();
  }
  for (auto& s : shards_) {
    if (s->thread.joinable()) s->thread.join();
  }
}

void IngestQueue::run(Shard& shard) {
  std::vector<Item> batch;
  for (;;) {
    {
      std::unique_lock lock(shard.mu);
      shard.wake.wait(lock, [&] { return !shard.items.empty() || stopped_.load(std::memory_order_acquire); });
      if (shard.items.empty()) return;  // stopping, and everything queued was written
      while (!shard.items.empty() && batch.size() < kMaxTake) {
        batch.push_back(std::move(shard.items.front()));
        shard.items.pop_front();
      }
    }
    write(batch);
    batch.clear();
  }
}

void IngestQueue::write(std::vector<Item>& batch) {
  // Each job's events together, in the order they came.
  std::map<std::int64_t, std::vector<std::size_t>> by_job;
  for (std::size_t i = 0; i < batch.size(); ++i) by_job[batch[i].event->job_id].push_back(i);
  for (const auto& [job, indexes] : by_job) {
    std::vector<const JobEvent*> events;
    events.reserve(indexes.size());
    for (std::size_t i : indexes) events.push_back(batch[i].event);
    std::vector<Result<RecordOutcome>> results = apply_(events);
    for (std::size_t k = 0; k < indexes.size(); ++k) {
      Item& item = batch[indexes[k]];
      pending_.fetch_sub(1, std::memory_order_acq_rel);
      item.done(k < results.size() ? std::move(results[k])
                                   : Result<RecordOutcome>(make_error(ErrorKind::kPermanent, "no result for a delivery")));
    }
  }
}

}  // namespace ghscale::store::ddb
