#include <gtest/gtest.h>

#include <thread>

#include "scaler/loop.h"
#include "provider/sim/faulty_provider.h"
#include "scaler/reconciler_fixture.h"
#include "scaler/scale_set_listener.h"
#include "support/fake_jobs.h"

namespace ghscale::scaler {
namespace {

using namespace testing;

class ReconcilerTest : public ReconcilerFixture {};

TEST_F(ReconcilerTest, JobsLaunchRegisterServeAndScaleInWithoutTouchingBusyRunners) {
  auto rec = make_reconciler();
  for (int j = 1; j <= 5; ++j) record(j, JobStatus::kQueued);

  PassReport r = rec->run_pass(PassKind::kTick);
  EXPECT_TRUE(r.acted);
  EXPECT_EQ(r.errors, 0);
  auto instances = live();
  ASSERT_EQ(instances.size(), 5u);
  int on_demand = 0;
  for (const auto& i : instances) {
    on_demand += i.market == Market::kOnDemand ? 1 : 0;
    auto reg = sim->registration(i.id);
    ASSERT_TRUE(reg.has_value()) << i.id;
    EXPECT_EQ(reg->kind, provider::Registration::Kind::kJitConfig);
    EXPECT_FALSE(reg->secret.empty());
    EXPECT_EQ(reg->runner_name, runner_name_for("linux", i.id));
    auto runner = find_runner(reg->runner_name);
    ASSERT_TRUE(runner.has_value());
    EXPECT_FALSE(runner->online);
    EXPECT_EQ(runner->jit_config, reg->secret);
  }
  EXPECT_EQ(on_demand, 1);
  EXPECT_EQ(count_actions(ActionKind::kScaleOut), 1);
  EXPECT_EQ(count_actions(ActionKind::kRegister), 5);
  for (const auto& a : actions()) EXPECT_EQ(a.result.find("jit_"), std::string::npos) << "secret in the action log";

  // Booting instances are supply: a second pass launches nothing.
  rec->run_pass(PassKind::kTick);
  EXPECT_EQ(sim->all_instances().size(), 5u);

  // They boot and their runners come online; a minute on, the scaler looks at the list
  // again (no webhook tells of a runner that came up with nothing to do).
  clock->advance(31s);
  rec->run_pass(PassKind::kTick);
  EXPECT_EQ(rec->status().pools[0].counts.booting, 5);
  clock->advance(30s);
  rec->run_pass(PassKind::kTick);
  auto st = rec->status();
  ASSERT_EQ(st.pools.size(), 1u);
  EXPECT_EQ(st.pools[0].counts.idle, 5);
  EXPECT_EQ(st.pools[0].counts.queued, 5);
  EXPECT_EQ(st.pools[0].counts.on_demand, 1);

  // Three runners take jobs; two jobs are cancelled.
  const auto [ids, names] = live_names();
  start_job(1, names[0]);
  start_job(2, names[1]);
  start_job(3, names[2]);
  record(4, JobStatus::kCompleted);
  record(5, JobStatus::kCompleted);
  rec->run_pass(PassKind::kTick);
  EXPECT_EQ(count_actions(ActionKind::kDeregister), 0);  // idle, but not for idle_timeout yet
  EXPECT_EQ(rec->status().pools[0].counts.busy, 3);

  // Two jobs finish (ephemeral); one keeps running well past the idle timeout.
  clock->advance(2min);
  finish_job_ephemeral(1, names[0], ids[0]);
  finish_job_ephemeral(2, names[1], ids[1]);
  clock->advance(6min);
  r = rec->run_pass(PassKind::kTick);
  EXPECT_EQ(r.errors, 0);
  auto left = live();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].id, ids[2]);  // the busy one
  EXPECT_TRUE(find_runner(names[2]).has_value());
  EXPECT_FALSE(find_runner(names[3]).has_value());
  EXPECT_FALSE(find_runner(names[4]).has_value());
  EXPECT_EQ(busy_terminations.load(), 0);
  EXPECT_EQ(rec->metrics().terminations("scale_in"), 2u);
  EXPECT_EQ(count_actions(ActionKind::kScaleIn), 1);

