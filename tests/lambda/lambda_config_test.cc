// The Lambda host's configuration: bundled file or SSM parameter, environment overrides.
#include "app/lambda/lambda_config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

namespace ghscale::app::lambda {
namespace {

namespace fs = std::filesystem;

constexpr const char* kBase =
    "webhook:\n  secrets: [env:GHSCALE_TEST_WEBHOOK_SECRET]\n"
    "store:\n  sqlite:\n    path: data/ghscale.db\n  retention: 3d\n";

EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end() || it->second.empty()) return std::nullopt;
    return it->second;
  };
}

ParameterFetcher no_parameters() {
  return [](const std::string& name) -> Result<std::string> {
    return make_error(ErrorKind::kNotFound, "parameter " + name + " not found");
  };
}

class LambdaConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ghscale-lambda-config-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    std::ofstream(dir_ / "ghscale.yaml") << kBase;
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(LambdaConfigTest, ReadsTheBundledFileFromTheTaskRoot) {
  auto cfg = load_lambda_config(env_of({{"LAMBDA_TASK_ROOT", dir_.string()}}), no_parameters());
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  EXPECT_EQ(cfg->store.kind, config::StoreConfig::Kind::kSqlite);
  EXPECT_EQ(cfg->webhook.secrets.at(0).text(), "env:GHSCALE_TEST_WEBHOOK_SECRET");
}

TEST_F(LambdaConfigTest, EnvironmentOverridesWhatATemplateSets) {
  auto cfg = load_lambda_config(env_of({{"GHSCALE_CONFIG", (dir_ / "ghscale.yaml").string()},
                                        {"GHSCALE_DYNAMODB_TABLE", "ghscale-state"},
                                        {"GHSCALE_WEBHOOK_SECRET_SSM_PARAMETER", "/ghscale/webhook-secret"},
                                        {"GHSCALE_GITHUB_TOKEN_SSM_PARAMETER", "/ghscale/github-token"},
                                        {"GHSCALE_LOG_LEVEL", "debug"}}),
                                no_parameters());
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  EXPECT_EQ(cfg->store.kind, config::StoreConfig::Kind::kDynamoDb);
  EXPECT_EQ(cfg->store.dynamodb_table, "ghscale-state");
  EXPECT_EQ(cfg->store.retention, std::chrono::hours(72)) << "the store's other settings stay";
  ASSERT_EQ(cfg->webhook.secrets.size(), 1u);
  EXPECT_EQ(cfg->webhook.secrets[0].text(), "ssm:/ghscale/webhook-secret");
  EXPECT_EQ(cfg->github.auth.kind, config::GitHubAuth::Kind::kPat);
  ASSERT_TRUE(cfg->github.auth.token.has_value());
  EXPECT_EQ(cfg->github.auth.token->text(), "ssm:/ghscale/github-token");
  EXPECT_EQ(cfg->logging.level, "debug");
}

TEST_F(LambdaConfigTest, AnOverrideCanSupplyWhatTheFileLacks) {
  std::ofstream(dir_ / "minimal.yaml") << "store:\n  sqlite:\n    path: x.db\n";
  auto missing = load_lambda_config(env_of({{"GHSCALE_CONFIG", (dir_ / "minimal.yaml").string()}}), no_parameters());
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("webhook.secrets"), std::string::npos) << missing.error().message;
  auto completed = load_lambda_config(env_of({{"GHSCALE_CONFIG", (dir_ / "minimal.yaml").string()},
                                              {"GHSCALE_WEBHOOK_SECRET_SSM_PARAMETER", "/s"},
                                              {"GHSCALE_DYNAMODB_TABLE", "t"}}),
                                      no_parameters());
  ASSERT_TRUE(completed.ok()) << completed.error().message;
  EXPECT_EQ(completed->store.dynamodb_table, "t");
}

TEST_F(LambdaConfigTest, TheSsmParameterWinsOverTheFile) {
  std::string asked;
  ParameterFetcher fetch = [&](const std::string& name) -> Result<std::string> {
    asked = name;
    return std::string("webhook: {secrets: [env:FROM_SSM]}\n");
  };
  auto cfg = load_lambda_config(env_of({{"LAMBDA_TASK_ROOT", dir_.string()}, {"GHSCALE_CONFIG_SSM_PARAMETER", "/ghscale/config"}}),
                                fetch);
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  EXPECT_EQ(asked, "/ghscale/config");
  EXPECT_EQ(cfg->webhook.secrets.at(0).text(), "env:FROM_SSM");

  auto missing = load_lambda_config(env_of({{"GHSCALE_CONFIG_SSM_PARAMETER", "/nope"}}), no_parameters());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::kInvalid);
  EXPECT_NE(missing.error().message.find("/nope"), std::string::npos);
}

TEST_F(LambdaConfigTest, BadConfigurationIsInvalidWithItsDiagnostics) {
  std::ofstream(dir_ / "bad.yaml") << "webhook:\n  secrets: [env:X]\npools: 3\n";
  auto cfg = load_lambda_config(env_of({{"GHSCALE_CONFIG", (dir_ / "bad.yaml").string()}}), no_parameters());
  ASSERT_FALSE(cfg.ok());
  EXPECT_EQ(cfg.error().kind, ErrorKind::kInvalid);
  EXPECT_NE(cfg.error().message.find("bad.yaml"), std::string::npos) << cfg.error().message;

  auto absent = load_lambda_config(env_of({{"GHSCALE_CONFIG", (dir_ / "absent.yaml").string()}}), no_parameters());
  ASSERT_FALSE(absent.ok());
  EXPECT_EQ(absent.error().kind, ErrorKind::kInvalid);
}

TEST(LambdaEventBus, DefaultsToTheDefaultBus) {
  EXPECT_EQ(event_bus(env_of({})), "default");
  EXPECT_EQ(event_bus(env_of({{"GHSCALE_EVENT_BUS", "ghscale"}})), "ghscale");
}

}  // namespace
}  // namespace ghscale::app::lambda
