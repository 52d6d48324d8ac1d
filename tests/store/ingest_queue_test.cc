// The DynamoDB store's asynchronous ingest queue on its own: one job's events together and
// in order, every done called exactly once, the bound refusing at once, stop() writing what
// was accepted and refusing what comes after.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "store/dynamodb/ingest_queue.h"
#include "store_test_util.h"

namespace ghscale::store::ddb {
namespace {

using namespace std::chrono_literals;
using testing::make_event;

struct Recorder {
  std::mutex mu;
  std::map<std::int64_t, std::vector<std::string>> applied;  // job -> delivery ids in order
  std::vector<std::size_t> group_sizes;
  std::atomic<int> done{0}, failed{0};

  IngestQueue::Apply apply() {
    return [this](const std::vector<const JobEvent*>& one_job) {
      std::lock_guard lock(mu);
      group_sizes.push_back(one_job.size());
      for (const JobEvent* e : one_job) {
        EXPECT_EQ(e->job_id, one_job.front()->job_id);
        applied[e->job_id].push_back(e->delivery_id);
      }
      return std::vector<Result<RecordOutcome>>(one_job.size(), Result<RecordOutcome>(RecordOutcome::kRecorded));
    };
  }
  Store::RecordDone on_done() {
    return [this](Result<RecordOutcome> r) { (r.ok() ? done : failed).fetch_add(1); };
  }
};

bool eventually(const std::function<bool()>& f) {
  for (int i = 0; i < 500; ++i) {
    if (f()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return f();
}

TEST(IngestQueue, EachJobsEventsAreWrittenInTheOrderTheyCameAndEachDoneOnce) {
  Recorder rec;
  std::vector<JobEvent> events;
  for (int k = 0; k < 3; ++k) {
    for (int job = 1; job <= 50; ++job) {
      events.push_back(make_event("d-" + std::to_string(job) + "-" + std::to_string(k), job, k == 0 ? JobStatus::kQueued : k == 1 ? JobStatus::kInProgress : JobStatus::kCompleted));
    }
  }
  {
    IngestQueue q(4, 1000, rec.apply());
    for (const auto& e : events) q.submit(e, rec.on_done());
    ASSERT_TRUE(eventually([&] { return rec.done.load() == 150; }));
  }
  EXPECT_EQ(rec.failed.load(), 0);
  for (int job = 1; job <= 50; ++job) {
    const std::vector<std::string> want = {"d-" + std::to_string(job) + "-0", "d-" + std::to_string(job) + "-1",
                                           "d-" + std::to_string(job) + "-2"};
    EXPECT_EQ(rec.applied[job], want) << job;
  }
}

TEST(IngestQueue, PastTheBoundADeliveryIsRefusedAtOnceAndNothingIsLost) {
  std::mutex gate;
  std::unique_lock held(gate);  // the writer blocks on its first group until released
  std::atomic<int> applied{0};
  IngestQueue q(1, 3, [&](const std::vector<const JobEvent*>& one_job) {
    std::lock_guard wait(gate);
    applied += static_cast<int>(one_job.size());
    return std::vector<Result<RecordOutcome>>(one_job.size(), Result<RecordOutcome>(RecordOutcome::kRecorded));
  });
  std::vector<JobEvent> events;
  for (int i = 1; i <= 5; ++i) events.push_back(make_event("d-" + std::to_string(i), i, JobStatus::kQueued));
  std::atomic<int> ok{0}, refused{0};
  for (const auto& e : events) {
    q.submit(e, [&](Result<RecordOutcome> r) {
      if (r.ok()) {
        ++ok;
      } else {
        EXPECT_EQ(r.error().kind, ErrorKind::kRetryable);
        ++refused;
      }
    });
  }
  EXPECT_EQ(refused.load(), 2);  // answered at once, before any write
  EXPECT_EQ(q.pending(), 3u);
  held.unlock();
  ASSERT_TRUE(eventually([&] { return ok.load() == 3; }));
  EXPECT_EQ(applied.load(), 3);
  EXPECT_EQ(q.pending(), 0u);
}

TEST(IngestQueue, StopWritesWhatWasAcceptedAndRefusesWhatComesAfter) {
  Recorder rec;
  std::vector<JobEvent> events;
  for (int i = 1; i <= 200; ++i) events.push_back(make_event("d-" + std::to_string(i), i, JobStatus::kQueued));
  IngestQueue q(2, 1000, [&](const std::vector<const JobEvent*>& one_job) {
    std::this_thread::sleep_for(100us);  // slower than the submits: the queue holds some at stop
    return rec.apply()(one_job);
  });
  for (const auto& e : events) q.submit(e, rec.on_done());
  q.stop();
  EXPECT_EQ(rec.done.load(), 200);  // every accepted delivery written before stop() returned
  const JobEvent late = make_event("late", 999, JobStatus::kQueued);
  q.submit(late, rec.on_done());
  EXPECT_EQ(rec.failed.load(), 1);
  q.stop();  // idempotent
}

}  // namespace
}  // namespace ghscale::store::ddb
