// The SSM hand-over: parameter names, the value format, pacing, retries beyond the
// AwsClient's own, deletes, and no secret in errors.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "provider/aws/ssm_hand_over.h"
#include "provider/aws_fixture.h"

namespace ghscale::provider::testing {
namespace {

using SsmHandOverTest = AwsProviderTest;

Registration jit(std::string secret) {
  Registration r;
  r.secret = std::move(secret);
  return r;
}

TEST_F(SsmHandOverTest, NamesAndValues) {
  auto h = hand_over("/ci/");
  EXPECT_EQ(h->parameter_name("i-1"), "/ci/runners/i-1");
  EXPECT_EQ(hand_over("/ghscale")->parameter_name("i-1"), "/ghscale/runners/i-1");
  EXPECT_EQ(SsmHandOver::encode(jit("abc123")), "abc123");
  Registration t;
  t.kind = Registration::Kind::kRegistrationToken;
  t.secret = "tok";
  t.runner_name = "n";
  t.url = "https://github.com/o/r";
  t.labels = {"a", "b"};
  t.runner_group = "g";
  t.ephemeral = true;
  const std::string doc = SsmHandOver::encode(t);
  ASSERT_EQ(doc.front(), '{');
  auto o = boost::json::parse(doc).as_object();
  EXPECT_EQ(o.at("kind").as_string(), "registration-token");
  EXPECT_EQ(o.at("name").as_string(), "n");
  EXPECT_EQ(o.at("runner_group").as_string(), "g");
  EXPECT_TRUE(o.at("ephemeral").as_bool());
}

TEST_F(SsmHandOverTest, WritesArePacedByATokenBucket) {
  SsmHandOverOptions o;
  o.ssm = client(aws::Service::kSsm);
  o.writes_per_second = 2.0;
  o.burst = 2;
  o.clock = clock_;
  o.sleeper = recorder();
  SsmHandOver h(o);
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(h.write("i-" + std::to_string(i), jit("jit-value-" + std::to_string(i))).ok());
  // Two at once, then one every 500 ms.
  EXPECT_EQ(h.waited(), 2000ms);
  EXPECT_EQ(fake_->request_count("PutParameter"), 6);
}

TEST_F(SsmHandOverTest, ThrottlingIsRetriedBeyondTheClientsAttempts) {
  auto h = hand_over();
  fake_->inject({fakes::Fault::Kind::kThrottle, "PutParameter", 4});  // the client gives up after 3
  ASSERT_TRUE(h->write("i-1", jit("jit-value-throttled")).ok());
  EXPECT_EQ(fake_->parameter("/ghscale/runners/i-1")->value, "jit-value-throttled");
  EXPECT_EQ(fake_->request_count("PutParameter"), 5);

  fake_->inject({fakes::Fault::Kind::kInternalError, "PutParameter", 3});
  ASSERT_TRUE(h->write("i-2", jit("jit-value-500")).ok());
}

TEST_F(SsmHandOverTest, GivesUpWithoutTheSecretInTheError) {
  SsmHandOverOptions o;
  o.ssm = client(aws::Service::kSsm);
  o.max_attempts = 2;
  o.clock = clock_;
  o.sleeper = recorder();
  SsmHandOver h(o);
  fake_->inject({fakes::Fault::Kind::kThrottle, "PutParameter", -1});
  Status st = h.write("i-1", jit("jit-value-never-shown"));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind, ErrorKind::kThrottled);
  EXPECT_EQ(st.error().message.find("jit-value-never-shown"), std::string::npos);
  EXPECT_NE(st.error().message.find("/ghscale/runners/i-1"), std::string::npos);
  EXPECT_EQ(fake_->request_count("PutParameter"), 6);
  fake_->clear_faults();
}

TEST_F(SsmHandOverTest, RemoveIsIdempotent) {
  auto h = hand_over();
  ASSERT_TRUE(h->write("i-1", jit("jit-value-1")).ok());
  ASSERT_TRUE(h->remove("i-1").ok());
  EXPECT_FALSE(fake_->parameter("/ghscale/runners/i-1").has_value());
  EXPECT_TRUE(h->remove("i-1").ok()) << "already read and deleted by the bootstrap";
  EXPECT_EQ(h->write("i-2", jit("")).error().kind, ErrorKind::kInvalid);
}

}  // namespace
}  // namespace ghscale::provider::testing
