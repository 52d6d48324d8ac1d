// One contract, every backend: each test here runs against the memory, SQLite and DynamoDB
// (dynalite) stores.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <optional>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "store/store.h"
#include "store_test_util.h"

namespace ghscale::store {
namespace {

using testing::Backend;
using testing::make_event;

class StoreConformance : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (const std::string why = GetParam().unavailable(); !why.empty()) GTEST_SKIP() << why;
    clock_ = std::make_shared<ManualClock>();
    store_ = GetParam().make(dir_.path(), clock_);
    ASSERT_NE(store_, nullptr);
  }
  TimePoint now() const { return clock_->now(); }

  testing::TempDir dir_;
  std::shared_ptr<ManualClock> clock_;
  std::unique_ptr<Store> store_;
};

TEST_P(StoreConformance, RecordsAJobAndGetsItBack) {
  JobEvent e = make_event("d1", 42, JobStatus::kQueued, {"Self-Hosted", "Linux"}, now());
  e.created_at = now() - Duration(500);
  auto r = store_->record(e);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(*r, RecordOutcome::kRecorded);
  auto job = store_->get_job(42);
  ASSERT_TRUE(job.ok()) << job.error().describe();
  EXPECT_EQ(job->status, JobStatus::kQueued);
  EXPECT_EQ(job->labels, (LabelSet{"linux", "self-hosted"}));
  EXPECT_EQ(job->repository, "acme/widgets");
  EXPECT_EQ(job->created_at, e.created_at);
  EXPECT_FALSE(job->started_at.has_value());
  EXPECT_EQ(job->received_at, now());
  EXPECT_EQ(job->delivery_id, "d1");
}

// running_version(): a backend reports it always or never; when it does, it moves as a
// job starts and as it ends, so a reader keeping its last list of running jobs sees both.
TEST_P(StoreConformance, RunningVersionMovesWithTheRunningJobs) {
  const auto before = store_->running_version();
  ASSERT_TRUE(store_->record(make_event("v1", 7, JobStatus::kQueued, {"linux"}, now())).ok());
  const auto queued = store_->running_version();
  ASSERT_TRUE(store_->record(make_event("v2", 7, JobStatus::kInProgress, {"linux"}, now())).ok());
  const auto started = store_->running_version();
  ASSERT_TRUE(store_->record(make_event("v3", 7, JobStatus::kCompleted, {"linux"}, now())).ok());
  const auto ended = store_->running_version();
  ASSERT_EQ(before.has_value(), queued.has_value());
  ASSERT_EQ(before.has_value(), started.has_value());
  ASSERT_EQ(before.has_value(), ended.has_value());
  if (!before) return;  // this backend cannot tell: readers read the list each time
  EXPECT_NE(*started, *queued);
  EXPECT_NE(*ended, *started);
}

// active_run_ids(): the runs of queued and running jobs, each once, ascending; not those of
// waiting or completed jobs, nor run 0; cut at the limit.
TEST_P(StoreConformance, ActiveRunIdsAreTheRunsOfQueuedAndRunningJobs) {
  auto event = [&](const char* delivery, std::int64_t job, std::int64_t run, JobStatus status) {
    JobEvent e = make_event(delivery, job, status, {"linux"}, now());
    e.run_id = run;
    return e;
  };
  for (const JobEvent& e : {event("a1", 1, 30, JobStatus::kQueued), event("a2", 2, 30, JobStatus::kQueued),
                            event("a3", 3, 10, JobStatus::kQueued), event("a4", 3, 10, JobStatus::kInProgress),
                            event("a5", 4, 20, JobStatus::kQueued), event("a6", 4, 20, JobStatus::kCompleted),
                            event("a7", 5, 40, JobStatus::kWaiting), event("a8", 6, 0, JobStatus::kQueued),
                            event("a9", 7, 50, JobStatus::kInProgress)}) {
    ASSERT_TRUE(store_->record(e).ok());
  }
  auto runs = store_->active_run_ids(100);
  ASSERT_TRUE(runs.ok()) << runs.error().describe();
  EXPECT_EQ(*runs, (std::vector<std::int64_t>{10, 30, 50}));
  runs = store_->active_run_ids(2);
  ASSERT_TRUE(runs.ok()) << runs.error().describe();
  EXPECT_EQ(*runs, (std::vector<std::int64_t>{10, 30}));
}

