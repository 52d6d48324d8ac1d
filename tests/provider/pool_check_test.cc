// `ghscale pools check` logic against the fake AWS endpoint.
#include <gtest/gtest.h>

#include "provider/aws/pool_check.h"
#include "provider/aws_fixture.h"

namespace ghscale::provider::testing {
namespace {

using PoolCheckTest = AwsProviderTest;

config::PoolConfig asg_pool() {
  config::PoolConfig p;
  p.name = "linux";
  p.max_runners = 10;
  p.on_demand_base = 1;
  p.provider.kind = config::ProviderConfig::Kind::kAwsAsg;
  p.provider.asg_name = "runners";
  return p;
}

config::PoolConfig fleet_pool() {
  config::PoolConfig p;
  p.name = "fleet";
  p.provider.kind = config::ProviderConfig::Kind::kAwsFleet;
  p.provider.launch_template = "runner-template";
  p.provider.instance_types = {"m7i.large"};
  return p;
}

std::vector<std::string> whats(const PoolCheck& c) {
  std::vector<std::string> out;
  for (const auto& d : c.differences) out.push_back(d.what);
  return out;
}

void add_good(fakes::FakeAws& fake) {
  fake.add_launch_template({.name = "runner-template", .user_data = "#!/bin/bash\n# ghscale runner bootstrap: the launch template's user data\n"});
  fakes::FakeGroup g;
  g.name = "runners";
  g.max_size = 10;
  g.on_demand_base = 1;
  g.instance_types = {"m7i.large", "m6i.large"};
  fake.add_group(g);
}

TEST_F(PoolCheckTest, AMatchingGroupAndTemplate) {
  add_good(*fake_);
  auto asg = client(aws::Service::kAutoScaling);
  auto ec2 = client(aws::Service::kEc2);
  auto c = check_asg_pool(asg_pool(), *asg, *ec2);
  EXPECT_TRUE(c.matches()) << format_pool_checks_text({c});
  auto pool = asg_pool();
  pool.provider.instance_types = {"m6i.large", "m7i.large"};
  EXPECT_TRUE(check_asg_pool(pool, *asg, *ec2).matches());
  auto f = check_fleet_pool(fleet_pool(), *ec2);
  EXPECT_TRUE(f.matches()) << format_pool_checks_text({f});
  EXPECT_NE(format_pool_checks_text({c, f}).find("linux (aws_asg): matches"), std::string::npos);
}

TEST_F(PoolCheckTest, SaysWhatDiffers) {
  fake_->add_launch_template({.name = "runner-template", .user_data = "#!/bin/bash\necho hello\n"});
  fakes::FakeGroup g;
  g.name = "runners";
  g.max_size = 4;
  g.on_demand_base = 2;
  g.on_demand_percentage_above_base = 50;
  g.instance_types = {"t3.large"};
  fake_->add_group(g);
  auto asg = client(aws::Service::kAutoScaling);
  auto ec2 = client(aws::Service::kEc2);
  auto pool = asg_pool();
  pool.provider.instance_types = {"m7i.large"};
  auto c = check_asg_pool(pool, *asg, *ec2);
  EXPECT_FALSE(c.matches());
  EXPECT_EQ(whats(c), (std::vector<std::string>{"on_demand_base", "on_demand_percentage_above_base", "instance_types",
                                                "max_size", "user_data"}));
  const std::string text = format_pool_checks_text({c});
  EXPECT_NE(text.find("on_demand_base: expected 1, found 2"), std::string::npos) << text;
  EXPECT_NE(format_pool_checks_json({c}).find("\"matches\":false"), std::string::npos);

  auto missing = asg_pool();
  missing.provider.asg_name = "nope";
  EXPECT_EQ(whats(check_asg_pool(missing, *asg, *ec2)), std::vector<std::string>{"asg_name"});
  auto no_template = fleet_pool();
  no_template.provider.launch_template = "gone";
  EXPECT_EQ(whats(check_fleet_pool(no_template, *ec2)), std::vector<std::string>{"launch_template"});
}

TEST_F(PoolCheckTest, AGroupWithoutMixedInstancesPolicy) {
  fake_->add_launch_template({.name = "runner-template", .user_data = "#!/bin/bash\n# ghscale runner bootstrap\n"});
  fakes::FakeGroup g;
  g.name = "runners";
  g.max_size = 10;
  fake_->add_group(g);
  auto c = check_asg_pool(asg_pool(), *client(aws::Service::kAutoScaling), *client(aws::Service::kEc2));
  EXPECT_EQ(whats(c), std::vector<std::string>{"mixed_instances_policy"});
}

TEST_F(PoolCheckTest, AnUnreachableServiceIsAnErrorNotAMatch) {
  fake_->inject({fakes::Fault::Kind::kExpiredToken, "DescribeAutoScalingGroups", -1});
  auto c = check_asg_pool(asg_pool(), *client(aws::Service::kAutoScaling), *client(aws::Service::kEc2));
  EXPECT_FALSE(c.matches());
  ASSERT_TRUE(c.error);
  fake_->clear_faults();
}

}  // namespace
}  // namespace ghscale::provider::testing
