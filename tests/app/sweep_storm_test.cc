// `ghscale serve` reacting to a queued delivery while its sweep is stuck in GitHub's 5xx
// storm (issue 18: a queued delivery used to wait 12-32 s for its launch while the sweep's
// run listing was retried inline). The fake GitHub answers every run listing 503, each
// answer seconds late; the pool's cloud is a simulated one served over loopback from this
// process, so the moment its launch call arrives is read here, exactly. Each delivery's
// launch must arrive while the sweep's first answer is still outstanding, and typically
// within 100 ms of the delivery (the median of three; a loaded machine may stretch one).
#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <regex>
#include <thread>

#include "provider/sim/sim_cloud.h"
#include "sandbox/cloud_server.h"
#include "sandbox/fake_github/fake_github.h"
#include "sandbox/github_sim.h"
#include "support/http_client.h"
#include "support/subprocess.h"
#include "support/testdata.h"

namespace ghscale {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;

constexpr const char* kToken = "ghp_sweepstormtoken0123456789abcdefABCD";
constexpr const char* kSecret = "sweep-storm-secret";
constexpr auto kSlowAnswer = 4s;  // each 503 of the run listing comes this late

// The simulated cloud, noting when each launch call arrives.
class LaunchClock final : public provider::Provider {
 public:
  explicit LaunchClock(std::shared_ptr<provider::Provider> inner) : inner_(std::move(inner)) {}
  Result<std::vector<provider::CloudInstance>> describe(std::string_view pool) override {
    return inner_->describe(pool);
  }
  Result<provider::LaunchOutcome> launch(const provider::LaunchRequest& request) override {
    {
      std::lock_guard lock(mu_);
      launched_at_.push_back(Steady::now());
    }
    return inner_->launch(request);
  }
  Status terminate(const std::vector<std::string>& ids) override { return inner_->terminate(ids); }
  Status protect(const std::vector<std::string>& ids, bool enabled) override { return inner_->protect(ids, enabled); }
  Status hand_over(std::string_view id, const provider::Registration& r) override { return inner_->hand_over(id, r); }

  std::vector<Steady::time_point> launches() const {
    std::lock_guard lock(mu_);
    return launched_at_;
  }

