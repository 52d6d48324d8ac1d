#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "app/sandbox_commands.h"
#include "sandbox/workload.h"

namespace ghscale::app {
namespace {

TEST(SimulateCommand, ComparesPoliciesOnACsvWorkloadAndWritesTheSeries) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("ghscale-sim-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  {
    std::ofstream(dir / "w.csv") << "queued_at,labels,duration_s,repo\n0,self-hosted;linux,120,acme/app\n30,self-hosted,60,acme/web\n";
  }
  SimulateOptions o;
  o.workload_csv = (dir / "w.csv").string();
  o.csv_path = (dir / "series.csv").string();
  o.json = true;
  testing::internal::CaptureStdout();
  EXPECT_EQ(run_simulate(o), 0);
  const std::string out = testing::internal::GetCapturedStdout();
  EXPECT_NE(out.find("\"policy\":\"per-job\""), std::string::npos);
  EXPECT_TRUE(fs::file_size(dir / "series.csv") > 40);
  o.workload_csv = (dir / "missing.csv").string();
  testing::internal::CaptureStderr();
  EXPECT_EQ(run_simulate(o), 2);
  EXPECT_NE(testing::internal::GetCapturedStderr().find("missing.csv"), std::string::npos);
  o.workload_csv.clear();
  o.policies = {"bogus"};
  testing::internal::CaptureStderr();
  EXPECT_EQ(run_simulate(o), 2);
  testing::internal::GetCapturedStderr();
  fs::remove_all(dir);
}

TEST(SandboxCommand, RealDaemonServesEveryJobAndEndsByItself) {
  SandboxOptions o;
  o.minutes = 10;
  o.jobs_per_hour = 120;
  o.speed = 120;  // 10 virtual minutes (plus drain) in a few seconds
  o.quiet = true;
  testing::internal::CaptureStdout();
  const int rc = run_sandbox(o);
  const std::string out = testing::internal::GetCapturedStdout();
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("busy terminations 0"), std::string::npos) << out;
  EXPECT_NE(out.find("OK: every job done"), std::string::npos) << out;
}

}  // namespace
}  // namespace ghscale::app
