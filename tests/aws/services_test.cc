// Every typed client call against the fake AWS endpoint, with pagination and partial
// failures.
#include <gtest/gtest.h>

#include "aws/services/autoscaling.h"
#include "aws/services/ec2.h"
#include "aws/services/events.h"
#include "aws/services/ssm.h"
#include "aws/services/sts.h"
#include "fake_fixture.h"

namespace ghscale::aws::testing {
namespace {

using ServicesTest = FakeAwsTest;

TEST_F(ServicesTest, AutoScalingLifecycle) {
  fake_->add_group({.name = "runners", .min_size = 0, .max_size = 5, .desired_capacity = 1});
  fake_->add_group({.name = "other", .min_size = 0, .max_size = 1, .desired_capacity = 0});
  AutoScalingClient asg(client(Service::kAutoScaling));

  auto groups = asg.describe_auto_scaling_groups({"runners"});
  ASSERT_TRUE(groups.ok()) << groups.error().message;
  ASSERT_EQ(groups->size(), 1u);
  EXPECT_EQ((*groups)[0].desired_capacity, 1);
  ASSERT_EQ((*groups)[0].instances.size(), 1u);
  EXPECT_EQ((*groups)[0].instances[0].lifecycle_state, "InService");
  auto all = asg.describe_auto_scaling_groups({});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 2u);

  ASSERT_TRUE(asg.set_desired_capacity("runners", 3).ok());
  groups = asg.describe_auto_scaling_groups({"runners"});
  ASSERT_EQ((*groups)[0].instances.size(), 3u);
  const std::string oldest = (*groups)[0].instances[0].instance_id;
  // On-demand base 1, spot above.
  EXPECT_EQ(fake_->instance(oldest)->lifecycle, "");
  EXPECT_EQ(fake_->instance((*groups)[0].instances[2].instance_id)->lifecycle, "spot");

  ASSERT_TRUE(asg.set_instance_protection("runners", {oldest}, true).ok());
  ASSERT_TRUE(
      asg.update_auto_scaling_group({.name = "runners", .min_size = 0, .max_size = 5, .desired_capacity = 0}).ok());
  groups = asg.describe_auto_scaling_groups({"runners"});
  ASSERT_EQ((*groups)[0].instances.size(), 1u) << "the protected instance stays";
  EXPECT_TRUE((*groups)[0].instances[0].protected_from_scale_in);

  auto too_many = asg.set_desired_capacity("runners", 6);
  ASSERT_FALSE(too_many.ok());
  EXPECT_EQ(too_many.error().kind, ErrorKind::kInvalid);
  EXPECT_NE(too_many.error().message.find("ValidationError"), std::string::npos);

  ASSERT_TRUE(asg.set_desired_capacity("runners", 2).ok());
  auto activity = asg.terminate_instance(oldest, /*decrement_desired_capacity=*/true);
  ASSERT_TRUE(activity.ok()) << activity.error().message;
  EXPECT_FALSE(activity->activity_id.empty());
  EXPECT_EQ(fake_->group("runners")->desired_capacity, 1);
  EXPECT_EQ(fake_->instance(oldest)->state, "terminated");

  auto activities = asg.describe_scaling_activities("runners");
  ASSERT_TRUE(activities.ok());
  EXPECT_GE(activities->size(), 5u);
  auto few = asg.describe_scaling_activities("runners", 2);
  ASSERT_TRUE(few.ok());
  EXPECT_EQ(few->size(), 2u);

