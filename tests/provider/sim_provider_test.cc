#include <gtest/gtest.h>

#include "provider/sim/faulty_provider.h"
#include "provider/sim/sim_provider.h"

namespace ghscale::provider {
namespace {

using namespace std::chrono_literals;

class SimProviderTest : public ::testing::Test {
 protected:
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>();
  SimProvider sim{SimOptions{.clock = clock, .boot_time = 30s}};

  LaunchRequest request(int od, int spot, std::string token = "t1") {
    LaunchRequest r;
    r.pool = "linux";
    r.split = {od, spot};
    r.client_token = std::move(token);
    r.cause_job_id = 42;
    return r;
  }
};

TEST_F(SimProviderTest, LaunchedInstancesBootAfterTheDelay) {
  auto out = sim.launch(request(1, 2));
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->on_demand_ids.size(), 1u);
  EXPECT_EQ(out->spot_ids.size(), 2u);
  auto d = sim.describe("linux");
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(d->size(), 3u);
  for (const auto& i : *d) {
    EXPECT_EQ(i.lifecycle, Lifecycle::kPending);
    EXPECT_EQ(i.tags.at(std::string(kTagJob)), "42");
    EXPECT_EQ(i.tags.at(std::string(kTagPool)), "linux");
  }
  clock->advance(29s);
  EXPECT_EQ(sim.describe("linux")->front().lifecycle, Lifecycle::kPending);
  clock->advance(1s);
  EXPECT_EQ(sim.describe("linux")->front().lifecycle, Lifecycle::kRunning);
  EXPECT_TRUE(sim.describe("other")->empty());
}

TEST_F(SimProviderTest, SameClientTokenLaunchesNothingNew) {
  auto a = sim.launch(request(0, 2, "same"));
  auto b = sim.launch(request(0, 2, "same"));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->spot_ids, b->spot_ids);
  EXPECT_EQ(sim.describe("linux")->size(), 2u);
  EXPECT_FALSE(sim.launch(request(0, 0, "empty")).ok());
}

TEST_F(SimProviderTest, CapacityErrorsArePerMarket) {
  sim.set_capacity(Market::kSpot, 1);
  auto out = sim.launch(request(1, 3));
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->on_demand_ids.size(), 1u);
  EXPECT_EQ(out->spot_ids.size(), 1u);
  EXPECT_FALSE(out->on_demand_error.has_value());
  ASSERT_TRUE(out->spot_error.has_value());
  EXPECT_EQ(out->spot_error->kind, ErrorKind::kConflict);
}

TEST_F(SimProviderTest, ObserverHearsReadyOnlyWithARegistrationAndNeverSeesItLogged) {
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
  sim.poll();
  EXPECT_EQ(events.size(), 1u);  // told once
  EXPECT_EQ(sim.hand_over("i-unknown", reg).error().kind, ErrorKind::kNotFound);
}

TEST_F(SimProviderTest, TerminateAndInterruptRemoveInstances) {
  std::vector<SimEvent::Kind> kinds;
  sim.set_observer([&](const SimEvent& e) { kinds.push_back(e.kind); });
  auto out = sim.launch(request(0, 3));
  ASSERT_TRUE(sim.terminate({out->spot_ids[0], "i-unknown"}).ok());
  ASSERT_TRUE(sim.terminate({out->spot_ids[0]}).ok());  // idempotent
  sim.interrupt(out->spot_ids[1]);
  EXPECT_EQ(sim.describe("linux")->size(), 1u);
  EXPECT_EQ(sim.all_instances().size(), 3u);
  EXPECT_EQ(kinds, (std::vector<SimEvent::Kind>{SimEvent::Kind::kTerminated, SimEvent::Kind::kInterrupted}));
  ASSERT_TRUE(sim.protect({out->spot_ids[2]}, true).ok());
  EXPECT_TRUE(sim.instance(out->spot_ids[2])->scale_in_protected);
}

TEST_F(SimProviderTest, SpotInterruptionRateReclaimsSpotOnly) {
  SimProvider s(SimOptions{.clock = clock, .boot_time = 1s, .spot_interruption_rate = 2.0, .seed = 9});
  LaunchRequest r = request(5, 50);
  ASSERT_TRUE(s.launch(r).ok());
  s.poll();
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
}

TEST(FaultyProviderTest, FailsChosenCallsThenPassesThrough) {
  auto clock = std::make_shared<ManualClock>();
  auto sim = std::make_shared<SimProvider>(SimOptions{.clock = clock});
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