// get_lease reads the lease whoever holds it: nothing before anyone took it, the holder
// and its token while held, and still the row (expired) after it is released.
TEST_P(StoreConformance, GetLeaseShowsTheHolderWithoutTakingIt) {
  auto none = store_->get_lease("scaler");
  ASSERT_TRUE(none.ok()) << none.error().describe();
  EXPECT_FALSE(none->has_value());
  auto taken = store_->acquire_lease("scaler", "host-a:1", std::chrono::seconds(30), now());
  ASSERT_TRUE(taken.ok()) << taken.error().describe();
  auto seen = store_->get_lease("scaler");
  ASSERT_TRUE(seen.ok() && seen->has_value());
  EXPECT_EQ((*seen)->holder, "host-a:1");
  EXPECT_EQ((*seen)->token, taken->token);
  EXPECT_EQ((*seen)->expires_at, taken->expires_at);
  EXPECT_FALSE(store_->acquire_lease("scaler", "host-b:2", std::chrono::seconds(30), now()).ok());
  seen = store_->get_lease("scaler");  // a refused take changes nothing
  ASSERT_TRUE(seen.ok() && seen->has_value());
  EXPECT_EQ((*seen)->holder, "host-a:1");
  ASSERT_TRUE(store_->release_lease("scaler", "host-a:1", now()).ok());
  seen = store_->get_lease("scaler");
  ASSERT_TRUE(seen.ok() && seen->has_value());
  EXPECT_LE((*seen)->expires_at, now());
}

TEST_P(StoreConformance, UnknownJobIsNotFound) {
  auto job = store_->get_job(7);
  ASSERT_FALSE(job.ok());
  EXPECT_EQ(job.error().kind, ErrorKind::kNotFound);
}

TEST_P(StoreConformance, RejectsEventsWithoutIds) {
  auto no_delivery = store_->record(make_event("", 1, JobStatus::kQueued));
  ASSERT_FALSE(no_delivery.ok());
  EXPECT_EQ(no_delivery.error().kind, ErrorKind::kInvalid);
  auto no_job = store_->record(make_event("d1", 0, JobStatus::kQueued));
  ASSERT_FALSE(no_job.ok());
  EXPECT_EQ(no_job.error().kind, ErrorKind::kInvalid);
  // The refused delivery id was not remembered either.
  EXPECT_EQ(*store_->record(make_event("d1", 1, JobStatus::kQueued)), RecordOutcome::kRecorded);
  EXPECT_EQ(store_->job_counts()->total(), 1);
}

TEST_P(StoreConformance, DuplicateDeliveryChangesNothing) {
  ASSERT_EQ(*store_->record(make_event("d1", 1, JobStatus::kQueued)), RecordOutcome::kRecorded);
  // Same delivery id, different content: a redelivery must not apply anything.
  JobEvent again = make_event("d1", 1, JobStatus::kCompleted);
  again.conclusion = "success";
  auto r = store_->record(again);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, RecordOutcome::kDuplicate);
  auto job = store_->get_job(1);
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(job->status, JobStatus::kQueued);
  EXPECT_EQ(job->conclusion, "");
  EXPECT_EQ(store_->job_counts()->queued, 1);
}

TEST_P(StoreConformance, StatusMovesForwardOnly) {
  ASSERT_TRUE(store_->record(make_event("d1", 5, JobStatus::kQueued)).ok());
  JobEvent started = make_event("d2", 5, JobStatus::kInProgress);
  started.runner_name = "ghscale-abc";
  started.runner_id = 77;
  ASSERT_TRUE(store_->record(started).ok());
  JobEvent done = make_event("d3", 5, JobStatus::kCompleted);
  done.conclusion = "success";
  ASSERT_TRUE(store_->record(done).ok());
  // A late queued and a late waiting arrive after completion: recorded, status unchanged.
  EXPECT_EQ(*store_->record(make_event("d4", 5, JobStatus::kQueued)), RecordOutcome::kRecorded);
  EXPECT_EQ(*store_->record(make_event("d5", 5, JobStatus::kWaiting)), RecordOutcome::kRecorded);
  auto job = store_->get_job(5);
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(job->status, JobStatus::kCompleted);
  EXPECT_EQ(job->action, "completed");
  EXPECT_EQ(job->delivery_id, "d3");
  EXPECT_EQ(job->conclusion, "success");
  EXPECT_EQ(job->runner_name, "ghscale-abc");
  EXPECT_EQ(store_->job_counts()->completed, 1);
  EXPECT_EQ(store_->job_counts()->queued, 0);
}

