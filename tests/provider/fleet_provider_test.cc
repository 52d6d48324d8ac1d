// aws_fleet against the fake AWS endpoint: CreateFleet instant with overrides and tags,
// the on-demand/spot split, on-demand fall-back for spot capacity errors, idempotent
// retries by ClientToken (also across a restart), describe by tag, terminate; and a rude
// EC2: describes that lag behind launches, tags applied late, markets swapped, partial
// capacity, throttling bursts and 5xx storms.
#include <gtest/gtest.h>

#include <algorithm>
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
    EXPECT_EQ(tag(i, "ghscale:deployment"), "ghscale");  // what deploy/aws/iam-policy.json requires
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

TEST_F(FleetProviderTest, ARegistrationWhoseInstanceWentAwayUnreadIsDeleted) {
  FleetProvider p(fleet_options());
  auto out = p.launch(request(0, 2, "two"));
  ASSERT_TRUE(out.ok()) << out.error().describe();
  const auto& ids = out->spot_ids;
  ASSERT_EQ(ids.size(), 2u);
  Registration reg;
  reg.secret = "cmVjbGFpbWVkLWppdA";
  ASSERT_TRUE(p.hand_over(ids[0], reg).ok());
  ASSERT_TRUE(p.hand_over(ids[1], reg).ok());
  fake_->end_instance(ids[0], "spot interruption while booting");
  ASSERT_TRUE(p.describe("fleet").ok());
  EXPECT_FALSE(fake_->parameter("/ghscale/runners/" + ids[0])) << "left for an instance that is gone";
  EXPECT_TRUE(fake_->parameter("/ghscale/runners/" + ids[1])) << "deleted under a live instance";
  const int deletes = fake_->request_count("DeleteParameter");
  ASSERT_TRUE(p.describe("fleet").ok());
  EXPECT_EQ(fake_->request_count("DeleteParameter"), deletes) << "deleted once, then forgotten";
}

TEST_F(FleetProviderTest, AMarketSwappedIsReportedWhereItWasPlacedAndIsNoShortfall) {
  fake_->set_market_swap(/*spot_to_on_demand=*/true, /*on_demand_to_spot=*/true);
  FleetProvider p(fleet_options());
  auto out = p.launch(request(1, 2, "swapped"));
  ASSERT_TRUE(out.ok()) << out.error().describe();
  EXPECT_EQ(out->on_demand_ids.size(), 2u) << "the spot asked, placed on-demand";
  EXPECT_EQ(out->spot_ids.size(), 1u) << "the on-demand asked, placed spot";
  EXPECT_FALSE(out->on_demand_error) << out->on_demand_error->describe();
  EXPECT_FALSE(out->spot_error) << out->spot_error->describe();
  EXPECT_EQ(fake_->request_count("CreateFleet"), 1) << "nothing was short: no fall-back";
  // Placed in neither market is still short, in the market asked.
  fake_->inject({.kind = fakes::Fault::Kind::kInsufficientCapacity, .operation = "CreateFleet", .times = 1,
                 .market = "on-demand", .code = "InsufficientInstanceCapacity"});
  auto short_one = p.launch(request(1, 1, "short"));
  ASSERT_TRUE(short_one.ok()) << short_one.error().describe();
  EXPECT_EQ(short_one->on_demand_ids.size() + short_one->spot_ids.size(), 1u);
  ASSERT_TRUE(short_one->on_demand_error);
  EXPECT_NE(short_one->on_demand_error->message.find("1 of 1"), std::string::npos)
      << short_one->on_demand_error->message;
  EXPECT_FALSE(short_one->spot_error);
}

