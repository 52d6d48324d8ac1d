// Table tests of plan(): one group per rule, and the original system's scenarios.
#include <gtest/gtest.h>

#include "scaler/plan.h"
#include "scaler/plan_builders.h"

namespace ghscale::scaler {
namespace {

using namespace testing;

// Copies (optional for its ->), so a plan() temporary may be passed.
std::vector<std::optional<Step>> steps_of(const Plan& p, StepKind kind) {
  std::vector<std::optional<Step>> out;
  for (const auto& s : p.steps) {
    if (s.kind == kind) out.emplace_back(s);
  }
  return out;
}

int launched(const Plan& p) {
  int n = 0;
  for (const auto& s : steps_of(p, StepKind::kLaunch)) n += s->split.total();
  return n;
}

// A pool with `idle` registered idle runners (idle since long ago) and `busy` busy ones
// (each running a job the webhooks told of).
Snapshot with_runners(const std::string& pool, int idle, int busy, TimePoint launched = kT0 - 1h) {
  Snapshot s;
  for (int k = 0; k < idle + busy; ++k) {
    auto i = instance(pool, "i-" + std::to_string(100 + k), launched, launched + 1min, k == 0 ? Market::kOnDemand : Market::kSpot);
    s.runners.push_back(runner_for(i, 1000 + k, true, k >= idle));
    // A busy runner's in_progress delivery has arrived: it runs a job the store knows.
    if (k >= idle) s.running_jobs.push_back({9000 + k, i.runner_name});
    s.instances.push_back(std::move(i));
  }
  return s;
}

// --- assign_jobs_to_pools ----------------------------------------------------------------

TEST(AssignJobs, FirstMatchingPoolInConfigOrderAndUnmatchedReported) {
  auto a = make_pool("small");
  a.labels = LabelSet{"self-hosted", "linux", "x64", "small"};
  auto b = make_pool("any");
  auto arm = make_pool("arm");
  arm.labels = LabelSet{"self-hosted", "linux", "arm64"};
  std::vector<Job> jobs = {queued_job(1, {"self-hosted", "linux"}), queued_job(2, {"Self-Hosted", "SMALL"}),
                           queued_job(3, {"ubuntu-latest"}), queued_job(4, {"linux", "arm64"}), queued_job(5, {})};
  auto out = assign_jobs_to_pools(jobs, {a, b, arm});
  ASSERT_EQ(out.per_pool.size(), 3u);
  ASSERT_EQ(out.per_pool[0].size(), 2u);  // both fit "small", the first in order
  EXPECT_EQ(out.per_pool[0][0].job_id, 1);
  EXPECT_EQ(out.per_pool[0][1].job_id, 2);
  EXPECT_TRUE(out.per_pool[1].empty());
  ASSERT_EQ(out.per_pool[2].size(), 1u);
  EXPECT_EQ(out.per_pool[2][0].job_id, 4);
  ASSERT_EQ(out.unmatched.size(), 2u);  // GitHub-hosted labels, and no labels at all
  EXPECT_EQ(out.unmatched[0].job_id, 3);
  EXPECT_EQ(out.unmatched[1].job_id, 5);
}

// --- demand, supply, scale out -----------------------------------------------------------

struct ScaleOutCase {
  std::string name;
  int queued;
  int idle;
  int busy;
  int booting;
  int min_idle;
  int max_runners;
  int budget;
  int want_launch;
};

class ScaleOut : public ::testing::TestWithParam<ScaleOutCase> {};

TEST_P(ScaleOut, LaunchesDemandMinusSupplyWithinCaps) {
  const auto& c = GetParam();
  auto pool = make_pool();
  pool.min_idle = c.min_idle;
  pool.max_runners = c.max_runners;
  Snapshot s = with_runners("linux", c.idle, c.busy);
  for (int k = 0; k < c.booting; ++k) s.instances.push_back(instance("linux", "i-b" + std::to_string(k), kT0 - 1min));
  for (int k = 0; k < c.queued; ++k) s.queued_jobs.push_back(queued_job(k + 1));
  Settings st;
  st.launch_budget = c.budget;
  Plan p = plan(s, pool, st, kT0);
  EXPECT_EQ(launched(p), c.want_launch) << c.name;
  EXPECT_LE(p.counts.running + launched(p), std::max(pool.max_runners, p.counts.running));
}

INSTANTIATE_TEST_SUITE_P(
    Rules, ScaleOut,
    ::testing::Values(ScaleOutCase{"nothing to do", 0, 0, 0, 0, 0, 10, 100, 0},
                      ScaleOutCase{"one job, empty pool", 1, 0, 0, 0, 0, 10, 100, 1},
                      ScaleOutCase{"idle runner serves the job", 1, 1, 0, 0, 0, 10, 100, 0},
                      ScaleOutCase{"booting instance counts as supply", 2, 0, 0, 1, 0, 10, 100, 1},
                      ScaleOutCase{"busy runners are not supply", 2, 0, 3, 0, 0, 10, 100, 2},
                      ScaleOutCase{"min_idle warm runners", 0, 0, 0, 0, 2, 10, 100, 2},
                      ScaleOutCase{"min_idle plus jobs", 3, 1, 0, 0, 2, 10, 100, 4},
                      ScaleOutCase{"capped by max_runners, booting included", 10, 0, 4, 3, 0, 10, 100, 3},
                      ScaleOutCase{"max reached while jobs queue", 5, 0, 10, 0, 0, 10, 100, 0},
                      ScaleOutCase{"throttled by the token bucket", 8, 0, 0, 0, 0, 10, 3, 3},
                      ScaleOutCase{"empty bucket", 8, 0, 0, 0, 0, 10, 0, 0}),
    [](const ::testing::TestParamInfo<ScaleOutCase>& param_info) {
      std::string n = param_info.param.name;
      for (char& ch : n) ch = std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
      return n;
    });

TEST(ScaleOutRule, MaxReachedWhileJobsQueueSaysSo) {
  auto pool = make_pool();
  pool.max_runners = 2;
  Snapshot s = with_runners("linux", 0, 2);
  for (int k = 0; k < 5; ++k) s.queued_jobs.push_back(queued_job(k + 1));
  Plan p = plan(s, pool, {}, kT0);
  EXPECT_EQ(launched(p), 0);
  ASSERT_FALSE(p.notes.empty());
  EXPECT_NE(p.notes[0].find("max_runners 2 reached"), std::string::npos) << p.notes[0];
  EXPECT_EQ(p.counts.desired, 2);
  EXPECT_EQ(p.counts.queued, 5);
}

TEST(ScaleOutRule, OnDemandBaseFirstThenSpot) {
  auto pool = make_pool();
  pool.on_demand_base = 1;
  Snapshot s;
  for (int k = 0; k < 3; ++k) s.queued_jobs.push_back(queued_job(k + 1));
  Plan p = plan(s, pool, {}, kT0);
  auto l = steps_of(p, StepKind::kLaunch);
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0]->split.on_demand, 1);
  EXPECT_EQ(l[0]->split.spot, 2);
  EXPECT_EQ(l[0]->job_ids, (std::vector<std::int64_t>{1, 2, 3}));
  EXPECT_FALSE(l[0]->reason.empty());
}

