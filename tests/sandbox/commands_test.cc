#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <regex>

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

// A synthetic workload past what memory holds is refused before anything runs.
TEST(SimulateCommand, RefusesASyntheticWorkloadOfMoreThanTenMillionJobs) {
  SimulateOptions o;
  o.jobs_per_day = 1e8;
  o.hours = 24 * 366;
  o.policies = {"per-job"};
  testing::internal::CaptureStdout();
  testing::internal::CaptureStderr();
  EXPECT_EQ(run_simulate(o), 2);
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_TRUE(testing::internal::GetCapturedStdout().empty());
  EXPECT_NE(err.find("--jobs-per-day 100000000 over --hours 8784 is about 36600000000 jobs; at most 10000000"), std::string::npos) << err;
}

// 10 virtual minutes (plus drain) in a few seconds.
SandboxOptions short_run(const std::string& demand = "webhook") {
  SandboxOptions o;
  o.minutes = 10;
  o.jobs_per_hour = 120;
  o.speed = 120;
  o.quiet = true;
  o.demand = demand;
  return o;
}

// Runs it; the exit code, and what it printed.
std::pair<int, std::string> sandbox_output(const SandboxOptions& o) {
  testing::internal::CaptureStdout();
  const int rc = run_sandbox(o);
  return {rc, testing::internal::GetCapturedStdout()};
}

// A data folder keeps one run for inspection: a second run there is refused, as its fresh
// GitHub would reuse job ids the earlier store saw complete.
TEST(SandboxCommand, RefusesADataDirThatHoldsAnEarlierRun) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("ghscale-sandbox-used-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "ghscale.db") << "earlier";
  SandboxOptions o = short_run();
  o.data_dir = dir.string();
  testing::internal::CaptureStderr();
  auto [rc, out] = sandbox_output(o);
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(rc, 2);
  EXPECT_NE(err.find("already holds an earlier run's store"), std::string::npos) << err;
  EXPECT_TRUE(out.empty()) << out;
  std::ifstream in(dir / "ghscale.db");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), "earlier");
  fs::remove_all(dir);
}

TEST(SandboxCommand, RealDaemonServesEveryJobAndEndsByItself) {
  const auto [rc, out] = sandbox_output(short_run());
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("busy terminations 0"), std::string::npos) << out;
  EXPECT_NE(out.find("OK: every job done"), std::string::npos) << out;
}

TEST(SandboxCommand, ScaleSetModeServesEveryJobWithoutAWebhook) {
  const auto [rc, out] = sandbox_output(short_run("scale_set"));
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("sandbox report (scale-set mode)"), std::string::npos) << out;
  EXPECT_NE(out.find("busy terminations 0"), std::string::npos) << out;
  EXPECT_NE(out.find(" 0 failed"), std::string::npos) << out;
  EXPECT_NE(out.find("webhooks none"), std::string::npos) << out;
  EXPECT_NE(out.find("OK: every job done"), std::string::npos) << out;
}

TEST(SandboxCommand, ScaleSetModeLosesNothingToLostSessionsAndUnacknowledgedMessages) {
  SandboxOptions o = short_run("scale_set");
  o.lose_sessions = 3;
  o.unacked = 4;
  const auto [rc, out] = sandbox_output(o);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("faults: 3 sessions lost, 4 acknowledgements failed"), std::string::npos) << out;
  EXPECT_NE(out.find("OK: every job done"), std::string::npos) << out;
}

TEST(SandboxCommand, ScaleSetModeRefusesRunsWithNeeds) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("ghscale-sandbox-needs-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "w.csv") << "0,self-hosted;linux,10,acme/app,1,build\n0,self-hosted;linux,10,acme/app,1,test,build\n";
  SandboxOptions o;
  o.workload_csv = (dir / "w.csv").string();
  o.quiet = true;
  o.demand = "scale_set";  // the fake service queues jobs as they come: no runs with needs
  testing::internal::CaptureStderr();
  EXPECT_EQ(run_sandbox(o), 2);
  EXPECT_NE(testing::internal::GetCapturedStderr().find("jobs with needs"), std::string::npos);
  fs::remove_all(dir);
}

TEST(SimulateCommand, JobsNoPoolServesExitThreeAndAreNamed) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("ghscale-sim-unmatched-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "w.csv") << "queued_at,labels,duration_s\n0,self-hosted;linux,60\n5,self-hosted;windows,60\n";
  SimulateOptions o;
  o.workload_csv = (dir / "w.csv").string();
  o.policies = {"ghscale"};
  testing::internal::CaptureStdout();
  testing::internal::CaptureStderr();
  EXPECT_EQ(run_simulate(o), 3);
  const std::string out = testing::internal::GetCapturedStdout();
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(out.find("unmatched (no pool)"), std::string::npos) << out;
  EXPECT_NE(err.find("1 of 2 jobs match no pool"), std::string::npos) << err;
  fs::remove_all(dir);
}

// One scaler: the same deterministic workload through `simulate` (virtual time, the
// Reconciler in process) and through `sandbox` (the real daemon over HTTP, a scaled
// clock) launches the same instances per job, and waits agree within the sandbox's
// timing noise (real loopback and thread wake-ups, times the clock's speed).
TEST(OneScaler, SimulateAndSandboxAgree) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("ghscale-one-scaler-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  {
    std::ofstream csv(dir / "w.csv");
    csv << "queued_at,labels,duration_s,repo\n";
    // No job is queued as another ends (none is caught by a just-finished instance),
    // so the launches do not hang on real-time races in the sandbox.
    for (int i = 0; i < 8; ++i) csv << "0,self-hosted;linux;x64,400,acme/app\n";  // a burst
    for (int i = 0; i < 6; ++i) csv << 120 + i * 45 << ",self-hosted;linux;x64,240,acme/app\n";  // a trickle
  }
  SimulateOptions sim;
  sim.workload_csv = (dir / "w.csv").string();
  sim.policies = {"ghscale"};
  sim.max_runners = 50;
  sim.json = true;
  testing::internal::CaptureStdout();
  ASSERT_EQ(run_simulate(sim), 0);
  const auto simulated = boost::json::parse(testing::internal::GetCapturedStdout()).at("policies").at(0).as_object();
  const double sim_launched = simulated.at("instances_launched").to_number<double>();
  const double sim_p50 = simulated.at("queue_wait_seconds").at("p50").to_number<double>();

  SandboxOptions box;
  box.workload_csv = (dir / "w.csv").string();
  box.max_runners = 50;
  box.speed = 30;
  box.quiet = true;
  testing::internal::CaptureStdout();
  const int rc = run_sandbox(box);
  const std::string out = testing::internal::GetCapturedStdout();
  ASSERT_EQ(rc, 0) << out;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(out, m, std::regex(R"(instances\s+(\d+) launched)"))) << out;
  const double box_launched = std::stod(m[1]);
  ASSERT_TRUE(std::regex_search(out, m, std::regex(R"(queue wait\s+p50 ([0-9.]+) s)"))) << out;
  const double box_p50 = std::stod(m[1]);

  EXPECT_EQ(sim_launched, 14);
  EXPECT_EQ(box_launched, sim_launched) << out;
  EXPECT_NEAR(box_p50, sim_p50, 15.0) << out;  // 15 virtual s = 0.5 s of wall time at 30x
  fs::remove_all(dir);
}

}  // namespace
}  // namespace ghscale::app
