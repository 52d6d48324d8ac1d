// The scale-set listener against the fake Actions service on loopback: job events become
// the store's jobs (as webhooks would make them) before the message is acknowledged, the
// session is held only with the lease, a stale session of this store's daemons is taken
// over, an unknown owner's is waited out, a failed write is not acknowledged (the message
// comes again) and stop() ends a held long poll at once.
#include "scaler/scale_set_listener.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <thread>

#include "github/scaleset_fixture.h"
#include "scaler/scale_set_github.h"
#include "store/memory_store.h"

namespace ghscale::scaler {
namespace {

using namespace std::chrono_literals;

class CountingWaker final : public webhook::Waker {
 public:
  void wake(const JobEvent&) override { ++wakes; }
  std::atomic<int> wakes{0};
};

// A store whose next `fail_records` writes of job events fail.
class FlakyStore final : public store::Store {
 public:
  explicit FlakyStore(std::shared_ptr<store::Store> inner) : inner_(std::move(inner)) {}
  std::atomic<int> fail_records{0};
  Result<store::RecordOutcome> record(const JobEvent& e) override {
    if (fail_records.load() > 0) {
      --fail_records;
      return make_error(ErrorKind::kRetryable, "injected write failure");
    }
    return inner_->record(e);
  }
  Result<std::vector<Job>> queued_jobs(const std::optional<LabelSet>& l, std::size_t n) override {
    return inner_->queued_jobs(l, n);
  }
  Result<Job> get_job(std::int64_t id) override { return inner_->get_job(id); }
  Result<store::JobCounts> job_counts() override { return inner_->job_counts(); }
  Result<std::vector<Job>> list_jobs(const store::JobFilter& f) override { return inner_->list_jobs(f); }
  Status upsert_instance(const Instance& i) override { return inner_->upsert_instance(i); }
  Result<Instance> get_instance(std::string_view id) override { return inner_->get_instance(id); }
  Result<std::vector<Instance>> list_instances(std::string_view p, bool t) override {
    return inner_->list_instances(p, t);
  }
  Status update_instance_state(std::string_view id, InstanceState s) override {
    return inner_->update_instance_state(id, s);
  }
  Result<std::int64_t> append_action(const Action& a) override { return inner_->append_action(a); }
  Result<std::vector<Action>> last_actions(std::size_t n) override { return inner_->last_actions(n); }
  Result<std::optional<Action>> last_action(std::string_view p, ActionKind k) override {
    return inner_->last_action(p, k);
  }
  Result<std::optional<std::string>> get_setting(std::string_view n) override { return inner_->get_setting(n); }
  Status set_setting(std::string_view n, std::string_view v) override { return inner_->set_setting(n, v); }
  Result<std::optional<store::Lease>> get_lease(std::string_view n) override { return inner_->get_lease(n); }
  Result<store::Lease> acquire_lease(std::string_view n, std::string_view h, Duration t, TimePoint now) override {
    return inner_->acquire_lease(n, h, t, now);
  }
  Result<store::Lease> renew_lease(std::string_view n, std::string_view h, Duration t, TimePoint now) override {
    return inner_->renew_lease(n, h, t, now);
  }
  Status release_lease(std::string_view n, std::string_view h, TimePoint now) override {
    return inner_->release_lease(n, h, now);
  }
  Result<store::PruneResult> prune(const store::RetentionPolicy& p) override { return inner_->prune(p); }
  Status ping() override { return inner_->ping(); }
  Status flush() override { return inner_->flush(); }
  Status close() override { return inner_->close(); }

 private:
  std::shared_ptr<store::Store> inner_;
};

class ScaleSetListenerTest : public testing::ScaleSetFixture {
 protected:
  void SetUp() override {
    fake_actions::FakeActionsOptions ao;
    ao.long_poll = 200ms;  // as GitHub holds a poll with nothing to say (shortened)
    start(ao);
    store = std::make_shared<FlakyStore>(store::make_memory_store(clock));
    pool.name = "linux";
    pool.labels = LabelSet{"self-hosted", "linux", "x64"};
    pool.scope = config::PoolScope{config::PoolScope::Kind::kOrg, "acme"};
    pool.demand = config::Demand::kScaleSet;
    pool.scale_set.name = "ghscale-linux";
    pool.max_runners = 7;
  }

