// The AWS providers against the fake AWS endpoint on loopback (SigV4 verified, full
// botocore models): clients with static credentials, sleepers that record instead of
// waiting, and a ManualClock for the SSM pacing.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <mutex>
#include <vector>

#include "aws/aws_client.h"
#include "fakes/aws/fake_aws.h"
#include "http/client.h"
#include "provider/aws/asg_provider.h"
#include "provider/aws/fleet_provider.h"
#include "provider/aws/ssm_hand_over.h"
#include "support/testdata.h"

namespace ghscale::provider::testing {

using namespace std::chrono_literals;

class AwsProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = ghscale::testing::testdata_dir();
    if (!dir) GTEST_SKIP() << "shared testdata not found (set GHSCALE_TESTDATA); skipping";
    fakes::FakeAwsOptions options;
    options.models_dir = *dir / "aws-models";
    options.record_requests = true;
    auto fake = fakes::FakeAws::start(options);
    ASSERT_TRUE(fake.ok()) << fake.error().message;
    fake_ = std::move(*fake);
    http_ = http::make_curl_client();
    clock_ = std::make_shared<ManualClock>();
  }
  void TearDown() override {
    if (fake_) {
      // Injected faults and service errors are expected; a request the models or SigV4
      // refuse never is.
      for (const auto& r : fake_->rejections()) {
        for (const char* bad : {"Signature", "UnknownParameter", "InvalidParameter:", "SerializationException",
                                "canonical request", "InvalidAction", "UnknownOperation"}) {
          EXPECT_EQ(r.find(bad), std::string::npos) << r;
        }
      }
      fake_->shutdown();
    }
  }

  aws::Sleeper recorder() {
    return [this](Duration d) {
      std::lock_guard lock(mu_);
      sleeps_.push_back(d);
      clock_->advance(d);
    };
  }

  std::shared_ptr<aws::AwsClient> client(aws::Service service) {
    aws::AwsClientOptions o;
    o.http = http_;
    o.credentials = aws::make_static_provider(aws::Credentials{"AKIDFAKEEXAMPLE", "fake/secret/key", ""});
    o.sleeper = recorder();
    o.random = [] { return 0.5; };
    return std::make_shared<aws::AwsClient>(service, "us-east-1", fake_->endpoint(), std::move(o));
  }

  std::shared_ptr<SsmHandOver> hand_over(std::string prefix = "/ghscale") {
    SsmHandOverOptions o;
    o.ssm = client(aws::Service::kSsm);
    o.prefix = std::move(prefix);
    o.clock = clock_;
    o.sleeper = recorder();
    return std::make_shared<SsmHandOver>(std::move(o));
  }

  AsgProviderOptions asg_options(const std::string& group = "runners", int max_runners = 10) {
    AsgProviderOptions o;
    o.pool = "linux";
    o.group = group;
    o.max_runners = max_runners;
    o.autoscaling = client(aws::Service::kAutoScaling);
    o.ec2 = client(aws::Service::kEc2);
    o.hand_over = hand_over();
    o.placement_wait = 3s;
    o.placement_poll = 1s;
    o.clock = clock_;
    o.sleeper = recorder();
    return o;
  }

  FleetProviderOptions fleet_options() {
    FleetProviderOptions o;
    o.pool = "fleet";
    o.launch_template = {"runner-template", "$Default"};
    o.instance_types = {"m7i.large", "m6i.large"};
    o.subnets = {"subnet-a", "subnet-b"};
    o.ec2 = client(aws::Service::kEc2);
    o.hand_over = hand_over();
    return o;
  }

  // Requests the fake received that contain `text` anywhere (target, headers or body).
  std::vector<std::string> requests_containing(const std::string& text) const {
    std::vector<std::string> out;
    for (const auto& r : fake_->requests()) {
      if (r.find(text) != std::string::npos) out.push_back(r);
    }
    return out;
  }

  std::unique_ptr<fakes::FakeAws> fake_;
  std::shared_ptr<http::Client> http_;
  std::shared_ptr<ManualClock> clock_;
  std::mutex mu_;
  std::vector<Duration> sleeps_;
};

}  // namespace ghscale::provider::testing
