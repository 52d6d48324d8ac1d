// The daemon's live /metrics, with the scaler running against the fake GitHub and the
// simulated cloud, checked by Prometheus' own linter (`promtool check metrics`, Debian
// `prometheus`). Any complaint fails the test.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "sandbox/fake_github/fake_github.h"
#include "support/http_client.h"
#include "support/subprocess.h"
#include "support/testdata.h"
#include "webhook/signature.h"

namespace ghscale {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kPromtool = "/usr/bin/promtool";

TEST(MetricsLint, PromtoolAcceptsLiveMetricsAndStatusReadsThem) {
  if (!fs::exists(kPromtool)) GTEST_SKIP() << "promtool not installed (apt-get install prometheus); skipping";
  fs::path dir = fs::temp_directory_path() / ("ghscale-metrics-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  auto fake = std::make_shared<fake_github::FakeGitHub>();
  fake->add_pat("ghp_metricsLintToken0123456789abcdefgh");
  fake->add_runner_group("orgs/acme", "Default", true);
  auto server = fake_github::FakeGitHubServer::start(fake);
  ASSERT_TRUE(server.ok());
  std::string config = (dir / "ghscale.yaml").string();
  std::ofstream(config) << "server: {address: 127.0.0.1, port: 0}\n"
                        << "github: {api_url: '" << (*server)->api_url() << "', auth: {pat: env:LINT_GITHUB_TOKEN}}\n"
                        << "webhook: {secrets: [env:LINT_WEBHOOK_SECRET]}\n"
                        << "store: {sqlite: {path: state/ghscale.db}}\n"
                        << "reconcile: {tick: 200ms, debounce: 10ms}\n"
                        << "pools:\n  - {name: linux, labels: [linux], scope: {org: acme}, provider: {type: sim}}\n";
  testing::Subprocess daemon({testing::ghscale_binary().string(), "serve", "--config", config},
                             {"LINT_GITHUB_TOKEN=ghp_metricsLintToken0123456789abcdefgh", "LINT_WEBHOOK_SECRET=lint"});
  static const std::regex kListening(R"re("msg":"listening".*"port":(\d+))re");
  std::smatch m;
  ASSERT_TRUE(daemon.wait_for_stderr([&](const std::string& e) { return std::regex_search(e, m, kListening); }, 20s))
      << daemon.err();
  auto port = static_cast<std::uint16_t>(std::stoi(m[1].str()));

  std::string body = R"({"action":"queued","workflow_job":{"id":11,"run_id":12,"run_attempt":1,"status":"queued",)"
                     R"("labels":["self-hosted","linux"],"created_at":"2026-11-28T10:00:00Z"},)"
                     R"("repository":{"full_name":"acme/app","owner":{"login":"acme"}}})";
  auto posted = testing::http_request(port, "POST", "/webhook",
                                      {{"Content-Type", "application/json"},
                                       {"X-GitHub-Event", "workflow_job"},
                                       {"X-GitHub-Delivery", "lint-1"},
                                       {"X-Hub-Signature-256", webhook::sign("lint", body)}},
                                      body);
  EXPECT_EQ(posted.status, 200) << posted.body;
  // Let the scaler act on it (a launch on the simulated cloud), then scrape.
  std::string metrics;
  for (int i = 0; i < 50; ++i) {
    metrics = testing::http_request(port, "GET", "/metrics").body;
    if (metrics.find("ghscale_launches_total{") != std::string::npos) break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_NE(metrics.find("ghscale_pool_desired_runners"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("ghscale_webhook_deliveries_total"), std::string::npos);
  // The GitHub client's own series: calls by endpoint and the rate-limit buckets.
  EXPECT_NE(metrics.find("ghscale_github_api_calls_total{endpoint=\"list_runners\""), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("ghscale_github_rate_limit_remaining"), std::string::npos);
  std::string file = (dir / "metrics.txt").string();
  std::ofstream(file) << metrics;
  auto lint = testing::run({"/bin/sh", "-c", std::string(kPromtool) + " check metrics < " + file});
  EXPECT_EQ(lint.exit_code, 0) << lint.out << lint.err;
  EXPECT_EQ(lint.out + lint.err, "") << "promtool complained";

  // `ghscale status` reads the same daemon.
  auto table = testing::run({testing::ghscale_binary().string(), "status", "--url",
                             "http://127.0.0.1:" + std::to_string(port)});
  EXPECT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("POOL   DESIRED"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("\nlinux "), std::string::npos) << table.out;
  auto json = testing::run({testing::ghscale_binary().string(), "status", "--json", "--url",
                            "http://127.0.0.1:" + std::to_string(port)});
  EXPECT_EQ(json.exit_code, 0);
  EXPECT_NE(json.out.find("\"pools\":[{\"name\":\"linux\""), std::string::npos) << json.out;

  daemon.signal(SIGTERM);
  EXPECT_EQ(daemon.wait(5s).value_or(-1), 0) << daemon.err();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace ghscale
