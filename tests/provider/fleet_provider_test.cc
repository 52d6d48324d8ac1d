// aws_fleet against the fake AWS endpoint: CreateFleet instant with overrides and tags,
// the on-demand/spot split, on-demand fall-back for spot capacity errors, idempotent
// retries by ClientToken (also across a restart), describe by tag, terminate.
#include <gtest/gtest.h>

#include <set>

#include "provider/aws/fleet_provider.h"
#include "provider/aws_fixture.h"

namespace ghscale::provider::testing {
namespace {

using FleetProviderTest = AwsProviderTest;

LaunchRequest request(int on_demand, int spot, std::string token, std::int64_t job = 0) {
  return LaunchRequest{"fleet", {on_demand, spot}, std::move(token), job};
}

std::string tag(const fakes::FakeInstance& i, const std::string& key) {
  for (const auto& [k, v] : i.tags) {
    if (k == key) return v;
  }
  return "<none>";
}

TEST_F(FleetProviderTest, LaunchSplitsMarketsAndTagsEveryInstance) {
  FleetProvider p(fleet_options());
  auto out = p.launch(request(1, 3, "scale-out-7", 4242));
  ASSERT_TRUE(out.ok()) << out.error().describe();
  EXPECT_EQ(out->on_demand_ids.size(), 1u);
  EXPECT_EQ(out->spot_ids.size(), 3u);
  EXPECT_FALSE(out->spot_error);
  EXPECT_FALSE(out->on_demand_error);
  std::set<std::string> types, subnets;
  for (const auto& i : fake_->instances()) {
    EXPECT_EQ(tag(i, "ghscale:pool"), "fleet");
    EXPECT_EQ(tag(i, "ghscale:managed-by"), "ghscale");
    EXPECT_EQ(tag(i, "ghscale:launch"), "scale-out-7");
    EXPECT_EQ(tag(i, "ghscale:job"), "4242");
    types.insert(i.instance_type);
    subnets.insert(i.subnet_id);
  }
  EXPECT_EQ(types, (std::set<std::string>{"m7i.large", "m6i.large"}));
  EXPECT_EQ(subnets, (std::set<std::string>{"subnet-a", "subnet-b"}));
  auto fleets = requests_containing("Action=CreateFleet");
  ASSERT_EQ(fleets.size(), 1u);
  const std::string& body = fleets[0];
  EXPECT_NE(body.find("Type=instant"), std::string::npos);
  EXPECT_NE(body.find("SpotOptions.AllocationStrategy=price-capacity-optimized"), std::string::npos) << body;
  EXPECT_NE(body.find("OnDemandTargetCapacity=1"), std::string::npos);
  EXPECT_NE(body.find("TotalTargetCapacity=4"), std::string::npos);
  EXPECT_NE(body.find("ClientToken=" + FleetProvider::fleet_token("fleet", "scale-out-7")), std::string::npos);
  // 2 types x 2 subnets.
  EXPECT_NE(body.find("Overrides.4.SubnetId=subnet-b"), std::string::npos) << body;
}

TEST_F(FleetProviderTest, DescribeFindsThePoolsLiveInstancesByTag) {
  FleetProvider p(fleet_options());
  auto out = p.launch(request(0, 2, "a"));
  ASSERT_TRUE(out.ok());
  fakes::FakeInstance stranger;
  stranger.tags = {{"ghscale:pool", "other"}};
  fake_->add_instance(stranger);
  auto listed = p.describe("fleet");
  ASSERT_TRUE(listed.ok()) << listed.error().describe();
  ASSERT_EQ(listed->size(), 2u);
  for (const auto& c : *listed) {
    EXPECT_EQ(c.market, Market::kSpot);
    EXPECT_EQ(c.lifecycle, Lifecycle::kRunning);
    EXPECT_EQ(c.tags.at("ghscale:launch"), "a");
  }
  EXPECT_TRUE(p.describe("other")->empty());
  ASSERT_TRUE(p.terminate({(*listed)[0].id}).ok());
  EXPECT_EQ(p.describe("fleet")->size(), 1u);
}

TEST_F(FleetProviderTest, DescribeReadsEveryPage) {
  for (int i = 0; i < 1005; ++i) {
    fakes::FakeInstance x;
    x.tags = {{"ghscale:pool", "fleet"}};
    fake_->add_instance(x);
  }
  FleetProvider p(fleet_options());
  auto listed = p.describe("fleet");
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 1005u);
  EXPECT_EQ(fake_->request_count("DescribeInstances"), 2);
}

TEST_F(FleetProviderTest, SpotCapacityErrorsFallBackToOnDemand) {
  FleetProvider p(fleet_options());
  fake_->inject({.kind = fakes::Fault::Kind::kInsufficientCapacity, .operation = "CreateFleet", .times = 1});
  auto out = p.launch(request(1, 2, "t"));
  ASSERT_TRUE(out.ok()) << out.error().describe();
  EXPECT_TRUE(out->spot_ids.empty());
  EXPECT_EQ(out->on_demand_ids.size(), 3u) << "base 1 + the spot shortfall 2";
  ASSERT_TRUE(out->spot_error);
  EXPECT_EQ(out->spot_error->kind, ErrorKind::kConflict);
  EXPECT_NE(out->spot_error->message.find("InsufficientInstanceCapacity"), std::string::npos);
  EXPECT_FALSE(out->on_demand_error);
  EXPECT_EQ(fake_->request_count("CreateFleet"), 2);
  for (const auto& i : fake_->instances()) EXPECT_EQ(i.lifecycle, "");

  fake_->inject({.kind = fakes::Fault::Kind::kInsufficientCapacity,
                 .operation = "CreateFleet",
                 .times = 1,
                 .code = "MaxSpotInstanceCountExceeded"});
  auto again = p.launch(request(0, 1, "t2"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->on_demand_ids.size(), 1u);
}

TEST_F(FleetProviderTest, OtherSpotErrorsAndOnDemandShortfallsAreReported) {
  auto options = fleet_options();
  options.on_demand_fallback_errors = {"InsufficientInstanceCapacity"};
  FleetProvider p(options);
  fake_->inject({.kind = fakes::Fault::Kind::kInsufficientCapacity,
                 .operation = "CreateFleet",
                 .times = 1,
                 .code = "UnfulfillableCapacity"});
  fake_->inject({.kind = fakes::Fault::Kind::kInsufficientCapacity,
                 .operation = "CreateFleet",
                 .times = 1,
                 .market = "on-demand"});
  auto out = p.launch(request(1, 1, "t"));
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE(out->on_demand_ids.empty());
  EXPECT_TRUE(out->spot_ids.empty());
  ASSERT_TRUE(out->on_demand_error);
  ASSERT_TRUE(out->spot_error);
  EXPECT_NE(out->spot_error->message.find("UnfulfillableCapacity"), std::string::npos);
  EXPECT_EQ(fake_->request_count("CreateFleet"), 1) << "no fall-back for a code not configured";
}

TEST_F(FleetProviderTest, ARetriedLaunchDoesNotDoubleCapacityEvenAfterARestart) {
  {
    FleetProvider p(fleet_options());
    auto first = p.launch(request(1, 1, "decision-9"));
    auto again = p.launch(request(1, 1, "decision-9"));
    ASSERT_TRUE(first.ok() && again.ok());
    EXPECT_EQ(first->spot_ids, again->spot_ids);
    EXPECT_EQ(fake_->request_count("CreateFleet"), 1);
  }
  FleetProvider restarted(fleet_options());
  auto replay = restarted.launch(request(1, 1, "decision-9"));
  ASSERT_TRUE(replay.ok());
  EXPECT_EQ(fake_->request_count("CreateFleet"), 2);
  EXPECT_EQ(fake_->instances().size(), 2u) << "EC2 answered the same instances for the same ClientToken";
  EXPECT_EQ(replay->on_demand_ids.size() + replay->spot_ids.size(), 2u);
}

TEST_F(FleetProviderTest, ThrottlingAnd500sAreRetried) {
  FleetProvider p(fleet_options());
  fake_->inject({fakes::Fault::Kind::kThrottle, "CreateFleet", 2});
  auto out = p.launch(request(0, 2, "t"));
  ASSERT_TRUE(out.ok()) << out.error().describe();
  EXPECT_EQ(fake_->instances().size(), 2u);
  fake_->inject({fakes::Fault::Kind::kInternalError, "DescribeInstances", 2});
  fake_->inject({fakes::Fault::Kind::kThrottle, "TerminateInstances", 1});
  fake_->inject({fakes::Fault::Kind::kInternalError, "DeleteParameter", 1});
  ASSERT_TRUE(p.terminate(out->spot_ids).ok());
  for (const auto& i : fake_->instances()) EXPECT_EQ(i.state, "terminated");
  EXPECT_GE(sleeps_.size(), 5u);
  // Terminating what is gone (or unknown) is fine and calls no TerminateInstances.
  const int before = fake_->request_count("TerminateInstances");
  EXPECT_TRUE(p.terminate({out->spot_ids[0], "i-00000000000000bad"}).ok());
  EXPECT_EQ(fake_->request_count("TerminateInstances"), before);
}

TEST_F(FleetProviderTest, HandOverOnlyToLiveInstancesOfThePool) {
  FleetProvider p(fleet_options());
  auto out = p.launch(request(0, 1, "t"));
  ASSERT_TRUE(out.ok());
  Registration r;
  r.secret = "ZmxlZXQtaml0LWNvbmZpZw";
  ASSERT_TRUE(p.hand_over(out->spot_ids[0], r).ok());
  EXPECT_EQ(fake_->parameter("/ghscale/runners/" + out->spot_ids[0])->value, r.secret);
  fakes::FakeInstance stranger;
  stranger.id = "i-0stranger0000000";
  fake_->add_instance(stranger);
  EXPECT_EQ(p.hand_over(stranger.id, r).error().kind, ErrorKind::kNotFound);
  ASSERT_TRUE(p.terminate(out->spot_ids).ok());
  EXPECT_FALSE(fake_->parameter("/ghscale/runners/" + out->spot_ids[0]).has_value());
  EXPECT_EQ(p.hand_over(out->spot_ids[0], r).error().kind, ErrorKind::kNotFound);
  EXPECT_TRUE(p.protect(out->spot_ids, true).ok());  // nothing to protect from
  for (const auto& req : requests_containing(r.secret)) {
    EXPECT_NE(req.find("AmazonSSM.PutParameter"), std::string::npos) << req;
  }
}

}  // namespace
}  // namespace ghscale::provider::testing