  // Deregister came before terminate, for each instance.
  for (std::size_t k = 3; k < 5; ++k) {
    std::int64_t dereg = -1, term = -1;
    for (const auto& a : actions()) {
      if (a.kind == ActionKind::kDeregister && a.reason.find(names[k]) != std::string::npos) dereg = a.id;
      if (a.kind == ActionKind::kTerminate && a.reason.find(ids[k]) != std::string::npos) term = a.id;
    }
    EXPECT_GT(dereg, 0);
    EXPECT_GT(term, dereg);
  }
  // The protected busy instance got scale-in protection.
  EXPECT_TRUE(sim->instance(ids[2])->scale_in_protected);
  const std::string json = to_json(rec->status());
  EXPECT_NE(json.find("\"lease_holder\":\"me\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"busy\":1"), std::string::npos) << json;
}

TEST_F(ReconcilerTest, RunnerThatTookAJobMeanwhileIsNotTerminated) {
  auto rec = make_reconciler();
  record(1, JobStatus::kQueued);
  rec->run_pass(PassKind::kTick);
  clock->advance(61s);  // booted, and listed online a minute after launch
  rec->run_pass(PassKind::kTick);
  record(1, JobStatus::kCompleted);  // cancelled: the runner sits idle
  clock->advance(10min);
  // GitHub refuses the delete: a job started between observe and act.
  fake_github::Fault busy;
  busy.method = "DELETE";
  busy.path_prefix = "/orgs/acme/actions/runners/";
  busy.status = 422;
  busy.message = "Bad request - Runner is still running a job";
  fake->inject(busy);
  rec->run_pass(PassKind::kTick);
  EXPECT_EQ(live().size(), 1u);
  EXPECT_EQ(count_actions(ActionKind::kTerminate), 0);
  bool refused = false;
  for (const auto& a : actions()) refused = refused || (a.kind == ActionKind::kDeregister && a.result.find("refused") == 0);
  EXPECT_TRUE(refused);
  // Next pass GitHub accepts, and the instance goes.
  rec->run_pass(PassKind::kTick);
  EXPECT_TRUE(live().empty());
}

TEST_F(ReconcilerTest, LostWebhookRecoveredBySweep) {
  const std::int64_t job_id = fake->add_job(ghscale::testing::build_job(fake->add_run({.repo = "acme/app"})));
  auto rec = make_reconciler("me", {"acme/app"});

  rec->run_pass(PassKind::kTick);  // the webhook was lost: nothing known, nothing done
  EXPECT_TRUE(live().empty());
  PassReport r = rec->run_pass(PassKind::kSweep);
  EXPECT_EQ(r.swept_jobs, 1);
  auto stored = store->get_job(job_id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->status, JobStatus::kQueued);
  EXPECT_EQ(live().size(), 1u);
  EXPECT_EQ(rec->run_pass(PassKind::kSweep).swept_jobs, 0);  // recorded once
}

// Every instance busy at max_runners with more jobs waiting: a job the sweep's listing
// could find would launch nothing, so it lists no queued runs (with a backlog of
// thousands that cost calls every sweep), and lists again once the pool has room, finding
// the job whose webhook was lost.
TEST_F(ReconcilerTest, ASweepAtTheCapListsQueuedRunsAgainOnceThePoolHasRoom) {
  pool.max_runners = 2;
  pool.on_demand_base = 0;
  auto rec = make_reconciler("me", {"acme/app"});
  for (int j = 1; j <= 4; ++j) record(j, JobStatus::kQueued);
  rec->run_pass(PassKind::kTick);
  ASSERT_EQ(live().size(), 2u);
  clock->advance(31s);
  rec->run_pass(PassKind::kTick);
  clock->advance(30s);
  rec->run_pass(PassKind::kTick);
  const auto [ids, names] = live_names();
  start_job(1, names[0]);
  start_job(2, names[1]);
  rec->run_pass(PassKind::kTick);
  ASSERT_EQ(rec->status().pools[0].counts.busy, 2);

  const std::int64_t lost = fake->add_job(ghscale::testing::build_job(fake->add_run({.repo = "acme/app"})));
  const std::int64_t listed_before = fake->requests_to("/repos/acme/app/actions/runs");
  PassReport r = rec->run_pass(PassKind::kSweep);
  EXPECT_EQ(r.swept_jobs, 0);
  EXPECT_EQ(fake->requests_to("/repos/acme/app/actions/runs"), listed_before);
  EXPECT_FALSE(store->get_job(lost).ok());

  // The two jobs end and the other two are cancelled: room, and the next sweep lists.
  clock->advance(1min);
  finish_job_ephemeral(1, names[0], ids[0]);
  finish_job_ephemeral(2, names[1], ids[1]);
  record(3, JobStatus::kCompleted);
  record(4, JobStatus::kCompleted);
  rec->run_pass(PassKind::kTick);
  r = rec->run_pass(PassKind::kSweep);
  EXPECT_GT(fake->requests_to("/repos/acme/app/actions/runs"), listed_before);
  EXPECT_EQ(r.swept_jobs, 1);
  EXPECT_TRUE(store->get_job(lost).ok());
  EXPECT_EQ(busy_terminations.load(), 0);
}

