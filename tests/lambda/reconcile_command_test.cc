// `ghscale reconcile --once`: one pass with the configured store (SQLite here), the fake
// GitHub and a simulated pool; the table or the JSON summary; the exit codes.
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>

#include "sandbox/fake_github/fake_github.h"
#include "support/queued_job.h"
#include "support/subprocess.h"
#include "support/testdata.h"

namespace ghscale {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;

constexpr const char* kToken = "ghp_reconcileoncetoken0123456789abcdefAB";

class ReconcileCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ghscale-reconcile-once-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    auto gh = std::make_shared<fake_github::FakeGitHub>();
    gh->add_pat(kToken);
    auto server = fake_github::FakeGitHubServer::start(gh);
    ASSERT_TRUE(server.ok()) << server.error().describe();
    github_ = std::move(*server);
    config_ = (dir_ / "ghscale.yaml").string();
    std::ofstream(config_) << "github:\n  api_url: " << github_->api_url()
                           << "\n  auth: {pat: {token: env:GHSCALE_TEST_GITHUB_TOKEN}}\n"
                              "webhook: {secrets: [env:GHSCALE_TEST_WEBHOOK_SECRET]}\n"
                              "store: {sqlite: {path: state/ghscale.db}}\n"
                              "pools:\n  - name: linux\n    labels: [linux, x64]\n    scope: {repo: acme/app}\n"
                              "    provider: {type: sim}\n    max_runners: 3\n"
                              "  - name: arm\n    labels: [linux, arm64]\n    scope: {repo: acme/app}\n"
                              "    provider: {type: sim}\n"
                              "logging: {format: json, level: warn}\n";
  }
  void TearDown() override { fs::remove_all(dir_); }

  void queue_job(std::int64_t id) { ASSERT_NO_FATAL_FAILURE(testing::record_queued_job(dir_ / "state/ghscale.db", id)); }

  testing::RunResult reconcile(std::vector<std::string> extra) {
    std::vector<std::string> argv = {testing::ghscale_binary().string(), "reconcile", "--config", config_};
    for (auto& a : extra) argv.push_back(std::move(a));
    return testing::run(argv, 60s, {std::string("GHSCALE_TEST_GITHUB_TOKEN=") + kToken, "GHSCALE_TEST_WEBHOOK_SECRET=s3cret-value"});
  }

  fs::path dir_;
  std::string config_;
  std::unique_ptr<fake_github::FakeGitHubServer> github_;
};

TEST_F(ReconcileCommandTest, OnePassLaunchesForQueuedJobsAndPrintsTheSummary) {
  fs::create_directories(dir_ / "state");
  queue_job(501);
  auto r = reconcile({"--once", "--json", "--pool", "linux"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  json::value v = json::parse(r.out);
  EXPECT_TRUE(v.at("acted").as_bool());
  EXPECT_TRUE(v.at("scaled").as_bool());
  EXPECT_EQ(v.at("errors").as_int64(), 0);
  const json::array& pools = v.at("pools").as_array();
  ASSERT_EQ(pools.size(), 1u) << "only the named pool";
  EXPECT_EQ(pools[0].at("pool").as_string(), "linux");
  EXPECT_EQ(pools[0].at("action").as_string(), "scale_out");
  EXPECT_EQ(pools[0].at("launched").as_int64(), 1);

  // The table, for every pool; the lease was given up, so this pass acts too.
  auto table = reconcile({"--once"});
  ASSERT_EQ(table.exit_code, 0) << table.out << table.err;
  EXPECT_NE(table.out.find("acted as "), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("POOL"), std::string::npos);
  EXPECT_NE(table.out.find("linux"), std::string::npos);
  EXPECT_NE(table.out.find("arm"), std::string::npos);
}

TEST_F(ReconcileCommandTest, UsageErrors) {
  auto no_once = reconcile({});
  EXPECT_EQ(no_once.exit_code, 2);
  EXPECT_NE(no_once.err.find("ghscale serve"), std::string::npos) << no_once.err;

  auto unknown_pool = reconcile({"--once", "--pool", "windows"});
  EXPECT_EQ(unknown_pool.exit_code, 2);
  EXPECT_NE(unknown_pool.err.find("windows"), std::string::npos) << unknown_pool.err;

  std::ofstream(dir_ / "bad.yaml") << "pools: 3\n";
  auto bad = testing::run({testing::ghscale_binary().string(), "reconcile", "--once", "--config", (dir_ / "bad.yaml").string()});
  EXPECT_EQ(bad.exit_code, 2);
}

}  // namespace
}  // namespace ghscale