  ASSERT_TRUE(asg.complete_lifecycle_action("runners", "drain", oldest, "CONTINUE").ok());
  EXPECT_EQ(fake_->completed_lifecycle_actions().at(0), "runners/drain/" + oldest + "/CONTINUE");
  auto missing = asg.set_desired_capacity("nope", 1);
  EXPECT_FALSE(missing.ok());
}

TEST_F(ServicesTest, AutoScalingPagesThroughManyGroups) {
  for (int i = 0; i < 120; ++i) fake_->add_group({.name = "g" + std::to_string(i)});
  AutoScalingClient asg(client(Service::kAutoScaling));
  auto groups = asg.describe_auto_scaling_groups({});
  ASSERT_TRUE(groups.ok()) << groups.error().message;
  EXPECT_EQ(groups->size(), 120u);
  EXPECT_EQ(fake_->request_count("DescribeAutoScalingGroups"), 2);  // 100 a page
}

TEST_F(ServicesTest, Ec2LaunchDescribeTagTerminate) {
  Ec2Client ec2(client(Service::kEc2));
  RunInstancesRequest run;
  run.launch_template = {"runner-template", "$Latest"};
  run.instance_type = "c6i.large";
  run.subnet_id = "subnet-abc";
  run.count = 2;
  run.spot = true;
  run.tags = {{"ghscale:pool", "linux"}};
  run.user_data = "#!/bin/sh\necho hi\n";
  run.client_token = "launch-1";
  auto launched = ec2.run_instances(run);
  ASSERT_TRUE(launched.ok()) << launched.error().message;
  ASSERT_EQ(launched->size(), 2u);
  EXPECT_EQ((*launched)[0].lifecycle, "spot");
  EXPECT_EQ((*launched)[0].instance_type, "c6i.large");
  EXPECT_EQ((*launched)[0].subnet_id, "subnet-abc");
  EXPECT_EQ((*launched)[0].tag("ghscale:pool"), "linux");
  EXPECT_GT((*launched)[0].launch_time.time_since_epoch().count(), 0);
  // Same client token: the same instances, not new ones.
  auto again = ec2.run_instances(run);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)[0].instance_id, (*launched)[0].instance_id);
  EXPECT_EQ(fake_->instances().size(), 2u);

  ASSERT_TRUE(ec2.create_tags({(*launched)[0].instance_id}, {{"ghscale:job", "7"}}).ok());
  auto tagged = ec2.describe_instances({{"tag:ghscale:job", {"7"}}});
  ASSERT_TRUE(tagged.ok()) << tagged.error().message;
  ASSERT_EQ(tagged->size(), 1u);
  EXPECT_EQ((*tagged)[0].instance_id, (*launched)[0].instance_id);

  auto by_id = ec2.describe_instances({}, {(*launched)[1].instance_id});
  ASSERT_TRUE(by_id.ok());
  ASSERT_EQ(by_id->size(), 1u);
  auto missing = ec2.describe_instances({}, {"i-doesnotexist"});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::kNotFound);

  auto changes = ec2.terminate_instances({(*launched)[0].instance_id});
  ASSERT_TRUE(changes.ok());
  ASSERT_EQ(changes->size(), 1u);
  EXPECT_EQ((*changes)[0].previous_state, "running");
  EXPECT_EQ((*changes)[0].current_state, "shutting-down");
  auto running = ec2.describe_instances({{"instance-state-name", {"running"}}, {"tag:ghscale:pool", {"linux"}}});
  ASSERT_TRUE(running.ok());
  EXPECT_EQ(running->size(), 1u);

  auto bad_filter = ec2.describe_instances({{"no-such-filter", {"x"}}});
  ASSERT_FALSE(bad_filter.ok());
  EXPECT_EQ(bad_filter.error().kind, ErrorKind::kInvalid);
}

TEST_F(ServicesTest, Ec2DescribeInstancesPages) {
  for (int i = 0; i < 1203; ++i) fake_->add_instance({.tags = {{"ghscale:pool", "big"}}});
  Ec2Client ec2(client(Service::kEc2));
  auto all = ec2.describe_instances({{"tag:ghscale:pool", {"big"}}});
  ASSERT_TRUE(all.ok()) << all.error().message;
  EXPECT_EQ(all->size(), 1203u);
  EXPECT_EQ(fake_->request_count("DescribeInstances"), 2);
}

