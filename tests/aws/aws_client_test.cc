// The generic signed caller: retries (standard mode), throttling and transient errors,
// the retry quota, clock-skew correction, credential refresh, transport failures.
#include "aws/aws_client.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "fake_fixture.h"
#include "support/http_client.h"

namespace ghscale::aws::testing {
namespace {

namespace json = boost::json;
using fakes::Fault;

using AwsClientTest = FakeAwsTest;

TEST_F(AwsClientTest, ThrottlingIsRetriedWithJitteredBackoff) {
  fake_->inject({.kind = Fault::Kind::kThrottle, .operation = "GetCallerIdentity", .times = 2});
  auto sts = client(Service::kSts);
  CallStats stats;
  auto out = sts->call("GetCallerIdentity", json::object{}, &stats);
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(stats.attempts, 3);
  ASSERT_EQ(sleeps_.size(), 2u);
  // random() = 0.5: half of 1 s, then half of 2 s.
  EXPECT_EQ(sleeps_[0], std::chrono::milliseconds(500));
  EXPECT_EQ(sleeps_[1], std::chrono::milliseconds(1000));
}

TEST_F(AwsClientTest, ThrottlingThatLastsIsReportedAsThrottled) {
  for (const auto& [service, op] :
       std::vector<std::pair<Service, std::string>>{{Service::kEc2, "DescribeInstances"},
                                                    {Service::kSsm, "GetParametersByPath"},
                                                    {Service::kAutoScaling, "DescribeAutoScalingGroups"},
                                                    {Service::kEventBridge, "PutEvents"}}) {
    fake_->inject({.kind = Fault::Kind::kThrottle, .operation = op, .times = 3});
    json::object params;
    if (op == "GetParametersByPath") params["Path"] = "/x";
    if (op == "PutEvents")
      params["Entries"] = json::array{json::object{{"Source", "s"}, {"DetailType", "d"}, {"Detail", "{}"}}};
    auto out = client(service)->call(op, params);
    ASSERT_FALSE(out.ok()) << op;
    EXPECT_EQ(out.error().kind, ErrorKind::kThrottled) << out.error().message;
    EXPECT_EQ(fake_->request_count(op), 3) << op;
  }
}

TEST_F(AwsClientTest, ServerErrorsAreRetriedAndPermanentErrorsAreNot) {
  fake_->inject({.kind = Fault::Kind::kInternalError, .operation = "GetParameter", .times = 1});
  fake_->put_parameter("/p", "v");
  auto ssm = client(Service::kSsm);
  auto ok = ssm->call("GetParameter", json::object{{"Name", "/p"}});
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(fake_->request_count("GetParameter"), 2);

  auto missing = ssm->call("GetParameter", json::object{{"Name", "/none"}});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(missing.error().message.rfind("ssm GetParameter: ParameterNotFound", 0), 0u) << missing.error().message;
  EXPECT_EQ(fake_->request_count("GetParameter"), 3);
}

TEST_F(AwsClientTest, RetryQuotaRunsOut) {
  auto options = client_options();
  options.quota = std::make_shared<RetryQuota>(12);  // two retries' worth
  AwsClient sts(Service::kSts, "us-east-1", fake_->endpoint(), options);
  fake_->inject({.kind = Fault::Kind::kThrottle, .operation = "GetCallerIdentity", .times = -1});
  CallStats stats;
  ASSERT_FALSE(sts.call("GetCallerIdentity", json::object{}, &stats).ok());
  EXPECT_EQ(stats.attempts, 3);
  EXPECT_EQ(options.quota->available(), 2);
  ASSERT_FALSE(sts.call("GetCallerIdentity", json::object{}, &stats).ok());
  EXPECT_EQ(stats.attempts, 1) << "no tokens left: no retry";
  fake_->clear_faults();
  ASSERT_TRUE(sts.call("GetCallerIdentity", json::object{}).ok());
  EXPECT_EQ(options.quota->available(), 3) << "a success puts a token back";
}

TEST_F(AwsClientTest, ClockSkewIsCorrectedOnce) {
  fake_->set_clock_offset(std::chrono::minutes(42));
  auto sts = client(Service::kSts);
  CallStats stats;
  auto out = sts->call("GetCallerIdentity", json::object{}, &stats);
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(stats.attempts, 2);
  EXPECT_NEAR(static_cast<double>(sts->clock_offset().count()), 42 * 60 * 1000.0, 5000.0);
  ASSERT_TRUE(sts->call("GetCallerIdentity", json::object{}, &stats).ok());
  EXPECT_EQ(stats.attempts, 1) << "the offset is kept";
  // Every protocol's skew error is understood.
  EXPECT_TRUE(client(Service::kEc2)->call("DescribeInstances", json::object{}).ok());
  EXPECT_TRUE(client(Service::kSsm)->call("GetParametersByPath", json::object{{"Path", "/"}}).ok());
}

TEST_F(AwsClientTest, ExpiredTokenRefreshesCachedCredentials) {
  int resolved = 0;
  struct Counting : CredentialProvider {
    int* n;
    explicit Counting(int* c) : n(c) {}
    Result<ResolvedCredentials> resolve() override {
      ++*n;
      return ResolvedCredentials{kFakeCredentials, std::nullopt, "counting"};
    }
    std::string name() const override { return "counting"; }
  };
  auto cache = std::make_shared<CachingCredentialProvider>(std::make_shared<Counting>(&resolved), system_clock());
  auto sts = client(Service::kSts, cache);
  ASSERT_TRUE(sts->call("GetCallerIdentity", json::object{}).ok());
  EXPECT_EQ(resolved, 1);
  fake_->inject({.kind = Fault::Kind::kExpiredToken, .operation = "GetCallerIdentity"});
  ASSERT_TRUE(sts->call("GetCallerIdentity", json::object{}).ok());
  EXPECT_EQ(resolved, 2);
}

TEST_F(AwsClientTest, BadSignatureIsUnauthorizedAndNotRetried) {
  auto sts = client(Service::kSts, make_static_provider({"AKIDFAKEEXAMPLE", "wrong", ""}));
  auto out = sts->call("GetCallerIdentity", json::object{});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().kind, ErrorKind::kUnauthorized);
  EXPECT_NE(out.error().message.find("SignatureDoesNotMatch"), std::string::npos);
  EXPECT_EQ(out.error().message.find("wrong"), std::string::npos);
  auto unknown_key =
      client(Service::kEc2, make_static_provider({"AKIDUNKNOWN", "x", ""}))->call("DescribeInstances", json::object{});
  ASSERT_FALSE(unknown_key.ok());
  EXPECT_EQ(unknown_key.error().kind, ErrorKind::kUnauthorized);
  EXPECT_NE(unknown_key.error().message.find("AuthFailure"), std::string::npos);
}

TEST_F(AwsClientTest, UnknownOperationsAndParametersAreRefusedLocally) {
  auto ec2 = client(Service::kEc2);
  auto op = ec2->call("DeleteVpc", json::object{});
  ASSERT_FALSE(op.ok());
  EXPECT_EQ(op.error().kind, ErrorKind::kInvalid);
  auto param = ec2->call("DescribeInstances", json::object{{"NoSuchMember", 1}});
  ASSERT_FALSE(param.ok());
  EXPECT_EQ(param.error().kind, ErrorKind::kInvalid);
}

TEST_F(AwsClientTest, TransportFailuresAreRetryable) {
  auto options = client_options();
  AwsClient dead(Service::kSts, "us-east-1", "http://127.0.0.1:1", options);
  CallStats stats;
  auto out = dead.call("GetCallerIdentity", json::object{}, &stats);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().kind, ErrorKind::kRetryable);
  EXPECT_EQ(stats.attempts, 3);
}