// The hook's scope sends every workflow_job, GitHub-hosted ones too. A running job on a
// runner not ours holds no capacity: the sweep does not ask GitHub about it until its last
// word is an hour old (a call per hosted job on every sweep, before); one on a runner of
// the pool that GitHub no longer lists busy is asked about at once.
TEST_F(ReconcilerTest, ASweepAsksAboutAJobOnAnotherRunnerOnlyOnceItIsOld) {
  const std::int64_t run = fake->add_run({.repo = "acme/app"});
  const std::int64_t hosted = fake->add_job(ghscale::testing::build_job(run, "in_progress"));
  const std::int64_t mine = fake->add_job(ghscale::testing::build_job(run, "in_progress"));
  fake->update_job(hosted, "completed", 0, "GitHub Actions 7");
  fake->update_job(mine, "completed", 0, runner_name_for("linux", "i-gone"));
  // Their in_progress deliveries arrived; the completed ones were lost.
  record(hosted, JobStatus::kInProgress, "GitHub Actions 7", {"ubuntu-latest"});
  record(mine, JobStatus::kInProgress, runner_name_for("linux", "i-gone"));
  auto rec = make_reconciler("me", {"acme/app"});
  const std::string hosted_path = "/repos/acme/app/actions/jobs/" + std::to_string(hosted);
  rec->run_pass(PassKind::kSweep);
  EXPECT_EQ(fake->requests_to(hosted_path), 0);
  EXPECT_EQ(store->get_job(mine)->status, JobStatus::kCompleted);
  EXPECT_EQ(store->get_job(hosted)->status, JobStatus::kInProgress);
  clock->advance(61min);
  rec->run_pass(PassKind::kSweep);
  EXPECT_EQ(fake->requests_to(hosted_path), 1);
  EXPECT_EQ(store->get_job(hosted)->status, JobStatus::kCompleted);
}

TEST_F(ReconcilerTest, AScaleSetPoolsJobSeenThroughRestOrAWebhookIsNotDemandTwice) {
  // GitHub assigned a job to the pool's scale set; its listener recorded it under the id of
  // that assignment. The REST API lists the same job queued under its own id, and a
  // webhook (an org hook the user kept) tells of it too.
  pool.demand = config::Demand::kScaleSet;
  pool.scale_set.name = "ghscale-linux";
  const std::int64_t run = fake->add_run({.repo = "acme/app"});
  const std::int64_t rest_id = fake->add_job(ghscale::testing::build_job(run));
  JobEvent assigned;
  assigned.event = "workflow_job";
  assigned.action = "queued";
  assigned.status = JobStatus::kQueued;
  assigned.delivery_id = std::string(kScaleSetDeliveryPrefix) + "ghscale-linux:77:queued";
  assigned.job_id = scale_set_job_id(77, clock->now());
  assigned.run_id = run;
  assigned.repository = "acme/app";
  assigned.owner = "acme";
  assigned.labels = pool.labels;
  assigned.received_at = clock->now();
  ASSERT_TRUE(store->record(assigned).ok());

  auto rec = make_reconciler("me", {"acme/app"});
  PassReport r = rec->run_pass(PassKind::kSweep);
  EXPECT_EQ(r.swept_jobs, 0);  // the REST copy is the listener's to know of
  EXPECT_FALSE(store->get_job(rest_id).ok());
  EXPECT_EQ(live().size(), 1u);  // one launch for the one job

  JobEvent hook = assigned;
  hook.delivery_id = "4f1c0e2a-0000-4000-8000-000000000001";
  hook.job_id = rest_id;
  hook.labels = LabelSet{"self-hosted", "linux"};
  ASSERT_TRUE(store->record(hook).ok());
  // And one that asked for the scale set by its name alone (runs-on: ghscale-linux).
  JobEvent named = hook;
  named.delivery_id = "4f1c0e2a-0000-4000-8000-000000000002";
  named.job_id = rest_id + 1;
  named.labels = LabelSet{"ghscale-linux"};
  ASSERT_TRUE(store->record(named).ok());
  rec->run_pass(PassKind::kTick);
  EXPECT_EQ(live().size(), 1u);
  // The unmatched-job warning is not raised for the copy either.
  EXPECT_EQ(rec->metrics().prometheus().find("ghscale_jobs_unmatched_total 1"), std::string::npos);
}

