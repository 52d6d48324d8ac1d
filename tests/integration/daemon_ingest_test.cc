// The daemon end to end: signed workflow_job deliveries posted to `ghscale serve` are
// stored durably before the answer (also when the daemon is SIGKILLed at full load),
// visible through `ghscale jobs`, counted on /metrics; bad deliveries change nothing;
// settings round-trip through the CLI.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <regex>
#include <thread>
#include <utility>
#include <vector>

#include "store/sqlite/sqlite_store.h"
#include "support/http_client.h"
#include "support/subprocess.h"
#include "support/testdata.h"
#include "webhook/signature.h"

namespace ghscale {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::run;
using testing::Subprocess;

constexpr const char* kSecret = "integration-test-webhook-secret";

std::string job_payload(std::int64_t job_id, const std::string& action) {
  return R"({"action":")" + action + R"(","workflow_job":{"id":)" + std::to_string(job_id) +
         R"(,"run_id":77,"run_attempt":1,"status":")" + action +
         R"(","conclusion":null,"labels":["self-hosted","linux","x64"],"runner_id":null,"runner_name":null,)"
         R"("runner_group_id":null,"runner_group_name":null,"workflow_name":"CI","name":"build",)"
         R"("created_at":"2026-11-28T10:00:00Z","started_at":"2026-11-28T10:00:00Z","completed_at":null},)"
         R"("repository":{"full_name":"acme/app","owner":{"login":"acme"}},"installation":{"id":5}})";
}

class DaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ghscale-daemon-test-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    config_ = (dir_ / "ghscale.yaml").string();
    std::ofstream(config_) << "server: {address: 127.0.0.1, port: 0, threads: 2}\n"
                              "webhook: {secrets: [env:GHSCALE_TEST_WEBHOOK_SECRET]}\n"
                              "store: {sqlite: {path: state/ghscale.db}}\n"
                              "logging: {format: json}\n";
    env_ = {std::string("GHSCALE_TEST_WEBHOOK_SECRET=") + kSecret, "AWS_EC2_METADATA_DISABLED=true"};
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::uint16_t start(Subprocess& p) {
    static const std::regex kListening(R"re("msg":"listening".*"port":(\d+))re");
    std::smatch m;
    bool up = p.wait_for_stderr([&](const std::string& e) { return std::regex_search(e, m, kListening); }, 20s);
    EXPECT_TRUE(up) << p.err();
    return up ? static_cast<std::uint16_t>(std::stoi(m[1].str())) : 0;
  }

  testing::HttpReply deliver(std::uint16_t port, const std::string& id, const std::string& body,
                             const std::string& signature) {
    return testing::http_request(port, "POST", "/webhook",
                                 {{"Content-Type", "application/json"},
                                  {"X-GitHub-Event", "workflow_job"},
                                  {"X-GitHub-Delivery", id},
                                  {"X-Hub-Signature-256", signature}},
                                 body);
  }

  std::string cli_jobs() {
    auto r = run({testing::ghscale_binary().string(), "jobs", "--json", "--config", config_});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }

  fs::path dir_;
  std::string config_;
  std::vector<std::string> env_;
};

