// `ghscale serve` as a process in scale-set mode: no webhook section, no secret, a pool
// with demand: scale_set. The fake Actions service and the fake GitHub share one loopback
// port (github.api_url); scale-set runners are mirrored into the fake GitHub's runner
// list; the simulated cloud is served over loopback and its instances start the runner of
// the scale-set JIT config they were handed. Wall-clock time, shortened.
//
// The fake service is as rude as GitHub about jobs: each job is also a REST job of a
// workflow run of its repository, so the daemon's sweep meets it a second time under
// another id.
//
// What must hold (issue #20): every job is served, by one instance each, whose runner came
// online with a scale-set JIT config and took the job, even with the sweep listing the
// same jobs through the REST API every 2 s; no busy runner is terminated; a lost
// session, unacknowledged messages and a burst of 5xx lose nothing; of two daemons on one
// DynamoDB store one holds the session, and the other takes it over after a SIGKILL
// within the lease time.
#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <set>
#include <thread>

#include "sandbox/cloud_server.h"
#include "sandbox/scale_set_world.h"
#include "support/dynalite_process.h"
#include "support/http_client.h"
#include "support/serve_processes.h"
#include "support/subprocess.h"
#include "support/testdata.h"

namespace ghscale {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::Subprocess;

constexpr int kMaxRunners = 8;
constexpr const char* kScaleSet = "ghscale-linux";

using Daemon = testing::ServeProcess;

class ServeScaleSetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ghscale-scaleset-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    sandbox::ScaleSetWorldOptions wo;
    wo.clock = system_clock();
    wo.seed = 20;
    wo.boot_time = 500ms;
    wo.actions.long_poll = 2s;  // GitHub holds a poll about 50 s; shortened
    auto world = sandbox::ScaleSetWorld::start(wo);
    ASSERT_TRUE(world.ok()) << world.error().message;
    world_ = std::move(*world);
    auto server = sandbox::CloudServer::start(world_->cloud(), system_clock());
    ASSERT_TRUE(server.ok()) << server.error().message;
    cloud_server_ = std::move(*server);
    stepper_ = std::make_unique<testing::Stepper>([this] { world_->step(); });
  }

  void TearDown() override {
    daemons_.kill_all();
    stepper_.reset();
    cloud_server_.reset();
    world_.reset();
    fs::remove_all(dir_);
  }

  std::string write_config(const std::string& store_yaml, const std::string& name = "ghscale.yaml",
                           const std::string& sweep = "3s") {
    const fs::path path = dir_ / name;
    std::ofstream(path) << "server: {address: 127.0.0.1, port: 0, threads: 2}\n"
                        << "github:\n  api_url: " << world_->api_url()
                        << "\n  auth: {pat: {token: env:GHSCALE_TEST_GITHUB_TOKEN}}\n"
                        << store_yaml << "\n"
                        << "reconcile: {tick: 250ms, sweep: " << sweep << ", debounce: 20ms, lease_ttl: 3s}\n"
                        << "logging: {format: json, level: info}\n"
                        << "pools:\n"
                        << "  - name: linux\n"
                        << "    labels: [linux, x64]\n"
                        << "    scope: {org: acme}\n"
                        << "    demand: scale_set\n"
                        << "    scale_set: {name: " << kScaleSet << "}\n"
                        << "    provider: {type: sim, endpoint_url: \"" << cloud_server_->endpoint_url() << "\"}\n"
                        << "    min_idle: 0\n"
                        << "    max_runners: " << kMaxRunners << "\n"
                        << "    reuse: {enabled: false}\n"
                        << "    cooldown: 0s\n"
                        << "    idle_timeout: 2s\n"
                        << "    min_lifetime: 0s\n"
                        << "    boot_timeout: 30s\n";
    return path.string();
  }

  std::vector<std::string> env() const {
    return {"GHSCALE_TEST_GITHUB_TOKEN=" + world_->github_token(), "AWS_ACCESS_KEY_ID=AKIDLOCAL",
            "AWS_SECRET_ACCESS_KEY=local-secret", "AWS_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=true"};
  }

  Daemon& start_daemon(const std::string& config) { return daemons_.start(config, env()); }

  bool wait_until(const std::function<bool()>& pred, std::chrono::seconds timeout) {
    return daemons_.wait_until(pred, timeout);
  }

  // Jobs for the scale set by its name (runs-on: NAME). With `labels`, every fourth asks
  // for those labels of the scale set instead; the world does not know of these, and its
  // runners finish them as soon as they take them.
  void enqueue_jobs(int n, Duration spread, Duration min_duration, Duration max_duration,
                    const std::vector<std::string>& labels = {}) {
    for (int i = 0; i < n; ++i) {
      if (!labels.empty() && i % 4 == 3) {
        fake_actions::FakeJobSpec spec;
        spec.scale_set_name = kScaleSet;
        spec.labels = labels;
        spec.workflow_run_id = 1000000 + i;  // beyond the world's own run ids
        auto id = world_->actions().enqueue_job(spec);
        ASSERT_TRUE(id.ok());
        enqueued_.push_back(*id);
      } else {
        enqueued_.push_back(world_->enqueue(kScaleSet, min_duration + (max_duration - min_duration) * (i % 7) / 6));
      }
      if (spread.count() > 0) std::this_thread::sleep_for(spread / n);
    }
  }

  // Every job enqueued that completed with this result, as the service has it.
  std::int64_t completed(const std::string& result = "succeeded") {
    std::int64_t n = 0;
    for (std::int64_t id : enqueued_) {
      auto j = world_->actions().job(id);
      if (j && j->state == fake_actions::JobState::kCompleted && j->result == result) ++n;
    }
    return n;
  }

  std::string session_owner() {
    auto s = world_->actions().scale_set_named(kScaleSet);
    return s ? s->session_owner : std::string();
  }

  std::string diagnostics() {
    const sandbox::ScaleSetWorldCounts c = world_->counts();
    std::string out = "enqueued " + std::to_string(c.enqueued) + ", queued " + std::to_string(c.queued) + ", running " +
                      std::to_string(c.running) + ", done " + std::to_string(c.done) + ", failed " +
                      std::to_string(c.failed) + ", runners online " + std::to_string(c.runners_online) + ", live " +
                      std::to_string(world_->cloud()->live_count()) + ", launched " + std::to_string(c.cloud.launched) +
                      ", session owner '" + session_owner() + "'\n";
    out += daemons_.stderr_tails();
    return out;
  }

  void expect_clean_run(std::int64_t jobs) {
    const sandbox::ScaleSetWorldCounts c = world_->counts();
    EXPECT_EQ(completed(), jobs) << diagnostics();
    EXPECT_EQ(completed("failed") + completed("canceled"), 0);
    EXPECT_EQ(c.busy_terminations, 0) << "a busy runner was terminated";
    EXPECT_EQ(c.not_scale_set, 0) << "an instance booted without a scale-set JIT config";
    EXPECT_LE(c.cloud.peak_live, kMaxRunners) << "more instances alive at once than max_runners";
    EXPECT_EQ(c.cloud.repeated_hand_overs, 0) << "an instance was handed a second registration";
  }

  fs::path dir_;
  std::unique_ptr<sandbox::ScaleSetWorld> world_;
  std::unique_ptr<sandbox::CloudServer> cloud_server_;
  testing::ServeProcesses daemons_;
  std::unique_ptr<testing::Stepper> stepper_;
  std::vector<std::int64_t> enqueued_;  // the service's request ids, in order
};

