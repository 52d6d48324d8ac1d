// aws_asg against the fake AWS endpoint: describe, scale out within limits, scale in of
// the chosen instance, protection, hand-over, placeholders for capacity not yet listed,
// idempotent launches, retries through throttling and 500s; and a rude EC2: a group and
// instances described late, tags applied late, markets swapped.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "aws/services/autoscaling.h"
#include "provider/aws/asg_provider.h"
#include "provider/aws_fixture.h"

namespace ghscale::provider::testing {
namespace {

using AsgProviderTest = AwsProviderTest;

fakes::FakeGroup group(int desired, int max = 10) {
  fakes::FakeGroup g;
  g.name = "runners";
  g.max_size = max;
  g.desired_capacity = desired;
  g.on_demand_base = 1;
  g.instance_types = {"m7i.large", "m6i.large"};
  g.tags = {{"ghscale:pool", "linux"}};
  return g;
}

LaunchRequest request(int on_demand, int spot, std::string token) {
  return LaunchRequest{"linux", {on_demand, spot}, std::move(token), 0};
}

Registration jit(std::string secret) {
  Registration r;
  r.kind = Registration::Kind::kJitConfig;
  r.runner_name = "ghscale-linux-x";
  r.secret = std::move(secret);
  return r;
}

TEST_F(AsgProviderTest, DescribeJoinsTheGroupWithEc2) {
  fake_->add_group(group(2));
  AsgProvider p(asg_options());
  auto listed = p.describe("linux");
  ASSERT_TRUE(listed.ok()) << listed.error().describe();
  ASSERT_EQ(listed->size(), 2u);
  int spot = 0;
  for (const auto& c : *listed) {
    EXPECT_EQ(c.pool, "linux");
    EXPECT_EQ(c.lifecycle, Lifecycle::kRunning);
    EXPECT_EQ(c.tags.at("ghscale:pool"), "linux");
    EXPECT_NE(c.launched_at, TimePoint{});
    EXPECT_FALSE(c.instance_type.empty());
    spot += c.market == Market::kSpot ? 1 : 0;
  }
  EXPECT_EQ(spot, 1) << "on-demand base 1, spot above";
  auto other = p.describe("other-pool");
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(other->empty());
}

TEST_F(AsgProviderTest, LaunchRaisesDesiredWithoutCooldownAndReportsTheNewInstances) {
  fake_->add_group(group(0));
  AsgProvider p(asg_options());
  auto out = p.launch(request(1, 2, "tok-1"));
  ASSERT_TRUE(out.ok()) << out.error().describe();
  EXPECT_EQ(out->on_demand_ids.size(), 1u);
  EXPECT_EQ(out->spot_ids.size(), 2u);
  EXPECT_FALSE(out->on_demand_error);
  EXPECT_FALSE(out->spot_error);
  EXPECT_EQ(fake_->group("runners")->desired_capacity, 3);
  auto sets = requests_containing("Action=SetDesiredCapacity");
  ASSERT_EQ(sets.size(), 1u);
  EXPECT_NE(sets[0].find("HonorCooldown=false"), std::string::npos) << sets[0];
  EXPECT_NE(sets[0].find("DesiredCapacity=3"), std::string::npos);
}

TEST_F(AsgProviderTest, LaunchNeverPassesTheGroupMaxOrMaxRunners) {
  fake_->add_group(group(3, /*max=*/5));
  AsgProvider by_group(asg_options("runners", 10));
  auto out = by_group.launch(request(0, 4, "a"));
  ASSERT_TRUE(out.ok()) << out.error().describe();
  EXPECT_EQ(fake_->group("runners")->desired_capacity, 5);
  EXPECT_EQ(out->spot_ids.size() + out->on_demand_ids.size(), 2u);
  ASSERT_TRUE(out->spot_error);
  EXPECT_EQ(out->spot_error->kind, ErrorKind::kConflict);

  auto at_max = by_group.launch(request(0, 1, "b"));
  ASSERT_TRUE(at_max.ok());
  EXPECT_TRUE(at_max->spot_ids.empty());
  EXPECT_TRUE(at_max->spot_error);
  EXPECT_EQ(fake_->request_count("SetDesiredCapacity"), 1) << "nothing asked when there is no room";

  fake_->add_group([] {
    auto g = group(1, 20);
    g.name = "small";
    return g;
  }());
  AsgProvider by_pool(asg_options("small", /*max_runners=*/2));
  auto capped = by_pool.launch(request(0, 5, "c"));
  ASSERT_TRUE(capped.ok());
  EXPECT_EQ(fake_->group("small")->desired_capacity, 2);
}

TEST_F(AsgProviderTest, TheSameTokenLaunchesOnce) {
  fake_->add_group(group(0));
  AsgProvider p(asg_options());
  auto first = p.launch(request(1, 1, "same"));
  auto again = p.launch(request(1, 1, "same"));
  ASSERT_TRUE(first.ok() && again.ok());
  EXPECT_EQ(first->on_demand_ids, again->on_demand_ids);
  EXPECT_EQ(first->spot_ids, again->spot_ids);
  EXPECT_EQ(fake_->group("runners")->desired_capacity, 2);
  EXPECT_EQ(fake_->request_count("SetDesiredCapacity"), 1);
}

TEST_F(AsgProviderTest, CapacityNotYetListedIsPendingSupplyAcrossARestart) {
  auto g = group(1);
  fake_->add_group(g);
  {
    // The group is slow to place: the launch returns before the instances are listed.
    AsgProvider before_crash(asg_options());
    auto held = fake_->group("runners");
    fakes::FakeGroup slow = *held;
    slow.hold_launches = true;
    fake_->add_group(slow);
    auto out = before_crash.launch(request(0, 2, "t"));
    ASSERT_TRUE(out.ok()) << out.error().describe();
    EXPECT_TRUE(out->spot_ids.empty());
    ASSERT_TRUE(out->spot_error);
    EXPECT_EQ(out->spot_error->kind, ErrorKind::kRetryable);
  }
  // A new process (the token is forgotten) sees the asked capacity as booting instances.
  AsgProvider after(asg_options());
  auto listed = after.describe("linux");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 3u);
  int placeholders = 0;
  for (const auto& c : *listed) {
    if (!is_placeholder(c.id)) continue;
    ++placeholders;
    EXPECT_EQ(c.lifecycle, Lifecycle::kPending);
    EXPECT_EQ(after.hand_over(c.id, jit("jit-secret-value")).error().kind, ErrorKind::kRetryable);
    EXPECT_TRUE(after.protect({c.id}, true).ok());
  }
  EXPECT_EQ(placeholders, 2);
  EXPECT_EQ(fake_->group("runners")->desired_capacity, 3) << "nothing asked twice";

