// The credential chain source by source, each with injected environment, files, child
// processes and loopback HTTP endpoints; caching and refresh on a ManualClock.
#include "aws/credentials.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>

#include "aws/timestamp.h"
#include "core/log.h"
#include "fake_fixture.h"
#include "http/server.h"

namespace ghscale::aws::testing {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    static std::atomic<int> n{0};
    path_ = fs::path(::testing::TempDir()) / ("ghscale-aws-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string write(const std::string& name, const std::string& text, bool executable = false) const {
    const fs::path p = path_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
    if (executable) fs::permissions(p, fs::perms::owner_all);
    return p.string();
  }
  std::string str() const { return path_.string(); }

 private:
  fs::path path_;
};

CredentialContext context(std::map<std::string, std::string, std::less<>> vars,
                          std::shared_ptr<http::Client> http = nullptr) {
  CredentialContext ctx;
  ctx.env = Environment::from_map(std::move(vars));
  ctx.http = http ? http : http::make_curl_client();
  ctx.sleeper = [](Duration) {};
  ctx.metadata_timeout = std::chrono::milliseconds(500);
  return ctx;
}

TEST(EnvironmentCredentials, ReadsTheThreeVariables) {
  auto ctx = context(
      {{"AWS_ACCESS_KEY_ID", "AKIDENV"}, {"AWS_SECRET_ACCESS_KEY", "env-secret"}, {"AWS_SESSION_TOKEN", "env-token"}});
  auto r = make_environment_provider(ctx)->resolve();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->credentials.access_key_id, "AKIDENV");
  EXPECT_EQ(r->credentials.session_token, "env-token");
  EXPECT_EQ(r->source, "environment");
  EXPECT_EQ(log::redact("oops env-secret"), "oops [REDACTED]") << "registered as a secret";

  auto half = make_environment_provider(context({{"AWS_ACCESS_KEY_ID", "AKIDENV"}}))->resolve();
  ASSERT_FALSE(half.ok());
  EXPECT_EQ(half.error().kind, ErrorKind::kUnauthorized);
  EXPECT_NE(half.error().message.find("AWS_SECRET_ACCESS_KEY is not"), std::string::npos);
}

TEST(ProfileCredentials, StaticKeysFromTheCredentialsFileWinOverConfig) {
  TempDir dir;
  dir.write(".aws/config",
            "[default]\nregion = eu-west-1\n[profile dev]\naws_access_key_id = AKIDCONFIG\n"
            "aws_secret_access_key = config-secret\n");
  dir.write(".aws/credentials",
            "# comment\n[dev]\naws_access_key_id=AKIDCREDS\naws_secret_access_key = creds-secret\n");
  auto r = make_profile_provider(context({{"HOME", dir.str()}, {"AWS_PROFILE", "dev"}}))->resolve();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->credentials.access_key_id, "AKIDCREDS");
  EXPECT_EQ(r->source, "profile dev");

  auto missing = make_profile_provider(context({{"HOME", dir.str()}, {"AWS_PROFILE", "nope"}}))->resolve();
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("profile nope not found"), std::string::npos);
}

TEST(ProfileCredentials, ExplicitFilePathsAreHonoured) {
  TempDir dir;
  const std::string creds =
      dir.write("elsewhere/creds", "[default]\naws_access_key_id = AKIDX\naws_secret_access_key = sx\n");
  auto r =
      make_profile_provider(context({{"AWS_SHARED_CREDENTIALS_FILE", creds}, {"AWS_CONFIG_FILE", dir.str() + "/none"}}))
          ->resolve();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->credentials.access_key_id, "AKIDX");
}

