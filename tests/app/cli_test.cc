// Small CLI behaviours, as a user meets them: `status` with a configuration whose port is
// chosen at start, `aws whoami --json` as one line, and `reconcile --once` saying what
// failed and not touching a lease it never held.
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>

#include "fakes/aws/fake_aws.h"
#include "sandbox/fake_github/fake_github.h"
#include "store/sqlite/sqlite_store.h"
#include "support/queued_job.h"
#include "support/subprocess.h"
#include "support/testdata.h"

namespace ghscale {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;

constexpr const char* kToken = "ghp_clitesttoken0123456789abcdefABCDEFGH";

class CliTest : public ::testing::Test {
 protected:
  // A fleet pool (max 3) in a config against a fake GitHub, and a queued job it serves in
  // the store: what `reconcile --once` finds on a scheduled run.
  void fleet_pool_with_a_queued_job(std::int64_t job_id, std::int64_t run_id,
                                    std::unique_ptr<fake_github::FakeGitHubServer>& github, std::string& config) {
    auto gh = std::make_shared<fake_github::FakeGitHub>();
    gh->add_pat(kToken);
    auto server = fake_github::FakeGitHubServer::start(gh);
    ASSERT_TRUE(server.ok()) << server.error().describe();
    github = std::move(*server);
    config = write_config(github->api_url(),
                          "  - name: fleet\n    labels: [linux, x64]\n    scope: {repo: acme/app}\n"
                          "    provider: {type: aws_fleet, launch_template: runner-template, "
                          "instance_types: [m7i.large]}\n"
                          "    max_runners: 3\n");
    ASSERT_NO_FATAL_FAILURE(testing::record_queued_job(dir_ / "state/ghscale.db", job_id, run_id));
  }

  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ghscale-cli-test-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "state");
  }
  void TearDown() override {
    if (aws_) aws_->shutdown();
    fs::remove_all(dir_);
  }

  // The in-process fake AWS, or a skip when the botocore models are absent.
  bool start_aws() {
    auto td = testing::testdata_dir();
    if (!td) return false;
    fakes::FakeAwsOptions o;
    o.models_dir = *td / "aws-models";
    auto fake = fakes::FakeAws::start(o);
    EXPECT_TRUE(fake.ok()) << fake.error().describe();
    if (!fake.ok()) return false;
    aws_ = std::move(*fake);
    return true;
  }
  std::vector<std::string> aws_env() const {
    return {"AWS_ACCESS_KEY_ID=AKIDFAKEEXAMPLE", "AWS_SECRET_ACCESS_KEY=fake/secret/key", "AWS_REGION=us-east-1",
            "AWS_EC2_METADATA_DISABLED=true", "AWS_ENDPOINT_URL=" + aws_->endpoint(),
            "AWS_CONFIG_FILE=/nonexistent", "AWS_SHARED_CREDENTIALS_FILE=/nonexistent",
            std::string("GHSCALE_TEST_GITHUB_TOKEN=") + kToken, "GHSCALE_TEST_WEBHOOK_SECRET=cli-test-secret"};
  }

  // A configuration with one pool against the fake GitHub at `api_url`; its path.
  std::string write_config(const std::string& api_url, const std::string& pool) const {
    const std::string config = (dir_ / "ghscale.yaml").string();
    std::ofstream(config) << "github:\n  api_url: " << api_url
                          << "\n  auth: {pat: {token: env:GHSCALE_TEST_GITHUB_TOKEN}}\n"
                             "webhook: {secrets: [env:GHSCALE_TEST_WEBHOOK_SECRET]}\n"
                             "store: {sqlite: {path: state/ghscale.db}}\n"
                             "pools:\n"
                          << pool << "logging: {format: json, level: warn}\n";
    return config;
  }

  fs::path dir_;
  std::unique_ptr<fakes::FakeAws> aws_;
};