  // Placed: the placeholders give way to the real instances.
  fake_->release_launches("runners");
  listed = after.describe("linux");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 3u);
  for (const auto& c : *listed) EXPECT_FALSE(is_placeholder(c.id)) << c.id;
}

// A new process while DescribeAutoScalingGroups still answers the group as it was before
// the raise: with the ledger it starts from the desired capacity set, so its launch adds to
// it instead of setting the stale value plus its own (which would make the group end
// instances of its choosing), and the capacity shows as pending supply meanwhile.
TEST_F(AsgProviderTest, ARestartWhileTheGroupLagsNeverLowersItsDesiredCapacity) {
  fake_->add_group(group(1));
  fake_->set_describe_lag(60s);
  auto ledger = std::make_shared<MemoryLedger>();
  AsgProviderOptions o = asg_options();
  o.ledger = ledger;
  {
    AsgProvider before(o);
    ASSERT_TRUE(before.launch(request(0, 3, "before-the-restart")).ok());
  }
  ASSERT_EQ(fake_->group("runners")->desired_capacity, 4);
  EXPECT_GE(ledger->writes(), 1);

  AsgProvider after(o);
  auto listed = after.describe("linux");
  ASSERT_TRUE(listed.ok()) << listed.error().describe();
  EXPECT_EQ(listed->size(), 4u) << "the capacity asked before the restart counts as supply";
  ASSERT_TRUE(after.launch(request(0, 1, "after-the-restart")).ok());
  EXPECT_EQ(fake_->group("runners")->desired_capacity, 5) << "set from the stale answer, not added to the one set";
}

