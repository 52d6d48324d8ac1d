// `ghscale serve` as a process, scaling for real: the sandbox's world (a GitHub simulator
// mirrored into the fake GitHub REST server, and a simulated cloud served over loopback)
// sends signed workflow_job deliveries; the daemon launches instances into that cloud,
// hands each a JIT config, and the simulated runners take and finish the jobs. Wall-clock
// time, shortened: boots of half a second, jobs of about a second.
//
// What must hold (issue #7): every job is picked up and completes; capacity never exceeds
// max_runners; idle capacity returns to min_idle; no busy runner is terminated; a dropped
// delivery is recovered by the sweep; a SIGKILL mid-burst loses nothing and registers no
// instance twice; of two daemons sharing one DynamoDB store only the lease holder acts,
// and the other takes over when it dies.
#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <deque>
#include <set>
#include <thread>

#include "core/labels.h"
#include "sandbox/cloud_server.h"
#include "sandbox/world.h"
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

constexpr int kMaxRunners = 12;

using Daemon = testing::ServeProcess;

class ServeScalingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ghscale-scaling-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    sandbox::WorldOptions wo;
    wo.clock = system_clock();
    wo.seed = 11;
    wo.boot_time = 500ms;
    wo.faults.latency = 20ms;
    auto world = sandbox::World::start(wo);
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

  // min_idle, and the store section.
  std::string write_config(int min_idle, const std::string& store_yaml, const std::string& name = "ghscale.yaml") {
    const fs::path path = dir_ / name;
    std::ofstream(path) << "server: {address: 127.0.0.1, port: 0, threads: 2}\n"
                        << "github:\n  api_url: " << world_->github_api_url()
                        << "\n  auth: {pat: {token: env:GHSCALE_TEST_GITHUB_TOKEN}}\n"
                        << "webhook: {secrets: [env:GHSCALE_TEST_WEBHOOK_SECRET]}\n"
                        << store_yaml << "\n"
                        << "reconcile: {tick: 250ms, sweep: 3s, debounce: 20ms, lease_ttl: 3s}\n"
                        << "logging: {format: json, level: info}\n"
                        << "pools:\n"
                        << "  - name: linux\n"
                        << "    labels: [linux, x64]\n"
                        << "    scope: {org: acme}\n"
                        << "    provider: {type: sim, endpoint_url: \"" << cloud_server_->endpoint_url() << "\"}\n"
                        << "    min_idle: " << min_idle << "\n"
                        << "    max_runners: " << kMaxRunners << "\n"
                        << "    on_demand_base: 1\n"
                        << "    cooldown: 0s\n"
                        << "    idle_timeout: 2s\n"
                        << "    min_lifetime: 0s\n"
                        << "    boot_timeout: 30s\n";
    return path.string();
  }

  std::vector<std::string> env() const {
    return {"GHSCALE_TEST_GITHUB_TOKEN=" + world_->github_token(),
            "GHSCALE_TEST_WEBHOOK_SECRET=" + world_->webhook_secret(), "AWS_ACCESS_KEY_ID=AKIDLOCAL",
            "AWS_SECRET_ACCESS_KEY=local-secret", "AWS_REGION=us-east-1"};
  }

  Daemon& start_daemon(const std::string& config) { return daemons_.start(config, env()); }

  void target(std::initializer_list<const Daemon*> ds) {
    std::vector<std::string> urls;
    for (const Daemon* d : ds) urls.push_back(d->url());
    world_->set_targets(std::move(urls));
  }

  // Polls pred every 50 ms, keeping the daemons' stderr pipes drained.
  bool wait_until(const std::function<bool()>& pred, std::chrono::seconds timeout) {
    return daemons_.wait_until(pred, timeout);
  }

  void enqueue_jobs(int n, Duration spread, Duration min_duration, Duration max_duration) {
    for (int i = 0; i < n; ++i) {
      sandbox::WorkloadJob j;
      j.labels = LabelSet{"self-hosted", "linux", "x64"};
      j.duration = min_duration + (max_duration - min_duration) * (i % 7) / 6;
      world_->enqueue(j);
      if (spread.count() > 0) std::this_thread::sleep_for(spread / n);
    }
  }

  std::string diagnostics() {
    const sandbox::WorldCounts c = world_->counts();
    std::string out = "queued " + std::to_string(c.github.queued) + ", running " + std::to_string(c.github.running) +
                      ", done " + std::to_string(c.github.done) + ", failed " + std::to_string(c.github.failed) +
                      ", idle " + std::to_string(c.github.runners_idle) + ", busy " +
                      std::to_string(c.github.runners_busy) + ", live " + std::to_string(world_->cloud()->live_count()) +
                      ", launched " + std::to_string(c.cloud.launched) + ", posted " + std::to_string(c.posted) +
                      ", not accepted " + std::to_string(c.not_accepted) + "\n";
    out += daemons_.stderr_tails();
    return out;
  }

  // The invariants every scenario ends with.
  void expect_clean_run(std::int64_t jobs) {
    const sandbox::WorldCounts c = world_->counts();
    EXPECT_EQ(c.github.done, jobs) << diagnostics();
    EXPECT_EQ(c.github.failed, 0);
    EXPECT_EQ(c.github.busy_terminations, 0) << "a busy runner was terminated";
    EXPECT_LE(c.cloud.peak_live, kMaxRunners) << "more instances alive at once than max_runners";
    EXPECT_EQ(c.cloud.repeated_hand_overs, 0) << "an instance was handed a second registration";
    // Every runner the fake GitHub ever had has a distinct name (one registration each).
    std::set<std::string> names;
    for (const auto& j : world_->github().jobs()) {
      if (!j.runner_name.empty()) {
        EXPECT_TRUE(names.insert(j.runner_name).second) << "runner reused: " << j.runner_name;
      }
    }
  }

  fs::path dir_;
  std::unique_ptr<sandbox::World> world_;
  std::unique_ptr<sandbox::CloudServer> cloud_server_;
  testing::ServeProcesses daemons_;
  std::unique_ptr<testing::Stepper> stepper_;
};

