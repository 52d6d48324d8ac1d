// The simulated cloud on its own: boots on the clock whether driven by advance() (the
// simulator) or by the calls themselves (the daemon), observer events, capacity and
// interruptions, bounded memories, prices; and the failure-injecting wrapper.
#include "provider/sim/sim_cloud.h"

#include <gtest/gtest.h>

#include "provider/sim/faulty_provider.h"

namespace ghscale::provider {
namespace {

using namespace std::chrono_literals;

class SimCloudTest : public ::testing::Test {
 protected:
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>();
  SimCloud sim{SimCloudOptions{.clock = clock, .boot_time = 30s}};

  LaunchRequest request(int od, int spot, std::string token = "t1") {
    LaunchRequest r;
    r.pool = "linux";
    r.split = {od, spot};
    r.client_token = std::move(token);
    r.cause_job_id = 42;
    return r;
  }
};

TEST_F(SimCloudTest, LaunchedInstancesBootAfterTheDelayWhenACallPolls) {
  auto out = sim.launch(request(1, 2));
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->on_demand_ids.size(), 1u);
  EXPECT_EQ(out->spot_ids.size(), 2u);
  auto d = sim.describe("linux");
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(d->size(), 3u);
  for (const auto& i : *d) {
    EXPECT_EQ(i.lifecycle, Lifecycle::kPending);
    EXPECT_EQ(i.instance_type, "m7i.large");
    EXPECT_EQ(i.tags.at(std::string(kTagJob)), "42");
    EXPECT_EQ(i.tags.at(std::string(kTagPool)), "linux");
    EXPECT_EQ(i.tags.at(std::string(kTagLaunch)), "t1");
  }
  // Nobody calls advance(): describe() itself applies what the clock made due.
  clock->advance(29s);
  EXPECT_EQ(sim.describe("linux")->front().lifecycle, Lifecycle::kPending);
  clock->advance(1s);
  EXPECT_EQ(sim.describe("linux")->front().lifecycle, Lifecycle::kRunning);
  EXPECT_TRUE(sim.describe("other")->empty());
}

TEST_F(SimCloudTest, AdvanceAndNextEventTimeDriveAVirtualClock) {
  SimCloud cloud(SimCloudOptions{.clock = clock, .boot_time = 30s, .boot_jitter = 10s, .seed = 3});
  EXPECT_FALSE(cloud.next_event_time());
  const TimePoint t0 = clock->now();
  auto out = cloud.launch(request(2, 0));
  ASSERT_TRUE(out.ok());
  const auto first = cloud.next_event_time();
  ASSERT_TRUE(first);
  EXPECT_GE(*first, t0 + 30s);
  EXPECT_LT(*first, t0 + 40s);
  // advance() is told the time; the clock is not consulted.
  cloud.advance(*first);
  int running = 0;
  for (const auto& c : cloud.all_instances()) running += c.lifecycle == Lifecycle::kRunning ? 1 : 0;
  EXPECT_GE(running, 1);
  cloud.advance(t0 + 40s);
  EXPECT_FALSE(cloud.next_event_time());
  for (const auto& c : cloud.all_instances()) EXPECT_EQ(c.lifecycle, Lifecycle::kRunning);
}

TEST_F(SimCloudTest, SameClientTokenLaunchesNothingNew) {
  auto a = sim.launch(request(0, 2, "same"));
  auto b = sim.launch(request(0, 2, "same"));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->spot_ids, b->spot_ids);
  EXPECT_EQ(sim.describe("linux")->size(), 2u);
  EXPECT_EQ(sim.launch(request(0, 0, "empty")).error().kind, ErrorKind::kInvalid);
  EXPECT_EQ(sim.launch(request(-1, 2, "negative")).error().kind, ErrorKind::kInvalid);
  EXPECT_EQ(sim.launch_calls(), 4);
}

TEST_F(SimCloudTest, ClientTokenMemoryIsBounded) {
  SimCloud cloud(SimCloudOptions{.clock = clock, .remembered_tokens = 3});
  auto first = cloud.launch(request(1, 0, "tok-0"));
  ASSERT_TRUE(first.ok());
  for (int i = 1; i <= 2; ++i) ASSERT_TRUE(cloud.launch(request(1, 0, "tok-" + std::to_string(i))).ok());
  // Still remembered: the replay answers the first ids.
  EXPECT_EQ(cloud.launch(request(1, 0, "tok-0"))->on_demand_ids, first->on_demand_ids);
  EXPECT_EQ(cloud.live_count(), 3);
  ASSERT_TRUE(cloud.launch(request(1, 0, "tok-3")).ok());
  // Forgotten (the oldest of four): a replay now is a new launch.
  auto late = cloud.launch(request(1, 0, "tok-0"));
  ASSERT_TRUE(late.ok());
  EXPECT_NE(late->on_demand_ids, first->on_demand_ids);
  EXPECT_EQ(cloud.live_count(), 5);
}