TEST_P(StoreConformance, LateEventFillsOnlyUnknownFields) {
  JobEvent done = make_event("d1", 9, JobStatus::kCompleted);
  done.conclusion = "failure";
  ASSERT_TRUE(store_->record(done).ok());
  // in_progress arrives late with the runner's name, which completed did not carry.
  JobEvent started = make_event("d2", 9, JobStatus::kInProgress);
  started.runner_name = "runner-9";
  started.conclusion = "bogus";
  started.job_name = "other-name";
  ASSERT_TRUE(store_->record(started).ok());
  auto job = store_->get_job(9);
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(job->status, JobStatus::kCompleted);
  EXPECT_EQ(job->runner_name, "runner-9");  // filled
  EXPECT_EQ(job->conclusion, "failure");    // known already: kept
  EXPECT_EQ(job->job_name, "build");        // known already: kept
}

TEST_P(StoreConformance, QueuedJobsMatchPoolLabelsCaseInsensitively) {
  ASSERT_TRUE(store_->record(make_event("a", 3, JobStatus::kQueued, {"self-hosted", "linux", "x64"})).ok());
  ASSERT_TRUE(store_->record(make_event("b", 1, JobStatus::kQueued, {"Self-Hosted", "LINUX"})).ok());
  ASSERT_TRUE(store_->record(make_event("c", 2, JobStatus::kQueued, {"self-hosted", "linux", "gpu"})).ok());
  ASSERT_TRUE(store_->record(make_event("d", 4, JobStatus::kQueued, {"windows"})).ok());
  ASSERT_TRUE(store_->record(make_event("e", 5, JobStatus::kWaiting, {"linux"})).ok());
  ASSERT_TRUE(store_->record(make_event("f", 6, JobStatus::kInProgress, {"linux"})).ok());
  ASSERT_TRUE(store_->record(make_event("g", 7, JobStatus::kQueued, {"linux"})).ok());
  ASSERT_TRUE(store_->record(make_event("h", 7, JobStatus::kCompleted, {"linux"})).ok());

  auto all = store_->queued_jobs(std::nullopt, 100);
  ASSERT_TRUE(all.ok()) << all.error().describe();
  std::vector<std::int64_t> ids;
  for (const auto& j : *all) ids.push_back(j.job_id);
  EXPECT_EQ(ids, (std::vector<std::int64_t>{1, 2, 3, 4}));

  const LabelSet pool{"SELF-HOSTED", "Linux", "X64"};
  auto matching = store_->queued_jobs(pool, 100);
  ASSERT_TRUE(matching.ok());
  ids.clear();
  for (const auto& j : *matching) ids.push_back(j.job_id);
  EXPECT_EQ(ids, (std::vector<std::int64_t>{1, 3}));

  auto limited = store_->queued_jobs(pool, 1);
  ASSERT_TRUE(limited.ok());
  ASSERT_EQ(limited->size(), 1u);
  EXPECT_EQ(limited->front().job_id, 1);
  EXPECT_TRUE(store_->queued_jobs(pool, 0)->empty());
}