TEST_F(AsgProviderTest, TerminatingAPlaceholderWithdrawsOnlyTheGap) {
  auto g = group(2);
  g.hold_launches = true;
  fake_->add_group(g);  // desired 2, nothing placed
  AsgProvider p(asg_options());
  auto listed = p.describe("linux");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  ASSERT_TRUE(p.terminate({(*listed)[1].id}).ok());
  EXPECT_EQ(fake_->group("runners")->desired_capacity, 1);
  ASSERT_TRUE(p.terminate({(*listed)[1].id}).ok());  // that gap is gone already
  EXPECT_EQ(fake_->group("runners")->desired_capacity, 1);
}

TEST_F(AsgProviderTest, TerminateTakesTheChosenInstanceAndItsParameter) {
  fake_->add_group(group(3));
  AsgProvider p(asg_options());
  const std::string chosen = fake_->group("runners")->instance_ids[1];
  ASSERT_TRUE(p.hand_over(chosen, jit("jit-config-for-chosen")).ok());
  ASSERT_TRUE(fake_->parameter("/ghscale/runners/" + chosen).has_value());

  ASSERT_TRUE(p.terminate({chosen}).ok());
  EXPECT_EQ(fake_->instance(chosen)->state, "terminated");
  EXPECT_EQ(fake_->group("runners")->desired_capacity, 2);
  EXPECT_FALSE(fake_->parameter("/ghscale/runners/" + chosen).has_value()) << "leftover deleted";
  auto terminations = requests_containing("Action=TerminateInstanceInAutoScalingGroup");
  ASSERT_EQ(terminations.size(), 1u);
  EXPECT_NE(terminations[0].find("ShouldDecrementDesiredCapacity=true"), std::string::npos);
  EXPECT_EQ(fake_->request_count("SetDesiredCapacity"), 0) << "desired is never lowered blindly";

  // Idempotent: already gone, or never known.
  EXPECT_TRUE(p.terminate({chosen, "i-0000000000000dead"}).ok());
  EXPECT_EQ(fake_->request_count("TerminateInstanceInAutoScalingGroup"), 1);
}

TEST_F(AsgProviderTest, ProtectedInstancesSurviveTheGroupsOwnScaleIn) {
  fake_->add_group(group(3));
  AsgProvider p(asg_options());
  const auto ids = fake_->group("runners")->instance_ids;
  ASSERT_TRUE(p.protect({ids[2]}, true).ok());
  auto listed = p.describe("linux");
  ASSERT_TRUE(listed.ok());
  for (const auto& c : *listed) EXPECT_EQ(c.scale_in_protected, c.id == ids[2]) << c.id;

  // Someone lowers the group: it scales in newest first, but never the protected one.
  aws::AutoScalingClient asg(client(aws::Service::kAutoScaling));
  ASSERT_TRUE(asg.set_desired_capacity("runners", 1).ok());
  EXPECT_EQ(fake_->instance(ids[2])->state, "running");
  EXPECT_EQ(fake_->instance(ids[1])->state, "terminated");

  ASSERT_TRUE(p.protect({ids[2]}, false).ok());
  EXPECT_FALSE(fake_->instance(ids[2])->protected_from_scale_in);
}

TEST_F(AsgProviderTest, ARegistrationWhoseInstanceWentAwayUnreadIsDeleted) {
  fake_->add_group(group(2));
  AsgProvider p(asg_options());
  const auto ids = fake_->group("runners")->instance_ids;
  ASSERT_TRUE(p.hand_over(ids[0], jit("cmVjbGFpbWVkLWppdA")).ok());
  ASSERT_TRUE(p.hand_over(ids[1], jit("cmVhZC1qaXQ")).ok());
  fake_->end_instance(ids[0], "spot interruption while booting");  // the group replaces it
  ASSERT_TRUE(p.describe("linux").ok());
  EXPECT_FALSE(fake_->parameter("/ghscale/runners/" + ids[0])) << "left for an instance that is gone";
  EXPECT_TRUE(fake_->parameter("/ghscale/runners/" + ids[1])) << "deleted under a live instance";
  const int deletes = fake_->request_count("DeleteParameter");
  ASSERT_TRUE(p.describe("linux").ok());
  EXPECT_EQ(fake_->request_count("DeleteParameter"), deletes) << "deleted once, then forgotten";
}