TEST(ScaleOutRule, OnDemandBaseCountsExistingOnDemandInstances) {
  auto pool = make_pool();
  pool.on_demand_base = 2;
  Snapshot s = with_runners("linux", 0, 1);  // i-100 is on-demand and busy
  for (int k = 0; k < 3; ++k) s.queued_jobs.push_back(queued_job(k + 1));
  auto l = steps_of(plan(s, pool, {}, kT0), StepKind::kLaunch);
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0]->split.on_demand, 1);
  EXPECT_EQ(l[0]->split.spot, 2);
  pool.on_demand_base = 0;
  l = steps_of(plan(s, pool, {}, kT0), StepKind::kLaunch);
  EXPECT_EQ(l[0]->split.on_demand, 0);
  EXPECT_EQ(l[0]->split.spot, 3);
}

TEST(ScaleOutRule, JobAlreadyPickedUpIsNotDemand) {
  Snapshot s;
  auto j = queued_job(1);
  j.runner_name = "someone";
  s.queued_jobs.push_back(j);
  EXPECT_EQ(launched(plan(s, make_pool(), {}, kT0)), 0);
}

TEST(ScaleOutRule, MinIdleFromSettingsOverridesPool) {
  Settings st;
  st.min_idle = 3;
  EXPECT_EQ(launched(plan({}, make_pool(), st, kT0)), 3);
}

// --- scale in ----------------------------------------------------------------------------

TEST(ScaleIn, IdleBeyondMinIdleDeregisteredLongestIdleFirst) {
  auto pool = make_pool();
  pool.min_idle = 1;
  Snapshot s = with_runners("linux", 3, 0);
  s.instances[1].last_busy_at = kT0 - 50min;  // idle for less long than the others
  Plan p = plan(s, pool, {}, kT0);
  auto d = steps_of(p, StepKind::kDeregister);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0]->instance_id, "i-100");
  EXPECT_EQ(d[1]->instance_id, "i-102");
  EXPECT_EQ(d[0]->runner_id, 1000);
  EXPECT_TRUE(steps_of(p, StepKind::kTerminate).empty());  // terminate only after GitHub accepts
  EXPECT_TRUE(p.scales_in());
}