TEST_F(FleetProviderTest, RudeEc2NeverTakesRepeatedRoundsAboveMaxRunners) {
  fake_->set_describe_lag(60s);
  fake_->set_tag_delay(90s);
  fake_->set_market_swap(true);
  // A throttling burst and a 5xx storm on the way.
  fake_->inject({fakes::Fault::Kind::kThrottle, "DescribeInstances", 2});
  fake_->inject({fakes::Fault::Kind::kInternalError, "CreateFleet", 5});
  FleetProvider p(fleet_options());
  const Rounds r = launch_rounds(p, "fleet", /*demand=*/8, /*max_runners=*/5, /*rounds=*/20, 10s);
  EXPECT_LE(r.most_live, 5) << "every round launched again while EC2 did not show the last";
  EXPECT_EQ(r.hand_overs_refused, 0);
  EXPECT_EQ(fake_->live_instances(), 5);
  // 200 s later EC2 shows them all, with tags, and in the market it chose.
  auto listed = p.describe("fleet");
  ASSERT_TRUE(listed.ok()) << listed.error().describe();
  ASSERT_EQ(listed->size(), 5u);
  Registration reg;
  reg.secret = "bGF0ZS1qaXQtY29uZmln";
  for (const auto& c : *listed) {
    EXPECT_EQ(c.market, Market::kOnDemand) << "spot was asked, on-demand given";
    EXPECT_EQ(c.tags.at("ghscale:pool"), "fleet");
    EXPECT_TRUE(p.hand_over(c.id, reg).ok());
  }
}

TEST_F(FleetProviderTest, ALaunchNotYetListedCountsUntilEc2ShowsItOrTheWindowPasses) {
  fake_->set_describe_lag(60s);
  FleetProvider p(fleet_options());
  auto out = p.launch(request(1, 2, "lagging", 77));
  ASSERT_TRUE(out.ok()) << out.error().describe();
  auto listed = p.describe("fleet");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 3u) << "remembered from CreateFleet's answer";
  for (const auto& c : *listed) {
    EXPECT_EQ(c.lifecycle, Lifecycle::kPending);
    EXPECT_EQ(c.tags.at("ghscale:job"), "77");
  }
  // Not visible, yet ours by CreateFleet's answer: handed over at once, without waiting.
  Registration reg;
  reg.secret = "aGlkZGVuLWppdA";
  const std::size_t slept = sleeps_.size();
  ASSERT_TRUE(p.hand_over(out->spot_ids[0], reg).ok());
  EXPECT_EQ(fake_->parameter("/ghscale/runners/" + out->spot_ids[0])->value, reg.secret);
  EXPECT_EQ(sleeps_.size(), slept);
  // Terminated by id while still unlisted: EC2 ends it and it leaves describe().
  ASSERT_TRUE(p.terminate({out->spot_ids[1]}).ok());
  EXPECT_EQ(fake_->instance(out->spot_ids[1])->state, "terminated");
  EXPECT_EQ(p.describe("fleet")->size(), 2u);
  // Listed: EC2's view from now on.
  advance(61s);
  ASSERT_TRUE(p.hand_over(out->spot_ids[0], reg).ok());
  EXPECT_EQ(p.describe("fleet")->size(), 2u);
  // One never shown is dropped when the window passes (the provider's clock only).
  fake_->set_describe_lag(1h);
  auto never = p.launch(request(0, 1, "never-listed"));
  ASSERT_TRUE(never.ok());
  EXPECT_EQ(p.describe("fleet")->size(), 3u);
  clock_->advance(11min);
  EXPECT_EQ(p.describe("fleet")->size(), 2u);
}