// A signed delivery captured and replayed hours later (perhaps after retention made the
// store forget the job) must not launch: a queued delivery received long after GitHub
// created the job is launched for only once GitHub confirms the job is queued.
class ReplayTest : public ReconcilerTest {
 protected:
  std::int64_t github_job(const std::string& status) {
    fake_github::FakeJob job = ghscale::testing::build_job(fake->add_run({.repo = "acme/app"}), status);
    job.created_at = clock->now() - 3h;
    return fake->add_job(job);
  }

  void replay_queued(std::int64_t job_id, const std::string& delivery) {
    JobEvent e;
    e.event = "workflow_job";
    e.action = "queued";
    e.status = JobStatus::kQueued;
    e.delivery_id = delivery;
    e.job_id = job_id;
    e.run_id = 1;
    e.repository = "acme/app";
    e.owner = "acme";
    e.labels = LabelSet{"self-hosted", "linux"};
    e.created_at = clock->now() - 3h;  // the captured payload's timestamps
    e.received_at = clock->now();
    ASSERT_TRUE(store->record(e).ok());
  }
};

TEST_F(ReplayTest, AJobGitHubHasFinishedIsRecordedNotLaunchedFor) {
  const std::int64_t id = github_job("completed");
  replay_queued(id, "replayed-1");
  auto rec = make_reconciler();
  PassReport r = rec->run_pass(PassKind::kTick);
  EXPECT_EQ(r.unverified, 1);
  EXPECT_TRUE(live().empty());
  EXPECT_EQ(rec->verify_held_jobs().verified, 1);
  EXPECT_EQ(store->get_job(id)->status, JobStatus::kCompleted);
  r = rec->run_pass(PassKind::kTick);
  EXPECT_EQ(r.unverified, 0);
  EXPECT_TRUE(live().empty());
}

TEST_F(ReplayTest, ALateDeliveryGitHubConfirmsIsServed) {
  const std::int64_t id = github_job("queued");
  replay_queued(id, "late-1");
  auto rec = make_reconciler();
  EXPECT_EQ(rec->run_pass(PassKind::kTick).unverified, 1);
  EXPECT_TRUE(live().empty());
  EXPECT_EQ(rec->verify_held_jobs().verified, 1);
  EXPECT_EQ(rec->run_pass(PassKind::kTick).unverified, 0);
  EXPECT_EQ(live().size(), 1u);
  EXPECT_EQ(store->get_job(id)->status, JobStatus::kQueued);
}

TEST_F(ReplayTest, AJobGitHubDoesNotKnowIsNeverDemandAndAskedOnce) {
  replay_queued(987654, "forged-1");
  auto rec = make_reconciler();
  EXPECT_EQ(rec->run_pass(PassKind::kTick).unverified, 1);
  EXPECT_EQ(rec->verify_held_jobs().verified, 0);
  EXPECT_EQ(rec->run_pass(PassKind::kTick).unverified, 1);
  const std::int64_t asked = fake->requests();
  EXPECT_EQ(rec->verify_held_jobs().verified, 0);
  EXPECT_EQ(fake->requests(), asked);  // not asked again
  EXPECT_TRUE(live().empty());
}

TEST_F(ReplayTest, TheLoopAsksBesideThePassAndServesWhatGitHubConfirms) {
  auto rec = make_reconciler();
  config::ReconcileConfig c;
  ReconcileLoop loop(rec, c, clock);
  EXPECT_EQ(loop.run_due(), 1);  // the start-up sweep
  replay_queued(github_job("queued"), "late-2");
  clock->advance(10 * c.debounce);
  JobEvent e;
  loop.wake(e);
  EXPECT_EQ(loop.run_due(), 1);  // held; confirmed on virtual time at once, which wakes a pass
  EXPECT_TRUE(live().empty());
  clock->advance(c.debounce);
  EXPECT_EQ(loop.run_due(), 1);
  EXPECT_EQ(live().size(), 1u);
  loop.stop();
}

