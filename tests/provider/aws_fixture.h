// The AWS providers against the fake AWS endpoint on loopback (SigV4 verified, full
// botocore models): clients with static credentials, sleepers that record instead of
// waiting, and a ManualClock for the SSM pacing. FakeAwsEnv is the setup on its own, for
// tests that hold it beside another fixture (the conformance suite, the reconciler);
// AwsProviderTest is the gtest fixture made of it.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <string>
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

inline constexpr const char* kNoTestdata = "shared testdata not found (set GHSCALE_TESTDATA); skipping";

// A launch ledger in memory: what a store keeps for the next process.
class MemoryLedger final : public LaunchLedger {
 public:
  Result<std::optional<std::string>> read(std::string_view key) override {
    std::lock_guard lock(mu_);
    auto it = values_.find(std::string(key));
    if (it == values_.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }
  Status write(std::string_view key, std::string_view value) override {
    std::lock_guard lock(mu_);
    values_[std::string(key)] = std::string(value);
    ++writes_;
    return ok_status();
  }
  int writes() const {
    std::lock_guard lock(mu_);
    return writes_;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::string> values_;  // guarded by mu_
  int writes_ = 0;                             // guarded by mu_
};

struct FakeAwsEnv {
  // Starts the fake AWS; fake_ stays null when the shared testdata (its models) is absent.
  void start_fake_aws() {
    auto dir = ghscale::testing::testdata_dir();
    if (!dir) return;
    fakes::FakeAwsOptions options;
    options.models_dir = *dir / "aws-models";
    options.record_requests = true;
    auto fake = fakes::FakeAws::start(options);
    ASSERT_TRUE(fake.ok()) << fake.error().message;
    fake_ = std::move(*fake);
    http_ = http::make_curl_client();
    clock_ = std::make_shared<ManualClock>();
  }
  void stop_fake_aws() {
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
    o.clock = clock_;
    return o;
  }

  // Time passes for the fake (its lag and tag delay) and the providers alike.
  void advance(Duration d) {
    fake_->advance(d);
    clock_->advance(d);
  }

  struct Rounds {
    int most_live = 0;          // the fake's own count of live instances, at its highest
    int launches = 0;           // launch calls made
    int hand_overs_refused = 0;  // hand_over answers other than ok or kRetryable
  };
  // The scaler's shape in short, `rounds` times `step` apart: observe, count the supply
  // (booting included), launch what `demand` lacks up to max_runners under a fresh token
  // (the first instance on-demand, spot above), hand each new instance a registration.
  Rounds launch_rounds(Provider& p, const std::string& pool, int demand, int max_runners, int rounds, Duration step) {
    Rounds r;
    Registration reg;
    reg.runner_name = "ghscale-" + pool + "-x";
    reg.secret = "cm91bmRzLWppdC1jb25maWc";
    for (int k = 0; k < rounds; ++k) {
      auto listed = p.describe(pool);
      if (listed.ok()) {
        int supply = 0, on_demand = 0;
        for (const auto& c : *listed) {
          if (c.lifecycle == Lifecycle::kStopping || c.lifecycle == Lifecycle::kTerminated) continue;
          ++supply;
          on_demand += c.market == Market::kOnDemand ? 1 : 0;
        }
        const int want = std::min(demand, max_runners) - supply;
        if (want > 0) {
          const int od = std::min(want, std::max(0, 1 - on_demand));
          auto out = p.launch(LaunchRequest{pool, {od, want - od}, "round-" + std::to_string(k), 0});
          ++r.launches;
          if (out.ok()) {
            std::vector<std::string> ids = out->on_demand_ids;
            ids.insert(ids.end(), out->spot_ids.begin(), out->spot_ids.end());
            for (const auto& id : ids) {
              Status st = p.hand_over(id, reg);
              if (!st.ok() && st.error().kind != ErrorKind::kRetryable) ++r.hand_overs_refused;
            }
          }
        }
      }
      r.most_live = std::max(r.most_live, fake_->live_instances());
      advance(step);
    }
    return r;
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

class AwsProviderTest : public ::testing::Test, protected FakeAwsEnv {
 protected:
  void SetUp() override {
    if (!ghscale::testing::testdata_dir()) GTEST_SKIP() << kNoTestdata;
    start_fake_aws();
  }
  void TearDown() override { stop_fake_aws(); }
};

}  // namespace ghscale::provider::testing
