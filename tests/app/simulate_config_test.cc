// `ghscale simulate --config FILE [--pool NAME]`: the ghscale policies run on a pool of the
// user's own file (its cap, labels and scaling settings), as a what-if before deploying it.
#include <gtest/gtest.h>

#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>

#include "support/subprocess.h"
#include "support/testdata.h"

namespace ghscale {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;
using testing::run;

class SimulateConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ghscale-simconfig-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    write_csv("burst.csv", "0,self-hosted;linux;x64,600", 8);  // eight jobs at once, ten minutes each
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  void write_csv(const std::string& name, const std::string& row, int times) const {
    std::ofstream out(path(name));
    out << "queued_at,labels,duration_s\n";
    for (int i = 0; i < times; ++i) out << row << "\n";
  }
  std::string write_config(const std::string& name, const std::string& pools) const {
    std::ofstream(path(name)) << "webhook: {secrets: [env:UNUSED_SECRET]}\n"
                              << "github: {auth: {pat: env:UNUSED_TOKEN}}\n"
                              << "pools:\n"
                              << pools;
    return path(name);
  }
  testing::RunResult simulate(std::vector<std::string> args) {
    const std::vector<std::string> head = {testing::ghscale_binary().string(), "simulate", "--boot-time", "30", "--boot-jitter", "0",
                                           "--spot-interruptions", "0", "--json"};
    args.insert(args.begin(), head.begin(), head.end());
    return run(std::move(args), 120s, {"AWS_EC2_METADATA_DISABLED=true"});
  }
  static json::object policy(const std::string& out, const std::string& name) {
    const json::value doc = json::parse(out);
    for (const auto& p : doc.at("policies").as_array()) {
      if (p.at("policy").as_string() == name) return p.as_object();
    }
    ADD_FAILURE() << "no policy " << name << " in " << out;
    return {};
  }
  static double p95(const json::object& p) { return json::value_to<double>(p.at("queue_wait_seconds").at("p95")); }

  fs::path dir_;
};

TEST_F(SimulateConfigTest, TheFilesPoolSetsTheCapForEveryPolicyUnlessTheFlagSaysOtherwise) {
  const std::string cfg = write_config("two.yaml",
                                       "  - {name: small, labels: [linux, x64], scope: {org: acme}, provider: {type: sim}, max_runners: 2}\n"
                                       "  - {name: big, labels: [linux, x64, big], scope: {org: acme}, provider: {type: sim}, max_runners: 8}\n");
  auto small = simulate({"--workload", path("burst.csv"), "--config", cfg, "--policy", "ghscale", "--policy", "per-job"});
  ASSERT_EQ(small.exit_code, 0) << small.err;
  // Two runners for eight ten-minute jobs: the last ones wait three rounds.
  EXPECT_GT(p95(policy(small.out, "ghscale")), 1500.0) << small.out;
  EXPECT_GT(p95(policy(small.out, "per-job")), 1500.0) << small.out;

  auto big = simulate({"--workload", path("burst.csv"), "--config", cfg, "--pool", "big", "--policy", "ghscale"});
  ASSERT_EQ(big.exit_code, 0) << big.err;
  const json::object g = policy(big.out, "ghscale");
  EXPECT_LT(p95(g), 120.0) << big.out;  // a boot, not a round of jobs
  EXPECT_EQ(json::value_to<std::int64_t>(g.at("instances_launched")), 8);

  auto flag = simulate({"--workload", path("burst.csv"), "--config", cfg, "--max-runners", "8", "--policy", "ghscale"});
  ASSERT_EQ(flag.exit_code, 0) << flag.err;
  EXPECT_LT(p95(policy(flag.out, "ghscale")), 120.0) << flag.out;
}

TEST_F(SimulateConfigTest, JobsThePoolsLabelsDoNotCoverAreReportedUnmatched) {
  // The pool's labels are gpu plus the implied self-hosted, linux and x64: jobs asking
  // for arm64 are no job of it.
  const std::string cfg =
      write_config("gpu.yaml", "  - {name: gpu, labels: [gpu], scope: {org: acme}, provider: {type: sim}, max_runners: 4}\n");
  write_csv("arm.csv", "0,self-hosted;linux;arm64,60", 8);
  auto r = simulate({"--workload", path("arm.csv"), "--config", cfg, "--policy", "ghscale"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(json::value_to<std::int64_t>(policy(r.out, "ghscale").at("unmatched")), 8) << r.out;

  // A synthetic workload asks for the pool's own labels.
  auto synthetic = simulate({"--hours", "1", "--jobs-per-day", "2000", "--config", cfg, "--policy", "ghscale"});
  EXPECT_EQ(synthetic.exit_code, 0) << synthetic.err;
  EXPECT_EQ(json::value_to<std::int64_t>(policy(synthetic.out, "ghscale").at("unmatched")), 0) << synthetic.out;
}

TEST_F(SimulateConfigTest, BadInputIsRefusedWithTheReason) {
  const std::string cfg =
      write_config("one.yaml", "  - {name: linux, labels: [linux], scope: {org: acme}, provider: {type: sim}, max_runners: 4}\n");
  auto unknown = simulate({"--hours", "1", "--config", cfg, "--pool", "windows"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("--pool 'windows' is not in"), std::string::npos) << unknown.err;
  EXPECT_NE(unknown.err.find("pools: linux"), std::string::npos) << unknown.err;

  auto alone = simulate({"--hours", "1", "--pool", "linux"});
  EXPECT_EQ(alone.exit_code, 2);
  EXPECT_NE(alone.err.find("give the file too"), std::string::npos) << alone.err;

  const std::string broken =
      write_config("broken.yaml", "  - {name: linux, labels: [linux], scope: {org: acme}, provider: {type: sim}, max_runners: -3}\n");
  auto invalid = simulate({"--hours", "1", "--config", broken});
  EXPECT_EQ(invalid.exit_code, 2);
  EXPECT_NE(invalid.err.find("pools[0].max_runners"), std::string::npos) << invalid.err;
  EXPECT_TRUE(invalid.out.empty()) << invalid.out;
}

}  // namespace
}  // namespace ghscale