TEST(ProfileCredentials, CredentialProcessWithExpiration) {
  TempDir dir;
  const std::string script = dir.write("creds.sh",
                                       "#!/bin/sh\ncat <<'JSON'\n{\"Version\": 1, \"AccessKeyId\": \"AKIDPROC\", "
                                       "\"SecretAccessKey\": \"proc-secret\", \"SessionToken\": \"proc-token\", "
                                       "\"Expiration\": \"2030-01-02T03:04:05Z\"}\nJSON\n",
                                       true);
  dir.write(".aws/config", "[profile proc]\ncredential_process = " + script + " --flag\n");
  auto r = make_profile_provider(context({{"HOME", dir.str()}, {"AWS_PROFILE", "proc"}}))->resolve();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->credentials.access_key_id, "AKIDPROC");
  EXPECT_EQ(r->credentials.session_token, "proc-token");
  ASSERT_TRUE(r->expiration.has_value());
  EXPECT_EQ(to_unix_ms(*r->expiration), 1893553445000);

  dir.write(".aws/config", "[profile proc]\ncredential_process = sh -c 'echo oops; exit 3'\n");
  auto failed = make_profile_provider(context({{"HOME", dir.str()}, {"AWS_PROFILE", "proc"}}))->resolve();
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.error().message.find("exited with status 3"), std::string::npos) << failed.error().message;

  dir.write(".aws/config", "[profile proc]\ncredential_process = echo '{\"Version\": 2}'\n");
  auto wrong = make_profile_provider(context({{"HOME", dir.str()}, {"AWS_PROFILE", "proc"}}))->resolve();
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().message.find("Version"), std::string::npos);
}

TEST(ProfileCredentials, ProcessTimeoutKillsTheChild) {
  auto out = run_process("sleep 5", std::chrono::milliseconds(100));
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.error().message.find("timed out"), std::string::npos);
}

using StsCredentialsTest = FakeAwsTest;

TEST_F(StsCredentialsTest, ProfileWebIdentityAndCredentialSource) {
  TempDir dir;
  const std::string token = dir.write("token", "valid-web-identity-token");
  dir.write(".aws/config",
            "[profile irsa]\nrole_arn = arn:aws:iam::123456789012:role/irsa\nweb_identity_token_file = " + token +
                "\n[profile from-env]\nrole_arn = arn:aws:iam::123456789012:role/ci\n"
                "credential_source = Environment\n[profile loop]\nrole_arn = arn:aws:iam::1:role/x\n"
                "source_profile = loop2\n[profile loop2]\nrole_arn = arn:aws:iam::1:role/y\n"
                "source_profile = loop\n");
  auto irsa =
      make_profile_provider(
          context({{"HOME", dir.str()}, {"AWS_PROFILE", "irsa"}, {"AWS_ENDPOINT_URL_STS", fake_->endpoint()}}, http_))
          ->resolve();
  ASSERT_TRUE(irsa.ok()) << irsa.error().message;
  EXPECT_EQ(irsa->source, "profile irsa (web-identity)");

  auto from_env = make_profile_provider(context({{"HOME", dir.str()},
                                                 {"AWS_PROFILE", "from-env"},
                                                 {"AWS_ACCESS_KEY_ID", "AKIDFAKEEXAMPLE"},
                                                 {"AWS_SECRET_ACCESS_KEY", "fake/secret/key"},
                                                 {"AWS_ENDPOINT_URL_STS", fake_->endpoint()}},
                                                http_))
                      ->resolve();
  ASSERT_TRUE(from_env.ok()) << from_env.error().message;
  EXPECT_NE(from_env->source.find("assume-role arn:aws:iam::123456789012:role/ci"), std::string::npos);

  auto loop = make_profile_provider(context({{"HOME", dir.str()}, {"AWS_PROFILE", "loop"}}, http_))->resolve();
  ASSERT_FALSE(loop.ok());
  EXPECT_NE(loop.error().message.find("too long"), std::string::npos) << loop.error().message;
}

