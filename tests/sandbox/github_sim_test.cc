#include <gtest/gtest.h>

#include <algorithm>

#include "provider/sim/sim_cloud.h"
#include "sandbox/github_sim.h"
#include "sandbox/scaled_clock.h"
#include "webhook/delivery.h"
#include "webhook/signature.h"

namespace ghscale::sandbox {
namespace {

using namespace std::chrono_literals;

struct World {
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>();
  std::shared_ptr<provider::SimCloud> cloud;
  std::shared_ptr<GitHubSim> github;

  explicit World(DeliveryFaults faults = {.latency = 0s}, ScaleSetMode scale_set = {}) {
    provider::SimCloudOptions co;
    co.clock = clock;
    co.boot_time = 30s;
    cloud = std::make_shared<provider::SimCloud>(co);
    GitHubSimOptions go;
    go.clock = clock;
    go.faults = faults;
    go.cloud = cloud;
    go.scale_set = scale_set;
    github = std::make_shared<GitHubSim>(go);
    cloud->set_observer([g = github.get()](const provider::SimEvent& e) { g->on_cloud_event(e); });
  }

  // Launches one instance and hands it a JIT config for runner `name`.
  std::string launch_runner(const std::string& name, const LabelSet& labels, Market market = Market::kOnDemand) {
    provider::LaunchRequest req;
    req.pool = "linux";
    (market == Market::kSpot ? req.split.spot : req.split.on_demand) = 1;
    auto out = cloud->launch(req);
    const std::string id = market == Market::kSpot ? out->spot_ids.at(0) : out->on_demand_ids.at(0);
    auto jit = github->generate_jit_config(name, labels);
    provider::Registration reg;
    reg.runner_name = name;
    reg.secret = jit->encoded_jit_config;
    EXPECT_TRUE(cloud->hand_over(id, reg).ok());
    return id;
  }

  void run_until(TimePoint t) {
    while (clock->now() < t) {
      clock->advance(100ms);
      cloud->advance(clock->now());
      github->step();
    }
  }

  std::vector<std::string> actions() {
    std::vector<std::string> out;
    for (const auto& e : github->take_due_deliveries()) out.push_back(e.action + ":" + std::to_string(e.job_id));
    return out;
  }
};

const LabelSet kLinux{"self-hosted", "linux", "x64"};

TEST(GitHubSim, RunnerTakesJobRunsItAndLeaves) {
  World w;
  const auto job = w.github->enqueue({0s, LabelSet{"self-hosted", "linux"}, 60s, "acme/app"});
  const TimePoint t0 = w.clock->now();
  const std::string instance = w.launch_runner("ghscale-linux-a", kLinux);
  w.run_until(t0 + 29s);
  EXPECT_FALSE(w.github->job(job)->started_at);
  w.run_until(t0 + 31s);
  auto j = w.github->job(job);
  ASSERT_TRUE(j->started_at);
  EXPECT_EQ(*j->started_at - t0, 30s);
  EXPECT_EQ(j->runner_name, "ghscale-linux-a");
  EXPECT_EQ(w.github->delete_runner(w.github->runner_named("ghscale-linux-a")->id).error().kind, ErrorKind::kConflict);
  w.run_until(t0 + 91s);
  j = w.github->job(job);
  ASSERT_TRUE(j->completed_at);
  EXPECT_EQ(j->conclusion, "success");
  // Ephemeral: the runner left and its instance terminated itself.
  EXPECT_FALSE(w.github->runner_named("ghscale-linux-a"));
  EXPECT_FALSE(w.cloud->instance(instance));
  EXPECT_EQ(w.actions(), (std::vector<std::string>{"queued:" + std::to_string(job), "in_progress:" + std::to_string(job),
                                                   "completed:" + std::to_string(job)}));
  EXPECT_EQ(w.github->counts().busy_terminations, 0);
}

TEST(GitHubSim, AScaleSetIsAssignedJobsWithinItsCapacityAndOnlyThoseRun) {
  World w({.latency = 0s, .drop = 1.0}, ScaleSetMode{.enabled = true, .capacity = 2, .long_poll = 50s});
  std::vector<std::int64_t> jobs;
  for (int i = 0; i < 3; ++i) jobs.push_back(w.github->enqueue({0s, kLinux, 60s, "acme/app"}));
  // Two assigned (messages are never dropped, whatever the webhook faults); the third waits.
  auto first = w.github->take_due_deliveries();
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].job_id, jobs[0]);
  EXPECT_EQ(first[1].job_id, jobs[1]);
  EXPECT_EQ(first[0].delivery_id.rfind("scaleset:", 0), 0u);
  const auto calls = w.github->counts().api_calls;
  EXPECT_EQ(calls, 2);  // one message: fetched and acknowledged
  // Three runners: only the two assigned jobs start.
  const TimePoint t0 = w.clock->now();
  for (const char* name : {"ghscale-linux-a", "ghscale-linux-b", "ghscale-linux-c"}) w.launch_runner(name, kLinux);
  EXPECT_EQ(w.github->counts().api_quota_calls, 0);  // scale-set JIT configs: not REST quota
  w.run_until(t0 + 31s);
  EXPECT_TRUE(w.github->job(jobs[0])->started_at);
  EXPECT_TRUE(w.github->job(jobs[1])->started_at);
  EXPECT_FALSE(w.github->job(jobs[2])->started_at);
  EXPECT_EQ(w.github->counts().runners_idle, 1);
  // One done: the third is assigned and the idle runner takes it.
  w.run_until(t0 + 91s);
  EXPECT_TRUE(w.github->job(jobs[2])->started_at);
  EXPECT_EQ(*w.github->job(jobs[2])->started_at - t0, 90s);
  // A quiet session still polls: one empty long poll per 50 s.
  w.github->take_due_deliveries();
  const auto before = w.github->counts().api_calls;
  w.clock->advance(100s);
  EXPECT_EQ(w.github->counts().api_calls - before, 2);
}

