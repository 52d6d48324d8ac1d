// The AWS side of the daemon as a user meets it, against the fake AWS endpoint process:
// `ghscale aws whoami`, and `serve` resolving its webhook secret from SSM Parameter
// Store through the standard AWS_ENDPOINT_URL override.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "support/http_client.h"
#include "support/subprocess.h"
#include "support/testdata.h"
#include "webhook/signature.h"

namespace ghscale {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::Subprocess;

constexpr const char* kSsmSecret = "webhook-secret-kept-in-ssm";

class AwsCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto td = testing::testdata_dir();
    if (!td) GTEST_SKIP() << "shared testdata not found (set GHSCALE_TESTDATA); skipping";
    fake_ = std::make_unique<Subprocess>(std::vector<std::string>{
        GHSCALE_FAKE_AWS_BINARY, "--models", (*td / "aws-models").string(), "--param",
        std::string("/ghscale/webhook-secret=") + kSsmSecret});
    std::string out;
    for (int i = 0; i < 200 && out.find('\n') == std::string::npos; ++i) {
      fake_->wait(10ms);
      out = fake_->out();
    }
    auto pos = out.find("PORT ");
    ASSERT_NE(pos, std::string::npos) << out << fake_->err();
    endpoint_ = "http://127.0.0.1:" + std::to_string(std::stoi(out.substr(pos + 5)));
    env_ = {"AWS_ACCESS_KEY_ID=AKIDFAKEEXAMPLE", "AWS_SECRET_ACCESS_KEY=fake/secret/key", "AWS_REGION=us-east-1",
            "AWS_EC2_METADATA_DISABLED=true", "AWS_ENDPOINT_URL=" + endpoint_,
            "AWS_CONFIG_FILE=/nonexistent", "AWS_SHARED_CREDENTIALS_FILE=/nonexistent"};
    dir_ = fs::temp_directory_path() / ("ghscale-awscli-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  std::unique_ptr<Subprocess> fake_;
  std::string endpoint_;
  std::vector<std::string> env_;
  fs::path dir_;
};

TEST_F(AwsCliTest, WhoamiNamesIdentitySourceAndEndpoints) {
  auto r = testing::run({testing::ghscale_binary().string(), "aws", "whoami", "--json"}, 30s, env_);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"account\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("environment"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(endpoint_), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("fake/secret/key"), std::string::npos);
  auto text = testing::run({testing::ghscale_binary().string(), "aws", "whoami"}, 30s, env_);
  EXPECT_EQ(text.exit_code, 0) << text.err;
}

TEST_F(AwsCliTest, ServeResolvesTheWebhookSecretFromSsm) {
  std::string config = (dir_ / "ghscale.yaml").string();
  std::ofstream(config) << "server: {address: 127.0.0.1, port: 0}\n"
                           "webhook: {secrets: ['ssm:/ghscale/webhook-secret']}\n"
                           "store: {sqlite: {path: state/ghscale.db}}\n";
  Subprocess p({testing::ghscale_binary().string(), "serve", "--config", config}, env_);
  static const std::regex kListening(R"re("msg":"listening".*"port":(\d+))re");
  std::smatch m;
  ASSERT_TRUE(p.wait_for_stderr([&](const std::string& e) { return std::regex_search(e, m, kListening); }, 20s))
      << p.err();
  auto port = static_cast<std::uint16_t>(std::stoi(m[1].str()));
  std::string body = R"({"zen":"Keep it logically awesome.","hook_id":7,"hook":{"id":7}})";
  auto ok = testing::http_request(port, "POST", "/webhook",
                                  {{"Content-Type", "application/json"},
                                   {"X-GitHub-Event", "ping"},
                                   {"X-GitHub-Delivery", "ping-1"},
                                   {"X-Hub-Signature-256", webhook::sign(kSsmSecret, body)}},
                                  body);
  EXPECT_EQ(ok.status, 200) << ok.body;
  p.signal(SIGTERM);
  EXPECT_EQ(p.wait(15s).value_or(-1), 0);
  EXPECT_EQ(p.err().find(kSsmSecret), std::string::npos);
}

TEST_F(AwsCliTest, MissingParameterIsAClearStartupFailure) {
  std::string config = (dir_ / "ghscale.yaml").string();
  std::ofstream(config) << "server: {address: 127.0.0.1, port: 0}\n"
                           "webhook: {secrets: ['ssm:/ghscale/nope']}\n"
                           "store: {sqlite: {path: state/ghscale.db}}\n";
  auto r = testing::run({testing::ghscale_binary().string(), "serve", "--config", config}, 30s, env_);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("/ghscale/nope"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace ghscale