TEST(ScaleIn, RespectsIdleTimeoutAndMinLifetime) {
  auto pool = make_pool();
  Snapshot s = with_runners("linux", 2, 0);
  s.instances[0].last_busy_at = kT0 - 4min;  // idle 4m < 5m
  s.instances[1].launched_at = kT0 - 4min;   // alive 4m < min_lifetime
  s.instances[1].registered_at = kT0 - 10min;
  s.instances[1].registered_at = kT0 - 3min;
  EXPECT_TRUE(steps_of(plan(s, pool, {}, kT0), StepKind::kDeregister).empty());
  auto d = steps_of(plan(s, pool, {}, kT0 + 2min), StepKind::kDeregister);
  ASSERT_EQ(d.size(), 2u);
}

TEST(ScaleIn, NeverTouchesBusyRunnersNorOnesAWebhookSaysRun) {
  auto pool = make_pool();
  Snapshot s = with_runners("linux", 2, 2);
  s.running_jobs.push_back({77, s.instances[0].runner_name});  // GitHub says idle, the webhook says running
  Plan p = plan(s, pool, {}, kT0);
  auto d = steps_of(p, StepKind::kDeregister);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0]->instance_id, "i-101");
  EXPECT_EQ(p.counts.busy, 3);
  for (const auto& step : p.steps) {
    if (step.kind == StepKind::kTerminate || step.kind == StepKind::kDeregister) {
      EXPECT_NE(step.instance_id, "i-100");
      EXPECT_NE(step.instance_id, "i-102");
      EXPECT_NE(step.instance_id, "i-103");
    }
  }
}

TEST(ScaleIn, KeepsIdleRunnersWhileJobsQueue) {
  Snapshot s = with_runners("linux", 2, 0);
  s.queued_jobs.push_back(queued_job(1));
  Plan p = plan(s, make_pool(), {}, kT0);
  EXPECT_EQ(steps_of(p, StepKind::kDeregister).size(), 1u);  // one stays for the job
}

// --- cleanup -----------------------------------------------------------------------------

TEST(Cleanup, InstanceNotRegisteredAfterBootTimeoutTerminated) {
  Snapshot s;
  s.instances.push_back(instance("linux", "i-slow", kT0 - 6min));
  s.instances.push_back(instance("linux", "i-new", kT0 - 1min));
  Plan p = plan(s, make_pool(), {}, kT0);
  auto t = steps_of(p, StepKind::kTerminate);
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0]->instance_id, "i-slow");
  EXPECT_EQ(t[0]->termination, TerminationReason::kBootTimeout);
  EXPECT_EQ(p.counts.booting, 1);
}

TEST(Cleanup, OfflineRunnerWithoutInstanceDeleted) {
  Snapshot s = with_runners("linux", 0, 0);
  s.runners.push_back({5, runner_name_for("linux", "i-gone"), false, false});
  s.runners.push_back({6, runner_name_for("linux", "i-gone-busy"), false, true});
  Plan p = plan(s, make_pool(), {}, kT0);
  auto d = steps_of(p, StepKind::kDeleteRunner);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0]->runner_id, 5);
}

TEST(Cleanup, RegisteredInstanceWhoseRunnerIsGoneTerminated) {
  Snapshot s;
  s.instances.push_back(instance("linux", "i-done", kT0 - 20min, kT0 - 19min));  // ephemeral runner finished
  auto t = steps_of(plan(s, make_pool(), {}, kT0), StepKind::kTerminate);
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0]->termination, TerminationReason::kRunnerGone);
}

TEST(Cleanup, LostJobsCountedButNotDemand) {
  // GitHub fails a job whose runner vanished; a re-run arrives as a new queued job. An
  // ephemeral runner's instance is also gone before its completed delivery arrives, so
  // launching for a "lost" job would launch twice.
  Snapshot s;
  s.running_jobs.push_back({9, runner_name_for("linux", "i-reclaimed")});
  Plan p = plan(s, make_pool(), {}, kT0);
  EXPECT_EQ(p.counts.lost, 1);
  EXPECT_EQ(p.counts.demand, 0);
  EXPECT_EQ(launched(p), 0);
}

TEST(Demand, AJobTakenBeforeItsDeliveryIsNotLaunchedForAgain) {
  // The runner took the queued job (GitHub's list shows it busy) and the in_progress
  // delivery has not arrived: the store still has the job queued.
  Snapshot s;
  s.queued_jobs.push_back(queued_job(1));
  s.instances.push_back(instance("linux", "i-a", kT0 - 2min, kT0 - 1min));
  s.runners.push_back({11, runner_name_for("linux", "i-a"), true, true});
  Plan p = plan(s, make_pool(), {}, kT0);
  EXPECT_EQ(p.counts.taken, 1);
  EXPECT_EQ(p.counts.queued, 0);
  EXPECT_EQ(launched(p), 0);
}