TEST_F(AsgProviderTest, HandOverWritesASecureStringPerInstance) {
  fake_->add_group(group(1));
  AsgProvider p(asg_options());
  const std::string id = fake_->group("runners")->instance_ids[0];
  ASSERT_TRUE(p.hand_over(id, jit("eyJqaXQiOiJmaXJzdCJ9")).ok());
  ASSERT_TRUE(p.hand_over(id, jit("eyJqaXQiOiJzZWNvbmQifQ")).ok());  // a second replaces the first
  auto param = fake_->parameter("/ghscale/runners/" + id);
  ASSERT_TRUE(param.has_value());
  EXPECT_EQ(param->type, "SecureString");
  EXPECT_EQ(param->value, "eyJqaXQiOiJzZWNvbmQifQ");

  Registration token;
  token.kind = Registration::Kind::kRegistrationToken;
  token.runner_name = "ghscale-linux-" + id;
  token.secret = "AABBCCDDEEFFregtoken";
  token.url = "https://github.com/acme";
  token.labels = {"self-hosted", "linux"};
  token.runner_group = "Default";
  token.ephemeral = false;
  ASSERT_TRUE(p.hand_over(id, token).ok());
  auto doc = boost::json::parse(fake_->parameter("/ghscale/runners/" + id)->value).as_object();
  EXPECT_EQ(doc.at("kind").as_string(), "registration-token");
  EXPECT_EQ(doc.at("token").as_string(), "AABBCCDDEEFFregtoken");
  EXPECT_EQ(doc.at("url").as_string(), "https://github.com/acme");
  EXPECT_EQ(doc.at("labels"), (boost::json::array{"self-hosted", "linux"}));
  EXPECT_EQ(doc.at("ephemeral").as_bool(), false);

  auto unknown = p.hand_over("i-0123456789abcdef0", jit("eyJqaXQiOiJ4In0"));
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().kind, ErrorKind::kNotFound);
}

TEST_F(AsgProviderTest, ThrottlingAnd500sAreRetried) {
  fake_->add_group(group(0));
  AsgProvider p(asg_options());
  fake_->inject({fakes::Fault::Kind::kThrottle, "DescribeAutoScalingGroups", 2});
  fake_->inject({fakes::Fault::Kind::kInternalError, "SetDesiredCapacity", 2});
  fake_->inject({fakes::Fault::Kind::kThrottle, "DescribeInstances", 1});
  fake_->inject({fakes::Fault::Kind::kInternalError, "SetInstanceProtection", 1});
  auto out = p.launch(request(1, 1, "t"));
  ASSERT_TRUE(out.ok()) << out.error().describe();
  EXPECT_EQ(out->on_demand_ids.size() + out->spot_ids.size(), 2u);
  EXPECT_EQ(fake_->group("runners")->desired_capacity, 2) << "a retried SetDesiredCapacity is still one step";
  auto listed = p.describe("linux");
  ASSERT_TRUE(listed.ok()) << listed.error().describe();
  EXPECT_EQ(listed->size(), 2u);
  EXPECT_TRUE(p.protect({(*listed)[0].id}, true).ok());
  EXPECT_GE(sleeps_.size(), 6u);
}

TEST_F(AsgProviderTest, TheSecretGoesOnlyIntoPutParameter) {
  fake_->add_group(group(0));
  AsgProvider p(asg_options());
  auto out = p.launch(request(1, 1, "t"));
  ASSERT_TRUE(out.ok());
  const std::string secret = "c2VjcmV0LWppdC1jb25maWctOTk5";
  for (const auto& id : out->on_demand_ids) ASSERT_TRUE(p.hand_over(id, jit(secret)).ok());
  fake_->inject({fakes::Fault::Kind::kThrottle, "PutParameter", 1});
  for (const auto& id : out->spot_ids) ASSERT_TRUE(p.hand_over(id, jit(secret)).ok());
  ASSERT_TRUE(p.describe("linux").ok());
  ASSERT_TRUE(p.protect(out->spot_ids, true).ok());
  ASSERT_TRUE(p.terminate(out->on_demand_ids).ok());
  auto seen = requests_containing(secret);
  ASSERT_EQ(seen.size(), 3u);  // two writes, one of them retried
  for (const auto& r : seen) {
    EXPECT_NE(r.find("X-Amz-Target: AmazonSSM.PutParameter"), std::string::npos) << r;
    const auto body = r.substr(r.find("\n\n") + 2);
    EXPECT_EQ(boost::json::parse(body).at("Value").as_string(), secret);
  }
}

