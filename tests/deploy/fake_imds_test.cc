// The fake IMDS behaves as IMDS with HttpTokens=required does, so that what passes against
// it (bootstrap.sh, the AWS CLI) would pass on an instance.
#include <gtest/gtest.h>

#include "fakes/imds/fake_imds.h"
#include "support/http_client.h"

namespace ghscale {
namespace {

using testing::http_request;

class FakeImdsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto imds = fakes::FakeImds::start({});
    ASSERT_TRUE(imds.ok()) << imds.error().message;
    imds_ = std::move(*imds);
  }
  std::string token() {
    auto r = http_request(imds_->port(), "PUT", "/latest/api/token", {{"X-aws-ec2-metadata-token-ttl-seconds", "60"}});
    EXPECT_EQ(r.status, 200);
    return r.body;
  }
  std::unique_ptr<fakes::FakeImds> imds_;
};

TEST_F(FakeImdsTest, ReadsNeedASessionToken) {
  EXPECT_EQ(http_request(imds_->port(), "GET", "/latest/meta-data/instance-id").status, 401);
  EXPECT_EQ(http_request(imds_->port(), "GET", "/latest/meta-data/instance-id", {{"X-aws-ec2-metadata-token", "nope"}})
                .status,
            401);
  auto r = http_request(imds_->port(), "GET", "/latest/meta-data/instance-id", {{"X-aws-ec2-metadata-token", token()}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "i-0123456789abcdef0");
  EXPECT_EQ(imds_->rejected_requests(), 2);
}

TEST_F(FakeImdsTest, TokenRequestsNeedAValidTtlAndNoProxy) {
  EXPECT_EQ(http_request(imds_->port(), "PUT", "/latest/api/token").status, 400);
  EXPECT_EQ(http_request(imds_->port(), "PUT", "/latest/api/token", {{"X-aws-ec2-metadata-token-ttl-seconds", "21601"}})
                .status,
            400);
  EXPECT_EQ(http_request(imds_->port(), "GET", "/latest/api/token", {{"X-aws-ec2-metadata-token-ttl-seconds", "60"}})
                .status,
            405);
  EXPECT_EQ(http_request(imds_->port(), "PUT", "/latest/api/token",
                         {{"X-aws-ec2-metadata-token-ttl-seconds", "60"}, {"X-Forwarded-For", "10.0.0.1"}})
                .status,
            403);
  EXPECT_EQ(imds_->token_requests(), 0);
}

TEST_F(FakeImdsTest, ServesRoleCredentialsAndTheSpotNotice) {
  const std::string t = token();
  const std::pair<std::string, std::string> auth{"X-aws-ec2-metadata-token", t};
  auto role = http_request(imds_->port(), "GET", "/latest/meta-data/iam/security-credentials/", {auth});
  EXPECT_EQ(role.body, "ghscale-runner");
  auto creds = http_request(imds_->port(), "GET", "/latest/meta-data/iam/security-credentials/ghscale-runner", {auth});
  EXPECT_EQ(creds.status, 200);
  for (const char* field : {"\"AccessKeyId\"", "\"SecretAccessKey\"", "\"Token\"", "\"Expiration\""}) {
    EXPECT_NE(creds.body.find(field), std::string::npos) << field;
  }
  EXPECT_EQ(imds_->credential_requests(), 1);

  EXPECT_EQ(http_request(imds_->port(), "GET", "/latest/meta-data/spot/instance-action", {auth}).status, 404);
  imds_->set_spot_action("terminate");
  auto notice = http_request(imds_->port(), "GET", "/latest/meta-data/spot/instance-action", {auth});
  EXPECT_EQ(notice.status, 200);
  EXPECT_NE(notice.body.find(R"("action":"terminate")"), std::string::npos) << notice.body;
  EXPECT_NE(notice.body.find(R"("time":")"), std::string::npos) << notice.body;
  imds_->set_spot_action("");
  EXPECT_EQ(http_request(imds_->port(), "GET", "/latest/meta-data/spot/instance-action", {auth}).status, 404);
}

}  // namespace
}  // namespace ghscale