TEST_F(DaemonTest, SignedDeliveriesAreStoredAndBadOnesChangeNothing) {
  std::string queued = job_payload(4242, "queued");
  {
    Subprocess p({testing::ghscale_binary().string(), "serve", "--config", config_}, env_);
    auto port = start(p);
    ASSERT_NE(port, 0);

    auto ok = deliver(port, "d-1", queued, webhook::sign(kSecret, queued));
    EXPECT_EQ(ok.status, 200) << ok.body;
    EXPECT_EQ(ok.body, R"({"status":"recorded"})");
    auto dup = deliver(port, "d-1", queued, webhook::sign(kSecret, queued));
    EXPECT_EQ(dup.status, 200);
    EXPECT_EQ(dup.body, R"({"status":"duplicate"})");

    std::string other = job_payload(9999, "queued");
    EXPECT_EQ(deliver(port, "d-2", other, webhook::sign("wrong-secret", other)).status, 401);
    EXPECT_EQ(deliver(port, "d-3", other, "").status, 401);
    EXPECT_EQ(deliver(port, "d-4", "{not json", webhook::sign(kSecret, "{not json")).status, 400);

    std::string started = job_payload(4242, "in_progress");
    EXPECT_EQ(deliver(port, "d-5", started, webhook::sign(kSecret, started)).status, 200);

    auto metrics = testing::http_request(port, "GET", "/metrics");
    EXPECT_EQ(metrics.status, 200);
    EXPECT_NE(metrics.body.find("ghscale_webhook_signature_failures_total"), std::string::npos);
    EXPECT_NE(metrics.body.find("ghscale_store_jobs{status=\"in_progress\"} 1"), std::string::npos) << metrics.body;
    EXPECT_EQ(testing::http_request(port, "GET", "/readyz").status, 200);

    p.signal(SIGTERM);
    auto code = p.wait(5s);
    ASSERT_TRUE(code.has_value());
    EXPECT_EQ(*code, 0) << p.err();
    // The secret never reaches the log.
    EXPECT_EQ(p.err().find(kSecret), std::string::npos);
  }
  // After the daemon is gone, the store holds exactly the one job, moved forward.
  std::string jobs = cli_jobs();
  EXPECT_NE(jobs.find(R"("job_id":4242)"), std::string::npos) << jobs;
  EXPECT_NE(jobs.find(R"("status":"in_progress")"), std::string::npos) << jobs;
  EXPECT_EQ(jobs.find("9999"), std::string::npos) << jobs;
  auto queued_only = run({testing::ghscale_binary().string(), "jobs", "--state", "queued", "--config", config_});
  EXPECT_EQ(queued_only.out, "JOB  STATUS  REPOSITORY  LABELS  RUNNER  CREATED\n");
}