TEST_F(ServicesTest, Ec2CreateFleetReportsSpotShortage) {
  Ec2Client ec2(client(Service::kEc2));
  CreateFleetRequest fleet;
  fleet.launch_template = {"lt-0123456789abcdef0", "3"};
  fleet.overrides = {{"m6i.large", "subnet-1"}};
  fleet.total_capacity = 3;
  fleet.on_demand_capacity = 1;
  fleet.tags = {{"ghscale:pool", "linux"}};
  fleet.client_token = "fleet-1";
  auto result = ec2.create_fleet(fleet);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->instance_ids.size(), 3u);
  EXPECT_EQ(result->spot_instance_ids.size(), 2u);
  EXPECT_TRUE(result->errors.empty());

  fake_->inject({.kind = fakes::Fault::Kind::kInsufficientCapacity, .operation = "CreateFleet"});
  fleet.client_token = "fleet-2";  // the same token would answer the first fleet again
  auto partial = ec2.create_fleet(fleet);
  ASSERT_TRUE(partial.ok());
  EXPECT_EQ(partial->instance_ids.size(), 1u) << "the on-demand part still launched";
  ASSERT_EQ(partial->errors.size(), 1u);
  EXPECT_EQ(partial->errors[0].code, "InsufficientInstanceCapacity");
  EXPECT_EQ(partial->errors[0].lifecycle, "spot");
  EXPECT_EQ(partial->errors[0].instance_type, "m6i.large");
}

TEST_F(ServicesTest, Ec2SpotShortageOnRunInstancesIsRetriedThenReported) {
  Ec2Client ec2(client(Service::kEc2));
  fake_->inject({.kind = fakes::Fault::Kind::kInsufficientCapacity, .operation = "RunInstances", .times = 5});
  RunInstancesRequest run;
  run.launch_template = {"runner-template"};
  run.spot = true;
  auto r = ec2.raw().call_raw(
      "RunInstances", boost::json::object{{"MinCount", 1},
                                          {"MaxCount", 1},
                                          {"LaunchTemplate", boost::json::object{{"LaunchTemplateName", "t"}}},
                                          {"InstanceMarketOptions", boost::json::object{{"MarketType", "spot"}}}});
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->error.has_value());
  EXPECT_EQ(r->error->code, "InsufficientInstanceCapacity");
  EXPECT_EQ(fake_->request_count("RunInstances"), 3);
  run.spot = false;
  auto on_demand = ec2.run_instances(run);
  ASSERT_TRUE(on_demand.ok()) << on_demand.error().message;
  EXPECT_EQ((*on_demand)[0].lifecycle, "");
}

TEST_F(ServicesTest, SsmParameters) {
  SsmClient ssm(client(Service::kSsm));
  auto version = ssm.put_parameter({.name = "/ghscale/jit/r1", .value = "jit-config-secret"});
  ASSERT_TRUE(version.ok()) << version.error().message;
  EXPECT_EQ(*version, 1);
  version = ssm.put_parameter({.name = "/ghscale/jit/r1", .value = "jit-config-secret-2"});
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(*version, 2);
  auto refused = ssm.put_parameter({.name = "/ghscale/jit/r1", .value = "x", .overwrite = false});
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("ParameterAlreadyExists"), std::string::npos);

  auto p = ssm.get_parameter("/ghscale/jit/r1");
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->value, "jit-config-secret-2");
  EXPECT_EQ(p->type, "SecureString");
  EXPECT_EQ(p->version, 2);
  auto encrypted = ssm.get_parameter("/ghscale/jit/r1", /*decrypt=*/false);
  ASSERT_TRUE(encrypted.ok());
  EXPECT_NE(encrypted->value, "jit-config-secret-2");

  auto missing = ssm.get_parameter("/ghscale/none");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::kNotFound);

  for (int i = 0; i < 23; ++i) fake_->put_parameter("/ghscale/pool/p" + std::to_string(i), "v", "String");
  fake_->put_parameter("/ghscale/pool/deeper/x", "v", "String");
  auto by_path = ssm.get_parameters_by_path("/ghscale/pool", /*recursive=*/true);
  ASSERT_TRUE(by_path.ok()) << by_path.error().message;
  EXPECT_EQ(by_path->size(), 24u);
  EXPECT_EQ(fake_->request_count("GetParametersByPath"), 3);  // 10 a page
  auto shallow = ssm.get_parameters_by_path("/ghscale/pool", /*recursive=*/false);
  ASSERT_TRUE(shallow.ok());
  EXPECT_EQ(shallow->size(), 23u);

  std::vector<std::string> names = {"/ghscale/jit/r1", "/ghscale/nope"};
  for (int i = 0; i < 12; ++i) names.push_back("/ghscale/pool/p" + std::to_string(i));
  auto several = ssm.get_parameters(names);
  ASSERT_TRUE(several.ok()) << several.error().message;
  EXPECT_EQ(several->parameters.size(), 13u);
  ASSERT_EQ(several->invalid.size(), 1u);
  EXPECT_EQ(several->invalid[0], "/ghscale/nope");
  EXPECT_EQ(fake_->request_count("GetParameters"), 2);

  ASSERT_TRUE(ssm.delete_parameter("/ghscale/jit/r1").ok());
  auto gone = ssm.delete_parameter("/ghscale/jit/r1");
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().kind, ErrorKind::kNotFound);
}