TEST(GitHubSim, UnchangedSweepListsAskedConditionallyCostNoQuota) {
  World w;
  const auto job = w.github->enqueue({0s, kLinux, 60s, "acme/app"});
  std::uint64_t runs_seen = 0, repos_seen = 0, jobs_seen = 0;
  const auto run = w.github->job(job)->run_id;
  ASSERT_EQ(w.github->queued_runs("acme/app", &runs_seen).size(), 1u);
  w.github->repositories(&repos_seen);
  w.github->run_jobs(run, &jobs_seen);
  const auto quota = w.github->counts().api_quota_calls;
  EXPECT_EQ(quota, 3);
  EXPECT_EQ(w.github->queued_runs("acme/app", &runs_seen).size(), 1u);  // still answered
  w.github->repositories(&repos_seen);
  w.github->run_jobs(run, &jobs_seen);
  EXPECT_EQ(w.github->counts().api_quota_calls, quota);
  EXPECT_EQ(w.github->counts().api_calls, 6);
  // Unconditional: always counted. A job event: the repository's and run's lists change.
  w.github->queued_runs("acme/app");
  EXPECT_EQ(w.github->counts().api_quota_calls, quota + 1);
  w.launch_runner("ghscale-linux-a", kLinux);
  w.run_until(w.clock->now() + 31s);  // it took the job
  const auto before = w.github->counts().api_quota_calls;
  EXPECT_TRUE(w.github->queued_runs("acme/app", &runs_seen).empty());
  w.github->run_jobs(run, &jobs_seen);
  w.github->repositories(&repos_seen);  // no new repository: free
  EXPECT_EQ(w.github->counts().api_quota_calls, before + 2);
}

