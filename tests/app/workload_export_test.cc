// `ghscale workload export` as a user runs it: the real binary against a fake GitHub on
// loopback; the CSV it writes is read back with sandbox::load_workload and replayed by
// `ghscale simulate`.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

#include "sandbox/fake_github/fake_github.h"
#include "sandbox/workload.h"
#include "support/subprocess.h"
#include "support/testdata.h"

namespace ghscale {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using fake_github::FakeJob;
using fake_github::FakeRun;
using testing::run;

constexpr const char* kToken = "ghp_workloadExportTest0123456789abcdefgh";

class WorkloadExportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ghscale-wexport-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    fake_ = std::make_shared<fake_github::FakeGitHub>();
    fake_->add_pat(kToken);
    auto server = fake_github::FakeGitHubServer::start(fake_);
    ASSERT_TRUE(server.ok());
    server_ = std::move(*server);
    config_ = (dir_ / "ghscale.yaml").string();
    std::ofstream(config_) << "github: {api_url: '" << server_->api_url() << "', auth: {pat: env:GHSCALE_TEST_GITHUB_TOKEN}}\n"
                           << "webhook: {secrets: [env:UNUSED_SECRET]}\n"
                           << "pools:\n  - {name: linux, labels: [linux], scope: {org: acme}, provider: {type: sim}}\n";
    seed_history();
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Two days ago in acme/app: two successful jobs, a failed one, one still running and
  // one skipped; an hour later in acme/api one more; and a run older than a week.
  void seed_history() {
    const TimePoint t0 = std::chrono::floor<std::chrono::seconds>(system_clock()->now() - 48h);
    const auto app_run = fake_->add_run({0, "acme/app", "CI", "completed", t0});
    auto job = [&](std::int64_t run_id, const std::string& repo, const std::string& status, const std::string& conclusion,
                   std::vector<std::string> labels, Duration created, Duration wait, Duration ran, bool runner = true) {
      FakeJob j{0, run_id, repo, "job", status, std::move(labels), runner ? 7 : 0, runner ? "runner-7" : "", conclusion};
      j.created_at = t0 + created;
      j.started_at = t0 + created + wait;
      if (status == "completed") j.completed_at = t0 + created + wait + ran;
      fake_->add_job(j);
    };
    job(app_run, "acme/app", "completed", "success", {"self-hosted", "linux", "x64"}, 0s, 30s, 300s);
    job(app_run, "acme/app", "completed", "success", {"self-hosted", "Linux"}, 10s, 60s, 120s);
    job(app_run, "acme/app", "completed", "failure", {"self-hosted", "linux"}, 20s, 5s, 42s);
    job(app_run, "acme/app", "in_progress", "", {"self-hosted"}, 30s, 5s, 0s);
    job(app_run, "acme/app", "completed", "skipped", {"self-hosted"}, 40s, 0s, 0s, false);
    const auto api_run = fake_->add_run({0, "acme/api", "CI", "completed", t0 + 1h});
    job(api_run, "acme/api", "completed", "success", {"self-hosted", "gpu"}, 1h, 15s, 45s);
    const auto old_run = fake_->add_run({0, "acme/app", "CI", "completed", t0 - 24h * 20});
    job(old_run, "acme/app", "completed", "success", {"self-hosted"}, -24h * 20, 1s, 60s);
  }

  testing::RunResult ghscale(std::vector<std::string> args) {
    args.insert(args.begin(), testing::ghscale_binary().string());
    return run(std::move(args), 60s, {std::string("GHSCALE_TEST_GITHUB_TOKEN=") + kToken});
  }
  std::string out(const std::string& name) const { return (dir_ / name).string(); }

  fs::path dir_;
  std::string config_;
  std::shared_ptr<fake_github::FakeGitHub> fake_;
  std::unique_ptr<fake_github::FakeGitHubServer> server_;
};