TEST_F(AsgProviderTest, RudeAwsNeverTakesRepeatedRoundsAboveMaxRunners) {
  fake_->add_group(group(1, /*max=*/20));
  fake_->set_describe_lag(60s);
  fake_->set_tag_delay(90s);
  fake_->set_market_swap(true);
  fake_->inject({fakes::Fault::Kind::kThrottle, "DescribeAutoScalingGroups", 2});
  fake_->inject({fakes::Fault::Kind::kInternalError, "SetDesiredCapacity", 5});
  AsgProvider p(asg_options("runners", /*max_runners=*/5));
  const Rounds r = launch_rounds(p, "linux", /*demand=*/8, /*max_runners=*/5, /*rounds=*/20, 10s);
  EXPECT_LE(r.most_live, 5);
  EXPECT_EQ(r.hand_overs_refused, 0);
  EXPECT_EQ(fake_->live_instances(), 5);
  for (const auto& i : fake_->instances()) EXPECT_NE(i.state, "terminated") << "the group never scaled in";
  auto listed = p.describe("linux");
  ASSERT_TRUE(listed.ok()) << listed.error().describe();
  ASSERT_EQ(listed->size(), 5u);
  for (const auto& c : *listed) {
    EXPECT_FALSE(c.placeholder);
    EXPECT_TRUE(p.hand_over(c.id, jit("cm91bmQtZW5kLWppdA")).ok()) << c.id;
  }
}

TEST_F(AsgProviderTest, ALaggingGroupShowsTheCapacityAskedAndALaunchNeverLowersIt) {
  fake_->add_group(group(3));
  fake_->set_describe_lag(60s);
  AsgProvider p(asg_options());
  auto out = p.launch(request(0, 2, "up-2"));
  ASSERT_TRUE(out.ok()) << out.error().describe();
  EXPECT_EQ(fake_->group("runners")->desired_capacity, 5);
  // The group still answers desired 3; what was asked shows as placeholders.
  auto listed = p.describe("linux");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 5u);
  int placeholders = 0;
  for (const auto& c : *listed) placeholders += c.placeholder ? 1 : 0;
  EXPECT_EQ(placeholders, 2);
  // From that stale read desired + 1 would be 4: the group would scale in one instance.
  auto more = p.launch(request(0, 1, "up-1"));
  ASSERT_TRUE(more.ok()) << more.error().describe();
  EXPECT_EQ(fake_->group("runners")->desired_capacity, 6);
  for (const auto& i : fake_->instances()) EXPECT_NE(i.state, "terminated") << i.id;
  // Caught up: the group's own answer again, real instances instead of placeholders.
  advance(61s);
  listed = p.describe("linux");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 6u);
  for (const auto& c : *listed) EXPECT_FALSE(c.placeholder) << c.id;
}

TEST_F(AsgProviderTest, AnInstanceTheGroupListsGetsItsRegistrationBeforeItsTags) {
  fake_->set_tag_delay(60s);
  fake_->add_group(group(0));
  AsgProvider p(asg_options());
  auto out = p.launch(request(1, 0, "one"));
  ASSERT_TRUE(out.ok()) << out.error().describe();
  ASSERT_EQ(out->on_demand_ids.size(), 1u);
  const std::string id = out->on_demand_ids[0];
  ASSERT_TRUE(p.hand_over(id, jit("ZWFybHktaml0")).ok());
  EXPECT_EQ(fake_->parameter("/ghscale/runners/" + id)->value, "ZWFybHktaml0");
  auto listed = p.describe("linux");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].id, id);
  // Gone is still gone.
  ASSERT_TRUE(p.terminate({id}).ok());
  EXPECT_EQ(p.hand_over(id, jit("ZWFybHktaml0")).error().kind, ErrorKind::kNotFound);
}

}  // namespace
}  // namespace ghscale::provider::testing