TEST(Demand, AStaleListNeverLiftsProtection) {
  Snapshot s;
  s.runners_fresh = false;
  auto i = instance("linux", "i-a", kT0 - 20min, kT0 - 19min);
  i.scale_in_protected = true;
  s.instances.push_back(i);
  s.runners.push_back({11, runner_name_for("linux", "i-a"), true, false});  // idle by an old list
  Plan p = plan(s, make_pool(), {}, kT0);
  EXPECT_EQ(p.counts.idle, 1);
  EXPECT_TRUE(steps_of(p, StepKind::kUnprotect).empty());  // it may have taken a job since
  s.runners_fresh = true;
  EXPECT_EQ(steps_of(plan(s, make_pool(), {}, kT0), StepKind::kUnprotect).size(), 1u);
}

TEST(Cleanup, NotHeldByCooldown) {
  auto pool = make_pool();
  pool.cooldown = 10min;
  Snapshot s;
  s.instances.push_back(instance("linux", "i-slow", kT0 - 6min));
  s.last_scale_out = kT0 - 1min;
  Plan p = plan(s, pool, {}, kT0);
  EXPECT_TRUE(p.cooldown_active);
  EXPECT_EQ(steps_of(p, StepKind::kTerminate).size(), 1u);
}

TEST(Registration, NewInstancesGetOneUnlessOnTheirWayOut) {
  Snapshot s;
  auto fresh = instance("linux", "i-fresh", kT0 - 10s);
  fresh.handed_over = false;
  auto late = instance("linux", "i-late", kT0 - 10min);
  late.handed_over = false;
  s.instances = {fresh, late};
  auto r = steps_of(plan(s, make_pool(), {}, kT0), StepKind::kRegister);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0]->instance_id, "i-fresh");
  EXPECT_EQ(r[0]->runner_name, "ghscale-linux-i-fresh");
}

TEST(Registration, PlaceholdersAreBootingSupplyButNeverRegistered) {
  // An Auto Scaling group asked for two more instances that are not placed yet: they are
  // on their way (no launch for the two queued jobs) and have nothing to register.
  Snapshot s;
  for (int k = 1; k <= 2; ++k) {
    auto p = instance("linux", "pending-asg-" + std::to_string(k), kT0 - 5s);
    p.handed_over = false;
    p.placeholder = true;
    s.instances.push_back(p);
  }
  s.queued_jobs = {queued_job(1), queued_job(2)};
  const Plan p = plan(s, make_pool(), {}, kT0);
  EXPECT_TRUE(steps_of(p, StepKind::kRegister).empty());
  EXPECT_TRUE(steps_of(p, StepKind::kLaunch).empty());
  EXPECT_EQ(p.counts.booting, 2);
}

TEST(Protection, FollowsBusyness) {
  Snapshot s = with_runners("linux", 1, 1);
  s.instances[0].scale_in_protected = true;  // idle now
  Plan p = plan(s, make_pool(), {}, kT0);
  auto on = steps_of(p, StepKind::kProtect);
  auto off = steps_of(p, StepKind::kUnprotect);
  ASSERT_EQ(on.size(), 1u);
  ASSERT_EQ(off.size(), 1u);
  EXPECT_EQ(on[0]->instance_id, "i-101");
  EXPECT_EQ(off[0]->instance_id, "i-100");
}

// --- cooldown (the original: settings_cooldown in milliseconds) -------------------------

TEST(Cooldown, SettingsCooldownInMillisecondsOverridesPool) {
  auto pool = make_pool();
  pool.cooldown = 0ms;
  Snapshot s;
  s.queued_jobs.push_back(queued_job(1));
  s.last_scale_out = kT0 - 30s;
  Settings st;
  st.cooldown = Duration{60000};  // settings_cooldown = "60000"
  Plan p = plan(s, pool, st, kT0);
  EXPECT_TRUE(p.cooldown_active);
  EXPECT_EQ(launched(p), 0);
  EXPECT_NE(p.notes.at(0).find("30000ms left"), std::string::npos) << p.notes[0];
  EXPECT_EQ(launched(plan(s, pool, st, kT0 + 30s)), 1);
  st.cooldown = Duration{0};  // present and zero: no cooldown even when the pool has one
  pool.cooldown = 10min;
  EXPECT_EQ(launched(plan(s, pool, st, kT0)), 1);
}

TEST(Cooldown, LastScaleInCountsToo) {
  auto pool = make_pool();
  pool.cooldown = 2min;
  Snapshot s = with_runners("linux", 3, 0);
  s.last_scale_in = kT0 - 1min;
  s.last_scale_out = kT0 - 10min;
  EXPECT_TRUE(steps_of(plan(s, pool, {}, kT0), StepKind::kDeregister).empty());
  EXPECT_EQ(steps_of(plan(s, pool, {}, kT0 + 1min), StepKind::kDeregister).size(), 3u);
}

// --- the original's scenarios over time ---------------------------------------------------