TEST_F(WorkloadExportTest, ARepositorysFinishedJobsBecomeAWorkloadTheSimulatorReplays) {
  const std::string csv = out("app.csv");
  auto r = ghscale({"workload", "export", "--config", config_, "--repo", "acme/app", "--output", csv});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_NE(r.err.find("read 1 runs and 5 jobs"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("wrote 2 jobs"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("1 not completed"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("1 failed"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("1 that never ran"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find(kToken), std::string::npos);

  auto loaded = sandbox::load_workload(csv, {});
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  ASSERT_EQ(loaded->jobs.size(), 2u);
  const auto& a = loaded->jobs[0];
  const auto& b = loaded->jobs[1];
  EXPECT_EQ(a.queued_at, 0s);
  EXPECT_EQ(a.labels, (LabelSet{"self-hosted", "linux", "x64"}));
  EXPECT_EQ(a.duration, 300s);
  EXPECT_EQ(a.repo, "acme/app");
  EXPECT_EQ(b.queued_at, 10s);
  EXPECT_EQ(b.labels, (LabelSet{"self-hosted", "linux"}));
  EXPECT_EQ(b.duration, 120s);
  // One workflow run: one run number; started independently, so no needs.
  EXPECT_EQ(a.run, 1);
  EXPECT_EQ(b.run, 1);
  EXPECT_TRUE(a.needs.empty());
  EXPECT_TRUE(b.needs.empty());
  EXPECT_FALSE(fs::exists(csv + ".tmp-" + std::to_string(::getpid())));

  auto sim = ghscale({"simulate", "--workload", csv, "--policy", "ghscale", "--json"});
  EXPECT_EQ(sim.exit_code, 0) << sim.err;
}

TEST_F(WorkloadExportTest, FailedJobsOnRequestAndAWholeOrgToStdout) {
  auto failed = ghscale({"workload", "export", "--config", config_, "--repo", "acme/app", "--include-failed",
                         "--output", out("with-failed.csv")});
  ASSERT_EQ(failed.exit_code, 0) << failed.err;
  auto with_failed = sandbox::load_workload(out("with-failed.csv"), {});
  ASSERT_TRUE(with_failed.ok()) << with_failed.error().message;
  ASSERT_EQ(with_failed->jobs.size(), 3u);
  EXPECT_EQ(with_failed->jobs[2].duration, 42s);

  auto org = ghscale({"workload", "export", "--config", config_, "--org", "acme", "--days", "30"});
  ASSERT_EQ(org.exit_code, 0) << org.err;
  EXPECT_NE(org.err.find("of 2 repositories"), std::string::npos) << org.err;
  auto parsed = sandbox::parse_workload_csv(org.out, "stdout");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message << "\n" << org.out;
  ASSERT_EQ(parsed->jobs.size(), 4u);  // the 20-day-old job is inside 30 days
  std::map<std::string, int> per_repo;
  for (const auto& j : parsed->jobs) ++per_repo[j.repo];
  EXPECT_EQ(per_repo["acme/app"], 3);
  EXPECT_EQ(per_repo["acme/api"], 1);
  EXPECT_EQ(parsed->jobs.front().queued_at, 0s);
  EXPECT_EQ(parsed->jobs.back().queued_at, 20 * 24h + 1h);
  EXPECT_EQ(parsed->jobs.back().labels, (LabelSet{"self-hosted", "gpu"}));
  EXPECT_EQ(parsed->jobs.back().duration, 45s);
  // Three runs, three run numbers.
  std::map<std::int64_t, int> per_run;
  for (const auto& j : parsed->jobs) ++per_run[j.run];
  EXPECT_EQ(per_run.size(), 3u);
  EXPECT_EQ(per_run.count(0), 0u);
}

// build (created 0 s, ran 30..90 s) -> test (created 95 s, 5 s after the build was done)
// -> deploy (created 225 s, 5 s after the test), and a lint job created at 100 s, long
// after anything completed before it (it did not wait for the build). The export keeps
// the run and the needs the times show; the replay queues test and deploy when their
// needs are done.
TEST_F(WorkloadExportTest, AFanOutKeepsItsRunAndNeeds) {
  const TimePoint t0 = std::chrono::floor<std::chrono::seconds>(system_clock()->now() - 2h);
  const auto dag_run = fake_->add_run({0, "acme/dag", "CI", "completed", t0});
  const auto job = [&](const std::string& name, Duration created, Duration started, Duration completed) {
    FakeJob j{0, dag_run, "acme/dag", name, "completed", {"self-hosted", "linux", "x64"}, 7, "runner-7", "success"};
    j.created_at = t0 + created;
    j.started_at = t0 + started;
    j.completed_at = t0 + completed;
    fake_->add_job(j);
  };
  job("build", 0s, 30s, 90s);
  job("test", 95s, 100s, 220s);
  job("lint", 150s, 155s, 165s);
  job("deploy", 225s, 230s, 260s);
  const std::string csv = out("dag.csv");
  auto r = ghscale({"workload", "export", "--config", config_, "--repo", "acme/dag", "--output", csv});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ifstream in(csv);
  std::string header;
  std::getline(in, header);
  EXPECT_EQ(header, "queued_at,labels,duration_s,repo,run,job,needs");
  auto loaded = sandbox::load_workload(csv, {});
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  ASSERT_EQ(loaded->jobs.size(), 4u);
  // build and test at the run's start, lint at its own time, deploy at the start too.
  std::map<Duration, std::vector<const sandbox::WorkloadJob*>> by_duration;
  for (const auto& j : loaded->jobs) {
    EXPECT_EQ(j.run, 1);
    by_duration[j.duration].push_back(&j);
  }
  const auto index_of = [&](Duration d) { return static_cast<std::size_t>(by_duration.at(d).at(0) - loaded->jobs.data()); };
  const auto& build = *by_duration.at(60s).at(0);
  const auto& test = *by_duration.at(120s).at(0);
  const auto& lint = *by_duration.at(10s).at(0);
  const auto& deploy = *by_duration.at(30s).at(0);
  EXPECT_TRUE(build.needs.empty());
  EXPECT_EQ(test.needs, std::vector<std::size_t>{index_of(60s)});
  EXPECT_TRUE(lint.needs.empty()) << "created 60 s after the build completed: not a dependant";
  std::vector<std::size_t> deploy_needs{index_of(60s), index_of(120s), index_of(10s)};
  std::sort(deploy_needs.begin(), deploy_needs.end());
  EXPECT_EQ(deploy.needs, deploy_needs);
  EXPECT_EQ(build.queued_at, 0s);
  EXPECT_EQ(test.queued_at, 0s);
  EXPECT_EQ(lint.queued_at, 150s);
  EXPECT_EQ(deploy.queued_at, 150s);  // no earlier than its needs
  auto sim = ghscale({"simulate", "--workload", csv, "--policy", "ghscale", "--json"});
  EXPECT_EQ(sim.exit_code, 0) << sim.err;
  EXPECT_NE(sim.out.find("\"completed\":4"), std::string::npos) << sim.out;
}

TEST_F(WorkloadExportTest, BadInputIsAUsageErrorAndWritesNothing) {
  const std::string csv = out("never.csv");
  const std::vector<std::vector<std::string>> bad = {
      {"--repo", "acme/app", "--org", "acme"},
      {},
      {"--repo", "acme"},
      {"--repo", "acme/app", "--days", "0"},
      {"--repo", "acme/app", "--days", "91"},
  };
  for (const auto& extra : bad) {
    std::vector<std::string> args = {"workload", "export", "--config", config_, "--output", csv};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = ghscale(args);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_FALSE(r.err.empty());
    EXPECT_TRUE(r.out.empty());
    EXPECT_FALSE(fs::exists(csv));
  }
  auto no_dir = ghscale({"workload", "export", "--config", config_, "--repo", "acme/app", "--output",
                         out("missing-dir/x.csv")});
  EXPECT_EQ(no_dir.exit_code, 2);
  EXPECT_NE(no_dir.err.find("missing-dir"), std::string::npos) << no_dir.err;
  auto is_dir = ghscale({"workload", "export", "--config", config_, "--repo", "acme/app", "--output", dir_.string()});
  EXPECT_EQ(is_dir.exit_code, 2);
  EXPECT_EQ(fake_->requests(), 0) << "usage errors are found before GitHub is asked";
}

TEST_F(WorkloadExportTest, AGitHubErrorLeavesNoFileBehind) {
  const std::string csv = out("partial.csv");
  fake_->inject({"GET", "/repos/acme/app/actions/runs/", 404, {}, "Not Found", 1});
  auto r = ghscale({"workload", "export", "--config", config_, "--repo", "acme/app", "--output", csv});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("nothing written"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(csv));
  for (const auto& e : fs::directory_iterator(dir_)) EXPECT_EQ(e.path().filename().string().find("partial.csv"), std::string::npos);
}

}  // namespace
}  // namespace ghscale
