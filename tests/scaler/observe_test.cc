// observe(): what the cloud, the runner list, the webhooks and our records say of a pool,
// as plan()'s snapshot and the record changes to write.
#include "scaler/observe.h"

#include <gtest/gtest.h>

#include "scaler/plan.h"
#include "scaler/plan_builders.h"

namespace ghscale::scaler {
namespace {

using namespace std::chrono_literals;
using namespace testing;

struct World {
  config::PoolConfig pool = make_pool();
  std::vector<provider::CloudInstance> cloud;
  std::vector<github::Runner> runners;
  std::vector<Instance> records;
  std::vector<Job> queued, running;
  std::set<std::string> handed_over;
  std::unordered_map<std::string, TimePoint> freed_at;

  void add(const std::string& id, bool busy_in_list) {
    provider::CloudInstance c;
    c.id = id;
    c.pool = pool.name;
    c.lifecycle = provider::Lifecycle::kRunning;
    c.launched_at = kT0 - 30min;
    cloud.push_back(c);
    github::Runner r;
    r.id = static_cast<std::int64_t>(runners.size()) + 1;
    r.name = runner_name_for(pool.name, id);
    r.status = github::RunnerStatus::kOnline;
    r.busy = busy_in_list;
    runners.push_back(r);
    Instance rec;
    rec.pool = pool.name;
    rec.instance_id = id;
    rec.launched_at = c.launched_at;
    rec.registered_at = kT0 - 29min;
    rec.runner_name = r.name;
    rec.runner_id = r.id;
    rec.state = busy_in_list ? InstanceState::kBusy : InstanceState::kIdle;
    records.push_back(rec);
  }