constexpr const char* kSqlite = "store: {sqlite: {path: data/ghscale.db}}";

TEST_F(ServeScaleSetTest, JobsAssignedToTheScaleSetAreServedOneInstanceEach) {
  // The sweep runs often: it lists the org's repositories and their queued runs, and finds
  // there the REST copies of the very jobs the scale set's messages bring.
  Daemon& d = start_daemon(write_config(kSqlite, "ghscale.yaml", "2s"));
  ASSERT_NE(d.port, 0);
  // The daemon registers the scale set and opens its session; no webhook endpoint exists.
  ASSERT_TRUE(wait_until([&] { return !session_owner().empty(); }, 20s)) << diagnostics();
  EXPECT_EQ(testing::http_request(d.port, "POST", "/webhook", {}, "{}").status, 404);
  const auto set = world_->actions().scale_set_named(kScaleSet);
  ASSERT_TRUE(set.has_value());
  ASSERT_TRUE(wait_until([&] { return world_->actions().scale_set(set->id)->max_capacity.has_value(); }, 10s));
  EXPECT_EQ(*world_->actions().scale_set(set->id)->max_capacity, kMaxRunners) << "the capacity reported is max_runners";

  // A job asking for labels the scale set has is assigned to it too, and its REST copy
  // carries those labels, which the pool's labels cover.
  enqueue_jobs(40, 2s, 200ms, 1200ms, {"linux", "x64"});
  ASSERT_TRUE(wait_until([&] { return completed() == 40; }, 120s)) << diagnostics();
  ASSERT_TRUE(wait_until([&] { return world_->cloud()->live_count() == 0; }, 30s)) << diagnostics();
  expect_clean_run(40);
  EXPECT_EQ(world_->counts().cloud.launched, 40) << "one instance per job";
  EXPECT_EQ(world_->actions().scale_set(set->id)->unacknowledged, 0u);
  // The REST API did show the jobs: the sweep found the repository through the org, listed
  // its queued runs and the jobs of runs it did not know (each run lists only while its
  // one job is queued).
  const auto& github = world_->github();
  EXPECT_GE(github.requests_to("/orgs/acme/repos"), 1) << diagnostics();
  EXPECT_GE(github.requests_to("/repos/acme/app/actions/runs/"), 1) << "the sweep never listed a queued run's jobs\n"
                                                                    << diagnostics();
  ASSERT_EQ(enqueued_.size(), 40u);
  for (std::int64_t request : enqueued_) {
    const auto job = world_->actions().job(request);
    ASSERT_TRUE(job.has_value());
    ASSERT_NE(job->rest_job_id, 0) << "job " << request << " was not mirrored into the REST API";
  }

  // The daemon's own view agrees: the store has every job completed, none queued or running.
  ASSERT_TRUE(wait_until(
      [&] {
        auto r = testing::http_request(d.port, "GET", "/metrics");
        return r.status == 200 && r.body.find("ghscale_store_jobs{status=\"queued\"} 0\n") != std::string::npos &&
               r.body.find("ghscale_store_jobs{status=\"in_progress\"} 0\n") != std::string::npos &&
               r.body.find("ghscale_store_jobs{status=\"completed\"} 40\n") != std::string::npos;
      },
      10s))
      << testing::http_request(d.port, "GET", "/metrics").body;

  const std::string metrics = testing::http_request(d.port, "GET", "/metrics").body;
  // The REST copies were neither recorded as jobs nor reported as jobs no pool serves.
  EXPECT_NE(metrics.find("ghscale_jobs_unmatched_total 0\n"), std::string::npos) << metrics;
  EXPECT_EQ(d.process->err().find("sweep: recorded a job"), std::string::npos) << diagnostics();
  EXPECT_NE(metrics.find("ghscale_scale_set_session{pool=\"linux\"} 1\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("ghscale_scale_set_sessions_opened_total{pool=\"linux\"} 1\n"), std::string::npos) << metrics;
  EXPECT_EQ(metrics.find("ghscale_scale_set_messages_total{pool=\"linux\"} 0\n"), std::string::npos) << metrics;
  if (fs::exists("/usr/bin/promtool")) {  // Prometheus' own linter, as metrics_lint_test uses it
    const std::string file = (dir_ / "metrics.txt").string();
    std::ofstream(file) << metrics;
    auto lint = testing::run({"/bin/sh", "-c", "/usr/bin/promtool check metrics < " + file});
    EXPECT_EQ(lint.exit_code, 0) << lint.out << lint.err;
    EXPECT_EQ(lint.out + lint.err, "") << "promtool complained";
  }

  // SIGTERM ends the held poll at once and deletes the session.
  const auto t0 = std::chrono::steady_clock::now();
  d.process->signal(SIGTERM);
  EXPECT_TRUE(d.process->wait(10s).has_value());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 8s);
  EXPECT_EQ(session_owner(), "") << "the session outlived the daemon";
}