TEST_F(ServicesTest, EventBridgePartialFailures) {
  fake_->fail_events_from("bad.source");
  EventBridgeClient events(client(Service::kEventBridge));
  std::vector<EventEntry> entries;
  for (int i = 0; i < 12; ++i) {
    entries.push_back(
        {i == 3 ? "bad.source" : "ghscale.webhook", "workflow_job", R"({"n":)" + std::to_string(i) + "}"});
  }
  auto result = events.put_events(entries);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->failed_count, 1);
  ASSERT_EQ(result->entries.size(), 12u);
  EXPECT_FALSE(result->entries[3].ok());
  EXPECT_EQ(result->entries[3].error_code, "InternalFailure");
  EXPECT_TRUE(result->entries[4].ok());
  EXPECT_FALSE(result->entries[4].event_id.empty());
  EXPECT_EQ(fake_->events().size(), 11u);
  EXPECT_EQ(fake_->request_count("PutEvents"), 2);
}

TEST_F(ServicesTest, StsIdentityAndRoles) {
  StsClient sts(client(Service::kSts));
  auto who = sts.get_caller_identity();
  ASSERT_TRUE(who.ok()) << who.error().message;
  EXPECT_EQ(who->account, "123456789012");
  EXPECT_EQ(who->arn, "arn:aws:iam::123456789012:user/ghscale-test");

  auto role = sts.assume_role("arn:aws:iam::123456789012:role/scaler", "test-session", 900);
  ASSERT_TRUE(role.ok()) << role.error().message;
  EXPECT_FALSE(role->credentials.session_token.empty());
  ASSERT_TRUE(role->expiration.has_value());

  // The assumed credentials work, and say who they are.
  StsClient as_role(client(Service::kSts, make_static_provider(role->credentials)));
  auto assumed = as_role.get_caller_identity();
  ASSERT_TRUE(assumed.ok()) << assumed.error().message << "\n" << fake_->rejections().at(0);
  EXPECT_EQ(assumed->arn, "arn:aws:sts::123456789012:assumed-role/scaler/test-session");

  AwsClientOptions anonymous = client_options();
  anonymous.credentials = nullptr;
  StsClient unsigned_sts(std::make_shared<AwsClient>(Service::kSts, "us-east-1", fake_->endpoint(), anonymous));
  auto web = unsigned_sts.assume_role_with_web_identity("arn:aws:iam::123456789012:role/scaler", "web",
                                                        "valid-web-identity-token");
  ASSERT_TRUE(web.ok()) << web.error().message;
  auto bad = unsigned_sts.assume_role_with_web_identity("arn:aws:iam::123456789012:role/scaler", "web", "forged");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("InvalidIdentityToken"), std::string::npos);
  // Everything else needs a signature.
  auto refused = unsigned_sts.get_caller_identity();
  ASSERT_FALSE(refused.ok());
}

}  // namespace
}  // namespace ghscale::aws::testing