  std::shared_ptr<ScaleSetListener> listener(const std::string& holder = "host:1", bool start_now = true) {
    ScaleSetListenerOptions o;
    o.pool = pool;
    o.client = client;
    o.store = store;
    o.holder = holder;
    o.clock = clock;
    o.lease_check = 20ms;
    o.backoff_base = 20ms;
    o.backoff_cap = 100ms;
    auto l = std::make_shared<ScaleSetListener>(o);
    if (start_now) l->start([this] { return lease.load(); }, waker);
    return l;
  }

  static bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout = 10s) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
      if (pred()) return true;
      std::this_thread::sleep_for(10ms);
    }
    return pred();
  }

  std::vector<Job> jobs(JobStatus status) {
    store::JobFilter f;
    f.status = status;
    auto r = store->list_jobs(f);
    return r.ok() ? *r : std::vector<Job>{};
  }

  std::shared_ptr<FlakyStore> store;
  config::PoolConfig pool;
  std::atomic<bool> lease{true};
  std::shared_ptr<CountingWaker> waker = std::make_shared<CountingWaker>();
};

TEST_F(ScaleSetListenerTest, JobEventsBecomeTheStoresJobsBeforeTheAcknowledgement) {
  auto l = listener();
  ASSERT_TRUE(eventually([&] { return l->has_session(); })) << "no session";
  const auto set = actions->scale_set_named("ghscale-linux");
  ASSERT_TRUE(set.has_value());
  // Its name first, then the pool's labels.
  EXPECT_EQ(set->labels, (std::vector<std::string>{"ghscale-linux", "linux", "self-hosted", "x64"}));
  EXPECT_EQ(set->session_owner, "host:1");

  for (int i = 0; i < 3; ++i) enqueue("ghscale-linux", 10 + i);
  ASSERT_TRUE(eventually([&] { return jobs(JobStatus::kQueued).size() == 3; })) << l->counts().failures;
  for (const Job& j : jobs(JobStatus::kQueued)) {
    EXPECT_EQ(j.labels, pool.labels) << "the pool's labels, so the reconciler matches the job to it";
    EXPECT_EQ(j.repository, "acme/app");
    EXPECT_EQ(j.delivery_id.rfind("scaleset:", 0), 0u);
    EXPECT_GE(j.job_id, std::int64_t{1} << 52);
  }
  EXPECT_GE(waker->wakes.load(), 3);
  // The capacity reported is the pool's max_runners.
  EXPECT_EQ(actions->scale_set(set->id)->max_capacity, 7);

  // A runner of the pool takes a job: in_progress with its name, then completed.
  auto jit = l->jit_config("linux-i-1");
  ASSERT_TRUE(jit.ok()) << jit.error().describe();
  EXPECT_EQ(jit->runner.name, "linux-i-1");
  auto runner = actions->runner_online(jit->encoded_jit_config);
  ASSERT_TRUE(runner.has_value());
  EXPECT_EQ(*runner, jit->runner.id);
  actions->settle();
  auto offered = actions->offered_job(*runner);
  ASSERT_TRUE(offered.has_value());
  ASSERT_TRUE(actions->start_job(*runner, *offered));
  ASSERT_TRUE(eventually([&] { return jobs(JobStatus::kInProgress).size() == 1; }));
  EXPECT_EQ(jobs(JobStatus::kInProgress).at(0).runner_name, "linux-i-1");
  ASSERT_TRUE(actions->finish_job(*runner, *offered, "succeeded"));
  ASSERT_TRUE(eventually([&] { return jobs(JobStatus::kCompleted).size() == 1; }));
  EXPECT_EQ(jobs(JobStatus::kCompleted).at(0).conclusion, "success");
  EXPECT_EQ(jobs(JobStatus::kQueued).size(), 2u);
  ASSERT_TRUE(eventually([&] { return actions->scale_set(set->id)->unacknowledged == 0; }));
  EXPECT_EQ(l->counts().failures, 0);

  l->stop();
  EXPECT_FALSE(l->has_session());
  EXPECT_EQ(actions->scale_set(set->id)->session_owner, "") << "stop() deletes the session";
}