TEST_F(ReplayTest, PromptDeliveriesAndTheSweepsOwnFindingsAreNotHeldAndTheWindowCanBeOff) {
  record(1, JobStatus::kQueued);  // received as GitHub created it
  auto rec = make_reconciler();
  EXPECT_EQ(rec->run_pass(PassKind::kTick).unverified, 0);
  EXPECT_EQ(live().size(), 1u);
  // Off: an old delivery is believed as it is.
  ReconcilerOptions o = rec->options();
  o.reconcile.replay_window = Duration{0};
  o.holder = "me";
  auto believing = std::make_shared<Reconciler>(std::move(o));
  replay_queued(github_job("completed"), "replayed-2");
  EXPECT_EQ(believing->run_pass(PassKind::kTick).unverified, 0);
  EXPECT_EQ(live().size(), 2u);
}

TEST_F(ReconcilerTest, OnlyTheLeaseHolderActs) {
  ASSERT_TRUE(store->acquire_lease(kScalerLease, "other", 30s, clock->now()).ok());
  auto rec = make_reconciler("me");
  record(1, JobStatus::kQueued);
  PassReport r = rec->run_pass(PassKind::kTick);
  EXPECT_FALSE(r.acted);
  EXPECT_EQ(sim->launch_calls(), 0);
  EXPECT_TRUE(actions().empty());
  EXPECT_EQ(rec->status().lease_holder, "other");
  EXPECT_FALSE(rec->status().acting);

  clock->advance(31s);  // the other daemon died: its lease ran out
  r = rec->run_pass(PassKind::kTick);
  EXPECT_TRUE(r.acted);
  EXPECT_EQ(live().size(), 1u);
  EXPECT_EQ(rec->status().lease_holder, "me");
  rec->release_lease();
  EXPECT_TRUE(store->acquire_lease(kScalerLease, "other", 30s, clock->now()).ok());
  EXPECT_FALSE(rec->run_pass(PassKind::kTick).acted);
}

// The reconciler keeps its pool's instance records between passes; when the lease has
// been another daemon's meanwhile, what that one wrote is read again: an instance it
// launched and handed a registration is not handed a second one.
TEST_F(ReconcilerTest, RecordsAreReadAgainAfterTheLeaseChangedHands) {
  auto a = make_reconciler("a");
  auto b = make_reconciler("b");
  ASSERT_TRUE(a->run_pass(PassKind::kTick).acted);  // a reads the (empty) records
  a->release_lease();
  record(1, JobStatus::kQueued);
  ASSERT_TRUE(b->run_pass(PassKind::kTick).acted);
  ASSERT_EQ(live().size(), 1u);
  ASSERT_EQ(count_actions(ActionKind::kRegister), 1);
  b->release_lease();
  ASSERT_TRUE(a->run_pass(PassKind::kTick).acted);
  EXPECT_EQ(count_actions(ActionKind::kRegister), 1);
  EXPECT_EQ(live().size(), 1u);
}

TEST_F(ReconcilerTest, CooldownFromSettingsInMilliseconds) {
  ASSERT_TRUE(store->set_setting("settings_cooldown", "60000").ok());
  auto rec = make_reconciler();
  record(1, JobStatus::kQueued);
  rec->run_pass(PassKind::kTick);
  EXPECT_EQ(live().size(), 1u);
  for (int j = 2; j <= 4; ++j) record(j, JobStatus::kQueued);
  clock->advance(10s);
  rec->run_pass(PassKind::kTick);
  EXPECT_EQ(live().size(), 1u);
  EXPECT_TRUE(rec->status().pools[0].cooldown_active);
  clock->advance(50s);
  rec->run_pass(PassKind::kTick);
  EXPECT_EQ(live().size(), 4u);
}

TEST_F(ReconcilerTest, UnmatchedJobReportedOnceNeverLaunched) {
  auto rec = make_reconciler();
  record(1, JobStatus::kQueued, "", LabelSet{"self-hosted", "windows"});
  rec->run_pass(PassKind::kTick);
  rec->run_pass(PassKind::kTick);
  EXPECT_TRUE(live().empty());
  EXPECT_NE(rec->metrics().prometheus().find("ghscale_jobs_unmatched_total 1\n"), std::string::npos);
}

