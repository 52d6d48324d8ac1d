// The reconciler driving the aws_asg provider against the fake AWS endpoint and the fake
// GitHub: jobs launch group capacity, each instance gets its JIT config through SSM, and an
// instance whose runner is busy is protected from the group's own scale-in.
#include <gtest/gtest.h>

#include "aws/services/autoscaling.h"
#include "provider/aws/asg_provider.h"
#include "provider/aws_fixture.h"
#include "scaler/reconciler_fixture.h"

namespace ghscale::provider::testing {
namespace {

class AsgReconcilerTest : public scaler::testing::ReconcilerFixture {
 protected:
  void SetUp() override {
    ReconcilerFixture::SetUp();
    aws_.start_fake_aws();
  }
  void TearDown() override { aws_.stop_fake_aws(); }

  FakeAwsEnv aws_;  // the AWS half
};

TEST_F(AsgReconcilerTest, ABusyRunnersInstanceIsProtected) {
  if (!aws_.fake_) GTEST_SKIP() << kNoTestdata;
  fakes::FakeGroup g;
  g.name = "runners";
  g.max_size = 10;
  g.on_demand_base = 1;
  g.tags = {{"ghscale:pool", "linux"}};
  aws_.fake_->add_group(g);
  auto options = aws_.asg_options();
  auto asg = std::make_shared<AsgProvider>(options);

  scaler::ReconcilerOptions o;
  o.pools = {scaler::PoolBinding{pool, asg}};
  o.holder = "me";
  o.clock = clock;
  o.store = store;
  o.github = gh;
  auto rec = std::make_shared<scaler::Reconciler>(std::move(o));

  record(1, JobStatus::kQueued);
  record(2, JobStatus::kQueued);
  auto pass = rec->run_pass(scaler::PassKind::kTick);
  EXPECT_EQ(pass.errors, 0);
  const auto ids = aws_.fake_->group("runners")->instance_ids;
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_EQ(aws_.fake_->group("runners")->desired_capacity, 2);
  for (const auto& id : ids) {
    auto param = aws_.fake_->parameter("/ghscale/runners/" + id);
    ASSERT_TRUE(param.has_value()) << id;
    EXPECT_EQ(param->type, "SecureString");
    auto runner = find_runner(scaler::runner_name_for("linux", id));
    ASSERT_TRUE(runner.has_value());
    EXPECT_EQ(runner->jit_config, param->value);
  }

  // The first instance's runner comes online and takes job 1; the second stays idle.
  const std::string busy = ids[0], idle = ids[1];
  auto r0 = find_runner(scaler::runner_name_for("linux", busy));
  auto r1 = find_runner(scaler::runner_name_for("linux", idle));
  fake->set_runner(r1->id, true, false);
  start_job(1, r0->name);
  pass = rec->run_pass(scaler::PassKind::kTick);
  EXPECT_EQ(pass.errors, 0);
  EXPECT_TRUE(aws_.fake_->instance(busy)->protected_from_scale_in);
  EXPECT_FALSE(aws_.fake_->instance(idle)->protected_from_scale_in);
  EXPECT_EQ(aws_.fake_->group("runners")->desired_capacity, 2) << "job 2 is served by the idle runner";

  // The group's own scale-in (someone lowers it) cannot take the busy instance.
  aws::AutoScalingClient direct(aws_.client(aws::Service::kAutoScaling));
  ASSERT_TRUE(direct.set_desired_capacity("runners", 0).ok());
  EXPECT_EQ(aws_.fake_->instance(busy)->state, "running");
  EXPECT_EQ(aws_.fake_->instance(idle)->state, "terminated");
}

}  // namespace
}  // namespace ghscale::provider::testing