TEST_F(ScaleSetListenerTest, TheSessionIsHeldOnlyWithTheLease) {
  lease = false;
  auto l = listener();
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(actions->requests("create session"), 0) << "polled without the lease";
  lease = true;
  ASSERT_TRUE(eventually([&] { return l->has_session(); }));
  lease = false;  // another daemon took the lease over
  ASSERT_TRUE(eventually([&] { return !l->has_session(); }));
  EXPECT_EQ(actions->scale_set_named("ghscale-linux")->session_owner, "");
}

TEST_F(ScaleSetListenerTest, AStaleSessionOfThisStoreIsTakenOverAndAnUnknownOneWaitedOut) {
  const auto set = make_scale_set("ghscale-linux");
  // A session of someone else, not named in the store: waited out, never deleted.
  auto foreign = client->create_session(set.id, "elsewhere:9");
  ASSERT_TRUE(foreign.ok());
  auto l = listener("host:2");
  ASSERT_TRUE(eventually([&] { return l->counts().conflicts >= 2; }));
  EXPECT_FALSE(l->has_session());
  EXPECT_EQ(actions->scale_set(set.id)->session_owner, "elsewhere:9");
  EXPECT_EQ(l->counts().takeovers, 0);
  l->stop();

  // A session a daemon of this store opened and never closed (SIGKILL): the store names it.
  ASSERT_TRUE(client->delete_session(set.id, foreign->session_id).ok());
  auto dead = client->create_session(set.id, "host:1");
  ASSERT_TRUE(dead.ok());
  ASSERT_TRUE(store->set_setting("scaleset_session:linux", dead->session_id).ok());
  auto next = listener("host:3");
  ASSERT_TRUE(eventually([&] { return next->has_session(); }));
  EXPECT_EQ(next->counts().takeovers, 1);
  EXPECT_EQ(actions->scale_set(set.id)->session_owner, "host:3");
}

TEST_F(ScaleSetListenerTest, AFailedWriteIsNotAcknowledgedAndTheMessageComesAgain) {
  auto l = listener();
  ASSERT_TRUE(eventually([&] { return l->has_session(); }));
  store->fail_records = 2;
  enqueue();
  enqueue();
  ASSERT_TRUE(eventually([&] { return jobs(JobStatus::kQueued).size() == 2; }));
  EXPECT_EQ(store->fail_records.load(), 0);
  EXPECT_GE(l->counts().failures, 2);
  ASSERT_TRUE(eventually([&] { return actions->scale_set_named("ghscale-linux")->unacknowledged == 0; }));
}

TEST_F(ScaleSetListenerTest, AQueueTokenRefusedRightAfterItsRefreshBacksOffInsteadOfLooping) {
  auto l = listener();
  ASSERT_TRUE(eventually([&] { return l->has_session(); }));
  // Every poll refused as unauthorized (a revoked token, a skewed clock) for a while.
  actions->inject(fake_actions::FakeFault{"GET", "/messages", 401, 1000});
  std::this_thread::sleep_for(1s);
  // Refresh, refused again, back off (20 ms doubling to 100 ms), open anew, …: a few
  // dozen requests a second at most, not a spin.
  EXPECT_LT(actions->requests("refresh session"), 40);
  EXPECT_LT(actions->requests("get message"), 80);
  EXPECT_GE(l->counts().failures, 1);
}