// A runs-on label may contain a comma (or quotes, or non-ASCII): it comes back as one label
// and only a pool with that very label matches it.
TEST_P(StoreConformance, LabelsWithCommasAndQuotesRoundTrip) {
  const LabelSet labels{"self-hosted", "c,d", "say \"hi\"", "Ünïcode\\x", ","};
  ASSERT_TRUE(store_->record(make_event("l1", 11, JobStatus::kQueued, labels)).ok());
  auto job = store_->get_job(11);
  ASSERT_TRUE(job.ok()) << job.error().describe();
  EXPECT_EQ(job->labels, labels);
  EXPECT_EQ(job->labels.size(), 5u);
  EXPECT_TRUE(job->labels.contains("c,d"));

  auto split = store_->queued_jobs(LabelSet{"self-hosted", "c", "d", "say \"hi\"", "Ünïcode\\x"}, 10);
  ASSERT_TRUE(split.ok()) << split.error().describe();
  EXPECT_TRUE(split->empty());
  auto whole = store_->queued_jobs(LabelSet{"self-hosted", "c,d", "say \"hi\"", "Ünïcode\\x", ",", "x64"}, 10);
  ASSERT_TRUE(whole.ok()) << whole.error().describe();
  ASSERT_EQ(whole->size(), 1u);
  EXPECT_EQ(whole->front().labels, labels);
}

TEST_P(StoreConformance, CountsAndListingsByStatus) {
  for (int i = 1; i <= 5; ++i) {
    ASSERT_TRUE(store_->record(make_event("q" + std::to_string(i), i, JobStatus::kQueued)).ok());
  }
  ASSERT_TRUE(store_->record(make_event("w", 6, JobStatus::kWaiting)).ok());
  ASSERT_TRUE(store_->record(make_event("p1", 2, JobStatus::kInProgress)).ok());
  ASSERT_TRUE(store_->record(make_event("c1", 3, JobStatus::kCompleted)).ok());
  ASSERT_TRUE(store_->record(make_event("c2", 4, JobStatus::kCompleted)).ok());
  auto counts = store_->job_counts();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(*counts, (JobCounts{1, 2, 1, 2}));

  auto completed = store_->list_jobs({JobStatus::kCompleted, 10});
  ASSERT_TRUE(completed.ok());
  ASSERT_EQ(completed->size(), 2u);
  EXPECT_EQ((*completed)[0].job_id, 4);  // newest job id first
  EXPECT_EQ((*completed)[1].job_id, 3);
  auto any = store_->list_jobs({std::nullopt, 3});
  ASSERT_TRUE(any.ok());
  ASSERT_EQ(any->size(), 3u);
  EXPECT_EQ((*any)[0].job_id, 6);
  EXPECT_EQ(store_->list_jobs({JobStatus::kWaiting, 10})->size(), 1u);
}

Instance make_instance(std::string id, std::string pool, InstanceState state, TimePoint at) {
  Instance i;
  i.instance_id = std::move(id);
  i.pool = std::move(pool);
  i.state = state;
  i.market = Market::kOnDemand;
  i.instance_type = "c7i.large";
  i.launched_at = at;
  return i;
}

TEST_P(StoreConformance, InstancesUpsertGetListAndUpdate) {
  ASSERT_TRUE(store_->upsert_instance(make_instance("i-2", "linux", InstanceState::kBooting, now())).ok());
  ASSERT_TRUE(store_->upsert_instance(make_instance("i-1", "linux", InstanceState::kIdle, now())).ok());
  ASSERT_TRUE(store_->upsert_instance(make_instance("i-3", "linux", InstanceState::kTerminated, now())).ok());
  ASSERT_TRUE(store_->upsert_instance(make_instance("i-4", "gpu", InstanceState::kBusy, now())).ok());

  Instance updated = make_instance("i-2", "linux", InstanceState::kIdle, now());
  updated.runner_id = 12;
  updated.runner_name = "ghscale-i-2";
  updated.registered_at = now() + Duration(1000);
  ASSERT_TRUE(store_->upsert_instance(updated).ok());

  auto got = store_->get_instance("i-2");
  ASSERT_TRUE(got.ok()) << got.error().describe();
  EXPECT_EQ(got->runner_id, 12);
  EXPECT_EQ(got->runner_name, "ghscale-i-2");
  EXPECT_EQ(got->market, Market::kOnDemand);
  EXPECT_EQ(got->registered_at, now() + Duration(1000));
  EXPECT_FALSE(got->last_busy_at.has_value());

  auto live = store_->list_instances("linux", false);
  ASSERT_TRUE(live.ok());
  ASSERT_EQ(live->size(), 2u);
  EXPECT_EQ((*live)[0].instance_id, "i-1");
  EXPECT_EQ((*live)[1].instance_id, "i-2");
  EXPECT_EQ(store_->list_instances("linux", true)->size(), 3u);
  EXPECT_EQ(store_->list_instances("", true)->size(), 4u);

  ASSERT_TRUE(store_->update_instance_state("i-1", InstanceState::kTerminated).ok());
  EXPECT_EQ(store_->get_instance("i-1")->state, InstanceState::kTerminated);
  EXPECT_EQ(store_->list_instances("linux", false)->size(), 1u);

  Status missing = store_->update_instance_state("i-9", InstanceState::kIdle);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(store_->get_instance("i-9").error().kind, ErrorKind::kNotFound);
}