TEST(Scenario, BurstOfFiftyJobsThenBackToMinIdle) {
  auto pool = make_pool();
  pool.max_runners = 60;
  pool.min_idle = 2;
  pool.on_demand_base = 1;
  Snapshot s;
  for (int k = 0; k < 50; ++k) s.queued_jobs.push_back(queued_job(k + 1));
  Plan p = plan(s, pool, {}, kT0);
  auto l = steps_of(p, StepKind::kLaunch);
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0]->split.total(), 52);  // 50 jobs + 2 warm
  EXPECT_EQ(l[0]->split.on_demand, 1);
  EXPECT_EQ(l[0]->job_ids.size(), 50u);

  // The 52 boot and register; 50 pick up a job each and finish; then they sit idle.
  Snapshot after;
  for (int k = 0; k < 52; ++k) {
    auto i = instance("linux", "i-" + std::to_string(k), kT0, kT0 + 1min, k == 0 ? Market::kOnDemand : Market::kSpot);
    i.last_busy_at = kT0 + 10min;
    after.runners.push_back(runner_for(i, 100 + k));
    after.instances.push_back(i);
  }
  EXPECT_TRUE(plan(after, pool, {}, kT0 + 12min).steps.empty());  // idle_timeout not yet reached
  Plan in = plan(after, pool, {}, kT0 + 16min);
  EXPECT_EQ(steps_of(in, StepKind::kDeregister).size(), 50u);
  EXPECT_EQ(in.counts.idle - 50, pool.min_idle);
}

// --- reuse ------------------------------------------------------------------------------

TEST(Reuse, AtMaxRunnersBusyInstancesGetTheirNextRegistrationLongestBusyFirst) {
  auto pool = make_pool();
  pool.max_runners = 3;
  Snapshot s = with_runners("linux", 0, 3);
  s.instances[0].last_busy_at = kT0 - 3min;
  s.instances[1].last_busy_at = kT0 - 9min;
  s.instances[2].last_busy_at = kT0 - 6min;
  for (int k = 0; k < 2; ++k) s.queued_jobs.push_back(queued_job(k + 1));
  Plan p = plan(s, pool, {}, kT0);
  EXPECT_EQ(launched(p), 0);
  auto r = steps_of(p, StepKind::kReuse);
  ASSERT_EQ(r.size(), 2u);  // one per waiting job
  EXPECT_EQ(r[0]->instance_id, "i-101");
  EXPECT_EQ(r[0]->runner_name, runner_name_for("linux", "i-101", 2));
  EXPECT_EQ(r[1]->instance_id, "i-102");
  EXPECT_EQ(p.counts.reused, 2);
  EXPECT_EQ(p.counts.next, 2);
}

TEST(Reuse, NextRegistrationsHeldCountAndRoomToLaunchComesFirst) {
  auto pool = make_pool();
  pool.max_runners = 4;
  Snapshot s = with_runners("linux", 0, 3);
  for (int k = 0; k < 3; ++k) s.queued_jobs.push_back(queued_job(k + 1));
  // i-100 holds its next registration already: its job runs on the earlier runner.
  s.instances[0].runner_name = runner_name_for("linux", "i-100", 2);
  s.instances[0].registration = 2;
  s.instances[0].busy_before_next = true;
  s.instances[0].registered_at.reset();
  Plan p = plan(s, pool, {}, kT0);
  EXPECT_EQ(launched(p), 1);  // the room left is launched into
  EXPECT_EQ(steps_of(p, StepKind::kReuse).size(), 1u);  // 3 queued - 1 launch - 1 held
  EXPECT_EQ(p.counts.next, 2);
  EXPECT_EQ(p.counts.busy, 3);
  EXPECT_EQ(p.counts.lost, 0);  // the job on the earlier runner is on a live instance
}

TEST(Reuse, NotBeyondMaxJobsNorWhenOffNorForRegistrationTokenRunners) {
  auto pool = make_pool();
  pool.max_runners = 2;
  Snapshot s = with_runners("linux", 0, 2);
  for (int k = 0; k < 5; ++k) s.queued_jobs.push_back(queued_job(k + 1));
  s.instances[0].registration = pool.reuse.max_jobs;  // served its last
  EXPECT_EQ(steps_of(plan(s, pool, {}, kT0), StepKind::kReuse).size(), 1u);
  auto off = pool;
  off.reuse.enabled = false;
  EXPECT_TRUE(steps_of(plan(s, off, {}, kT0), StepKind::kReuse).empty());
  auto long_lived = pool;
  long_lived.ephemeral = false;
  EXPECT_TRUE(steps_of(plan(s, long_lived, {}, kT0), StepKind::kReuse).empty());
  // Not held by cooldown: capacity does not change.
  auto cooling = pool;
  cooling.cooldown = 10min;
  s.last_scale_out = kT0 - 1min;
  EXPECT_EQ(steps_of(plan(s, cooling, {}, kT0), StepKind::kReuse).size(), 1u);
}