TEST_F(ReconcilerTest, SpotReclaimedMidJobIsCountedAndTheRerunServed) {
  pool.on_demand_base = 0;  // all spot
  auto rec = make_reconciler();
  record(1, JobStatus::kQueued);
  rec->run_pass(PassKind::kTick);
  clock->advance(31s);
  rec->run_pass(PassKind::kTick);
  const std::string id = live().at(0).id;
  start_job(1, runner_name_for("linux", id));
  sim->interrupt(id);
  busy_terminations = 0;  // a reclaim is the cloud's doing, not ours
  rec->run_pass(PassKind::kTick);
  EXPECT_EQ(rec->status().pools[0].counts.lost, 1);
  EXPECT_TRUE(live().empty());  // the lost job is no demand: GitHub fails it
  record(2, JobStatus::kQueued);  // its re-run
  rec->run_pass(PassKind::kTick);
  EXPECT_EQ(live().size(), 1u);
  auto rec_state = store->get_instance(id);
  ASSERT_TRUE(rec_state.ok());
  EXPECT_EQ(rec_state->state, InstanceState::kTerminated);
  // Counted when GitHub fails the job whose runner disappeared, once.
  EXPECT_EQ(rec->metrics().spot_interruptions(), 0u);
  record(1, JobStatus::kCompleted, runner_name_for("linux", id), {"self-hosted", "linux"}, "failure");
  rec->run_pass(PassKind::kTick);
  EXPECT_EQ(rec->metrics().spot_interruptions(), 1u);
  rec->run_pass(PassKind::kTick);
  EXPECT_EQ(rec->metrics().spot_interruptions(), 1u);
  EXPECT_NE(rec->metrics().prometheus().find("ghscale_spot_interruptions_total 1"), std::string::npos);
}

TEST_F(ReconcilerTest, AnEphemeralRunnerLeavingAfterItsJobIsNoInterruption) {
  pool.on_demand_base = 0;
  auto rec = make_reconciler();
  record(1, JobStatus::kQueued);
  rec->run_pass(PassKind::kTick);
  clock->advance(31s);
  rec->run_pass(PassKind::kTick);
  const std::string id = live().at(0).id;
  start_job(1, runner_name_for("linux", id));
  rec->run_pass(PassKind::kTick);
  // The instance is gone before the completed webhook arrives: a pass sees a spot
  // instance vanish under a running job, then the job ends in success.
  ASSERT_TRUE(sim->terminate({id}).ok());
  rec->run_pass(PassKind::kTick);
  record(1, JobStatus::kCompleted, runner_name_for("linux", id));
  rec->run_pass(PassKind::kTick);
  EXPECT_EQ(rec->metrics().spot_interruptions(), 0u);
}

TEST_F(ReconcilerTest, LaunchFailureIsLoggedAndRetried) {
  sim->set_capacity(Market::kSpot, 0);
  sim->set_capacity(Market::kOnDemand, 0);
  auto rec = make_reconciler();
  record(1, JobStatus::kQueued);
  rec->run_pass(PassKind::kTick);
  EXPECT_TRUE(live().empty());
  EXPECT_EQ(rec->metrics().launches(Market::kOnDemand, false), 1u);
  sim->set_capacity(Market::kOnDemand, -1);
  rec->run_pass(PassKind::kTick);
  EXPECT_EQ(live().size(), 1u);
  const std::string prom = rec->metrics().prometheus();
  EXPECT_NE(prom.find("ghscale_launches_total{market=\"on-demand\",result=\"ok\"} 1"), std::string::npos) << prom;
}

