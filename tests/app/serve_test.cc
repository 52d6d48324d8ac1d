// `ghscale serve` as a process: starts on port 0, answers /healthz, stops cleanly on
// SIGTERM and SIGINT within the 5-second budget.
#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>

#include "support/http_client.h"
#include "support/subprocess.h"
#include "support/testdata.h"

namespace ghscale {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::Subprocess;

const std::vector<std::string> kEnv = {"GHSCALE_TEST_WEBHOOK_SECRET=serve-test-secret"};

class ServeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ghscale-serve-test-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    config_ = (dir_ / "ghscale.yaml").string();
    std::ofstream(config_) << "server: {address: 127.0.0.1, port: 0, threads: 2}\n"
                              "webhook: {secrets: [env:GHSCALE_TEST_WEBHOOK_SECRET]}\n"
                              "store: {sqlite: {path: data/ghscale.db}}\n"
                              "logging: {format: json, level: info}\n";
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Starts the daemon and returns the port it announced.
  std::uint16_t start(Subprocess& p) {
    static const std::regex kListening(R"re("msg":"listening".*"port":(\d+))re");
    std::smatch m;
    bool up = p.wait_for_stderr(
        [&](const std::string& err) { return std::regex_search(err, m, kListening); }, 20s);
    EXPECT_TRUE(up) << p.err();
    return up ? static_cast<std::uint16_t>(std::stoi(m[1].str())) : 0;
  }

  fs::path dir_;
  std::string config_;
};

TEST_F(ServeTest, AnswersHealthzAndStopsOnSigterm) {
  Subprocess p({testing::ghscale_binary().string(), "serve", "--config", config_}, kEnv);
  auto port = start(p);
  ASSERT_NE(port, 0);
  auto r = testing::http_request(port, "GET", "/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"status":"ok"})");
  EXPECT_EQ(testing::http_request(port, "GET", "/readyz").status, 200);
  auto nf = testing::http_request(port, "GET", "/nope");
  EXPECT_EQ(nf.status, 404);
  EXPECT_EQ(nf.body, R"({"error":"not found"})");
  EXPECT_EQ(testing::http_request(port, "POST", "/healthz").status, 405);

  // An idle keep-alive connection must not hold up the shutdown.
  testing::RawConnection idle(port);
  ASSERT_TRUE(idle.connected());
  auto t0 = std::chrono::steady_clock::now();
  p.signal(SIGTERM);
  auto code = p.wait(5s);
  ASSERT_TRUE(code.has_value()) << "did not stop within 5 s";
  EXPECT_EQ(*code, 0) << p.err();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  EXPECT_NE(p.err().find("\"msg\":\"stopped\""), std::string::npos) << p.err();
  EXPECT_TRUE(idle.closed_by_peer(1s));
}

TEST_F(ServeTest, AStatusTokenGuardsTheStatusApiAndStatusSendsIt) {
  std::ofstream(config_) << "server: {address: 127.0.0.1, port: 0, threads: 2, status_token: env:GHSCALE_TEST_STATUS_TOKEN}\n"
                            "webhook: {secrets: [env:GHSCALE_TEST_WEBHOOK_SECRET]}\n"
                            "store: {sqlite: {path: data/ghscale.db}}\n"
                            "logging: {format: json, level: info}\n";
  std::vector<std::string> env = kEnv;
  env.push_back("GHSCALE_TEST_STATUS_TOKEN=status-token-for-the-test");
  Subprocess p({testing::ghscale_binary().string(), "serve", "--config", config_}, env);
  auto port = start(p);
  ASSERT_NE(port, 0);
  EXPECT_EQ(testing::http_request(port, "GET", "/api/v1/status").status, 401);
  EXPECT_EQ(testing::http_request(port, "GET", "/metrics").status, 401);
  EXPECT_EQ(testing::http_request(port, "GET", "/healthz").status, 200);
  // `ghscale status` reads the token from the same configuration.
  const std::string url = "http://127.0.0.1:" + std::to_string(port);
  Subprocess status({testing::ghscale_binary().string(), "status", "--config", config_, "--url", url, "--json"}, env);
  auto code = status.wait(20s);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0) << status.err();
  EXPECT_NE(status.out().find("\"pools\""), std::string::npos) << status.out();
  EXPECT_EQ(p.err().find("status-token-for-the-test"), std::string::npos);  // never logged
  p.signal(SIGTERM);
  EXPECT_TRUE(p.wait(5s).has_value());
}

TEST_F(ServeTest, StopsOnSigint) {
  Subprocess p({testing::ghscale_binary().string(), "serve", "--config", config_}, kEnv);
  ASSERT_NE(start(p), 0);
  p.signal(SIGINT);
  auto code = p.wait(5s);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0);
}

TEST_F(ServeTest, InvalidConfigExits2WithoutListening) {
  std::ofstream(config_) << "server: {port: 99999}\nwebhook: {secrets: [env:X]}\n";
  auto r = testing::run({testing::ghscale_binary().string(), "serve", "--config", config_});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, config_ + ":1:16: server.port: 99999 is above the maximum 65535\n");
}

TEST_F(ServeTest, PortInUseExits1) {
  Subprocess first({testing::ghscale_binary().string(), "serve", "--config", config_}, kEnv);
  auto port = start(first);
  ASSERT_NE(port, 0);
  std::ofstream(config_) << "server: {address: 127.0.0.1, port: " << port
                         << "}\nwebhook: {secrets: [env:GHSCALE_TEST_WEBHOOK_SECRET]}\nlogging: {format: text}\n";
  auto r = testing::run({testing::ghscale_binary().string(), "serve", "--config", config_}, 10s, kEnv);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("cannot listen on 127.0.0.1:" + std::to_string(port)), std::string::npos) << r.err;
}

}  // namespace
}  // namespace ghscale