TEST_F(ServeScaleSetTest, LostSessionsRedeliveriesAnd5xxLoseNothing) {
  Daemon& d = start_daemon(write_config(kSqlite));
  ASSERT_NE(d.port, 0);
  ASSERT_TRUE(wait_until([&] { return !session_owner().empty(); }, 20s)) << diagnostics();
  auto& actions = world_->actions();
  // Acknowledgements fail for a while: those messages come again and are deduplicated.
  actions.inject(fake_actions::FakeFault{"DELETE", "/messages/", 500, 6});
  enqueue_jobs(15, 1s, 200ms, 800ms);
  // The session is lost mid-run: a new one is opened and unacknowledged messages redeliver.
  actions.lose_sessions();
  ASSERT_TRUE(wait_until([&] { return actions.requests("create session") >= 2; }, 20s)) << diagnostics();
  // A burst of 5xx on the message queue.
  actions.inject(fake_actions::FakeFault{"GET", "/messages", 503, 8});
  enqueue_jobs(15, 1s, 200ms, 800ms);
  actions.lose_sessions();
  ASSERT_TRUE(wait_until([&] { return actions.requests("create session") >= 3; }, 40s)) << diagnostics();
  ASSERT_TRUE(wait_until([&] { return world_->counts().done == 30; }, 120s)) << diagnostics();
  ASSERT_TRUE(wait_until([&] { return world_->cloud()->live_count() == 0; }, 30s)) << diagnostics();
  expect_clean_run(30);
  EXPECT_GE(actions.requests("fault"), 14) << "the faults were not all met";
}