constexpr const char* kSqlite = "store: {sqlite: {path: data/ghscale.db}}";

TEST_F(ServeScalingTest, TwoHundredJobsAreServedAndCapacityReturnsToMinIdle) {
  Daemon& d = start_daemon(write_config(1, kSqlite));
  ASSERT_NE(d.port, 0);
  target({&d});
  // The warm runner min_idle asks for comes up before any job.
  ASSERT_TRUE(wait_until([&] { return world_->counts().github.runners_idle == 1; }, 30s)) << diagnostics();

  enqueue_jobs(200, 4s, 200ms, 1200ms);
  ASSERT_TRUE(wait_until([&] { return world_->counts().github.done == 200; }, 120s)) << diagnostics();
  // Capacity rose to the cap while the burst lasted.
  EXPECT_GE(world_->counts().cloud.peak_live, kMaxRunners - 2);
  // Idle capacity drains back to min_idle after idle_timeout (2 s).
  ASSERT_TRUE(wait_until([&] { return world_->cloud()->live_count() == 1; }, 30s)) << diagnostics();
  expect_clean_run(200);
  EXPECT_EQ(world_->counts().not_accepted, 0);

  // The daemon's own view agrees: no queued jobs, one idle runner.
  auto status = testing::http_request(d.port, "GET", "/api/v1/status");
  EXPECT_EQ(status.status, 200);
  EXPECT_NE(status.body.find("\"acting\":true"), std::string::npos) << status.body;
}

TEST_F(ServeScalingTest, ADroppedDeliveryIsRecoveredByTheSweep) {
  Daemon& d = start_daemon(write_config(0, kSqlite));
  ASSERT_NE(d.port, 0);
  target({&d});
  // With min_idle 0 and the job's queued delivery lost, nothing but the sweep (3 s) can
  // learn of the job: no webhook wakes the scaler and no warm runner exists.
  world_->drop_next_deliveries(1);
  enqueue_jobs(1, 0s, 300ms, 300ms);
  ASSERT_TRUE(wait_until([&] { return world_->counts().github.done == 1; }, 40s)) << diagnostics();
  EXPECT_EQ(world_->counts().dropped_on_purpose, 1);
  expect_clean_run(1);
}