// GitHub serves lists 100 to a page, a call each; a run list filtered by status is
// newest first and stops at 1,000 runs. A simulated sweep costs what the real one would.
TEST(GitHubSim, QueuedRunsAreNewestFirstPagedAndCutAtAThousand) {
  World w;
  std::vector<std::int64_t> runs;
  for (int i = 0; i < 1250; ++i) runs.push_back(w.github->job(w.github->enqueue({0s, kLinux, 60s, "acme/app"}))->run_id);
  const auto listed = w.github->queued_runs("acme/app");
  ASSERT_EQ(listed.size(), 1000u);
  EXPECT_EQ(listed.front(), runs.back());
  EXPECT_EQ(listed.back(), runs[250]);
  EXPECT_TRUE(std::is_sorted(listed.rbegin(), listed.rend()));
  EXPECT_EQ(w.github->counts().api_calls, 10);
  EXPECT_EQ(w.github->counts().api_quota_calls, 10);
  EXPECT_TRUE(w.github->queued_runs("acme/other").empty());  // an empty list is one call
  EXPECT_EQ(w.github->counts().api_calls, 11);
}

TEST(GitHubSim, AnyIdleRunnerWithMatchingLabelsTakesAnyJob) {
  World w;
  const auto gpu = w.github->enqueue({0s, LabelSet{"self-hosted", "gpu"}, 60s, "acme/app"});
  const auto plain = w.github->enqueue({0s, LabelSet{"self-hosted"}, 60s, "acme/app"});
  w.launch_runner("ghscale-linux-b", kLinux);
  w.run_until(w.clock->now() + 31s);
  EXPECT_FALSE(w.github->job(gpu)->started_at);  // no runner has "gpu"
  EXPECT_TRUE(w.github->job(plain)->started_at);  // launched for nobody in particular
}

TEST(GitHubSim, WrongJitConfigNeverComesOnline) {
  World w;
  provider::LaunchRequest req;
  req.pool = "linux";
  req.split.on_demand = 1;
  auto out = w.cloud->launch(req);
  ASSERT_TRUE(w.github->generate_jit_config("r1", kLinux).ok());
  provider::Registration reg;
  reg.runner_name = "r1";
  reg.secret = "forged";
  ASSERT_TRUE(w.cloud->hand_over(out->on_demand_ids[0], reg).ok());
  w.run_until(w.clock->now() + 40s);
  EXPECT_FALSE(w.github->runner_named("r1")->online);
}

TEST(GitHubSim, SpotInterruptionFailsTheJobAndQueuesItAgain) {
  World w;
  const auto job = w.github->enqueue({0s, kLinux, 10min, "acme/app"});
  const std::string spot = w.launch_runner("r-spot", kLinux, Market::kSpot);
  w.run_until(w.clock->now() + 60s);
  ASSERT_TRUE(w.github->job(job)->started_at);
  w.cloud->interrupt(spot);
  w.github->step();
  EXPECT_EQ(w.github->job(job)->conclusion, "failure");
  auto all = w.github->jobs();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[1].run_attempt, 2);
  EXPECT_EQ(all[1].run_id, all[0].run_id);
  EXPECT_EQ(w.github->counts().interrupted_jobs, 1);
  EXPECT_EQ(w.github->counts().busy_terminations, 0);
  EXPECT_FALSE(w.github->runner_named("r-spot")->online);  // offline, still listed
  // A new runner picks the re-run up.
  w.launch_runner("r-2", kLinux);
  w.run_until(w.clock->now() + 11min);
  EXPECT_EQ(w.github->job(all[1].id)->conclusion, "success");
}

TEST(GitHubSim, TerminatingABusyRunnerIsCounted) {
  World w;
  w.github->enqueue({0s, kLinux, 10min, "acme/app"});
  const std::string id = w.launch_runner("r", kLinux);
  w.run_until(w.clock->now() + 60s);
  ASSERT_TRUE(w.cloud->terminate({id}).ok());
  EXPECT_EQ(w.github->counts().busy_terminations, 1);
}

