// Keeps the fake AWS endpoint honest: the real AWS CLI (Debian's awscli, botocore
// underneath) calls every operation ghscale uses against it, signs with its own SigV4
// code, and must parse each answer. Skips visibly without `aws`.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>

#include "fake_fixture.h"
#include "support/subprocess.h"

namespace ghscale::aws::testing {
namespace {

namespace json = boost::json;

std::string find_aws_cli() {
  if (const char* env = std::getenv("GHSCALE_AWS_CLI"); env != nullptr && *env != '\0') return env;
  for (const char* p : {"/usr/bin/aws", "/usr/local/bin/aws"}) {
    if (std::filesystem::exists(p)) return p;
  }
  return {};
}

class AwsCliTest : public FakeAwsTest {
 protected:
  void SetUp() override {
    cli_ = find_aws_cli();
    if (cli_.empty()) GTEST_SKIP() << "aws CLI not installed (apt-get install awscli); skipping";
    FakeAwsTest::SetUp();
  }

  // Runs `aws --endpoint-url <fake> args...`; returns the parsed JSON output (null when
  // the command prints nothing). Expects exit 0.
  json::value aws(std::vector<std::string> args, const std::string& secret = "fake/secret/key") {
    std::vector<std::string> argv = {cli_, "--endpoint-url", fake_->endpoint(), "--output", "json"};
    argv.insert(argv.end(), args.begin(), args.end());
    const std::string home = ::testing::TempDir();
    auto r = ghscale::testing::run(
        argv, std::chrono::seconds(60),
        {"AWS_ACCESS_KEY_ID=AKIDFAKEEXAMPLE", "AWS_SECRET_ACCESS_KEY=" + secret,
         "AWS_SESSION_TOKEN=", "AWS_REGION=us-east-1", "AWS_DEFAULT_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=true",
         "AWS_PAGER=", "AWS_CONFIG_FILE=" + home + "/no-aws-config",
         "AWS_SHARED_CREDENTIALS_FILE=" + home + "/no-aws-credentials", "AWS_CLI_AUTO_PROMPT=off"});
    last_exit_ = r.exit_code;
    last_err_ = r.err;
    if (r.out.find_first_not_of(" \n\r\t") == std::string::npos) return nullptr;
    boost::system::error_code ec;
    json::value v = json::parse(r.out, ec);
    EXPECT_FALSE(ec) << "aws " << args[0] << " " << args[1] << " printed no JSON: " << r.out;
    return v;
  }

  void expect_ok(const std::string& what) {
    EXPECT_EQ(last_exit_, 0) << what << ": " << last_err_ << "\nfake rejections: "
                             << (fake_->rejections().empty() ? "" : fake_->rejections().back());
  }