TEST_F(ServeScalingTest, SigkillDuringABurstLosesNothing) {
  const std::string config = write_config(0, kSqlite);
  Daemon* first = &start_daemon(config);
  ASSERT_NE(first->port, 0);
  target({first});
  enqueue_jobs(120, 2s, 500ms, 2000ms);
  // Mid-burst: capacity is being launched and jobs are running. (At the cap busy
  // instances are reused rather than replaced, so launches stop near max_runners.)
  ASSERT_TRUE(wait_until(
      [&] {
        const auto c = world_->counts();
        return c.cloud.launched >= kMaxRunners / 2 && c.github.done >= 5;
      },
      60s))
      << diagnostics();
  first->process->signal(SIGKILL);
  first->process->wait(5s);
  first->process.reset();
  // Deliveries sent while it is down are lost, as with GitHub.
  std::this_thread::sleep_for(1500ms);
  Daemon& second = start_daemon(config);
  ASSERT_NE(second.port, 0);
  target({&second});
  ASSERT_TRUE(wait_until([&] { return world_->counts().github.done == 120; }, 120s)) << diagnostics();
  ASSERT_TRUE(wait_until([&] { return world_->cloud()->live_count() == 0; }, 30s)) << diagnostics();
  expect_clean_run(120);
}

TEST_F(ServeScalingTest, TwoDaemonsOnOneDynamoDbStoreTakeTurns) {
  auto dynalite = testing::start_dynalite();
  if (!dynalite->child) GTEST_SKIP() << "dynalite unavailable: " << dynalite->unavailable;
  const std::string store = "store: {dynamodb: {table: ghscale-scaling, region: us-east-1, endpoint_url: \"" +
                            dynalite->endpoint + "\"}}";
  const std::string config_a = write_config(0, store, "a.yaml");
  const std::string config_b = write_config(0, store, "b.yaml");
  auto init = testing::run({testing::ghscale_binary().string(), "store", "init", "--config", config_a}, 30s, env());
  ASSERT_EQ(init.exit_code, 0) << init.out << init.err;

  Daemon& a = start_daemon(config_a);
  Daemon& b = start_daemon(config_b);
  ASSERT_NE(a.port, 0);
  ASSERT_NE(b.port, 0);
  const pid_t pid_a = a.process->pid(), pid_b = b.process->pid();
  target({&a, &b});  // a load balancer in front of both: either may ingest any delivery
  enqueue_jobs(40, 2s, 300ms, 1000ms);
  ASSERT_TRUE(wait_until([&] { return world_->counts().github.done >= 20; }, 60s)) << diagnostics();

  // Only one of them has acted on the cloud so far.
  auto acted_by = [&](std::size_t from) {
    std::set<std::string> who;
    const auto calls = cloud_server_->calls();
    for (std::size_t i = from; i < calls.size(); ++i) who.insert(calls[i].process);
    return who;
  };
  const auto before = acted_by(0);
  ASSERT_EQ(before.size(), 1u) << "both daemons acted";
  const std::string holder = *before.begin();
  const bool a_holds = holder.ends_with(":" + std::to_string(pid_a));
  ASSERT_TRUE(a_holds || holder.ends_with(":" + std::to_string(pid_b))) << holder;
  Daemon& dead = a_holds ? a : b;
  Daemon& alive = a_holds ? b : a;

  // Kill the holder; the other takes over within the lease time (3 s) and a few ticks.
  const std::size_t calls_at_kill = cloud_server_->calls().size();
  dead.process->signal(SIGKILL);
  dead.process->wait(5s);
  dead.process.reset();
  const auto killed_at = std::chrono::steady_clock::now();
  target({&alive});
  enqueue_jobs(20, 1s, 300ms, 1000ms);
  const bool took_over = wait_until(
      [&] {
        auto r = testing::http_request(alive.port, "GET", "/api/v1/status");
        return r.status == 200 && r.body.find("\"acting\":true") != std::string::npos;
      },
      20s);
  ASSERT_TRUE(took_over) << diagnostics();
  EXPECT_LT(std::chrono::steady_clock::now() - killed_at, 3s + 4s) << "took longer than the lease time to take over";
  ASSERT_TRUE(wait_until([&] { return world_->counts().github.done == 60; }, 90s)) << diagnostics();
  const auto after = acted_by(calls_at_kill);
  EXPECT_EQ(after.size(), 1u);
  EXPECT_EQ(after.count(holder), 0u) << "the dead daemon acted after its death";
  expect_clean_run(60);
}

}  // namespace
}  // namespace ghscale