TEST(Reuse, ASpentInstanceIsNeitherSupplyNorTerminatedBeforeItHadTimeToShutDown) {
  Snapshot s;
  auto i = instance("linux", "i-done", kT0 - 20min, kT0 - 19min);
  i.spent = true;
  i.last_busy_at = kT0 - 30s;
  s.instances.push_back(i);
  s.runners.push_back(runner_for(i, 11, true, false));  // a stale list: online
  s.queued_jobs.push_back(queued_job(1));
  Plan p = plan(s, make_pool(), {}, kT0);
  EXPECT_EQ(p.counts.supply, 0);
  EXPECT_EQ(launched(p), 1);
  EXPECT_TRUE(steps_of(p, StepKind::kTerminate).empty());
  auto t = steps_of(plan(s, make_pool(), {}, kT0 + 3min), StepKind::kTerminate);
  ASSERT_EQ(t.size(), 1u);  // still up minutes later: its bootstrap did not shut it down
  EXPECT_EQ(t[0]->termination, TerminationReason::kRunnerGone);
}

// Caught after its job: a just-finished instance (its bootstrap waits a few seconds for a
// next registration) serves a waiting job at once and saves a boot, below the cap too.
TEST(Reuse, AJustFinishedInstanceIsCaughtForAJobWithNoRunnerAndCountsAsSupply) {
  auto spent = [](const std::string& id, Duration ago) {
    auto i = instance("linux", id, kT0 - 20min, kT0 - 19min);
    i.spent = true;
    i.registration = 1;
    i.last_busy_at = kT0 - ago;
    return i;
  };
  Snapshot s;
  s.instances.push_back(spent("i-a", 1s));
  s.instances.push_back(spent("i-b", 2s));
  s.queued_jobs.push_back(queued_job(1));
  Plan p = plan(s, make_pool(), {}, kT0);
  auto r = steps_of(p, StepKind::kReuse);
  ASSERT_EQ(r.size(), 1u);  // one waiting job, one caught
  EXPECT_EQ(r[0]->runner_name, runner_name_for("linux", r[0]->instance_id, 2));
  EXPECT_EQ(launched(p), 0);  // the caught instance is the supply for it
  EXPECT_EQ(p.counts.supply, 1);
  EXPECT_EQ(p.counts.reused, 1);

  // Past the wait its bootstrap has shut it down: launched for instead.
  Snapshot late;
  late.instances.push_back(spent("i-a", 5s));
  late.queued_jobs.push_back(queued_job(1));
  Plan pl = plan(late, make_pool(), {}, kT0);
  EXPECT_TRUE(steps_of(pl, StepKind::kReuse).empty());
  EXPECT_EQ(launched(pl), 1);

  // An idle runner takes the job: nothing to catch for.
  Snapshot idle = s;
  auto ready = instance("linux", "i-idle", kT0 - 10min, kT0 - 9min);
  idle.instances.push_back(ready);
  idle.runners.push_back(runner_for(ready, 21, true, false));
  EXPECT_TRUE(steps_of(plan(idle, make_pool(), {}, kT0), StepKind::kReuse).empty());

  // Not beyond max_jobs, not with reuse off, not for long-lived runners.
  auto pool = make_pool();
  Snapshot last = s;
  for (auto& i : last.instances) i.registration = pool.reuse.max_jobs;
  EXPECT_TRUE(steps_of(plan(last, pool, {}, kT0), StepKind::kReuse).empty());
  auto off = pool;
  off.reuse.enabled = false;
  EXPECT_TRUE(steps_of(plan(s, off, {}, kT0), StepKind::kReuse).empty());
}

TEST(Reuse, AnInstanceDoneWithItsLastJobGivesItsSlotBackAtTheCap) {
  auto pool = make_pool();
  pool.max_runners = 2;
  pool.on_demand_base = 1;
  auto done = instance("linux", "i-done", kT0 - 3h, kT0 - 3h);
  done.spent = true;
  done.registration = pool.reuse.max_jobs;
  done.last_busy_at = kT0 - 1s;
  done.market = Market::kOnDemand;
  auto busy = instance("linux", "i-busy", kT0 - 1h, kT0 - 1h);
  Snapshot s;
  s.instances = {done, busy};
  s.runners.push_back(runner_for(busy, 31, true, true));
  s.queued_jobs.push_back(queued_job(1));
  s.queued_jobs.push_back(queued_job(2));
  Plan p = plan(s, pool, {}, kT0);
  auto t = steps_of(p, StepKind::kTerminate);
  ASSERT_EQ(t.size(), 1u);  // not the busy one, ever
  EXPECT_EQ(t[0]->instance_id, "i-done");
  EXPECT_EQ(t[0]->termination, TerminationReason::kRunnerGone);
  // Its slot is launched into in the same pass, on-demand as the base asks.
  const auto launch = steps_of(p, StepKind::kLaunch).at(0);
  EXPECT_EQ(launch->split.on_demand + launch->split.spot, 1);
  EXPECT_EQ(launch->split.on_demand, 1);

  // Below the cap it may shut itself down: nothing to hurry.
  auto roomy = pool;
  roomy.max_runners = 10;
  EXPECT_TRUE(steps_of(plan(s, roomy, {}, kT0), StepKind::kTerminate).empty());
  // With no job waiting beyond the supply, likewise.
  Snapshot calm = s;
  calm.queued_jobs.clear();
  EXPECT_TRUE(steps_of(plan(calm, pool, {}, kT0), StepKind::kTerminate).empty());
  // One that may still be handed a next registration is caught instead.
  Snapshot reusable = s;
  reusable.instances[0].registration = 1;
  Plan pr = plan(reusable, pool, {}, kT0);
  EXPECT_TRUE(steps_of(pr, StepKind::kTerminate).empty());
  EXPECT_EQ(steps_of(pr, StepKind::kReuse).size(), 1u);
}