  std::string cli_;
  int last_exit_ = -1;
  std::string last_err_;
};

TEST_F(AwsCliTest, EveryOperationGhscaleUsesParses) {
  fake_->add_group({.name = "runners", .min_size = 0, .max_size = 5, .desired_capacity = 2});
  const std::string first = fake_->group("runners")->instance_ids.at(0);
  const std::string second = fake_->group("runners")->instance_ids.at(1);

  // Auto Scaling
  auto groups = aws({"autoscaling", "describe-auto-scaling-groups", "--auto-scaling-group-names", "runners"});
  expect_ok("DescribeAutoScalingGroups");
  EXPECT_EQ(groups.at("AutoScalingGroups").at(0).at("Instances").as_array().size(), 2u);
  aws({"autoscaling", "set-desired-capacity", "--auto-scaling-group-name", "runners", "--desired-capacity", "3"});
  expect_ok("SetDesiredCapacity");
  EXPECT_EQ(fake_->group("runners")->desired_capacity, 3);
  aws({"autoscaling", "set-instance-protection", "--auto-scaling-group-name", "runners", "--instance-ids", first,
       "--protected-from-scale-in"});
  expect_ok("SetInstanceProtection");
  EXPECT_TRUE(fake_->instance(first)->protected_from_scale_in);
  aws({"autoscaling", "update-auto-scaling-group", "--auto-scaling-group-name", "runners", "--max-size", "6"});
  expect_ok("UpdateAutoScalingGroup");
  EXPECT_EQ(fake_->group("runners")->max_size, 6);
  auto activities = aws({"autoscaling", "describe-scaling-activities", "--auto-scaling-group-name", "runners"});
  expect_ok("DescribeScalingActivities");
  EXPECT_GE(activities.at("Activities").as_array().size(), 3u);
  aws({"autoscaling", "complete-lifecycle-action", "--auto-scaling-group-name", "runners", "--lifecycle-hook-name",
       "drain", "--instance-id", first, "--lifecycle-action-result", "CONTINUE"});
  expect_ok("CompleteLifecycleAction");
  EXPECT_EQ(fake_->completed_lifecycle_actions().size(), 1u);
  auto terminated = aws({"autoscaling", "terminate-instance-in-auto-scaling-group", "--instance-id", second,
                         "--should-decrement-desired-capacity"});
  expect_ok("TerminateInstanceInAutoScalingGroup");
  EXPECT_FALSE(terminated.at("Activity").at("ActivityId").as_string().empty());

  // EC2
  auto run = aws({"ec2", "run-instances", "--launch-template", "LaunchTemplateName=runner-template,Version=$Default",
                  "--count", "1", "--instance-market-options", "MarketType=spot", "--tag-specifications",
                  "ResourceType=instance,Tags=[{Key=ghscale:pool,Value=linux}]", "--client-token", "tok-1"});
  expect_ok("RunInstances");
  const std::string launched(run.at("Instances").at(0).at("InstanceId").as_string());
  EXPECT_EQ(run.at("Instances").at(0).at("InstanceLifecycle").as_string(), "spot");
  auto fleet =
      aws({"ec2", "create-fleet", "--type", "instant", "--launch-template-configs",
           "LaunchTemplateSpecification={LaunchTemplateName=runner-template,Version=$Default},"
           "Overrides=[{InstanceType=t3.small}]",
           "--target-capacity-specification",
           "TotalTargetCapacity=2,OnDemandTargetCapacity=1,SpotTargetCapacity=1,DefaultTargetCapacityType=spot",
           "--tag-specifications", "ResourceType=instance,Tags=[{Key=ghscale:pool,Value=linux}]"});
  expect_ok("CreateFleet");
  EXPECT_EQ(fleet.at("Instances").as_array().size(), 2u);
  EXPECT_FALSE(fleet.at("FleetId").as_string().empty());
  aws({"ec2", "create-tags", "--resources", launched, "--tags", "Key=ghscale:job,Value=42"});
  expect_ok("CreateTags");
  EXPECT_EQ(fake_->instance(launched)->tags.size(), 2u);
  auto described = aws({"ec2", "describe-instances", "--filters", "Name=tag:ghscale:pool,Values=linux",
                        "Name=instance-state-name,Values=running"});
  expect_ok("DescribeInstances");
  EXPECT_EQ(described.at("Reservations").as_array().size(), 3u);
  auto stopped = aws({"ec2", "terminate-instances", "--instance-ids", launched});
  expect_ok("TerminateInstances");
  EXPECT_EQ(stopped.at("TerminatingInstances").at(0).at("CurrentState").at("Name").as_string(), "shutting-down");

  // SSM (13 parameters: the CLI pages GetParametersByPath by itself)
  for (int i = 0; i < 12; ++i) fake_->put_parameter("/ghscale/p" + std::to_string(i), "v" + std::to_string(i));
  auto put = aws({"ssm", "put-parameter", "--name", "/ghscale/token", "--value", "s3cret-value", "--type",
                  "SecureString", "--overwrite"});
  expect_ok("PutParameter");
  EXPECT_EQ(put.at("Version").as_int64(), 1);
  auto got = aws({"ssm", "get-parameter", "--name", "/ghscale/token", "--with-decryption"});
  expect_ok("GetParameter");
  EXPECT_EQ(got.at("Parameter").at("Value").as_string(), "s3cret-value");
  auto several = aws({"ssm", "get-parameters", "--names", "/ghscale/token", "/ghscale/missing", "--with-decryption"});
  expect_ok("GetParameters");
  EXPECT_EQ(several.at("InvalidParameters").at(0).as_string(), "/ghscale/missing");
  auto by_path = aws({"ssm", "get-parameters-by-path", "--path", "/ghscale", "--recursive", "--with-decryption"});
  expect_ok("GetParametersByPath");
  EXPECT_EQ(by_path.at("Parameters").as_array().size(), 13u);
  aws({"ssm", "delete-parameter", "--name", "/ghscale/token"});
  expect_ok("DeleteParameter");
  EXPECT_FALSE(fake_->parameter("/ghscale/token").has_value());

  // EventBridge
  auto events = aws({"events", "put-events", "--entries",
                     R"([{"Source":"ghscale.webhook","DetailType":"workflow_job","Detail":"{\"id\":1}"}])"});
  expect_ok("PutEvents");
  EXPECT_EQ(events.at("FailedEntryCount").as_int64(), 0);
  EXPECT_EQ(fake_->events().size(), 1u);

  // STS (AssumeRoleWithWebIdentity goes unsigned, as the CLI sends it)
  auto who = aws({"sts", "get-caller-identity"});
  expect_ok("GetCallerIdentity");
  EXPECT_EQ(who.at("Account").as_string(), "123456789012");
  auto assumed = aws(
      {"sts", "assume-role", "--role-arn", "arn:aws:iam::123456789012:role/runner", "--role-session-name", "cli-test"});
  expect_ok("AssumeRole");
  EXPECT_FALSE(assumed.at("Credentials").at("SessionToken").as_string().empty());
  auto web = aws({"sts", "assume-role-with-web-identity", "--role-arn", "arn:aws:iam::123456789012:role/runner",
                  "--role-session-name", "cli-test", "--web-identity-token", "valid-web-identity-token"});
  expect_ok("AssumeRoleWithWebIdentity");
  EXPECT_FALSE(web.at("Credentials").at("AccessKeyId").as_string().empty());
}

TEST_F(AwsCliTest, FakeRejectsABadSignatureFromTheCli) {
  aws({"sts", "get-caller-identity"}, "not-the-secret");
  EXPECT_NE(last_exit_, 0);
  EXPECT_NE(last_err_.find("SignatureDoesNotMatch"), std::string::npos) << last_err_;
}

TEST_F(AwsCliTest, CliSeesInjectedThrottlingAsThrottling) {
  fake_->inject({.kind = fakes::Fault::Kind::kThrottle, .operation = "GetCallerIdentity", .times = 10});
  aws({"sts", "get-caller-identity", "--cli-read-timeout", "5"});
  EXPECT_NE(last_exit_, 0);
  EXPECT_NE(last_err_.find("Throttling"), std::string::npos) << last_err_;
}

}  // namespace
}  // namespace ghscale::aws::testing
