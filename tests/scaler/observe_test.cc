// observe(): what the cloud, the runner list, the webhooks and our records say of a pool,
// as plan()'s snapshot and the record changes to write.
#include "scaler/observe.h"

#include <gtest/gtest.h>

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