Action make_action(std::string pool, ActionKind kind, TimePoint at, std::int64_t count = 1) {
  Action a;
  a.pool = std::move(pool);
  a.kind = kind;
  a.at = at;
  a.count = count;
  a.reason = "2 queued jobs";
  a.result = "ok";
  return a;
}

TEST_P(StoreConformance, ActionLogLastNAndLastOfKindPerPool) {
  EXPECT_FALSE(store_->last_action("linux", ActionKind::kScaleOut)->has_value());
  std::vector<std::int64_t> ids;
  ids.push_back(*store_->append_action(make_action("linux", ActionKind::kScaleOut, now(), 2)));
  ids.push_back(*store_->append_action(make_action("gpu", ActionKind::kScaleOut, now() + Duration(1))));
  ids.push_back(*store_->append_action(make_action("linux", ActionKind::kScaleIn, now() + Duration(2))));
  ids.push_back(*store_->append_action(make_action("linux", ActionKind::kScaleOut, now() + Duration(3), 3)));
  ids.push_back(*store_->append_action(make_action("gpu", ActionKind::kTerminate, now() + Duration(4))));
  for (std::size_t i = 1; i < ids.size(); ++i) EXPECT_GT(ids[i], ids[i - 1]);

  auto last3 = store_->last_actions(3);
  ASSERT_TRUE(last3.ok());
  ASSERT_EQ(last3->size(), 3u);
  EXPECT_EQ((*last3)[0].id, ids[4]);
  EXPECT_EQ((*last3)[1].id, ids[3]);
  EXPECT_EQ((*last3)[2].id, ids[2]);
  EXPECT_EQ((*last3)[1].count, 3);
  EXPECT_EQ((*last3)[1].reason, "2 queued jobs");
  EXPECT_EQ((*last3)[1].at, now() + Duration(3));

  auto last_out = store_->last_action("linux", ActionKind::kScaleOut);
  ASSERT_TRUE(last_out.ok());
  ASSERT_TRUE(last_out->has_value());
  EXPECT_EQ((*last_out)->id, ids[3]);
  EXPECT_EQ((*store_->last_action("gpu", ActionKind::kScaleOut))->id, ids[1]);
  EXPECT_FALSE(store_->last_action("gpu", ActionKind::kScaleIn)->has_value());
}

TEST_P(StoreConformance, Settings) {
  auto missing = store_->get_setting("settings_cooldown");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
  ASSERT_TRUE(store_->set_setting("settings_cooldown", "60000").ok());
  EXPECT_EQ(**store_->get_setting("settings_cooldown"), "60000");
  ASSERT_TRUE(store_->set_setting("settings_cooldown", "0").ok());
  EXPECT_EQ(**store_->get_setting("settings_cooldown"), "0");
  EXPECT_EQ(store_->set_setting("", "x").error().kind, ErrorKind::kInvalid);
}