 private:
  std::shared_ptr<provider::Provider> inner_;
  mutable std::mutex mu_;
  std::vector<Steady::time_point> launched_at_;  // guarded by mu_
};

long long ms(Steady::duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

TEST(SweepStormTest, AQueuedDeliveryLaunchesWhileTheSweepIsStuckInGitHubs5xxStorm) {
  const fs::path dir = fs::temp_directory_path() / ("ghscale-sweep-storm-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);

  auto gh = std::make_shared<fake_github::FakeGitHub>();
  gh->add_pat(kToken);
  gh->inject({.method = "GET",
              .path_prefix = "/repos/acme/app/actions/runs",
              .status = 503,
              .times = 1000,  // a storm that outlasts the measurement and every retry
              .delay = kSlowAnswer});
  auto github = fake_github::FakeGitHubServer::start(gh);
  ASSERT_TRUE(github.ok()) << github.error().describe();

  auto clock = system_clock();
  auto cloud = std::make_shared<LaunchClock>(
      std::make_shared<provider::SimCloud>(provider::SimCloudOptions{.clock = clock, .boot_time = 1h}));
  auto server = sandbox::CloudServer::start(cloud, clock);
  ASSERT_TRUE(server.ok()) << server.error().describe();

  const std::string config = (dir / "ghscale.yaml").string();
  std::ofstream(config) << "server: {address: 127.0.0.1, port: 0, threads: 2}\n"
                        << "github:\n  api_url: " << (*github)->api_url()
                        << "\n  auth: {pat: {token: env:GHSCALE_TEST_GITHUB_TOKEN}}\n"
                           "webhook: {secrets: [env:GHSCALE_TEST_WEBHOOK_SECRET]}\n"
                           "store: {sqlite: {path: data/ghscale.db}}\n"
                           "reconcile: {tick: 1h, sweep: 1h}\n"
                           "pools:\n"
                           "  - name: linux\n    labels: [linux, x64]\n    scope: {repo: acme/app}\n"
                           "    provider: {type: sim, endpoint_url: "
                        << (*server)->endpoint_url()
                        << "}\n"
                           "    max_runners: 5\n"
                           "logging: {format: json, level: info}\n";
  testing::Subprocess daemon({testing::ghscale_binary().string(), "serve", "--config", config},
                             {std::string("GHSCALE_TEST_GITHUB_TOKEN=") + kToken,
                              std::string("GHSCALE_TEST_WEBHOOK_SECRET=") + kSecret, "AWS_EC2_METADATA_DISABLED=true"});
  static const std::regex kListening(R"re("msg":"listening".*"port":(\d+))re");
  std::smatch m;
  ASSERT_TRUE(daemon.wait_for_stderr([&](const std::string& e) { return std::regex_search(e, m, kListening); }, 20s))
      << daemon.err();
  const auto port = static_cast<std::uint16_t>(std::stoi(m[1].str()));

  // The start-up sweep asks for queued runs; its first answer is a 503, seconds away.
  const auto storm_deadline = Steady::now() + 20s;
  while (gh->requests_to("/repos/acme/app/actions/runs") < 1 && Steady::now() < storm_deadline) {
    std::this_thread::sleep_for(1ms);
  }
  const auto storm_began = Steady::now();
  ASSERT_GE(gh->requests_to("/repos/acme/app/actions/runs"), 1) << "the sweep never asked GitHub\n" << daemon.err();
  std::this_thread::sleep_for(100ms);  // past the start-up pass's debounce window

  std::vector<Steady::duration> reactions;
  for (int k = 0; k < 3; ++k) {
    JobEvent e;
    e.delivery_id = "storm-" + std::to_string(k);
    e.event = "workflow_job";
    e.action = "queued";
    e.job_id = 7000 + k;
    e.run_id = 700 + k;
    e.repository = "acme/app";
    e.owner = "acme";
    e.labels = LabelSet{"self-hosted", "linux", "x64"};
    e.created_at = clock->now();
    const std::string body = sandbox::render_workflow_job_payload(e);
    const auto sent = Steady::now();
    auto r = testing::http_request(port, "POST", "/webhook", sandbox::delivery_headers(e, body, kSecret), body);
    ASSERT_EQ(r.status, 200) << r.body;
    const auto deadline = sent + 3s;
    while (static_cast<int>(cloud->launches().size()) < k + 1 && Steady::now() < deadline) {
      std::this_thread::sleep_for(1ms);
    }
    const auto launches = cloud->launches();
    ASSERT_GE(static_cast<int>(launches.size()), k + 1) << "delivery " << k << " launched nothing\n" << daemon.err();
    reactions.push_back(launches[static_cast<std::size_t>(k)] - sent);
    // Still inside the storm: the sweep's first answer has not come back yet.
    EXPECT_LT(launches[static_cast<std::size_t>(k)], storm_began + kSlowAnswer) << "delivery " << k;
    std::this_thread::sleep_for(200ms);  // a quiet spell: the next wake-up is due at once
  }
  EXPECT_EQ(gh->requests_to("/repos/acme/app/actions/runs"), 1) << "the storm's first answer came back early";

  std::string seen;
  for (const auto& d : reactions) seen += std::to_string(ms(d)) + " ms ";
  RecordProperty("reactions", seen);
  std::vector<Steady::duration> sorted = reactions;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_LE(sorted[1], 100ms) << "median over 100 ms: " << seen;
  EXPECT_LT(sorted[2], 1s) << seen;

  // The stop waits for the sweep's request on the wire (one slow answer) but for no
  // further retry or backoff: a storm never holds a shutdown past its grace (5 s).
  const auto asked_to_stop = Steady::now();
  daemon.signal(SIGTERM);
  auto code = daemon.wait(kSlowAnswer + 30s);
  ASSERT_TRUE(code.has_value()) << "did not stop\n" << daemon.err();
  EXPECT_EQ(*code, 0) << daemon.err();
  EXPECT_LT(Steady::now() - asked_to_stop, kSlowAnswer + 5s) << "the stop waited out the sweep's retries";
  (*server)->shutdown();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace ghscale