TEST_F(StsCredentialsTest, AssumeRoleThroughSourceProfile) {
  TempDir dir;
  dir.write(".aws/config",
            "[profile base]\nregion = us-east-1\n"
            "[profile scaler]\nrole_arn = arn:aws:iam::123456789012:role/scaler\n"
            "source_profile = base\nrole_session_name = ghscale-test\nduration_seconds = 900\n");
  dir.write(".aws/credentials",
            "[base]\naws_access_key_id = AKIDFAKEEXAMPLE\naws_secret_access_key = fake/secret/key\n");
  auto ctx =
      context({{"HOME", dir.str()}, {"AWS_PROFILE", "scaler"}, {"AWS_ENDPOINT_URL_STS", fake_->endpoint()}}, http_);
  auto r = make_profile_provider(ctx)->resolve();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->credentials.access_key_id.rfind("ASIA", 0), 0u);
  EXPECT_NE(r->source.find("assume-role arn:aws:iam::123456789012:role/scaler"), std::string::npos);
  ASSERT_TRUE(r->expiration.has_value());
  const auto lifetime = *r->expiration - system_clock()->now();
  EXPECT_GT(lifetime, std::chrono::minutes(14));
  EXPECT_LT(lifetime, std::chrono::minutes(16));
  // The assumed credentials are what the fake issued: they work.
  auto who =
      client(Service::kSts, make_static_provider(r->credentials))->call("GetCallerIdentity", boost::json::object{});
  ASSERT_TRUE(who.ok()) << who.error().message;
  EXPECT_EQ(who->at("Arn").as_string(), "arn:aws:sts::123456789012:assumed-role/scaler/ghscale-test");

  // A source profile whose keys the fake refuses: the error says where it failed.
  dir.write(".aws/credentials", "[base]\naws_access_key_id = AKIDFAKEEXAMPLE\naws_secret_access_key = wrong-secret\n");
  auto refused = make_profile_provider(ctx)->resolve();
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("STS AssumeRole failed"), std::string::npos) << refused.error().message;
  EXPECT_EQ(refused.error().message.find("wrong-secret"), std::string::npos);
}

TEST_F(StsCredentialsTest, WebIdentityFromEnvironment) {
  TempDir dir;
  const std::string token = dir.write("token", "valid-web-identity-token\n");
  auto ctx = context({{"AWS_WEB_IDENTITY_TOKEN_FILE", token},
                      {"AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/irsa"},
                      {"AWS_ROLE_SESSION_NAME", "pod"},
                      {"AWS_ENDPOINT_URL", fake_->endpoint()}},
                     http_);
  auto r = make_web_identity_provider(ctx)->resolve();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->source, "web-identity");
  EXPECT_FALSE(r->credentials.session_token.empty());

  dir.write("token", "forged");
  auto bad = make_web_identity_provider(ctx)->resolve();
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("InvalidIdentityToken"), std::string::npos);
  EXPECT_EQ(bad.error().message.find("forged"), std::string::npos) << "the token is a secret";
}

// A loopback metadata server for the container and IMDS sources.
class MetadataServer {
 public:
  explicit MetadataServer(std::function<http::Response(const http::Request&)> fn) {
    auto s = http::Server::start({}, http::make_sync_handler(std::move(fn)));
    EXPECT_TRUE(s.ok());
    server_ = std::move(*s);
  }
  ~MetadataServer() { server_->shutdown(std::chrono::seconds(1)); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }

 private:
  std::unique_ptr<http::Server> server_;
};

std::string credentials_body(const std::string& key, TimePoint expiration) {
  return R"({"Code":"Success","AccessKeyId":")" + key + R"(","SecretAccessKey":"s-)" + key + R"(","Token":"t-)" + key +
         R"(","Expiration":")" + format_iso8601(expiration) + R"("})";
}