TEST_P(StoreConformance, LeaseIsExclusiveUntilItExpires) {
  const Duration ttl(10'000);
  auto a = store_->acquire_lease("scaler", "a", ttl, now());
  ASSERT_TRUE(a.ok()) << a.error().describe();
  EXPECT_EQ(a->holder, "a");
  EXPECT_EQ(a->expires_at, now() + ttl);

  auto b = store_->acquire_lease("scaler", "b", ttl, now());
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().kind, ErrorKind::kConflict);
  EXPECT_NE(b.error().message.find("'a'"), std::string::npos) << b.error().message;

  // Re-acquiring by the holder extends it and keeps the token.
  clock_->advance(Duration(5'000));
  auto again = store_->acquire_lease("scaler", "a", ttl, now());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->token, a->token);
  EXPECT_EQ(again->expires_at, now() + ttl);

  // Another lease name is independent.
  EXPECT_TRUE(store_->acquire_lease("other", "b", ttl, now()).ok());

  // Still live one ms before expiry; free at expiry, with a new token.
  clock_->advance(ttl - Duration(1));
  EXPECT_EQ(store_->acquire_lease("scaler", "b", ttl, now()).error().kind, ErrorKind::kConflict);
  clock_->advance(Duration(1));
  auto taken = store_->acquire_lease("scaler", "b", ttl, now());
  ASSERT_TRUE(taken.ok()) << taken.error().describe();
  EXPECT_EQ(taken->holder, "b");
  EXPECT_GT(taken->token, a->token);
}

TEST_P(StoreConformance, LeaseRenewByHolderOnly) {
  const Duration ttl(1'000);
  ASSERT_TRUE(store_->acquire_lease("scaler", "a", ttl, now()).ok());
  clock_->advance(Duration(600));
  auto renewed = store_->renew_lease("scaler", "a", ttl, now());
  ASSERT_TRUE(renewed.ok()) << renewed.error().describe();
  EXPECT_EQ(renewed->expires_at, now() + ttl);
  EXPECT_EQ(store_->renew_lease("scaler", "b", ttl, now()).error().kind, ErrorKind::kConflict);
  EXPECT_EQ(store_->renew_lease("nobody-has-this", "a", ttl, now()).error().kind, ErrorKind::kConflict);
  // Once expired, even the holder must acquire again.
  clock_->advance(ttl);
  EXPECT_EQ(store_->renew_lease("scaler", "a", ttl, now()).error().kind, ErrorKind::kConflict);
  EXPECT_EQ(store_->acquire_lease("scaler", "a", Duration(0), now()).error().kind, ErrorKind::kInvalid);
}

TEST_P(StoreConformance, LeaseReleaseByHolderFreesIt) {
  const Duration ttl(60'000);
  auto a = store_->acquire_lease("scaler", "a", ttl, now());
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(store_->release_lease("scaler", "b", now()).error().kind, ErrorKind::kConflict);
  EXPECT_EQ(store_->acquire_lease("scaler", "b", ttl, now()).error().kind, ErrorKind::kConflict);
  ASSERT_TRUE(store_->release_lease("scaler", "a", now()).ok());
  EXPECT_TRUE(store_->release_lease("scaler", "a", now()).ok());  // idempotent
  EXPECT_TRUE(store_->release_lease("never-taken", "a", now()).ok());
  auto b = store_->acquire_lease("scaler", "b", ttl, now());
  ASSERT_TRUE(b.ok()) << b.error().describe();
  EXPECT_GT(b->token, a->token);
}

TEST_P(StoreConformance, RetentionPrunesOldCompletedJobsTheirDeliveriesAndOldActions) {
  const TimePoint t0 = now();
  ASSERT_TRUE(store_->record(make_event("old-q", 1, JobStatus::kQueued, {"x"}, t0)).ok());
  ASSERT_TRUE(store_->record(make_event("old-c", 1, JobStatus::kCompleted, {"x"}, t0)).ok());
  ASSERT_TRUE(store_->record(make_event("still-queued", 2, JobStatus::kQueued, {"x"}, t0)).ok());
  ASSERT_TRUE(store_->append_action(make_action("linux", ActionKind::kScaleOut, t0)).ok());
  clock_->advance(std::chrono::hours(2));
  ASSERT_TRUE(store_->record(make_event("new-c", 3, JobStatus::kCompleted, {"x"}, now())).ok());
  ASSERT_TRUE(store_->append_action(make_action("linux", ActionKind::kScaleIn, now())).ok());

  RetentionPolicy policy;
  policy.completed_jobs_older_than = std::chrono::hours(1);
  policy.actions_older_than = std::chrono::hours(1);
  auto pruned = store_->prune(policy);
  ASSERT_TRUE(pruned.ok()) << pruned.error().describe();
  EXPECT_EQ(pruned->jobs, 1);
  EXPECT_EQ(pruned->deliveries, 2);
  EXPECT_EQ(pruned->actions, 1);

  EXPECT_EQ(store_->get_job(1).error().kind, ErrorKind::kNotFound);
  EXPECT_TRUE(store_->get_job(2).ok());
  EXPECT_TRUE(store_->get_job(3).ok());
  EXPECT_EQ(*store_->job_counts(), (JobCounts{0, 1, 0, 1}));
  auto actions = store_->last_actions(10);
  ASSERT_EQ(actions->size(), 1u);
  EXPECT_EQ((*actions)[0].kind, ActionKind::kScaleIn);
  // The pruned job's delivery ids are forgotten; the kept jobs' are not.
  EXPECT_EQ(*store_->record(make_event("old-c", 1, JobStatus::kCompleted, {"x"}, now())), RecordOutcome::kRecorded);
  EXPECT_EQ(*store_->record(make_event("new-c", 3, JobStatus::kCompleted, {"x"}, now())), RecordOutcome::kDuplicate);
  EXPECT_EQ(store_->prune(policy)->jobs, 0);
}

TEST_P(StoreConformance, ConcurrentRecordsAndRacingDuplicates) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 100;
  std::atomic<int> recorded{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        // Every delivery is sent by two threads at once; exactly one must record it.
        const int n = (t / 2) * kPerThread + i;
        auto r = store_->record(make_event("d" + std::to_string(n), n + 1, JobStatus::kQueued));
        if (!r.ok()) {
          ++failures;
        } else if (*r == RecordOutcome::kRecorded) {
          ++recorded;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(recorded.load(), kThreads / 2 * kPerThread);
  EXPECT_EQ(store_->job_counts()->queued, kThreads / 2 * kPerThread);
}

// record_async(): queued (SQLite, DynamoDB) or the synchronous fallback (memory), the
// same outcomes as record(), each completion called exactly once and only once durable.
TEST_P(StoreConformance, RecordAsyncCompletesEachDeliveryOnceWithRecordsOutcome) {
  constexpr int kDeliveries = 300;
  std::vector<JobEvent> events;  // stays put until every completion has run
  for (int i = 0; i < kDeliveries; ++i) events.push_back(make_event("a" + std::to_string(i % 200), i % 200 + 1, JobStatus::kQueued));
  std::mutex mu;
  std::condition_variable all_done;
  int done = 0, recorded = 0, duplicates = 0, failures = 0;
  std::vector<int> calls(kDeliveries, 0);
  for (int i = 0; i < kDeliveries; ++i) {
    store_->record_async(events[static_cast<std::size_t>(i)], [&, i](Result<RecordOutcome> r) {
      std::lock_guard lock(mu);
      ++calls[static_cast<std::size_t>(i)];
      if (!r.ok()) {
        ++failures;
      } else if (*r == RecordOutcome::kRecorded) {
        ++recorded;
      } else {
        ++duplicates;
      }
      if (++done == kDeliveries) all_done.notify_all();
    });
  }
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(all_done.wait_for(lock, std::chrono::seconds(30), [&] { return done == kDeliveries; }));
  }
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(recorded, 200);
  EXPECT_EQ(duplicates, 100);
  EXPECT_EQ(std::count(calls.begin(), calls.end(), 1), kDeliveries);
  EXPECT_EQ(store_->job_counts()->queued, 200);

  // Bad events fail at once, as record() fails them.
  JobEvent no_id = make_event("", 5, JobStatus::kQueued);
  std::optional<Result<RecordOutcome>> refused;
  store_->record_async(no_id, [&](Result<RecordOutcome> r) { refused = std::move(r); });
  ASSERT_TRUE(refused.has_value());
  ASSERT_FALSE(refused->ok());
  EXPECT_EQ(refused->error().kind, ErrorKind::kInvalid);

  // Closed: refused with kPermanent, still exactly once.
  ASSERT_TRUE(store_->close().ok());
  int closed_calls = 0;
  JobEvent late = make_event("late", 999, JobStatus::kQueued);
  std::optional<ErrorKind> closed_kind;
  store_->record_async(late, [&](Result<RecordOutcome> r) {
    ++closed_calls;
    if (!r.ok()) closed_kind = r.error().kind;
  });
  EXPECT_EQ(closed_calls, 1);
  EXPECT_EQ(closed_kind, ErrorKind::kPermanent);
}

TEST_P(StoreConformance, ThreadsRacingForOneLeaseNeverOverlap) {
  // Real time here: the race is the point. Each holder keeps the lease a little while,
  // sometimes "crashes" (never releases) so others must wait for expiry.
  auto clock = system_clock();
  constexpr int kThreads = 6;
  const Duration ttl(30);
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(600);
  struct Hold {
    std::int64_t start_ms, end_ms;
    std::int64_t token;
  };
  std::mutex mu;
  std::vector<Hold> holds;
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      int round = 0;
      // A holder that abandons its lease comes back as a new holder (like a restarted
      // process), so every hold recorded is a change of hands.
      std::string me = "holder-" + std::to_string(t);
      while (std::chrono::steady_clock::now() < until) {
        const TimePoint asked = clock->now();
        auto lease = store_->acquire_lease("scaler", me, ttl, asked);
        if (!lease.ok()) {
          if (lease.error().kind != ErrorKind::kConflict) ++errors;
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
          continue;
        }
        const std::int64_t start = to_unix_ms(clock->now());
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        // The holder may rely on the lease until the earlier of release and expiry.
        std::int64_t end = std::min(to_unix_ms(clock->now()), to_unix_ms(lease->expires_at));
        if (++round % 4 != 0) {
          (void)store_->release_lease("scaler", me, clock->now());
        } else {
          end = to_unix_ms(lease->expires_at);  // abandoned: it lasts until expiry
          me = "holder-" + std::to_string(t) + "-" + std::to_string(round);
        }
        std::lock_guard lock(mu);
        holds.push_back({start, end, lease->token});
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  ASSERT_GT(holds.size(), 10u);
  std::sort(holds.begin(), holds.end(), [](const Hold& a, const Hold& b) { return a.start_ms < b.start_ms; });
  std::int64_t latest_end = holds[0].end_ms;
  for (std::size_t i = 1; i < holds.size(); ++i) {
    EXPECT_LE(latest_end, holds[i].start_ms) << "hold " << i << " (token " << holds[i].token << ") overlaps an earlier one";
    EXPECT_GT(holds[i].token, holds[i - 1].token);
    latest_end = std::max(latest_end, holds[i].end_ms);
  }
}

TEST_P(StoreConformance, ClosedStoreRefusesCalls) {
  ASSERT_TRUE(store_->flush().ok());
  ASSERT_TRUE(store_->ping().ok());
  ASSERT_TRUE(store_->close().ok());
  EXPECT_TRUE(store_->close().ok());
  EXPECT_EQ(store_->ping().error().kind, ErrorKind::kPermanent);
  EXPECT_EQ(store_->record(make_event("d", 1, JobStatus::kQueued)).error().kind, ErrorKind::kPermanent);
  EXPECT_EQ(store_->get_job(1).error().kind, ErrorKind::kPermanent);
}

TEST_P(StoreConformance, DataSurvivesReopenWhenPersistent) {
  if (!GetParam().persistent) GTEST_SKIP() << GetParam().name << " keeps nothing across reopen, by design";
  ASSERT_TRUE(store_->record(make_event("d1", 1, JobStatus::kQueued)).ok());
  ASSERT_TRUE(store_->set_setting("settings_cooldown", "1000").ok());
  ASSERT_TRUE(store_->acquire_lease("scaler", "a", Duration(60'000), now()).ok());
  ASSERT_TRUE(store_->close().ok());
  store_ = GetParam().make(dir_.path(), clock_);
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(store_->get_job(1)->status, JobStatus::kQueued);
  EXPECT_EQ(*store_->record(make_event("d1", 1, JobStatus::kQueued)), RecordOutcome::kDuplicate);
  EXPECT_EQ(**store_->get_setting("settings_cooldown"), "1000");
  EXPECT_EQ(store_->acquire_lease("scaler", "b", Duration(60'000), now()).error().kind, ErrorKind::kConflict);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreConformance,
                         ::testing::Values(testing::memory_backend(), testing::sqlite_backend(),
                                           testing::dynamodb_backend()),
                         [](const ::testing::TestParamInfo<Backend>& param_info) { return param_info.param.name; });

}  // namespace
}  // namespace ghscale::store