// A hand-over that fails leaves no runner behind at GitHub: the JIT runner made for it is
// removed at once (not left for the sweep), and the next pass registers the instance anew.
TEST_F(ReconcilerTest, AFailedHandOverRemovesItsRunnerAtOnce) {
  auto faulty = std::make_shared<provider::FaultyProvider>(sim);
  ReconcilerOptions o;
  o.pools = {PoolBinding{pool, faulty}};
  o.holder = "me";
  o.clock = clock;
  o.store = store;
  o.github = gh;
  auto rec = std::make_shared<Reconciler>(std::move(o));
  faulty->fail_next(provider::ProviderOp::kHandOver, make_error(ErrorKind::kThrottled, "SSM throttled"));
  record(1, JobStatus::kQueued);
  const PassReport first = rec->run_pass(PassKind::kTick);
  ASSERT_EQ(live().size(), 1u);
  EXPECT_GE(first.errors, 1);
  EXPECT_TRUE(fake->runners("orgs/acme").empty()) << "the failed hand-over's runner is still registered";
  bool logged = false;
  const std::vector<Action> actions = store->last_actions(20).value();
  for (const Action& a : actions) {
    if (a.kind == ActionKind::kRegister && a.result.find("its runner was removed") != std::string::npos) logged = true;
  }
  EXPECT_TRUE(logged) << "the action log does not say the runner was removed";
  rec->run_pass(PassKind::kTick);
  ASSERT_EQ(fake->runners("orgs/acme").size(), 1u);
  EXPECT_EQ(fake->runners("orgs/acme").front().name, runner_name_for(pool.name, live().front().id));
  EXPECT_EQ(faulty->calls(provider::ProviderOp::kHandOver), 2);
}

// --- the loop ------------------------------------------------------------------------------

TEST(LoopScheduleTest, SweepFirstThenDebouncedWakeAndTicks) {
  config::ReconcileConfig c;
  c.tick = 10s;
  c.sweep = 15min;
  c.debounce = 50ms;
  const TimePoint t0 = TimePoint{std::chrono::hours(1000)};
  LoopSchedule s(c, t0);
  EXPECT_EQ(s.take_due(t0), PassKind::kSweep);
  EXPECT_FALSE(s.take_due(t0).has_value());
  // After a quiet spell a wake-up is due at once (leading edge)...
  s.wake(t0 + 1s);
  EXPECT_EQ(s.next_deadline(), t0 + 1s);
  EXPECT_EQ(s.take_due(t0 + 1s), PassKind::kWake);
  // ...and a burst right after it waits for the window to end: one more pass, not three.
  s.wake(t0 + 1s + 10ms);
  s.wake(t0 + 1s + 20ms);
  s.wake(t0 + 1s + 30ms);
  EXPECT_EQ(s.next_deadline(), t0 + 1s + 50ms);
  EXPECT_FALSE(s.take_due(t0 + 1s + 49ms).has_value());
  EXPECT_EQ(s.take_due(t0 + 1s + 50ms), PassKind::kWake);
  EXPECT_FALSE(s.take_due(t0 + 1s + 60ms).has_value());
  EXPECT_FALSE(s.take_due(t0 + 5s).has_value());
  EXPECT_EQ(s.take_due(t0 + 11s + 50ms), PassKind::kTick);
  EXPECT_EQ(s.take_due(t0 + 15min), PassKind::kSweep);
}

class LoopTest : public ReconcilerFixture {};

TEST_F(LoopTest, RunDueOnVirtualTimeServesAWakeUp) {
  auto rec = make_reconciler();
  config::ReconcileConfig c;
  ReconcileLoop loop(rec, c, clock);
  EXPECT_EQ(loop.run_due(), 1);  // the start-up sweep
  record(1, JobStatus::kQueued);
  JobEvent e;
  loop.wake(e);
  EXPECT_EQ(loop.run_due(), 0);  // within the debounce window of the start-up sweep
  clock->advance(c.debounce);
  EXPECT_EQ(loop.run_due(), 1);
  EXPECT_EQ(live().size(), 1u);
  clock->advance(10 * c.debounce);
  loop.wake(e);
  EXPECT_EQ(loop.run_due(), 1);  // after a quiet spell: at once
  loop.stop();
  EXPECT_TRUE(store->acquire_lease(kScalerLease, "other", 30s, clock->now()).ok());  // released on stop
}

TEST_F(LoopTest, ThreadRunsOnWakeAndStopsPromptly) {
  auto rec = make_reconciler();
  config::ReconcileConfig c;
  c.tick = 1h;
  c.sweep = 1h;
  c.debounce = 0ms;
  // The thread waits on the real clock; the ManualClock does not move, so only the
  // start-up sweep and wake-ups (debounce 0) are due.
  auto loop = std::make_unique<ReconcileLoop>(rec, c, clock);
  loop->start();
  auto wait_for_passes = [&](std::int64_t n) {
    for (int k = 0; k < 500 && loop->passes() < n; ++k) std::this_thread::sleep_for(10ms);
    return loop->passes();
  };
  EXPECT_EQ(wait_for_passes(1), 1);
  record(1, JobStatus::kQueued);
  loop->wake(JobEvent{});
  EXPECT_EQ(wait_for_passes(2), 2);
  for (int k = 0; k < 500 && live().empty(); ++k) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(live().size(), 1u);
  const auto before = std::chrono::steady_clock::now();
  loop->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - before, 2s);
}