TEST(ContainerCredentials, RelativeAndFullUriWithAuthorizationToken) {
  std::atomic<int> calls{0};
  const TimePoint expiration = system_clock()->now() + std::chrono::hours(6);
  MetadataServer server([&](const http::Request& r) {
    ++calls;
    if (r.target == "/v2/credentials/abc") return http::Response::text(200, credentials_body("AKIDECS", expiration));
    if (r.target == "/eks" && r.headers.get("Authorization") == "eks-pod-token") {
      return http::Response::text(200, credentials_body("AKIDEKS", expiration));
    }
    return http::Response::error(403, "forbidden");
  });
  auto ctx = context({{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/abc"}});
  ctx.container_endpoint = server.url();
  auto ecs = make_container_provider(ctx)->resolve();
  ASSERT_TRUE(ecs.ok()) << ecs.error().message;
  EXPECT_EQ(ecs->credentials.access_key_id, "AKIDECS");
  EXPECT_EQ(ecs->source, "container");
  ASSERT_TRUE(ecs->expiration.has_value());

  TempDir dir;
  const std::string token_file = dir.write("token", "eks-pod-token\n");
  auto eks = make_container_provider(context({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", server.url() + "/eks"},
                                              {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", token_file}}))
                 ->resolve();
  ASSERT_TRUE(eks.ok()) << eks.error().message;
  EXPECT_EQ(eks->credentials.access_key_id, "AKIDEKS");

  auto no_token =
      make_container_provider(context({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", server.url() + "/eks"}}))->resolve();
  ASSERT_FALSE(no_token.ok());
  EXPECT_NE(no_token.error().message.find("HTTP 403"), std::string::npos);

  auto remote =
      make_container_provider(context({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://example.com/creds"}}))->resolve();
  ASSERT_FALSE(remote.ok());
  EXPECT_NE(remote.error().message.find("loopback"), std::string::npos);
}

class ImdsServer {
 public:
  ImdsServer()
      : server_([this](const http::Request& r) {
          std::lock_guard lock(mu_);
          if (r.method == "PUT" && r.target == "/latest/api/token") {
            if (r.headers.get("X-aws-ec2-metadata-token-ttl-seconds").empty()) return http::Response::error(400, "ttl");
            ++tokens_;
            return http::Response::text(200, "imds-session-token");
          }
          if (r.headers.get("X-aws-ec2-metadata-token") != "imds-session-token")
            return http::Response::error(401, "token");
          if (r.target == "/latest/meta-data/iam/security-credentials/")
            return http::Response::text(200, "runner-role\n");
          if (r.target == "/latest/meta-data/iam/security-credentials/runner-role") {
            ++credentials_;
            return http::Response::text(200, credentials_body("AKIDIMDS" + std::to_string(credentials_), expiration_));
          }
          if (r.target == "/latest/meta-data/placement/region") return http::Response::text(200, "eu-central-1");
          return http::Response::error(404, "not found");
        }) {}
  std::string url() const { return server_.url(); }
  void set_expiration(TimePoint t) {
    std::lock_guard lock(mu_);
    expiration_ = t;
  }
  int credentials_served() {
    std::lock_guard lock(mu_);
    return credentials_;
  }

 private:
  std::mutex mu_;
  int tokens_ = 0;
  int credentials_ = 0;
  TimePoint expiration_ = system_clock()->now() + std::chrono::hours(6);
  MetadataServer server_;
};

TEST(ImdsCredentials, TokenRoleAndCredentials) {
  ImdsServer imds;
  auto ctx = context({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url()}});
  auto r = make_imds_provider(ctx)->resolve();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->credentials.access_key_id, "AKIDIMDS1");
  EXPECT_EQ(r->source, "imds (role runner-role)");
  EXPECT_EQ(imds_region(ctx), "eu-central-1");

  auto disabled = make_imds_provider(context({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url()},
                                              {"AWS_EC2_METADATA_DISABLED", "true"}}))
                      ->resolve();
  ASSERT_FALSE(disabled.ok());
  EXPECT_NE(disabled.error().message.find("AWS_EC2_METADATA_DISABLED"), std::string::npos);
}

TEST(ImdsCredentials, UnreachableFailsFast) {
  auto ctx = context({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1"}});
  const auto start = std::chrono::steady_clock::now();
  auto r = make_imds_provider(ctx)->resolve();
  ASSERT_FALSE(r.ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  EXPECT_FALSE(imds_region(ctx).has_value());
}

TEST(CredentialCache, RefreshesBeforeExpiryOnVirtualTime) {
  ImdsServer imds;
  auto clock = std::make_shared<ManualClock>(system_clock()->now());
  imds.set_expiration(clock->now() + std::chrono::hours(1));
  auto ctx = context({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url()}});
  ctx.clock = clock;
  CachingCredentialProvider cache(make_imds_provider(ctx), clock, std::chrono::minutes(5));
  ASSERT_EQ(cache.resolve()->credentials.access_key_id, "AKIDIMDS1");
  clock->advance(std::chrono::minutes(50));
  EXPECT_EQ(cache.resolve()->credentials.access_key_id, "AKIDIMDS1") << "cached";
  EXPECT_EQ(imds.credentials_served(), 1);
  clock->advance(std::chrono::minutes(6));  // within 5 minutes of expiry
  imds.set_expiration(clock->now() + std::chrono::hours(1));
  EXPECT_EQ(cache.resolve()->credentials.access_key_id, "AKIDIMDS2") << "refreshed";
  EXPECT_EQ(imds.credentials_served(), 2);
}

TEST(CredentialCache, FailedRefreshKeepsUnexpiredCredentials) {
  auto clock = std::make_shared<ManualClock>();
  struct Flaky : CredentialProvider {
    std::shared_ptr<ManualClock> clock;
    int calls = 0;
    Result<ResolvedCredentials> resolve() override {
      if (++calls > 1) return make_error(ErrorKind::kUnauthorized, "down");
      return ResolvedCredentials{{"AKIDFLAKY", "s", "t"}, clock->now() + std::chrono::minutes(10), "flaky"};
    }
    std::string name() const override { return "flaky"; }
  };
  auto flaky = std::make_shared<Flaky>();
  flaky->clock = clock;
  CachingCredentialProvider cache(flaky, clock);
  ASSERT_TRUE(cache.resolve().ok());
  clock->advance(std::chrono::minutes(7));
  auto stale = cache.resolve();
  ASSERT_TRUE(stale.ok()) << "still valid for 3 minutes";
  EXPECT_EQ(flaky->calls, 2);
  clock->advance(std::chrono::minutes(4));
  EXPECT_FALSE(cache.resolve().ok()) << "expired and no refresh";
}

TEST(CredentialChain, FirstSourceThatWorksWinsAndErrorsListEverySource) {
  TempDir dir;
  auto ctx = context({{"HOME", dir.str()},
                      {"AWS_EC2_METADATA_DISABLED", "true"},
                      {"AWS_ACCESS_KEY_ID", "AKIDENV"},
                      {"AWS_SECRET_ACCESS_KEY", "env-secret"}});
  auto chain = make_default_credential_chain(ctx);
  auto r = chain->resolve();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->source, "environment");

  dir.write(".aws/credentials", "[default]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = profile-secret\n");
  auto profile =
      make_default_credential_chain(context({{"HOME", dir.str()}, {"AWS_EC2_METADATA_DISABLED", "true"}}))->resolve();
  ASSERT_TRUE(profile.ok());
  EXPECT_EQ(profile->source, "profile default");

  TempDir empty;
  auto none =
      make_default_credential_chain(
          context({{"HOME", empty.str()}, {"AWS_EC2_METADATA_DISABLED", "true"}, {"AWS_ACCESS_KEY_ID", "AKIDHALF"}}))
          ->resolve();
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().kind, ErrorKind::kUnauthorized);
  const std::string& m = none.error().message;
  for (const char* source : {"environment:", "web-identity:", "profile:", "container:", "imds:"}) {
    EXPECT_NE(m.find(source), std::string::npos) << source << " missing from: " << m;
  }
}

}  // namespace
}  // namespace ghscale::aws::testing