TEST(GitHubSim, DeliveryFaultsAreSeededAndCounted) {
  World w({.latency = 1s, .drop = 0.2, .duplicate = 0.2, .reorder = 0.5, .reorder_delay = 5s});
  for (int i = 0; i < 500; ++i) w.github->enqueue({0s, kLinux, 60s, "acme/app"});
  w.run_until(w.clock->now() + 10s);
  const auto deliveries = w.github->take_due_deliveries();
  const auto c = w.github->counts();
  EXPECT_GT(c.dropped, 50);
  EXPECT_GT(c.duplicated, 50);
  EXPECT_EQ(static_cast<std::int64_t>(deliveries.size()), 500 - c.dropped + c.duplicated);
  bool reordered = false;
  for (std::size_t i = 1; i < deliveries.size(); ++i) reordered = reordered || deliveries[i].job_id < deliveries[i - 1].job_id;
  EXPECT_TRUE(reordered);
}

TEST(GitHubSim, PayloadIsSignedAndParsesAsGitHubsWould) {
  World w;
  const auto job = w.github->enqueue({0s, LabelSet{"self-hosted", "linux"}, 60s, "acme/app"});
  auto events = w.github->take_due_deliveries();
  ASSERT_EQ(events.size(), 1u);
  const std::string body = render_workflow_job_payload(events[0]);
  http::Headers headers;
  for (const auto& [k, v] : delivery_headers(events[0], body, "s3cret")) headers.set(k, v);
  EXPECT_TRUE(webhook::verify_signature({"s3cret"}, headers.get("X-Hub-Signature-256"), body));
  EXPECT_EQ(headers.get("X-GitHub-Event"), "workflow_job");
  EXPECT_EQ(headers.get("Content-Type"), "application/json");
  auto d = webhook::parse_delivery(headers, webhook::BodyFormat::kJson, body, w.clock->now());
  ASSERT_TRUE(d.ok()) << d.error().message;
  ASSERT_TRUE(d->job);
  EXPECT_EQ(d->delivery_id, events[0].delivery_id);
  EXPECT_EQ(d->job->job_id, job);
  EXPECT_EQ(d->job->repository, "acme/app");
  EXPECT_EQ(d->job->labels, (LabelSet{"self-hosted", "linux"}));
  EXPECT_EQ(d->job->status, JobStatus::kQueued);
}

TEST(ScaledClock, RunsFasterThanItsBase) {
  auto base = std::make_shared<ManualClock>();
  const TimePoint start{std::chrono::hours(1000)};
  ScaledClock c(start, 60.0, base);
  EXPECT_EQ(c.now(), start);
  base->advance(1s);
  EXPECT_EQ(c.now(), start + 60s);
  EXPECT_EQ(c.to_base(1h), 60s);
}

TEST(SimCloud, PricesCapacityAndBootTimes) {
  auto clock = std::make_shared<ManualClock>();
  provider::SimCloudOptions o;
  o.clock = clock;
  o.spot_capacity = 1;
  provider::SimCloud cloud(o);
  provider::LaunchRequest req;
  req.pool = "p";
  req.split.spot = 2;
  req.split.on_demand = 1;
  auto out = cloud.launch(req);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->spot_ids.size(), 1u);
  ASSERT_TRUE(out->spot_error);
  EXPECT_EQ(out->spot_error->kind, ErrorKind::kConflict);
  EXPECT_EQ(cloud.describe("p")->at(0).lifecycle, provider::Lifecycle::kPending);
  clock->advance(30s);
  cloud.advance(clock->now());
  EXPECT_EQ(cloud.describe("p")->at(0).lifecycle, provider::Lifecycle::kRunning);
  clock->advance(std::chrono::hours(1) - 30s);
  const provider::CloudUsage u = cloud.usage(clock->now());
  EXPECT_DOUBLE_EQ(u.spot_hours, 1.0);
  EXPECT_DOUBLE_EQ(u.on_demand_hours, 1.0);
  EXPECT_NEAR(u.cost(), 0.1008 + 0.0380, 1e-9);
  EXPECT_EQ(u.launch_failures, 1);
  // Same client token, same answer: nothing new launched.
  req.client_token = "t1";
  req.split = {0, 0};
  req.split.on_demand = 1;
  auto a = cloud.launch(req);
  auto b = cloud.launch(req);
  EXPECT_EQ(a->on_demand_ids, b->on_demand_ids);
}

}  // namespace
}  // namespace ghscale::sandbox