TEST_F(ScaleSetListenerTest, StopEndsAHeldLongPollAtOnce) {
  fake_actions::FakeActionsOptions ao;
  ao.long_poll = 60s;
  start(ao);
  store = std::make_shared<FlakyStore>(store::make_memory_store(clock));
  auto l = listener();
  ASSERT_TRUE(eventually([&] { return l->has_session(); }));
  ASSERT_TRUE(eventually([&] { return actions->requests("get message") >= 1; }));
  std::this_thread::sleep_for(100ms);  // the poll is held now
  const auto t0 = std::chrono::steady_clock::now();
  l->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  EXPECT_EQ(actions->scale_set_named("ghscale-linux")->session_owner, "");
}

TEST_F(ScaleSetListenerTest, JitConfigsForThePoolComeFromItsScaleSet) {
  auto l = listener("host:1", false);
  github::Credentials c;
  auto routed = route_scale_set_runners(rest, {l});
  github::JitConfigRequest req;
  req.name = "linux-i-9";
  req.labels = pool.labels.items();
  auto jit = routed->generate_jit_config(github::Scope{github::Scope::Kind::kOrg, "acme"}, req);
  ASSERT_TRUE(jit.ok()) << jit.error().describe();
  EXPECT_NE(l->scale_set_id(), 0) << "ensured on demand";
  EXPECT_TRUE(actions->runner_online(jit->encoded_jit_config).has_value()) << "a scale-set JIT config";
  // Other labels are another pool's: GitHub's REST generate-jitconfig.
  req.labels = {"self-hosted", "gpu"};
  req.name = "gpu-1";
  auto other = routed->generate_jit_config(github::Scope{github::Scope::Kind::kOrg, "acme"}, req);
  ASSERT_TRUE(other.ok()) << other.error().describe();
  EXPECT_FALSE(actions->runner_online(other->encoded_jit_config).has_value());
}

TEST(ScaleSetJobId, EachAssignmentIsAJobOfItsOwn) {
  const TimePoint t1 = from_unix_ms(1'700'000'000'000), t2 = t1 + 2min;
  const std::int64_t a = scale_set_job_id(5, t1), b = scale_set_job_id(5, t2), c = scale_set_job_id(6, t1);
  EXPECT_EQ(a, scale_set_job_id(5, t1));
  EXPECT_NE(a, b);
  EXPECT_NE(a, c);
  for (std::int64_t id : {a, b, c, scale_set_job_id(5, std::nullopt)}) {
    EXPECT_GE(id, std::int64_t{1} << 52);
    EXPECT_LT(id, std::int64_t{1} << 53);
  }
}

TEST(ScaleSetJobId, EventsMapAsWebhooksWould) {
  config::PoolConfig pool;
  pool.name = "p";
  pool.labels = LabelSet{"self-hosted", "linux"};
  pool.scale_set.name = "set";
  scaleset::JobEvent in;
  in.kind = scaleset::JobEventKind::kCompleted;
  in.runner_request_id = 42;
  in.owner_name = "acme";
  in.repository_name = "app";
  in.runner_name = "p-i-1";
  in.runner_id = 9;
  in.result = "canceled";
  in.scale_set_assign_time = from_unix_ms(1'700'000'000'000);
  const TimePoint now = from_unix_ms(1'700'000'100'000);
  auto e = to_job_event(in, pool, now);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->status, JobStatus::kCompleted);
  EXPECT_EQ(e->conclusion, "cancelled");
  EXPECT_EQ(e->repository, "acme/app");
  EXPECT_EQ(e->runner_name, "p-i-1");
  EXPECT_EQ(e->labels, pool.labels);
  EXPECT_EQ(e->completed_at, now);  // no finish time in the event: when it was read
  in.kind = scaleset::JobEventKind::kAvailable;
  EXPECT_FALSE(to_job_event(in, pool, now).has_value());
}

}  // namespace
}  // namespace ghscale::scaler