TEST_F(ServeScaleSetTest, TwoDaemonsOnOneDynamoDbStoreHoldOneSessionAndTakeOverAfterSigkill) {
  auto dynalite = testing::start_dynalite();
  if (!dynalite->child) GTEST_SKIP() << "dynalite unavailable: " << dynalite->unavailable;
  const std::string store =
      "store: {dynamodb: {table: ghscale-scaleset, region: us-east-1, endpoint_url: \"" + dynalite->endpoint + "\"}}";
  const std::string config_a = write_config(store, "a.yaml");
  const std::string config_b = write_config(store, "b.yaml");
  auto init = testing::run({testing::ghscale_binary().string(), "store", "init", "--config", config_a}, 30s, env());
  ASSERT_EQ(init.exit_code, 0) << init.out << init.err;

  Daemon& a = start_daemon(config_a);
  Daemon& b = start_daemon(config_b);
  ASSERT_NE(a.port, 0);
  ASSERT_NE(b.port, 0);
  const pid_t pid_a = a.process->pid(), pid_b = b.process->pid();
  ASSERT_TRUE(wait_until([&] { return !session_owner().empty(); }, 20s)) << diagnostics();
  enqueue_jobs(20, 2s, 300ms, 1000ms);
  ASSERT_TRUE(wait_until([&] { return world_->counts().done >= 10; }, 60s)) << diagnostics();

  // One session holder, and it is the daemon acting on the cloud.
  const std::string holder = session_owner();
  const bool a_holds = holder.ends_with(":" + std::to_string(pid_a));
  ASSERT_TRUE(a_holds || holder.ends_with(":" + std::to_string(pid_b))) << holder;
  std::set<std::string> acted;
  for (const auto& call : cloud_server_->calls()) acted.insert(call.process);
  EXPECT_EQ(acted, std::set<std::string>{holder}) << "the session holder is not the only one acting";
  EXPECT_LE(world_->actions().requests("session conflict"), 0) << "the other daemon polled without the lease";

  Daemon& dead = a_holds ? a : b;
  Daemon& alive = a_holds ? b : a;
  const std::string other = ":" + std::to_string(a_holds ? pid_b : pid_a);
  dead.process->signal(SIGKILL);
  dead.process->wait(5s);
  dead.process.reset();
  const auto killed_at = std::chrono::steady_clock::now();
  // Within the lease time (3 s) and a few ticks the survivor holds the session: it deletes
  // the one the dead daemon left, as the store names it.
  ASSERT_TRUE(wait_until([&] { return session_owner().ends_with(other); }, 20s)) << diagnostics();
  EXPECT_LT(std::chrono::steady_clock::now() - killed_at, 3s + 4s) << "took longer than the lease time to take over";
  enqueue_jobs(20, 1s, 300ms, 1000ms);
  ASSERT_TRUE(wait_until([&] { return world_->counts().done == 40; }, 90s)) << diagnostics();
  ASSERT_TRUE(wait_until([&] { return world_->cloud()->live_count() == 0; }, 30s)) << diagnostics();
  const sandbox::ScaleSetWorldCounts c = world_->counts();
  EXPECT_EQ(c.failed, 0);
  EXPECT_EQ(c.busy_terminations, 0) << diagnostics();
  (void)alive;
}

}  // namespace
}  // namespace ghscale