TEST_F(CliTest, StatusOfAConfigWithPortZeroAsksForTheUrl) {
  const std::string config = (dir_ / "ghscale.yaml").string();
  std::ofstream(config) << "server: {address: 127.0.0.1, port: 0}\n"
                           "webhook: {secrets: [env:GHSCALE_TEST_WEBHOOK_SECRET]}\n";
  auto r = testing::run({testing::ghscale_binary().string(), "status", "--config", config}, 30s,
                        {"AWS_EC2_METADATA_DISABLED=true"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("server.port: 0"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--url"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("cannot reach"), std::string::npos) << "nothing was dialled: " << r.err;
}

// Number options refuse what is not a finite number before anything runs ("nan" passed
// every range check, as each comparison with it is false).
TEST_F(CliTest, NumberOptionsRefuseNanAndInfinity) {
  const std::vector<std::vector<std::string>> cases = {
      {"simulate", "--hours", "nan"},      {"simulate", "--jobs-per-day", "inf"}, {"simulate", "--boot-time", "NaN"},
      {"simulate", "--drop", "-nan"},      {"sandbox", "--speed", "nan"},         {"sandbox", "--minutes", "-inf"},
      {"sandbox", "--jobs-per-hour", "nan"},
  };
  for (const auto& args : cases) {
    std::vector<std::string> argv = {testing::ghscale_binary().string()};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = testing::run(argv, 30s, {"AWS_EC2_METADATA_DISABLED=true"});
    EXPECT_EQ(r.exit_code, 2) << args[1] << " " << args[2] << ": " << r.out << r.err;
    EXPECT_NE(r.err.find(args[1] + ": '" + args[2] + "' is not a finite number"), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
  // A seed is an unsigned 64-bit number: "-1" no longer wraps, nor does one too large.
  for (const char* seed : {"-1", "18446744073709551616", "1.5"}) {
    auto r = testing::run({testing::ghscale_binary().string(), "simulate", "--seed", seed}, 30s, {"AWS_EC2_METADATA_DISABLED=true"});
    EXPECT_EQ(r.exit_code, 2) << seed << ": " << r.out << r.err;
    EXPECT_NE(r.err.find("--seed: '" + std::string(seed) + "' is not a whole number from 0 to 18446744073709551615"),
              std::string::npos)
        << r.err;
  }
}

// A workload file and the synthetic shape's options do not go together: said, not ignored.
// A file with no jobs is refused, not reported as a run of nothing.
TEST_F(CliTest, AWorkloadFileExcludesTheSyntheticOptionsAndMustHoldJobs) {
  const std::string csv = (dir_ / "w.csv").string();
  std::ofstream(csv) << "queued_at,labels,duration_s\n0,self-hosted;linux;x64,10\n";
  const std::string empty = (dir_ / "empty.csv").string();
  std::ofstream(empty) << "queued_at,labels,duration_s\n# nothing yet\n";
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"simulate", "--workload", csv, "--hours", "2"}, "--workload excludes --hours"},
      {{"simulate", "--workload", csv, "--jobs-per-day", "100"}, "--workload excludes --jobs-per-day"},
      {{"simulate", "--workload", csv, "--synthetic", "dag"}, "--workload excludes --synthetic"},
      {{"sandbox", "--workload", csv, "--jobs-per-hour", "10"}, "excludes"},
      {{"simulate", "--workload", empty}, empty + ": no jobs in the workload"},
      {{"sandbox", "--workload", empty, "--quiet"}, empty + ": no jobs in the workload"},
  };
  for (const auto& [args, says] : cases) {
    std::vector<std::string> argv = {testing::ghscale_binary().string()};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = testing::run(argv, 30s, {"AWS_EC2_METADATA_DISABLED=true"});
    EXPECT_EQ(r.exit_code, 2) << args[0] << " " << args.back() << ": " << r.out << r.err;
    EXPECT_NE(r.err.find(says), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
}

// --drain-hours bounds how long a run may go on after the last arrival: jobs a cap cannot
// serve by then are cut (reported unfinished, their waits censored); given long enough,
// every one completes. The same number checks as every other option.
TEST_F(CliTest, SimulateDrainHoursCutsOrCompletesABacklog) {
  const std::string csv = (dir_ / "backlog.csv").string();
  std::ofstream(csv) << "queued_at,labels,duration_s\n0,self-hosted;linux;x64,3600\n0,self-hosted;linux;x64,3600\n"
                        "0,self-hosted;linux;x64,3600\n";
  auto run = [&](const std::string& hours) {
    return testing::run({testing::ghscale_binary().string(), "simulate", "--workload", csv, "--max-runners", "1", "--policy",
                         "ghscale", "--json", "--drain-hours", hours},
                        60s, {"AWS_EC2_METADATA_DISABLED=true"});
  };
  auto cut = run("1");
  ASSERT_EQ(cut.exit_code, 0) << cut.err;
  EXPECT_NE(cut.out.find("\"completed\":0,\"unfinished\":3"), std::string::npos) << cut.out;
  EXPECT_NE(cut.err.find("cut 1 h after the last arrival (--drain-hours): 3 of 3 (ghscale)"), std::string::npos) << cut.err;
  auto drained = run("5");
  ASSERT_EQ(drained.exit_code, 0) << drained.err;
  EXPECT_NE(drained.out.find("\"completed\":3,\"unfinished\":0"), std::string::npos) << drained.out;
  EXPECT_EQ(drained.err.find("--drain-hours"), std::string::npos) << drained.err;
  for (const char* bad : {"-1", "nan", "8761", "two"}) {
    auto r = run(bad);
    EXPECT_EQ(r.exit_code, 2) << bad << ": " << r.out << r.err;
    EXPECT_NE(r.err.find("--drain-hours"), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
}

// simulate's outputs are opened before the run: one that cannot be written fails at once
// (exit 2) and the others are not left behind, half or whole.
TEST_F(CliTest, SimulateRefusesAnUnwritableOutputBeforeRunning) {
  const std::string csv = (dir_ / "series.csv").string();
  const std::string exported = (dir_ / "w.csv").string();
  auto r = testing::run({testing::ghscale_binary().string(), "simulate", "--hours", "1", "--policy", "per-job", "--csv", csv,
                         "--export-workload", exported, "--html", (dir_ / "no-such-dir" / "r.html").string()},
                        30s, {"AWS_EC2_METADATA_DISABLED=true"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("cannot write " + (dir_ / "no-such-dir" / "r.html").string() + ": No such file or directory"),
            std::string::npos)
      << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_FALSE(fs::exists(csv));
  EXPECT_FALSE(fs::exists(exported));
  for (const auto& e : fs::directory_iterator(dir_)) EXPECT_EQ(e.path().string().find(".tmp-"), std::string::npos) << e.path();
  auto dir = testing::run({testing::ghscale_binary().string(), "simulate", "--hours", "1", "--csv", dir_.string()}, 30s,
                          {"AWS_EC2_METADATA_DISABLED=true"});
  EXPECT_EQ(dir.exit_code, 2) << dir.err;
  EXPECT_NE(dir.err.find(dir_.string() + " is a directory"), std::string::npos) << dir.err;
}

// status --url is checked before anything is dialled, and a credential in it is refused
// without being repeated.
TEST_F(CliTest, StatusRefusesABadUrlWithoutEchoingIt) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"http://admin:hunter2secret@127.0.0.1:1", "--url carries credentials"},
      {"ftp://127.0.0.1", "--url is not an http:// or https:// URL"},
      {"http://127.0.0.1:99999", "--url has a port that is not a number from 1 to 65535"},
  };
  for (const auto& [url, says] : cases) {
    auto r = testing::run({testing::ghscale_binary().string(), "status", "--url", url}, 30s, {"AWS_EC2_METADATA_DISABLED=true"});
    EXPECT_EQ(r.exit_code, 2) << url << ": " << r.err;
    EXPECT_NE(r.err.find(says), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("hunter2secret"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("cannot reach"), std::string::npos) << "nothing was dialled: " << r.err;
  }
}

TEST_F(CliTest, AwsWhoamiJsonIsOneEndedLine) {
  if (!start_aws()) GTEST_SKIP() << "shared testdata not found (set GHSCALE_TESTDATA); skipping";
  auto r = testing::run({testing::ghscale_binary().string(), "aws", "whoami", "--json"}, 30s, aws_env());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_FALSE(r.out.empty());
  EXPECT_EQ(r.out.back(), '\n');
  EXPECT_EQ(r.out.find('\n'), r.out.size() - 1) << "one line: " << r.out;
  EXPECT_TRUE(json::parse(r.out).is_object());
}

TEST_F(CliTest, ReconcileOnceSaysWhichCallFailedAndWhy) {
  if (!start_aws()) GTEST_SKIP() << "shared testdata not found (set GHSCALE_TESTDATA); skipping";
  std::unique_ptr<fake_github::FakeGitHubServer> github;
  std::string config;
  ASSERT_NO_FATAL_FAILURE(fleet_pool_with_a_queued_job(901, 1, github, config));
  aws_->inject({.kind = fakes::Fault::Kind::kInternalError, .operation = "CreateFleet", .times = -1});
  auto r = testing::run({testing::ghscale_binary().string(), "reconcile", "--once", "--json", "--config", config}, 60s,
                        aws_env());
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  json::value v = json::parse(r.out);
  EXPECT_TRUE(v.at("acted").as_bool());
  EXPECT_GE(v.at("errors").as_int64(), 1);
  const json::array& messages = v.at("error_messages").as_array();
  ASSERT_FALSE(messages.empty()) << r.out;
  const std::string first(messages[0].as_string());
  EXPECT_NE(first.find("fleet: scale_out"), std::string::npos) << first;
  EXPECT_NE(first.find("CreateFleet"), std::string::npos) << first;
  EXPECT_NE(first.find("InternalError"), std::string::npos) << first;
  EXPECT_EQ(r.err.find("cannot release the scaler lease"), std::string::npos) << r.err;

  // The table says it too.
  auto table = testing::run({testing::ghscale_binary().string(), "reconcile", "--once", "--config", config}, 60s,
                            aws_env());
  EXPECT_EQ(table.exit_code, 1);
  EXPECT_NE(table.out.find("errors:\n  fleet: scale_out"), std::string::npos) << table.out;
}

// `reconcile --once` on a schedule is a new process each time: what the last run launched
// and EC2 does not list yet counts as supply through the store, and is not launched again.
TEST_F(CliTest, ReconcileOnceRunAgainWhileEc2LagsLaunchesNothingTwice) {
  if (!start_aws()) GTEST_SKIP() << "shared testdata not found (set GHSCALE_TESTDATA); skipping";
  std::unique_ptr<fake_github::FakeGitHubServer> github;
  std::string config;
  ASSERT_NO_FATAL_FAILURE(fleet_pool_with_a_queued_job(902, 2, github, config));
  aws_->set_describe_lag(std::chrono::hours(1));
  for (int run = 0; run < 3; ++run) {
    auto r = testing::run({testing::ghscale_binary().string(), "reconcile", "--once", "--json", "--config", config},
                          60s, aws_env());
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    const json::value v = json::parse(r.out);
    EXPECT_EQ(v.at("pools").at(0).at("launched").as_int64(), run == 0 ? 1 : 0) << "run " << run << ": " << r.out;
    EXPECT_EQ(aws_->live_instances(), 1) << "run " << run;
  }
}

// An error the reconciler only logs (a pool it cannot observe) is named by the call that
// failed, not counted.
TEST_F(CliTest, ReconcileOnceNamesTheCallBehindAPoolItCouldNotObserve) {
  if (!start_aws()) GTEST_SKIP() << "shared testdata not found (set GHSCALE_TESTDATA); skipping";
  auto gh = std::make_shared<fake_github::FakeGitHub>();
  gh->add_pat(kToken);
  auto github = fake_github::FakeGitHubServer::start(gh);
  ASSERT_TRUE(github.ok()) << github.error().describe();
  const std::string config = write_config((*github)->api_url(),
                                          "  - name: fleet\n    labels: [linux, x64]\n    scope: {repo: acme/app}\n"
                                          "    provider: {type: aws_fleet, launch_template: runner-template, "
                                          "instance_types: [m7i.large]}\n");
  aws_->inject({.kind = fakes::Fault::Kind::kInternalError, .operation = "DescribeInstances", .times = -1});
  auto r = testing::run({testing::ghscale_binary().string(), "reconcile", "--once", "--json", "--config", config}, 60s,
                        aws_env());
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  json::value v = json::parse(r.out);
  EXPECT_GE(v.at("errors").as_int64(), 1);
  const json::array& messages = v.at("error_messages").as_array();
  ASSERT_FALSE(messages.empty()) << r.out;
  const std::string first(messages[0].as_string());
  EXPECT_NE(first.find("fleet: describe: "), std::string::npos) << first;
  EXPECT_NE(first.find("DescribeInstances"), std::string::npos) << first;
  EXPECT_NE(first.find("InternalError"), std::string::npos) << first;
  for (const auto& m : messages) EXPECT_EQ(std::string(m.as_string()).find("see the log"), std::string::npos) << m;
}

TEST_F(CliTest, ReconcileOnceLeavesALeaseHeldElsewhereAlone) {
  auto gh = std::make_shared<fake_github::FakeGitHub>();
  gh->add_pat(kToken);
  auto github = fake_github::FakeGitHubServer::start(gh);
  ASSERT_TRUE(github.ok()) << github.error().describe();
  const std::string config = write_config(
      (*github)->api_url(), "  - name: linux\n    labels: [linux, x64]\n    scope: {repo: acme/app}\n    provider: {type: sim}\n");
  {
    auto store = store::open_sqlite_store((dir_ / "state/ghscale.db").string());
    ASSERT_TRUE(store.ok()) << store.error().describe();
    ASSERT_TRUE((*store)->acquire_lease("scaler", "another-daemon", std::chrono::hours(1), system_clock()->now()).ok());
    ASSERT_TRUE((*store)->close().ok());
  }
  auto r = testing::run({testing::ghscale_binary().string(), "reconcile", "--once", "--config", config}, 60s,
                        {std::string("GHSCALE_TEST_GITHUB_TOKEN=") + kToken,
                         "GHSCALE_TEST_WEBHOOK_SECRET=cli-test-secret", "AWS_EC2_METADATA_DISABLED=true"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("held by another-daemon"), std::string::npos) << r.out;
  EXPECT_EQ(r.err.find("cannot release"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace ghscale