  Observation see(bool fresh, TimePoint listed_at) {
    ObserveInput in{pool, kT0, cloud, runners, fresh, records, queued, 0, running, handed_over};
    in.runners_listed_at = listed_at;
    in.freed_at = &freed_at;
    return observe(in);
  }
};

bool busy_runner(const Observation& o, const std::string& id) {
  for (const auto& r : o.snapshot.runners) {
    if (r.name == runner_name_for("linux", id)) return r.busy;
  }
  return false;
}

TEST(Observe, AStaleListsBusyFlagHoldsUnlessTheWebhooksSawThatJobEndSince) {
  World w;
  w.add("i-a", true);  // busy in a list fetched 2 minutes ago; its job ended a minute ago
  w.add("i-b", true);  // busy in that list; a job of its ended before the list
  w.add("i-c", true);  // busy in that list, nothing heard since
  w.freed_at[runner_name_for("linux", "i-a")] = kT0 - 1min;
  w.freed_at[runner_name_for("linux", "i-b")] = kT0 - 3min;
  const Observation stale = w.see(false, kT0 - 2min);
  EXPECT_FALSE(busy_runner(stale, "i-a"));
  EXPECT_TRUE(busy_runner(stale, "i-b"));
  EXPECT_TRUE(busy_runner(stale, "i-c"));
  // A list of this pass is believed as it is.
  EXPECT_TRUE(busy_runner(w.see(true, kT0), "i-a"));
}

TEST(Observe, RecordsChangeOnlyWhenSomethingChanged) {
  World w;
  w.pool.ephemeral = false;  // a runner that takes job after job
  w.add("i-a", true);
  w.records[0].last_busy_at = kT0 - 10min;
  // Busy before and now: no write, however often a pass looks.
  EXPECT_TRUE(w.see(true, kT0).upserts.empty());
  // Its job ended: one write, with the moment it was first seen idle.
  w.runners[0].busy = false;
  const Observation idle = w.see(true, kT0);
  ASSERT_EQ(idle.upserts.size(), 1u);
  EXPECT_EQ(idle.upserts[0].state, InstanceState::kIdle);
  EXPECT_EQ(idle.upserts[0].last_busy_at, kT0);
  EXPECT_FALSE(idle.snapshot.instances[0].spent);
}

TEST(Observe, AnEphemeralRunnerWhoseJobEndedIsSpentThoughAStaleListShowsItOnline) {
  World w;
  w.add("i-a", true);
  w.records[0].last_busy_at = kT0 - 10min;
  w.runners[0].busy = false;  // online and idle, by a list older than the job's end
  const Observation o = w.see(false, kT0 - 1min);
  ASSERT_EQ(o.snapshot.instances.size(), 1u);
  EXPECT_TRUE(o.snapshot.instances[0].spent);
  ASSERT_EQ(o.upserts.size(), 1u);
  EXPECT_EQ(o.upserts[0].state, InstanceState::kDraining);
  // Not idle supply: the plan counts it as neither idle nor booting.
  const Plan p = plan(o.snapshot, w.pool, {}, kT0);
  EXPECT_EQ(p.counts.idle, 0);
  EXPECT_EQ(p.counts.supply, 0);
}

TEST(Observe, AReusedInstanceIsBusyWithItsEarlierRunnersJobThenBootsItsNextOne) {
  World w;
  w.add("i-a", true);
  const std::string first = runner_name_for("linux", "i-a");
  // Handed its second registration while busy: the record names the next runner, not
  // yet registered; the job runs on the first.
  w.records[0].runner_name = runner_name_for("linux", "i-a", 2);
  w.records[0].registered_at.reset();
  w.records[0].last_busy_at = kT0 - 5min;
  Job j;
  j.job_id = 7;
  j.runner_name = first;
  w.running.push_back(j);
  Observation o = w.see(true, kT0);
  ASSERT_EQ(o.snapshot.instances.size(), 1u);
  const InstanceView& v = o.snapshot.instances[0];
  EXPECT_EQ(v.runner_name, runner_name_for("linux", "i-a", 2));
  EXPECT_EQ(v.registration, 2);
  EXPECT_TRUE(v.busy_before_next);
  EXPECT_FALSE(v.registered_at);  // the first runner's job does not register the second
  EXPECT_TRUE(o.upserts.empty());
  // The job ends; the first runner leaves. The instance boots its next runner (not spent).
  w.running.clear();
  w.runners[0].busy = false;
  w.runners[0].status = github::RunnerStatus::kOffline;
  o = w.see(true, kT0);  // a pass at kT0 (see() observes at kT0)
  ASSERT_EQ(o.upserts.size(), 1u);
  EXPECT_EQ(o.upserts[0].state, InstanceState::kBooting);
  EXPECT_EQ(o.upserts[0].last_busy_at, kT0);  // boot_timeout counts from here
  EXPECT_FALSE(o.snapshot.instances[0].spent);
  const Plan p = plan(o.snapshot, w.pool, {}, kT0);
  EXPECT_EQ(p.counts.booting, 1);
  EXPECT_EQ(p.counts.lost, 0);
}

// The same instance when the job's in_progress delivery was lost: the store knows no job
// on the first runner, but the runner list shows it busy. The instance is busy, not a
// boot of its next runner that timed out (which terminated it under its job).
TEST(Observe, AReusedInstanceWhoseJobsDeliveryWasLostIsBusyByTheRunnerList) {
  World w;
  w.add("i-a", true);
  w.records[0].runner_name = runner_name_for("linux", "i-a", 2);
  w.records[0].registered_at.reset();
  w.records[0].last_busy_at = kT0 - 20min;  // past boot_timeout since the hand-over
  w.records[0].state = InstanceState::kBooting;
  github::Runner next;
  next.id = 99;
  next.name = runner_name_for("linux", "i-a", 2);
  next.status = github::RunnerStatus::kOffline;  // registered, waiting for the first to end
  w.runners.push_back(next);
  Observation o = w.see(true, kT0);
  ASSERT_EQ(o.snapshot.instances.size(), 1u);
  EXPECT_TRUE(o.snapshot.instances[0].busy_before_next);
  ASSERT_EQ(o.upserts.size(), 1u);
  EXPECT_EQ(o.upserts[0].state, InstanceState::kBusy);
  Plan p = plan(o.snapshot, w.pool, {}, kT0);
  EXPECT_EQ(p.counts.busy, 1);
  for (const Step& s : p.steps) EXPECT_NE(s.kind, StepKind::kTerminate) << s.reason;
  // A list that no longer shows the first runner busy: the job is over; the instance is
  // the boot of its next runner again, long timed out, and terminated.
  w.runners[0].busy = false;
  w.runners[0].status = github::RunnerStatus::kOffline;
  w.records[0] = o.upserts[0];
  w.records[0].last_busy_at = kT0 - 20min;
  w.records[0].state = InstanceState::kBooting;
  o = w.see(true, kT0);
  EXPECT_FALSE(o.snapshot.instances[0].busy_before_next);
}

TEST(Observe, AJobsDeliveryRegistersItsRunnerAndARecordTheCloudLostIsReported) {
  World w;
  w.add("i-a", false);
  w.records[0].registered_at.reset();
  w.records[0].state = InstanceState::kBooting;
  w.runners.clear();  // the list predates the runner
  Job j;
  j.job_id = 7;
  j.runner_name = runner_name_for("linux", "i-a");
  w.running.push_back(j);
  Instance gone = w.records[0];
  gone.instance_id = "i-gone";
  gone.runner_name = runner_name_for("linux", "i-gone");
  gone.market = Market::kSpot;
  w.records.push_back(gone);
  Job on_gone;
  on_gone.job_id = 8;
  on_gone.runner_name = runner_name_for("linux", "i-gone");
  w.running.push_back(on_gone);
  const Observation o = w.see(false, kT0 - 5min);
  ASSERT_EQ(o.upserts.size(), 1u);
  EXPECT_EQ(o.upserts[0].registered_at, kT0);
  EXPECT_EQ(o.upserts[0].state, InstanceState::kBusy);
  EXPECT_EQ(o.vanished, (std::vector<std::string>{"i-gone"}));
  EXPECT_EQ(o.jobs_on_vanished_spot, (std::vector<std::int64_t>{8}));
}

}  // namespace
}  // namespace ghscale::scaler