TEST_F(AwsClientTest, SlowAnswersTimeOutAndAreRetried) {
  auto options = client_options();
  options.timeout = std::chrono::milliseconds(200);
  AwsClient sts(Service::kSts, "us-east-1", fake_->endpoint(), options);
  fake_->inject({.kind = Fault::Kind::kSlow,
                 .operation = "GetCallerIdentity",
                 .times = 1,
                 .delay = std::chrono::milliseconds(1000)});
  CallStats stats;
  auto out = sts.call("GetCallerIdentity", json::object{}, &stats);
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(stats.attempts, 2);
}

TEST_F(AwsClientTest, KeepAliveConnectionsAreReused) {
  auto sts = client(Service::kSts);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(sts->call("GetCallerIdentity", json::object{}).ok());
  EXPECT_EQ(fake_->request_count("GetCallerIdentity"), 20);
}

// The fake itself refuses what the models do not know, whoever sends it.
TEST_F(AwsClientTest, FakeRejectsUnknownOperationsAndParameters) {
  auto reply = ghscale::testing::http_request(fake_->port(), "POST", "/",
                                              {{"Content-Type", "application/x-www-form-urlencoded"}},
                                              "Action=DescribeInstances&Version=2016-11-15&Bogus.1=x");
  EXPECT_EQ(reply.status, 403) << "unsigned";
  // Signed but with an unknown parameter: build it by hand and sign with the project's signer.
  Request request;
  request.headers = {{"host", "127.0.0.1"},  // what http_request sends
                     {"Content-Type", "application/x-www-form-urlencoded"}};
  request.body = "Action=DescribeInstances&Version=2016-11-15&Bogus.1=x";
  Signer signer({.region = "us-east-1", .service = "ec2"});
  ASSERT_TRUE(signer.sign(request, kFakeCredentials, system_clock()->now()).ok());
  std::vector<std::pair<std::string, std::string>> headers;
  for (const auto& h : request.headers) {
    if (h.name != "host") headers.emplace_back(h.name, h.value);
  }
  reply = ghscale::testing::http_request(fake_->port(), "POST", "/", headers, request.body);
  EXPECT_EQ(reply.status, 400);
  EXPECT_NE(reply.body.find("UnknownParameter"), std::string::npos) << reply.body;
  EXPECT_NE(reply.body.find("Bogus.1"), std::string::npos) << reply.body;

  request.body = "Action=NoSuchThing&Version=2016-11-15";
  request.remove_header("Authorization");
  ASSERT_TRUE(signer.sign(request, kFakeCredentials, system_clock()->now()).ok());
  headers.clear();
  for (const auto& h : request.headers) {
    if (h.name != "host") headers.emplace_back(h.name, h.value);
  }
  reply = ghscale::testing::http_request(fake_->port(), "POST", "/", headers, request.body);
  EXPECT_EQ(reply.status, 400);
  EXPECT_NE(reply.body.find("InvalidAction"), std::string::npos) << reply.body;
}

}  // namespace
}  // namespace ghscale::aws::testing

namespace ghscale::aws::testing {
namespace {

TEST_F(AwsClientTest, FakeRejectsUnknownJsonMembers) {
  Request request;
  request.headers = {{"host", "127.0.0.1"},
                     {"Content-Type", "application/x-amz-json-1.1"},
                     {"X-Amz-Target", "AmazonSSM.GetParameter"}};
  request.body = R"({"Name":"/x","Bogus":true})";
  Signer signer({.region = "us-east-1", .service = "ssm"});
  ASSERT_TRUE(signer.sign(request, kFakeCredentials, system_clock()->now()).ok());
  std::vector<std::pair<std::string, std::string>> headers;
  for (const auto& h : request.headers) {
    if (h.name != "host") headers.emplace_back(h.name, h.value);
  }
  auto reply = ghscale::testing::http_request(fake_->port(), "POST", "/", headers, request.body);
  EXPECT_EQ(reply.status, 400);
  EXPECT_NE(reply.body.find("SerializationException"), std::string::npos) << reply.body;
  EXPECT_NE(reply.body.find("unknown member Bogus"), std::string::npos) << reply.body;
}

}  // namespace
}  // namespace ghscale::aws::testing
