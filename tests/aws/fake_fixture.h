// Shared set-up for tests against the fake AWS endpoint: starts it on loopback with the
// full service models, and builds clients with static credentials and a sleeper that
// records instead of waiting.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "aws/aws_client.h"
#include "fakes/aws/fake_aws.h"
#include "http/client.h"
#include "support/testdata.h"

namespace ghscale::aws::testing {

inline const Credentials kFakeCredentials{"AKIDFAKEEXAMPLE", "fake/secret/key", ""};

class FakeAwsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = ghscale::testing::testdata_dir();
    if (!dir) GTEST_SKIP() << "shared testdata not found (set GHSCALE_TESTDATA); skipping";
    fakes::FakeAwsOptions options;
    options.models_dir = *dir / "aws-models";
    auto fake = fakes::FakeAws::start(options);
    ASSERT_TRUE(fake.ok()) << fake.error().message;
    fake_ = std::move(*fake);
    http_ = http::make_curl_client();
  }
  void TearDown() override {
    if (fake_) fake_->shutdown();
  }

  AwsClientOptions client_options(std::shared_ptr<CredentialProvider> credentials = nullptr) {
    AwsClientOptions o;
    o.http = http_;
    o.credentials = credentials ? credentials : make_static_provider(kFakeCredentials);
    o.sleeper = [this](Duration d) { sleeps_.push_back(d); };
    o.random = [] { return 0.5; };
    return o;
  }
  std::shared_ptr<AwsClient> client(Service service, std::shared_ptr<CredentialProvider> credentials = nullptr) {
    return std::make_shared<AwsClient>(service, "us-east-1", fake_->endpoint(), client_options(std::move(credentials)));
  }

  std::unique_ptr<fakes::FakeAws> fake_;
  std::shared_ptr<http::Client> http_;
  std::vector<Duration> sleeps_;
};

}  // namespace ghscale::aws::testing