TEST(Reuse, AFreeInstanceIsCaughtEvenWhenBusyOnesHoldRegistrationsForTheQueue) {
  // At the cap a busy instance holds a next registration for the one queued job, but it
  // serves only when its job ends; the instance free now takes the job at once.
  auto pool = make_pool();
  pool.max_runners = 2;
  auto free_now = instance("linux", "i-free", kT0 - 20min, kT0 - 19min);
  free_now.spent = true;
  free_now.last_busy_at = kT0 - 1s;
  auto busy = instance("linux", "i-busy", kT0 - 20min, kT0 - 19min);
  busy.busy_before_next = true;
  busy.registration = 2;
  busy.runner_name = runner_name_for("linux", "i-busy", 2);
  Snapshot s;
  s.instances = {free_now, busy};
  s.queued_jobs.push_back(queued_job(1));
  Plan p = plan(s, pool, {}, kT0);
  auto r = steps_of(p, StepKind::kReuse);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0]->instance_id, "i-free");
  EXPECT_EQ(launched(p), 0);

  // And for the idle floor, instead of a launch for it.
  Snapshot calm;
  calm.instances = {free_now};
  auto floor = make_pool();
  floor.min_idle = 1;
  Plan pf = plan(calm, floor, {}, kT0);
  EXPECT_EQ(steps_of(pf, StepKind::kReuse).size(), 1u);
  EXPECT_EQ(launched(pf), 0);
  // Without a floor and nothing queued it is let go.
  EXPECT_TRUE(steps_of(plan(calm, make_pool(), {}, kT0), StepKind::kReuse).empty());
}

// How many spent instances reuse.keep keeps: keep × the starts expected within a boot,
// rounded down (the default 0.5 keeps the first at two starts per boot, where it waits
// about half a boot); none for a trickle, never above max_runners.
TEST(Reuse, KeptRunnersFollowTheStartsExpectedWithinABoot) {
  EXPECT_EQ(keep_idle_for(0.5, 0.0, 400), 0);
  EXPECT_EQ(keep_idle_for(0.5, 1.3, 400), 0);    // 3,000 jobs a day, a 37 s boot
  EXPECT_EQ(keep_idle_for(0.5, 2.0, 400), 1);
  EXPECT_EQ(keep_idle_for(0.5, 10.4, 400), 5);   // 24,000 a day
  EXPECT_EQ(keep_idle_for(1.0, 10.4, 400), 10);
  EXPECT_EQ(keep_idle_for(1.0, 1.3, 400), 1);
  EXPECT_EQ(keep_idle_for(0.5, 10.4, 3), 3);
  EXPECT_EQ(keep_idle_for(0.5, 3.0, 0), 0);
  EXPECT_EQ(keep_idle_for(0.0, 10.0, 400), 0);   // keep: 0 turns it off
  EXPECT_EQ(keep_idle_for(0.5, 1e300, 400), 400);
}