TEST_F(SimCloudTest, CapacityErrorsArePerMarket) {
  sim.set_capacity(Market::kSpot, 1);
  auto out = sim.launch(request(1, 3));
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->on_demand_ids.size(), 1u);
  EXPECT_EQ(out->spot_ids.size(), 1u);
  EXPECT_FALSE(out->on_demand_error.has_value());
  ASSERT_TRUE(out->spot_error.has_value());
  EXPECT_EQ(out->spot_error->kind, ErrorKind::kConflict);
  EXPECT_EQ(sim.usage(clock->now()).launch_failures, 2);
}

TEST_F(SimCloudTest, ObserverHearsReadyOnlyWithARegistration) {
  std::vector<SimEvent> events;
  sim.set_observer([&](const SimEvent& e) { events.push_back(e); });
  auto out = sim.launch(request(0, 1));
  const std::string id = out->spot_ids.at(0);
  clock->advance(31s);
  sim.poll();
  EXPECT_TRUE(events.empty());  // running, but nothing to register with yet
  Registration reg;
  reg.runner_name = "ghscale-linux-" + id;
  reg.secret = "jit-secret";
  ASSERT_TRUE(sim.hand_over(id, reg).ok());
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, SimEvent::Kind::kReady);
  EXPECT_EQ(events[0].registration->secret, "jit-secret");
  EXPECT_EQ(sim.registration(id)->secret, "jit-secret");
  sim.poll();
  EXPECT_EQ(events.size(), 1u);  // told once
  EXPECT_EQ(sim.hand_over("i-unknown", reg).error().kind, ErrorKind::kNotFound);
  // A second hand-over replaces the first and is told again.
  reg.secret = "jit-secret-2";
  ASSERT_TRUE(sim.hand_over(id, reg).ok());
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].registration->secret, "jit-secret-2");
  EXPECT_EQ(sim.usage(clock->now()).repeated_hand_overs, 1);  // the same runner name again
  // A new runner name for an instance whose runner started is reuse, not a repeat...
  reg.runner_name = "ghscale-linux-" + id + "-r1";
  ASSERT_TRUE(sim.hand_over(id, reg).ok());
  EXPECT_EQ(sim.usage(clock->now()).reuse_hand_overs, 1);
  EXPECT_EQ(sim.usage(clock->now()).repeated_hand_overs, 1);
  // ...but two for a booting instance are two deciders for one slot.
  const std::string booting = sim.launch(request(0, 1, "t2"))->spot_ids.at(0);
  reg.runner_name = "ghscale-linux-" + booting;
  ASSERT_TRUE(sim.hand_over(booting, reg).ok());
  reg.runner_name = "ghscale-linux-" + booting + "-r1";
  ASSERT_TRUE(sim.hand_over(booting, reg).ok());
  EXPECT_EQ(sim.usage(clock->now()).repeated_hand_overs, 2);
  EXPECT_EQ(sim.usage(clock->now()).reuse_hand_overs, 1);
}

TEST_F(SimCloudTest, TerminateAndInterruptRemoveInstances) {
  std::vector<SimEvent::Kind> kinds;
  sim.set_observer([&](const SimEvent& e) { kinds.push_back(e.kind); });
  auto out = sim.launch(request(0, 3));
  ASSERT_TRUE(sim.terminate({out->spot_ids[0], "i-unknown"}).ok());
  ASSERT_TRUE(sim.terminate({out->spot_ids[0]}).ok());  // idempotent
  sim.interrupt(out->spot_ids[1]);
  EXPECT_EQ(sim.describe("linux")->size(), 1u);
  EXPECT_EQ(sim.live_count(), 1);
  EXPECT_EQ(kinds, (std::vector<SimEvent::Kind>{SimEvent::Kind::kTerminated, SimEvent::Kind::kInterrupted}));
  ASSERT_TRUE(sim.protect({out->spot_ids[2]}, true).ok());
  EXPECT_TRUE(sim.instance(out->spot_ids[2])->scale_in_protected);
  EXPECT_FALSE(sim.instance(out->spot_ids[0]));  // gone
  EXPECT_EQ(sim.hand_over(out->spot_ids[0], Registration{}).error().kind, ErrorKind::kNotFound);
  // all_instances() still shows the gone ones, as terminated.
  const auto all = sim.all_instances();
  ASSERT_EQ(all.size(), 3u);
  int terminated = 0;
  for (const auto& c : all) terminated += c.lifecycle == Lifecycle::kTerminated ? 1 : 0;
  EXPECT_EQ(terminated, 2);
}