// A new process (a restart, the next `reconcile --once`) while EC2 still lists nothing:
// the ledger's launches count as supply there too, until EC2 shows them or the window
// passes; without a ledger they would not, and the scaler would launch them again.
TEST_F(FleetProviderTest, ALaunchEc2DoesNotListYetCountsInTheNextProcessThroughTheLedger) {
  fake_->set_describe_lag(60s);
  auto ledger = std::make_shared<MemoryLedger>();
  FleetProviderOptions o = fleet_options();
  o.ledger = ledger;
  std::vector<std::string> launched;
  FleetProvider standby(o);  // another daemon, started before the launch, takes over after it
  {
    FleetProvider before(o);
    auto out = before.launch(request(1, 1, "before-the-restart", 41));
    ASSERT_TRUE(out.ok()) << out.error().describe();
    launched = out->on_demand_ids;
    launched.insert(launched.end(), out->spot_ids.begin(), out->spot_ids.end());
  }
  ASSERT_EQ(launched.size(), 2u);
  EXPECT_GE(ledger->writes(), 1);
  EXPECT_TRUE(FleetProvider(fleet_options()).describe("fleet")->empty()) << "EC2 lags: no ledger, no supply";

  EXPECT_EQ(standby.describe("fleet")->size(), 2u) << "the daemon taking the lease over counts them too";
  FleetProvider after(o);
  auto listed = after.describe("fleet");
  ASSERT_TRUE(listed.ok()) << listed.error().describe();
  ASSERT_EQ(listed->size(), 2u);
  for (const auto& c : *listed) {
    EXPECT_NE(std::find(launched.begin(), launched.end(), c.id), launched.end()) << c.id;
    EXPECT_EQ(c.lifecycle, Lifecycle::kPending);
    EXPECT_EQ(c.tags.at("ghscale:job"), "41");
  }
  Registration reg;
  reg.secret = "bGVkZ2VyLWppdA";
  EXPECT_TRUE(after.hand_over(launched[0], reg).ok()) << "ours by the ledger, listed or not";

  // EC2 caught up: its own view, and the ledger forgets them.
  advance(61s);
  EXPECT_EQ(after.describe("fleet")->size(), 2u);
  EXPECT_EQ(FleetProvider(o).describe("fleet")->size(), 2u);
  // One EC2 never lists holds capacity no longer than the window, in any process.
  fake_->set_describe_lag(1h);
  ASSERT_TRUE(after.launch(request(0, 1, "never-listed")).ok());
  EXPECT_EQ(FleetProvider(o).describe("fleet")->size(), 3u);
  clock_->advance(11min);
  EXPECT_EQ(FleetProvider(o).describe("fleet")->size(), 2u);
}

TEST_F(FleetProviderTest, LateTagsDoNotHideAnInstanceOrRefuseItsHandOver) {
  fake_->set_tag_delay(60s);
  FleetProvider p(fleet_options());
  auto out = p.launch(request(0, 1, "untagged-yet"));
  ASSERT_TRUE(out.ok());
  const std::string id = out->spot_ids.at(0);
  auto listed = p.describe("fleet");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].lifecycle, Lifecycle::kRunning) << "EC2's view, with the tags it will get";
  EXPECT_EQ((*listed)[0].tags.at("ghscale:launch"), "untagged-yet");
  Registration reg;
  reg.secret = "dW50YWdnZWQtaml0";
  ASSERT_TRUE(p.hand_over(id, reg).ok());
  EXPECT_EQ(fake_->parameter("/ghscale/runners/" + id)->value, reg.secret);
  // Someone else's untagged instance is still nobody's.
  fakes::FakeInstance stranger;
  stranger.id = "i-0stranger0000001";
  fake_->add_instance(stranger);
  EXPECT_EQ(p.hand_over(stranger.id, reg).error().kind, ErrorKind::kNotFound);
}

TEST_F(FleetProviderTest, PartialSpotCapacityFallsBackForTheRestOnly) {
  FleetProvider p(fleet_options());
  fake_->inject({.kind = fakes::Fault::Kind::kInsufficientCapacity, .operation = "CreateFleet", .times = 1, .placed = 1});
  auto out = p.launch(request(0, 3, "partial"));
  ASSERT_TRUE(out.ok()) << out.error().describe();
  EXPECT_EQ(out->spot_ids.size(), 1u);
  EXPECT_EQ(out->on_demand_ids.size(), 2u) << "the 2 spot could not place, on-demand instead";
  ASSERT_TRUE(out->spot_error);
  EXPECT_NE(out->spot_error->message.find("2 of 3"), std::string::npos) << out->spot_error->message;
  EXPECT_EQ(fake_->live_instances(), 3);
}

}  // namespace
}  // namespace ghscale::provider::testing