// The durable-before-2xx rule at the daemon's peak rate: senders on keep-alive connections
// post as fast as it answers, the daemon is SIGKILLed at a random moment, and every
// delivery it had answered 200 must be in the store it leaves behind. Twenty times.
TEST_F(DaemonTest, EveryAcknowledgedDeliverySurvivesSigkillAtFullLoad) {
  constexpr int kRounds = 20;
  constexpr int kSenders = 16;
  std::mt19937 rng(20261207);
  std::uniform_int_distribution<int> load_ms(100, 300);
  std::vector<std::pair<std::string, std::int64_t>> acked;  // delivery id, its job
  std::int64_t next_job = 1;
  // Every delivery here is a new job, so the job's delivery id is the delivery's own.
  auto count_missing = [&](auto first, auto last) {
    auto store = store::open_sqlite_store((dir_ / "state" / "ghscale.db").string());
    EXPECT_TRUE(store.ok()) << store.error().describe();
    if (!store.ok()) return std::size_t{1};
    std::size_t missing = 0;
    for (auto it = first; it != last; ++it) {
      auto job = (*store)->get_job(it->second);
      missing += job.ok() && job->delivery_id == it->first ? 0 : 1;
    }
    return missing;
  };
  for (int round = 0; round < kRounds; ++round) {
    Subprocess p({testing::ghscale_binary().string(), "serve", "--config", config_}, env_);
    const std::uint16_t port = start(p);
    ASSERT_NE(port, 0) << "round " << round;
    std::mutex mu;
    std::vector<std::pair<std::string, std::int64_t>> round_acked;
    std::atomic<bool> killed{false};
    std::vector<std::thread> senders;
    for (int t = 0; t < kSenders; ++t) {
      const std::int64_t first_job = next_job + static_cast<std::int64_t>(t) * 100000;
      senders.emplace_back([&, t, first_job] {
        testing::RawConnection conn(port);
        for (std::int64_t i = 0; conn.connected() && !killed.load(); ++i) {
          const std::string id = "r" + std::to_string(round) + "-s" + std::to_string(t) + "-" + std::to_string(i);
          const std::string body = job_payload(first_job + i, "queued");
          std::string request = "POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                                "X-GitHub-Event: workflow_job\r\nX-GitHub-Delivery: " + id +
                                "\r\nX-Hub-Signature-256: " + webhook::sign(kSecret, body) +
                                "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
          if (!conn.send(request)) break;
          testing::HttpReply reply = conn.read_reply(5s);
          if (reply.status == 0) break;  // the daemon died
          if (reply.status == 200) {
            std::lock_guard lock(mu);
            round_acked.emplace_back(id, first_job + i);
          }
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(load_ms(rng)));
    p.signal(SIGKILL);
    killed = true;
    for (auto& s : senders) s.join();
    p.wait(5s);
    next_job += kSenders * 100000;
    EXPECT_FALSE(round_acked.empty()) << "round " << round << ": nothing was acknowledged before the kill";
    acked.insert(acked.end(), round_acked.begin(), round_acked.end());
    // Reopening recovers the WAL as the daemon would on restart; then this round's ids.
    ASSERT_EQ(count_missing(round_acked.begin(), round_acked.end()), 0u)
        << "round " << round << ": acknowledged deliveries lost";
  }
  // And nothing acknowledged in an earlier round went missing since.
  EXPECT_EQ(count_missing(acked.begin(), acked.end()), 0u);
  std::printf("daemon crash test: %d kills at full load, %zu acknowledged deliveries all present\n", kRounds,
              acked.size());
  EXPECT_GT(acked.size(), 1000u);
}

TEST_F(DaemonTest, MissingWebhookSecretIsAClearStartupFailure) {
  auto r = run({testing::ghscale_binary().string(), "serve", "--config", config_});  // env not set
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("secret env:GHSCALE_TEST_WEBHOOK_SECRET: environment variable is not set"), std::string::npos)
      << r.err;
}

TEST_F(DaemonTest, SettingsRoundTripThroughTheStore) {
  {
    Subprocess p({testing::ghscale_binary().string(), "serve", "--config", config_}, env_);
    ASSERT_NE(start(p), 0);  // creates the store
    p.signal(SIGTERM);
    p.wait(5s);
  }
  auto bin = testing::ghscale_binary().string();
  auto unset = run({bin, "settings", "get", "cooldown", "--config", config_});
  EXPECT_EQ(unset.exit_code, 0);
  EXPECT_EQ(unset.out, "cooldown is not set (each pool's configured cooldown applies)\n");
  auto set = run({bin, "settings", "set", "cooldown", "60000", "--config", config_});
  EXPECT_EQ(set.exit_code, 0) << set.err;
  EXPECT_EQ(set.out, "cooldown = 60000 ms\n");
  EXPECT_EQ(run({bin, "settings", "set", "cooldown", "2m", "--config", config_}).out, "cooldown = 120000 ms\n");
  EXPECT_EQ(run({bin, "settings", "get", "settings_cooldown", "--config", config_}).out, "cooldown = 120000 ms\n");
  auto bad = run({bin, "settings", "set", "cooldown", "soon", "--config", config_});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(run({bin, "settings", "get", "cooldown", "--config", config_}).out, "cooldown = 120000 ms\n");
  auto unknown = run({bin, "settings", "set", "colldown", "5", "--config", config_});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_EQ(unknown.err, "ghscale: unknown setting \"colldown\"; known settings: cooldown\n");
  auto actions = run({bin, "actions", "--json", "--config", config_});
  EXPECT_EQ(actions.exit_code, 0);
  EXPECT_EQ(actions.out, "[]\n");
}

TEST_F(DaemonTest, CliWithoutAStoreSaysWhatToDo) {
  auto r = run({testing::ghscale_binary().string(), "jobs", "--config", config_});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no store at "), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir_ / "state"));  // nothing created by a read
  // An empty file is no store either, and a read does not turn it into one.
  fs::create_directories(dir_ / "state");
  std::ofstream(dir_ / "state" / "ghscale.db");
  auto empty = run({testing::ghscale_binary().string(), "jobs", "--config", config_});
  EXPECT_EQ(empty.exit_code, 1);
  EXPECT_NE(empty.err.find("the file is empty; `ghscale serve` creates it"), std::string::npos) << empty.err;
  EXPECT_EQ(fs::file_size(dir_ / "state" / "ghscale.db"), 0u);
  EXPECT_FALSE(fs::exists(dir_ / "state" / "ghscale.db-wal"));
}

}  // namespace
}  // namespace ghscale