TEST_F(SimCloudTest, GoneInstancesAreRememberedBoundedly) {
  SimCloud cloud(SimCloudOptions{.clock = clock, .remembered_terminated = 2});
  auto out = cloud.launch(request(5, 0));
  ASSERT_TRUE(out.ok());
  ASSERT_TRUE(cloud.terminate(out->on_demand_ids).ok());
  const auto all = cloud.all_instances();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].id, out->on_demand_ids[4]);  // most recent first
  EXPECT_EQ(all[1].id, out->on_demand_ids[3]);
}

TEST_F(SimCloudTest, SpotInterruptionRateReclaimsSpotOnlyAndIsBilledUntilThen) {
  SimCloud s(SimCloudOptions{.clock = clock, .boot_time = 1s, .spot_interruption_rate = 2.0, .seed = 9});
  ASSERT_TRUE(s.launch(request(5, 50)).ok());
  for (int h = 0; h < 5; ++h) {
    clock->advance(1h);
    s.poll();
  }
  int spot = 0, od = 0;
  auto alive = s.describe("linux");
  ASSERT_TRUE(alive.ok());
  for (const auto& i : *alive) ++(i.market == Market::kSpot ? spot : od);
  EXPECT_EQ(od, 5);
  EXPECT_LT(spot, 5);  // p(survive 5h at 2/h) = e^-10
  const CloudUsage u = s.usage(clock->now());
  EXPECT_EQ(u.interruptions, 50 - spot);
  EXPECT_DOUBLE_EQ(u.on_demand_hours, 25.0);
  EXPECT_LT(u.spot_hours, 50 * 5.0 / 2);  // reclaimed on average after half an hour
}

TEST_F(SimCloudTest, PricesFollowTheInstanceType) {
  SimCloud cloud(SimCloudOptions{.clock = clock, .instance_type = "c7i.2xlarge"});
  ASSERT_TRUE(cloud.launch(request(1, 1)).ok());
  clock->advance(2h);
  const CloudUsage u = cloud.usage(clock->now());
  EXPECT_NEAR(u.on_demand_cost, 2 * 0.3570, 1e-9);
  EXPECT_NEAR(u.spot_cost, 2 * 0.1360, 1e-9);
  SimCloud unknown(SimCloudOptions{.clock = clock, .instance_type = "x9.huge"});
  ASSERT_TRUE(unknown.launch(request(1, 0)).ok());
  clock->advance(1h);
  EXPECT_NEAR(unknown.usage(clock->now()).cost(), 0.1008, 1e-9);  // priced as "default"
}

TEST(FaultyProviderTest, FailsChosenCallsThenPassesThrough) {
  auto clock = std::make_shared<ManualClock>();
  auto sim = std::make_shared<SimCloud>(SimCloudOptions{.clock = clock});
  FaultyProvider faulty(sim);
  faulty.fail_next(ProviderOp::kLaunch, make_error(ErrorKind::kRetryable, "boom"), 2);
  LaunchRequest r;
  r.pool = "p";
  r.split = {0, 1};
  EXPECT_EQ(faulty.launch(r).error().kind, ErrorKind::kRetryable);
  EXPECT_FALSE(faulty.launch(r).ok());
  EXPECT_TRUE(faulty.launch(r).ok());
  EXPECT_EQ(faulty.calls(ProviderOp::kLaunch), 3);
  EXPECT_EQ(sim->launch_calls(), 1);
  faulty.fail_always(ProviderOp::kDescribe, make_error(ErrorKind::kThrottled, "slow down"));
  EXPECT_FALSE(faulty.describe("p").ok());
  EXPECT_FALSE(faulty.describe("p").ok());
  faulty.clear();
  EXPECT_EQ(faulty.describe("p")->size(), 1u);
}

}  // namespace
}  // namespace ghscale::provider