// reuse.keep: spent instances kept as idle runners for the arrivals expected within a
// boot, caught only (never launched for), and idling out like any idle runner.
TEST(Reuse, SpentInstancesAreKeptForExpectedArrivalsButNeverLaunchedFor) {
  auto spent = [](const std::string& id) {
    auto i = instance("linux", id, kT0 - 20min, kT0 - 19min);
    i.spent = true;
    i.last_busy_at = kT0 - 1s;
    return i;
  };
  Snapshot calm;
  calm.instances = {spent("i-a"), spent("i-b"), spent("i-c")};
  Settings keep;
  keep.keep_idle = 2;
  Plan p = plan(calm, make_pool(), keep, kT0);
  EXPECT_EQ(steps_of(p, StepKind::kReuse).size(), 2u);  // two kept, the third let go
  EXPECT_EQ(launched(p), 0);
  EXPECT_EQ(p.counts.min_idle, 0);  // not a floor: nothing launched to meet it

  // None spent: nothing is launched for what is merely expected.
  Snapshot empty;
  EXPECT_EQ(launched(plan(empty, make_pool(), keep, kT0)), 0);
  EXPECT_TRUE(plan(empty, make_pool(), keep, kT0).steps.empty());

  // Idle runners already up count against it.
  Snapshot with_idle = calm;
  auto ready = instance("linux", "i-idle", kT0 - 10min, kT0 - 9min);
  with_idle.instances.push_back(ready);
  with_idle.runners.push_back(runner_for(ready, 21, true, false));
  EXPECT_EQ(steps_of(plan(with_idle, make_pool(), keep, kT0), StepKind::kReuse).size(), 1u);

  // Queued jobs come first, then the kept: 1 queued + 2 kept = 3 caught.
  Snapshot busy_queue = calm;
  busy_queue.queued_jobs.push_back(queued_job(1));
  EXPECT_EQ(steps_of(plan(busy_queue, make_pool(), keep, kT0), StepKind::kReuse).size(), 3u);

  // A kept runner idle past idle_timeout is scaled in as any idle runner beyond min_idle.
  Snapshot idle_long;
  auto kept = instance("linux", "i-kept", kT0 - 1h, kT0 - 1h);
  kept.registration = 2;
  kept.runner_name = runner_name_for("linux", "i-kept", 2);
  kept.registered_at = kT0 - 10min;
  kept.last_busy_at = kT0 - 10min;
  idle_long.instances.push_back(kept);
  idle_long.runners.push_back(runner_for(kept, 41, true, false));
  idle_long.runners_fresh = true;
  EXPECT_EQ(steps_of(plan(idle_long, make_pool(), keep, kT0), StepKind::kDeregister).size(), 1u);
}

TEST(Assign, AScaleSetPoolTakesJobsByItsLabelsOrItsNameAlone) {
  auto webhook = make_pool();
  webhook.name = "other";
  webhook.labels = LabelSet{"self-hosted", "gpu"};
  auto set = make_pool();
  set.demand = config::Demand::kScaleSet;
  set.scale_set.name = "Linux-Set";
  EXPECT_TRUE(pool_takes(set, LabelSet{"linux-set"}));  // case as GitHub compares
  EXPECT_TRUE(pool_takes(set, LabelSet{"self-hosted", "linux"}));
  EXPECT_FALSE(pool_takes(set, LabelSet{"linux-set", "gpu"}));
  EXPECT_FALSE(pool_takes(set, LabelSet{}));
  EXPECT_FALSE(pool_takes(webhook, LabelSet{"linux-set"}));
  auto named = queued_job(1);
  named.labels = LabelSet{"linux-set"};
  const JobAssignment a = assign_jobs_to_pools({named}, {webhook, set});
  EXPECT_TRUE(a.unmatched.empty());
  ASSERT_EQ(a.per_pool[1].size(), 1u);
  // A webhook pool never takes a job by a name: no scale set of its own.
  webhook.scale_set.name = "linux-set";
  EXPECT_FALSE(pool_takes(webhook, LabelSet{"linux-set"}));
}

TEST(Reuse, RunnerNamesCarryTheRegistrationNumber) {
  EXPECT_EQ(runner_name_for("linux", "i-0abc"), "ghscale-linux-i-0abc");
  EXPECT_EQ(runner_name_for("linux", "i-0abc", 3), "ghscale-linux-i-0abc-r3");
  EXPECT_EQ(registration_of("linux", "i-0abc", "ghscale-linux-i-0abc"), 1);
  EXPECT_EQ(registration_of("linux", "i-0abc", "ghscale-linux-i-0abc-r12"), 12);
  EXPECT_EQ(registration_of("linux", "i-0abc", "ghscale-linux-i-0abcd"), 0);
  EXPECT_EQ(registration_of("linux", "i-0abc", "ghscale-linux-i-0abc-r"), 0);
  EXPECT_EQ(registration_of("linux", "i-0abc", "ghscale-linux-i-0abc-r1"), 0);
  EXPECT_EQ(instance_of_runner("linux", "ghscale-linux-i-0abc-r4"), "i-0abc");
  EXPECT_EQ(instance_of_runner("linux", "ghscale-linux-i-0abc"), "i-0abc");
  EXPECT_EQ(instance_of_runner("linux", "ghscale-other-i-0abc"), "");
}

TEST(Scenario, MaxReachedThenJobsServedAsCapacityFrees) {
  auto pool = make_pool();
  pool.reuse.enabled = false;
  pool.max_runners = 3;
  Snapshot s = with_runners("linux", 0, 3);
  for (int k = 0; k < 4; ++k) s.queued_jobs.push_back(queued_job(k + 1));
  EXPECT_EQ(launched(plan(s, pool, {}, kT0)), 0);
  s.instances.pop_back();  // one ephemeral runner finished and its instance is gone
  s.runners.pop_back();
  EXPECT_EQ(launched(plan(s, pool, {}, kT0)), 1);
}

}  // namespace
}  // namespace ghscale::scaler
