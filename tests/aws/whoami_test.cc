// Session wiring, `ghscale aws whoami` and ssm: secret references, against the fake.
#include "aws/whoami.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdlib>

#include "aws/secrets/ssm_secret.h"
#include "core/log.h"
#include "fake_fixture.h"

namespace ghscale::aws::testing {
namespace {

class SessionTest : public FakeAwsTest {
 protected:
  std::shared_ptr<Session> session(std::map<std::string, std::string, std::less<>> vars) {
    SessionOptions options;
    options.context.env = Environment::from_map(std::move(vars));
    options.context.http = http_;
    options.sleeper = [](Duration) {};
    auto s = Session::create(std::move(options));
    EXPECT_TRUE(s.ok()) << s.error().message;
    return s.ok() ? *s : nullptr;
  }
};

TEST_F(SessionTest, WhoAmIShowsIdentitySourceRegionAndEndpoints) {
  auto s = session({{"AWS_ACCESS_KEY_ID", "AKIDFAKEEXAMPLE"},
                    {"AWS_SECRET_ACCESS_KEY", "fake/secret/key"},
                    {"AWS_REGION", "us-east-1"},
                    {"AWS_ENDPOINT_URL", fake_->endpoint()},
                    {"AWS_EC2_METADATA_DISABLED", "true"},
                    {"HOME", "/nonexistent"}});
  ASSERT_NE(s, nullptr);
  auto who = whoami(*s);
  ASSERT_TRUE(who.ok()) << who.error().message;
  EXPECT_EQ(who->identity.account, "123456789012");
  EXPECT_EQ(who->credential_source, "environment");
  EXPECT_EQ(who->region.source, "AWS_REGION");
  EXPECT_EQ(who->access_key_id_masked, "***********MPLE");
  const std::string text = format_whoami_text(*who);
  EXPECT_NE(text.find("arn:aws:iam::123456789012:user/ghscale-test"), std::string::npos) << text;
  EXPECT_NE(text.find("environment"), std::string::npos);
  EXPECT_NE(text.find(fake_->endpoint() + " (AWS_ENDPOINT_URL)"), std::string::npos) << text;
  EXPECT_EQ(text.find("fake/secret/key"), std::string::npos);
  const auto json = boost::json::parse(format_whoami_json(*who));
  EXPECT_EQ(json.at("credential_source").as_string(), "environment");
  EXPECT_EQ(json.at("endpoints").at("EC2").at("source").as_string(), "AWS_ENDPOINT_URL");
  EXPECT_EQ(format_whoami_json(*who).find("fake/secret/key"), std::string::npos);
}

TEST_F(SessionTest, ConfigEndpointAndRegionWin) {
  SessionOptions options;
  options.context.env = Environment::from_map({{"AWS_REGION", "eu-west-1"}, {"HOME", "/nonexistent"}});
  options.context.http = http_;
  options.region = "us-east-1";
  options.endpoint_url = fake_->endpoint();
  options.service_endpoint_urls[Service::kDynamoDb] = "http://127.0.0.1:1";
  options.credentials = make_static_provider(kFakeCredentials, "config");
  auto s = Session::create(std::move(options));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((*s)->region().source, "config");
  EXPECT_EQ((*s)->endpoint(Service::kDynamoDb).url, "http://127.0.0.1:1");
  EXPECT_EQ((*s)->endpoint(Service::kSsm).url, fake_->endpoint());
  auto who = whoami(**s);
  ASSERT_TRUE(who.ok()) << who.error().message;
  EXPECT_EQ(who->credential_source, "config");
}

TEST_F(SessionTest, SecretReferencesResolveThroughSsm) {
  fake_->put_parameter("/ghscale/webhook-secret", "whsec-from-ssm-123", "SecureString");
  auto s = session({{"AWS_ACCESS_KEY_ID", "AKIDFAKEEXAMPLE"},
                    {"AWS_SECRET_ACCESS_KEY", "fake/secret/key"},
                    {"AWS_REGION", "us-east-1"},
                    {"AWS_ENDPOINT_URL_SSM", fake_->endpoint()},
                    {"HOME", "/nonexistent"}});
  ASSERT_NE(s, nullptr);
  SsmClient ssm(s->client(Service::kSsm));
  auto value = resolve_secret({config::SecretRef::Kind::kSsm, "/ghscale/webhook-secret"}, &ssm);
  ASSERT_TRUE(value.ok()) << value.error().message;
  EXPECT_EQ(*value, "whsec-from-ssm-123");
  EXPECT_EQ(log::redact("leak whsec-from-ssm-123"), "leak [REDACTED]");

  auto missing = resolve_secret({config::SecretRef::Kind::kSsm, "/ghscale/none"}, &ssm);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::kNotFound);
  EXPECT_NE(missing.error().message.find("ssm:/ghscale/none"), std::string::npos) << missing.error().message;

  ::setenv("GHSCALE_AWS_TEST_SECRET", "from-env-456", 1);
  auto env = resolve_secret({config::SecretRef::Kind::kEnv, "GHSCALE_AWS_TEST_SECRET"}, nullptr);
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(*env, "from-env-456");
  auto no_aws = resolve_secret({config::SecretRef::Kind::kSsm, "/x"}, nullptr);
  ASSERT_FALSE(no_aws.ok());
  EXPECT_EQ(no_aws.error().kind, ErrorKind::kInvalid);
}

}  // namespace
}  // namespace ghscale::aws::testing
