#include <gtest/gtest.h>

#include "sandbox/simulator.h"

namespace ghscale::sandbox {
namespace {

using namespace std::chrono_literals;

const LabelSet kLinux{"self-hosted", "linux", "x64"};

SimEnvironment exact_env() {
  SimEnvironment env;
  env.cloud.boot_time = 30s;
  env.faults.latency = 0s;
  return env;
}

TEST(Simulator, OneJobOneRunnerWaitsTheBoot) {
  // Queued at 65 s (between ticks): the delivery wakes the scaler, which passes at once
  // (nothing ran in the last debounce window) and launches; the runner is online 30 s
  // later and takes the job.
  Workload w;
  w.jobs.push_back({65s, kLinux, 120s, "acme/app"});
  const PolicyResult r = simulate(w, ghscale_policy(10), exact_env());
  EXPECT_EQ(r.completed, 1);
  EXPECT_EQ(r.unfinished, 0);
  EXPECT_DOUBLE_EQ(r.wait_max, 30.0);
  // In the histogram's second bucket (10 s < wait ≤ 30 s), and nowhere else.
  ASSERT_EQ(r.wait_histogram.size(), std::size(kWaitBucketEdges) + 1);
  for (std::size_t b = 0; b < r.wait_histogram.size(); ++b) EXPECT_EQ(r.wait_histogram[b], b == 1 ? 1 : 0) << "bucket " << b;
  EXPECT_EQ(r.instances_launched, 1);
  EXPECT_EQ(r.busy_terminations, 0);
  // One on-demand instance (on_demand_base 1) alive for boot + job + the bootstrap's 5 s
  // wait for a next registration: 155.0 s.
  EXPECT_NEAR(r.on_demand_hours * 3600, 155.0, 1e-6);
  EXPECT_EQ(r.spot_hours, 0.0);
}

TEST(Simulator, SpotInterruptionRunsTheJobAgain) {
  Workload w;
  for (int i = 0; i < 40; ++i) w.jobs.push_back({Duration{65s + i * 1s}, kLinux, 30min, "acme/app"});
  SimEnvironment env = exact_env();
  env.cloud.spot_interruption_rate = 1.0;  // per spot instance-hour: most 30-minute jobs see one
  Policy p = ghscale_policy(100);
  const PolicyResult r = simulate(w, p, env);
  EXPECT_GT(r.interruptions, 0);
  EXPECT_GT(r.reruns, 0);
  EXPECT_EQ(r.unfinished, 0);
  EXPECT_EQ(r.completed, 40);  // every job eventually succeeded
  EXPECT_EQ(r.busy_terminations, 0);
}

TEST(Simulator, CapacityCapMakesWaitsGrow) {
  // 20 ten-minute jobs at once. Uncapped: all wait the 30 s boot (one pass at once for the
  // burst). With 5 runners at most, they go in four waves. With reuse (the default) each
  // busy instance holds its next registration, so a wave starts the moment the previous
  // one ends; without, it waits for the ephemeral instance to go, a pass and a 30 s boot.
  Workload w;
  for (int i = 0; i < 20; ++i) w.jobs.push_back({65s, kLinux, 10min, "acme/app"});
  const PolicyResult open = simulate(w, ghscale_policy(100), exact_env());
  EXPECT_DOUBLE_EQ(open.wait_max, 30.0);
  const PolicyResult capped = simulate(w, ghscale_policy(5), exact_env());
  EXPECT_EQ(capped.completed, 20);
  EXPECT_NEAR(capped.wait_max, 30.0 + 3 * 600, 1.0);
  EXPECT_EQ(capped.instances_launched, 5);
  EXPECT_GT(capped.wait_p50, open.wait_p50 + 600);
  Policy no_reuse = ghscale_policy(5);
  no_reuse.pool.reuse.enabled = false;
  const PolicyResult rebooted = simulate(w, no_reuse, exact_env());
  EXPECT_EQ(rebooted.completed, 20);
  // Each wave: the job, then a boot. The pass that sees a job end with jobs waiting at
  // the cap terminates the instance (it gets no next registration) and launches in its
  // place at once, instead of waiting for it to shut itself down.
  EXPECT_NEAR(rebooted.wait_max, 30.0 + 3 * (600 + 30), 1.0);
  EXPECT_EQ(rebooted.instances_launched, 20);
  EXPECT_LT(capped.on_demand_cost + capped.spot_cost, rebooted.on_demand_cost + rebooted.spot_cost);
  // The same with the cloud's capacity as the limit: launches fail and are retried.
  SimEnvironment env = exact_env();
  env.cloud.on_demand_capacity = 1;
  env.cloud.spot_capacity = 4;
  const PolicyResult cloud_capped = simulate(w, ghscale_policy(100), env);
  EXPECT_EQ(cloud_capped.completed, 20);
  EXPECT_GT(cloud_capped.wait_max, 3 * 600.0);
  EXPECT_EQ(cloud_capped.busy_terminations, 0);
}

TEST(Simulator, SameSeedSameResults) {
  SyntheticOptions o;
  o.length = 2h;
  o.jobs_per_day = 6000;
  const Workload w = generate_synthetic(o);
  SimEnvironment env;
  env.cloud.boot_jitter = 20s;
  env.cloud.spot_interruption_rate = 0.05;
  env.faults = {.latency = 1s, .drop = 0.02, .duplicate = 0.02, .reorder = 0.1};
  for (const auto& name : {"ghscale", "original", "per-job"}) {
    const Policy p = *builtin_policy(name, 200);
    const PolicyResult a = simulate(w, p, env);
    const PolicyResult b = simulate(w, p, env);
    EXPECT_EQ(a.wait_p95, b.wait_p95) << name;
    EXPECT_EQ(a.wait_max, b.wait_max) << name;
    EXPECT_EQ(a.cost(), b.cost()) << name;
    EXPECT_EQ(a.github_calls, b.github_calls) << name;
    EXPECT_EQ(a.cloud_calls, b.cloud_calls) << name;
    EXPECT_EQ(format_series_csv({a}), format_series_csv({b})) << name;
    EXPECT_EQ(a.unfinished, 0) << name;
  }
}

TEST(Simulator, GhscaleNeverTerminatesBusyRunnersAndLostDeliveriesCostAtMostASweep) {
  SyntheticOptions o;
  o.length = 3h;
  o.jobs_per_day = 4000;
  const Workload w = generate_synthetic(o);
  SimEnvironment env;
  env.faults = {.latency = 1s, .drop = 0.1, .duplicate = 0.1, .reorder = 0.2};
  const PolicyResult r = simulate(w, ghscale_policy(200), env);
  EXPECT_EQ(r.busy_terminations, 0);
  EXPECT_EQ(r.unfinished, 0);
  EXPECT_LE(r.wait_max, 15 * 60 + 60);
}

// The same faults at a binding cap, where reused instances are handed their next
// registration while busy: a lost in_progress delivery must not let the waiting
// registration pass for a boot that timed out (the instance was terminated under its job).
TEST(Simulator, GhscaleNeverTerminatesBusyRunnersWhenDeliveriesAreLostAtTheCap) {
  SyntheticOptions o;
  o.length = 3h;
  o.jobs_per_day = 3000;
  o.seed = 3;
  const Workload w = generate_synthetic(o);
  SimEnvironment env;
  env.faults = {.latency = 1s, .drop = 0.2, .duplicate = 0.1, .reorder = 0.2};
  Policy p = ghscale_policy(5);
  p.pool.on_demand_base = 0;
  const PolicyResult r = simulate(w, p, env);
  EXPECT_EQ(r.busy_terminations, 0);
  EXPECT_GT(r.completed, 0);
}

// Burst probes: jobs queued together, each launched for exactly once, whatever the
// moment the in_progress delivery arrives relative to the scaler's passes.
class BurstProbe : public ::testing::TestWithParam<int> {};

TEST_P(BurstProbe, LaunchesExactlyOneInstancePerJob) {
  const int n = GetParam();
  for (Duration latency : {0s, 1s, 7s}) {
    Workload w;
    for (int i = 0; i < n; ++i) w.jobs.push_back({65s, kLinux, 10min, "acme/app"});
    SimEnvironment env = exact_env();
    env.faults.latency = latency;
    const PolicyResult r = simulate(w, ghscale_policy(400), env);
    EXPECT_EQ(r.instances_launched, n) << "latency " << latency.count() << " ms";
    EXPECT_EQ(r.completed, n);
    EXPECT_EQ(r.busy_terminations, 0);
  }
}

INSTANTIATE_TEST_SUITE_P(Simulator, BurstProbe, ::testing::Values(1, 5, 60, 120));

TEST(Simulator, StaggeredPairsLaunchOnePerJob) {
  // Pairs a few seconds apart, each pair landing around a runner taking the last one.
  Workload w;
  for (int i = 0; i < 20; ++i) {
    w.jobs.push_back({Duration{65s + i * 31s}, kLinux, 5min, "acme/app"});
    w.jobs.push_back({Duration{65s + i * 31s + 2s}, kLinux, 5min, "acme/app"});
  }
  SimEnvironment env = exact_env();
  env.faults.latency = 2s;
  // Instances shut down the moment their job ends, so none is caught for a later pair:
  // what is counted here is demand alone.
  env.reuse_wait = 0s;
  const PolicyResult r = simulate(w, ghscale_policy(400), env);
  EXPECT_EQ(r.instances_launched, 40);
  EXPECT_EQ(r.completed, 40);
}

// With the bootstrap's wait for a next registration (5 s), a job that arrives while
// others finish is served by one of their instances: it starts in seconds rather than
// after a boot, and its own launch is saved. Never more than one instance per job.
TEST(Simulator, AJustFinishedInstanceServesAWaitingJobInsteadOfABoot) {
  Workload w;
  for (int i = 0; i < 4; ++i) w.jobs.push_back({65s, kLinux, 5min, "acme/app"});  // end near 395 s
  // Queued as those end, inside their instances' 5 s wait.
  for (int i = 0; i < 4; ++i) w.jobs.push_back({Duration{396s + i * 500ms}, kLinux, 5min, "acme/app"});
  SimEnvironment env = exact_env();
  env.faults.latency = 1s;
  const PolicyResult caught = simulate(w, ghscale_policy(400), env);
  env.reuse_wait = 0s;
  const PolicyResult booted = simulate(w, ghscale_policy(400), env);
  EXPECT_EQ(caught.completed, 8);
  EXPECT_EQ(booted.completed, 8);
  EXPECT_EQ(booted.instances_launched, 8);
  EXPECT_EQ(caught.instances_launched, 4);  // the late four ran where the first four did
  EXPECT_LT(caught.wait_p50, booted.wait_p50);  // the late four waited less than a boot
  EXPECT_LE(caught.cost(), booted.cost());
  EXPECT_EQ(caught.busy_terminations, 0);
}

TEST(Simulator, UnmatchedJobsAreReportedApartAndKeptOutOfTheWaits) {
  Workload w;
  w.jobs.push_back({65s, kLinux, 60s, "acme/app"});
  w.jobs.push_back({66s, LabelSet{"self-hosted", "windows"}, 60s, "acme/app"});
  const PolicyResult r = simulate(w, ghscale_policy(10), exact_env());
  EXPECT_EQ(r.unmatched, 1);
  EXPECT_EQ(r.completed, 1);
  EXPECT_EQ(r.unfinished, 0);
  EXPECT_DOUBLE_EQ(r.wait_max, 30.0);  // the unmatched job's endless wait is not in here
  EXPECT_NE(format_table({r}).find("unmatched (no pool)"), std::string::npos);
}

TEST(Simulator, ScaleSetModeLearnsJobsFromMessagesThatAreNeverLost) {
  // 30 three-minute jobs over 10 minutes, webhooks dropping half their deliveries.
  Workload w;
  for (int i = 0; i < 30; ++i) w.jobs.push_back({Duration{65s + i * 20s}, kLinux, 3min, "acme/app"});
  SimEnvironment env = exact_env();
  env.faults.latency = 1s;
  env.faults.drop = 0.5;
  const PolicyResult hooks = simulate(w, ghscale_policy(100), env);
  const PolicyResult messages = simulate(w, ghscale_scale_set_policy(100), env);
  EXPECT_EQ(messages.policy, "ghscale-scale-set");
  EXPECT_EQ(messages.completed, 30);
  EXPECT_EQ(messages.busy_terminations, 0);
  // No delivery lost: every job waits one boot at most (plus the message's second).
  EXPECT_LE(messages.wait_max, 31.0);
  EXPECT_GT(hooks.wait_max, messages.wait_max);  // the sweep finds what webhooks lost, later
  // Each event a message (GetMessage and DeleteMessage): more calls, but JIT configs come
  // from the Actions service, so almost none against the REST quota.
  EXPECT_GE(messages.github_calls, 2 * 30 * 3);
  EXPECT_LT(messages.github_quota_calls, hooks.github_quota_calls);
  EXPECT_LT(messages.github_quota_calls_per_job, 0.5);
}

TEST(Simulator, AScaleSetAtItsCapacityServesTheRestInWaves) {
  // 20 ten-minute jobs at once, 5 runners at most: GitHub assigns 5, then one per job
  // done. The assignment and the job's end come together, so the instance that just
  // finished is caught for it: four waves, no boot between them, as with webhooks.
  Workload w;
  for (int i = 0; i < 20; ++i) w.jobs.push_back({65s, kLinux, 10min, "acme/app"});
  const PolicyResult r = simulate(w, ghscale_scale_set_policy(5), exact_env());
  EXPECT_EQ(r.completed, 20);
  EXPECT_EQ(r.busy_terminations, 0);
  EXPECT_EQ(r.instances_launched, 5);
  EXPECT_NEAR(r.wait_max, 30.0 + 3 * 600, 1.0);
}

TEST(Simulator, BeatsPerJobOnWaitAndCostWithALooseCap) {
  SyntheticOptions o;
  o.length = 3h;
  o.jobs_per_day = 8000;
  const Workload w = generate_synthetic(o);
  SimEnvironment env;
  env.faults.latency = 1s;
  const PolicyResult ours = simulate(w, ghscale_policy(400), env);
  const PolicyResult per_job = simulate(w, per_job_policy(400), env);
  EXPECT_EQ(ours.unfinished, 0);
  // Every servable job's wait is in the histogram once.
  std::int64_t counted = 0;
  for (std::int64_t n : ours.wait_histogram) counted += n;
  EXPECT_EQ(counted, ours.jobs - ours.unmatched);
  EXPECT_LE(ours.wait_p95, per_job.wait_p95);
  EXPECT_LE(ours.cost(), per_job.cost());
  // Exactly what the queue needs: at most 1 % more instances than jobs.
  EXPECT_LE(static_cast<double>(ours.instances_launched), static_cast<double>(ours.jobs) * 1.01);
  EXPECT_LE(ours.github_quota_calls_per_job, 1.5);
  EXPECT_LE(ours.github_calls_per_job, 3.0);
  EXPECT_EQ(ours.busy_terminations, 0);
}

TEST(Simulator, WarmPoolTurnsTheBootIntoNoWaitForAFewIdleRunners) {
  SyntheticOptions o;
  o.length = 4h;
  o.jobs_per_day = 8000;
  const Workload w = generate_synthetic(o);
  SimEnvironment env;
  env.faults.latency = 1s;
  const PolicyResult cold = simulate(w, ghscale_policy(400), env);
  const PolicyResult warm = simulate(w, ghscale_warm_policy(400, 1.0), env);
  EXPECT_LT(warm.wait_p50, 30.0);  // most find an idle runner
  EXPECT_LT(warm.wait_p50, cold.wait_p50);  // cold, most wait a boot (some are caught sooner)
  EXPECT_LT(warm.wait_p95, cold.wait_p95);
  EXPECT_GT(warm.cost(), cold.cost());  // idle runners are billed...
  EXPECT_LE(warm.cost(), cold.cost() * 1.25);  // ...a few of them
  EXPECT_EQ(warm.busy_terminations, 0);
  EXPECT_EQ(warm.unfinished, 0);
  auto named = builtin_policy("ghscale-warm:0.5", 10);
  ASSERT_TRUE(named.ok());
  EXPECT_DOUBLE_EQ(named->pool.warm_pool.coverage, 0.5);
  EXPECT_FALSE(builtin_policy("ghscale-warm:lots", 10).ok());
}

TEST(Simulator, DependantsLeftWaitingAreReportedNotHidden) {
  // The build matches no pool, so its test (which would) is held for good: both are reported,
  // neither lands in the waits.
  Workload w;
  WorkloadJob build{65s, LabelSet{"self-hosted", "windows"}, 60s, "acme/app"};
  build.run = 1;
  WorkloadJob test{65s, kLinux, 60s, "acme/app"};
  test.run = 1;
  test.needs = {0};
  w.jobs = {build, test};
  SimEnvironment env = exact_env();
  env.drain_limit = 1h;
  const PolicyResult r = simulate(w, ghscale_policy(10), env);
  EXPECT_EQ(r.unmatched, 1);
  EXPECT_EQ(r.held, 1);
  EXPECT_EQ(r.completed, 0);
  EXPECT_EQ(r.instances_launched, 0);
  EXPECT_NE(format_table({r}).find("held (needs not done)"), std::string::npos);
  EXPECT_NE(format_json({r}).find("\"held\":1"), std::string::npos);
}

TEST(Simulator, OutputsNameEveryPolicy) {
  Workload w;
  w.jobs.push_back({65s, kLinux, 60s, "acme/app"});
  std::vector<PolicyResult> rs{simulate(w, ghscale_policy(10), exact_env()), simulate(w, per_job_policy(10), exact_env())};
  const std::string table = format_table(rs);
  EXPECT_NE(table.find("queue wait p95 (s)"), std::string::npos);
  EXPECT_NE(table.find("per-job"), std::string::npos);
  EXPECT_NE(format_json(rs).find("\"policy\":\"ghscale\""), std::string::npos);
  EXPECT_EQ(format_series_csv(rs).rfind("policy,minute,queued,running,idle,booting\n", 0), 0u);
  EXPECT_FALSE(builtin_policy("nope", 1).ok());
}

// A run as `needs:` shapes it: build (60 s) -> two tests (120 s) -> deploy (30 s), all
// with the run's start, 65 s, as queued_at. Each job is queued only when its needs are
// done and waits one 30 s boot from then: build 65..95..155, tests 155..185..305, deploy
// 305..335..365. Were the waits counted from 65 s, the tests would wait 120 s and the
// deploy 270 s.
TEST(Simulator, DependantsQueueWhenTheirNeedsComplete) {
  Workload w;
  w.jobs.push_back({65s, kLinux, 60s, "acme/app", 1});
  w.jobs.push_back({65s, kLinux, 120s, "acme/app", 1, {0}});
  w.jobs.push_back({65s, kLinux, 120s, "acme/app", 1, {0}});
  w.jobs.push_back({65s, kLinux, 30s, "acme/app", 1, {1, 2}});
  // Instances shut down the moment their job ends (no catching), for the timeline above.
  SimEnvironment env = exact_env();
  env.reuse_wait = 0s;
  const PolicyResult r = simulate(w, ghscale_policy(10), env);
  EXPECT_EQ(r.completed, 4);
  EXPECT_EQ(r.unfinished, 0);
  EXPECT_DOUBLE_EQ(r.wait_p50, 30.0);
  EXPECT_DOUBLE_EQ(r.wait_max, 30.0);
  EXPECT_EQ(r.instances_launched, 4);
  EXPECT_EQ(r.busy_terminations, 0);
  // Four instances, each alive for its boot and its job: 4 × 30 + 60 + 2 × 120 + 30 s.
  EXPECT_NEAR((r.on_demand_hours + r.spot_hours) * 3600, 450.0, 1e-6);
  // Nothing runs before the build is done, and the deploy runs alone at the end.
  for (const Sample& s : r.series) {
    if (s.at <= 155s || s.at > 305s) {
      EXPECT_LE(s.running, 1) << "at " << s.at.count();
    }
  }
  EXPECT_GE(r.simulated, 365s);

  // With the bootstrap's 5 s wait, the build's instance is caught for a test and the
  // tests' for the deploy: those start at once, and one boot is saved per hand-on.
  const PolicyResult handed_on = simulate(w, ghscale_policy(10), exact_env());
  EXPECT_EQ(handed_on.completed, 4);
  EXPECT_EQ(handed_on.busy_terminations, 0);
  EXPECT_LT(handed_on.instances_launched, 4);
  EXPECT_LT(handed_on.wait_p50, 30.0);
  EXPECT_LT(handed_on.on_demand_cost + handed_on.spot_cost, r.on_demand_cost + r.spot_cost);
}

// The GitHub simulator alone: one run id for the run, no job id and no queued delivery
// while held, queued at its need's completion, and skipped when a need fails for good.
TEST(GitHubSimRuns, HoldsDependantsUntilTheirNeedsSucceed) {
  auto clock = std::make_shared<ManualClock>();
  const TimePoint t0 = clock->now();
  GitHubSimOptions go;
  go.clock = clock;
  go.faults.latency = 0s;
  go.rerun_lost_jobs = false;
  GitHubSim gh(go);
  const auto online = [&](const std::string& name, const std::string& instance) {
    auto jit = gh.generate_jit_config(name, kLinux);
    ASSERT_TRUE(jit.ok());
    provider::SimEvent e;
    e.instance.id = instance;
    e.registration = provider::Registration{};
    e.registration->runner_name = name;
    e.registration->secret = jit->encoded_jit_config;
    gh.on_cloud_event(e);
  };
  const auto queued_deliveries = [&] {
    std::vector<std::int64_t> ids;
    for (const JobEvent& e : gh.take_due_deliveries()) {
      if (e.action == "queued") ids.push_back(e.job_id);
    }
    return ids;
  };
  // Run 1: build -> test. Run 2: build -> test, whose build is lost.
  const std::int64_t build1 = gh.enqueue({0s, kLinux, 60s, "acme/app", 1});
  const std::int64_t build2 = gh.enqueue({0s, kLinux, 60s, "acme/api", 2});
  EXPECT_EQ(gh.enqueue({0s, kLinux, 30s, "acme/app", 1, {0}}), 0);
  EXPECT_EQ(gh.enqueue({0s, kLinux, 30s, "acme/api", 2, {1}}), 0);
  EXPECT_EQ(gh.counts().held, 2);
  EXPECT_EQ(gh.counts().queued, 2);
  EXPECT_EQ(queued_deliveries(), (std::vector<std::int64_t>{build1, build2}));

  clock->advance(10s);
  online("r1", "i-1");
  online("r2", "i-2");
  gh.step();
  EXPECT_EQ(gh.job(build1)->started_at, t0 + 10s);
  EXPECT_EQ(gh.job(build2)->started_at, t0 + 10s);
  // Run 2's build loses its runner at 40 s: its test is skipped, never queued.
  clock->advance(30s);
  provider::SimEvent lost;
  lost.kind = provider::SimEvent::Kind::kInterrupted;
  lost.instance.id = gh.runner_named(gh.job(build2)->runner_name)->instance_id;
  gh.on_cloud_event(lost);
  EXPECT_EQ(gh.counts().skipped, 1);
  EXPECT_EQ(gh.counts().held, 1);
  // A later job needing the failed build is skipped at once.
  EXPECT_EQ(gh.enqueue({40s, kLinux, 30s, "acme/api", 2, {1}}), 0);
  EXPECT_EQ(gh.counts().skipped, 2);

  // Run 1's build completes at 70 s: its test is queued then, in the build's run.
  clock->advance(30s);
  gh.step();
  const auto released = queued_deliveries();
  ASSERT_EQ(released.size(), 1u);
  const auto test1 = gh.job(released[0]);
  ASSERT_TRUE(test1.has_value());
  EXPECT_EQ(test1->queued_at, t0 + 70s);
  EXPECT_EQ(test1->run_id, gh.job(build1)->run_id);
  EXPECT_NE(gh.job(build1)->run_id, gh.job(build2)->run_id);
  EXPECT_EQ(gh.counts().held, 0);
  EXPECT_EQ(gh.counts().queued, 1);
  EXPECT_EQ(gh.jobs().size(), 3u);  // the skipped ones never existed at GitHub
}

}  // namespace
}  // namespace ghscale::sandbox