// GitHub answering the sweep's run listing slowly and with errors (a 5xx storm the client
// retries), everything else as usual.
class SlowSweepGitHub final : public github::GitHubApi {
 public:
  SlowSweepGitHub(std::shared_ptr<github::GitHubApi> inner, Duration delay) : inner_(std::move(inner)), delay_(delay) {}
  Result<std::vector<github::Runner>> list_runners(const github::Scope& s) override { return inner_->list_runners(s); }
  Result<github::Runner> get_runner(const github::Scope& s, std::int64_t id) override { return inner_->get_runner(s, id); }
  Status delete_runner(const github::Scope& s, std::int64_t id) override { return inner_->delete_runner(s, id); }
  Result<github::Token> registration_token(const github::Scope& s) override { return inner_->registration_token(s); }
  Result<github::Token> remove_token(const github::Scope& s) override { return inner_->remove_token(s); }
  Result<github::JitConfig> generate_jit_config(const github::Scope& s, const github::JitConfigRequest& r) override {
    return inner_->generate_jit_config(s, r);
  }
  Result<std::vector<github::RunnerGroup>> list_runner_groups(const github::Scope& s) override { return inner_->list_runner_groups(s); }
  Result<github::WorkflowJob> get_job(std::string_view repo, std::int64_t id) override { return inner_->get_job(repo, id); }
  Result<std::vector<github::WorkflowRun>> list_queued_runs(std::string_view) override {
    ++slow_calls;
    std::this_thread::sleep_for(delay_);  // the client's retries of a 503, in real time
    return make_error(ErrorKind::kRetryable, "list_queued_runs: 503 Service Unavailable after retries");
  }
  Result<std::vector<github::WorkflowJob>> list_run_jobs(std::string_view repo, std::int64_t run) override {
    return inner_->list_run_jobs(repo, run);
  }
  Result<std::vector<github::HookDelivery>> list_failed_deliveries(TimePoint t) override { return inner_->list_failed_deliveries(t); }
  Status redeliver(std::int64_t id) override { return inner_->redeliver(id); }
  Result<std::vector<github::RateLimitBucket>> rate_limit() override { return inner_->rate_limit(); }
  Result<github::Identity> whoami() override { return inner_->whoami(); }
  std::atomic<int> slow_calls{0};

 private:
  std::shared_ptr<github::GitHubApi> inner_;
  Duration delay_;
};

TEST_F(LoopTest, ASlowSweepNeverHoldsAWebhooksPassBack) {
  auto slow = std::make_shared<SlowSweepGitHub>(gh, 3s);
  gh = slow;
  auto rec = make_reconciler("me", {"acme/app"});
  config::ReconcileConfig c;
  c.tick = 1h;
  c.sweep = 1h;
  c.debounce = 0ms;
  auto loop = std::make_unique<ReconcileLoop>(rec, c, clock);
  loop->start();
  // The start-up sweep pass is done and its discovery is stuck in GitHub's 5xx storm.
  for (int k = 0; k < 500 && (loop->passes() < 1 || slow->slow_calls.load() < 1); ++k) std::this_thread::sleep_for(10ms);
  ASSERT_EQ(slow->slow_calls.load(), 1);
  record(1, JobStatus::kQueued);
  JobEvent queued;
  queued.status = JobStatus::kQueued;
  const auto woken = std::chrono::steady_clock::now();
  loop->wake(queued);
  while (live().empty() && std::chrono::steady_clock::now() - woken < 5s) std::this_thread::sleep_for(1ms);
  const auto reaction = std::chrono::steady_clock::now() - woken;
  EXPECT_EQ(live().size(), 1u);
  // Generous for a loaded machine or a sanitizer; the sweep itself takes 3 s.
  EXPECT_LT(reaction, 1s) << std::chrono::duration_cast<std::chrono::milliseconds>(reaction).count() << " ms";
  const auto before = std::chrono::steady_clock::now();
  loop->stop();  // the discovery stops at its next call
  EXPECT_LT(std::chrono::steady_clock::now() - before, 5s);
}

}  // namespace
}  // namespace ghscale::scaler
