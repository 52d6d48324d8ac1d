// GitHub's OpenAPI description enforced by an independent implementation: the real REST
// client talks to the fake GitHub through `prism proxy --errors` (npm
// @stoplight/prism-cli), which answers a request or response that breaks the description
// with a 500 problem document and an sl-violations header. Every such answer fails the
// test. Skipped with a message when prism or the shared testdata is absent.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <mutex>

#include "github/fixture.h"
#include "support/subprocess.h"

namespace ghscale::testing {
namespace {

namespace fs = std::filesystem;
using fake_github::FakeRunner;
using namespace std::chrono_literals;

std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

fs::path prism_cli() {
  const char* prefix_env = std::getenv("GHSCALE_NPM_PREFIX");
  const fs::path prefix =
      prefix_env != nullptr && *prefix_env != '\0' ? fs::path(prefix_env) : source_dir() / "build" / "npm";
  return prefix / "node_modules" / "@stoplight" / "prism-cli" / "dist" / "index.js";
}

// Passes every exchange through and keeps what prism said was wrong with it.
class ViolationRecorder final : public http::Client {
 public:
  explicit ViolationRecorder(std::shared_ptr<http::Client> inner) : inner_(std::move(inner)) {}

  Result<http::ClientResponse> send(const http::ClientRequest& request) override {
    auto r = inner_->send(request);
    std::lock_guard lock(mu_);
    ++exchanges_;
    if (!r.ok()) return r;
    const std::string what = request.method + " " + http::url_without_query(request.url);
    if (const std::string* v = r->headers.find("sl-violations"); v != nullptr && *v != "[]") {
      violations_.push_back(what + ": " + *v);
    } else if (r->body.find("stoplight.io/prism/errors") != std::string::npos) {
      violations_.push_back(what + ": " + r->body);  // prism refused it (route unknown, ...)
    }
    return r;
  }

  std::vector<std::string> violations() const {
    std::lock_guard lock(mu_);
    return violations_;
  }
  int exchanges() const {
    std::lock_guard lock(mu_);
    return exchanges_;
  }

 private:
  std::shared_ptr<http::Client> inner_;
  mutable std::mutex mu_;
  std::vector<std::string> violations_;  // guarded by mu_
  int exchanges_ = 0;                    // guarded by mu_
};

class PrismProxyTest : public GitHubFixture {
 protected:
  // prism proxy in front of the fake GitHub; its port, or 0 with `why` set.
  std::uint16_t start_prism(const fs::path& spec, std::string& why) {
    const char* node = fs::exists("/usr/bin/node") ? "/usr/bin/node" : "/usr/local/bin/node";
    // A port picked free may be taken before prism binds it: try a few.
    for (int attempt = 0; attempt < 3; ++attempt) {
      const std::uint16_t port = free_port();
      prism_ = std::make_unique<Subprocess>(
          std::vector<std::string>{node, prism_cli().string(), "proxy", spec.string(), server_->api_url(), "--errors",
                                   "--host", "127.0.0.1", "--port", std::to_string(port)},
          std::vector<std::string>{"AWS_EC2_METADATA_DISABLED=true"});
      const auto deadline = std::chrono::steady_clock::now() + 20s;
      while (std::chrono::steady_clock::now() < deadline) {
        if (prism_->wait(50ms).has_value()) break;  // it ended: the port was taken, or worse
        if (prism_->out().find("is listening") != std::string::npos) return port;
      }
      why = "prism did not start: " + prism_->out() + prism_->err();
      prism_.reset();
    }
    return 0;
  }

  // Prism proxying the runners description to the fake, on `port`; the test is skipped
  // (port stays 0) when the testdata or prism is missing.
  void prism_or_skip(std::uint16_t& port) {
    const auto dir = testdata_dir();
    if (!dir) GTEST_SKIP() << "shared testdata not found (set GHSCALE_TESTDATA); skipping";
    if (!fs::exists(prism_cli())) {
      GTEST_SKIP() << "prism not installed at " << prism_cli().string()
                   << " (scripts/setup installs @stoplight/prism-cli into build/npm); skipping";
    }
    std::string why;
    port = start_prism(*dir / "github" / "github-rest-runners.openapi.json", why);
    ASSERT_NE(port, 0) << why;
  }

  std::unique_ptr<Subprocess> prism_;
};

TEST_F(PrismProxyTest, TheRestClientAndTheFakeKeepToTheDescription) {
  std::uint16_t port = 0;
  ASSERT_NO_FATAL_FAILURE(prism_or_skip(port));
  if (port == 0) return;  // skipped

  const auto id = fake->add_runner(FakeRunner{0, "orgs/acme", "r", "Linux", true, false, 1, {"self-hosted"}, {}});
  const auto run = fake->add_run({0, "acme/app", "CI", "queued"});
  const auto job = fake->add_job({0, run, "acme/app", "build", "queued", {"self-hosted"}, 0, {}});

  auto recorder = std::make_shared<ViolationRecorder>(http::make_curl_client());
  auto o = options();
  o.api_url = "http://127.0.0.1:" + std::to_string(port);
  auto client = pat_client(o, recorder);

  auto runners = client->list_runners(org);
  ASSERT_TRUE(runners.ok()) << runners.error().describe();
  EXPECT_EQ(runners->size(), 1u);
  EXPECT_TRUE(client->get_runner(org, id).ok());
  EXPECT_TRUE(client->list_runner_groups(org).ok());
  EXPECT_TRUE(client->registration_token(org).ok());
  auto jit = client->generate_jit_config(repo, {"prism-jit", 1, {"self-hosted", "linux"}, "_work"});
  EXPECT_TRUE(jit.ok()) << (jit.ok() ? "" : jit.error().describe());
  EXPECT_TRUE(client->get_job("acme/app", job).ok());
  EXPECT_TRUE(client->list_queued_runs("acme/app").ok());
  EXPECT_TRUE(client->delete_runner(org, id).ok());
  EXPECT_TRUE(client->rate_limit().ok());

  for (const auto& v : recorder->violations()) ADD_FAILURE() << "prism: " << v;
  EXPECT_GE(recorder->exchanges(), 9) << "every call went through prism";
}

// The check is not vacuous: an answer that breaks the description (a runner list without
// total_count and runners) is what prism reports.
TEST_F(PrismProxyTest, PrismReportsAnAnswerThatBreaksTheDescription) {
  std::uint16_t port = 0;
  ASSERT_NO_FATAL_FAILURE(prism_or_skip(port));
  if (port == 0) return;  // skipped
  fake->inject({.method = "GET", .path_prefix = "/orgs/acme/actions/runners", .status = 200, .message = "no list here"});

  auto recorder = std::make_shared<ViolationRecorder>(http::make_curl_client());
  auto o = options();
  o.api_url = "http://127.0.0.1:" + std::to_string(port);
  auto client = pat_client(o, recorder);
  (void)client->list_runners(org);
  const auto violations = recorder->violations();
  ASSERT_EQ(violations.size(), 1u) << "prism let an answer without total_count and runners through";
  EXPECT_NE(violations[0].find("/orgs/acme/actions/runners"), std::string::npos) << violations[0];
}

}  // namespace
}  // namespace ghscale::testing
