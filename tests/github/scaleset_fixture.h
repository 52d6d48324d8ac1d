// The scale set client against the fake Actions service and the fake GitHub on one
// loopback port (as api.github.com serves both the registration token and the runner
// registration), on a ManualClock whose "sleep" advances virtual time. Every exchange goes
// through a recording transport, for the conformance checks.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "github/rest_client.h"
#include "github/scaleset/client.h"
#include "github/scaleset/message_session.h"
#include "sandbox/fake_actions/fake_actions.h"
#include "sandbox/fake_github/fake_github.h"

namespace ghscale::testing {

inline constexpr const char* kScaleSetPat = "ghp_scalesetTESTtoken0123456789abcdefABCD";

// Keeps every request and answer that passes through.
class RecordingClient final : public http::Client {
 public:
  struct Exchange {
    http::ClientRequest request;
    int status = 0;  // 0 = transport failure
    std::string response_body;
  };
  explicit RecordingClient(std::shared_ptr<http::Client> inner) : inner_(std::move(inner)) {}
  Result<http::ClientResponse> send(const http::ClientRequest& request) override {
    auto resp = inner_->send(request);
    std::lock_guard lock(mu_);
    exchanges_.push_back(Exchange{request, resp ? resp->status : 0, resp ? resp->body : std::string()});
    return resp;
  }
  std::vector<Exchange> exchanges() const {
    std::lock_guard lock(mu_);
    return exchanges_;
  }
  void clear() {
    std::lock_guard lock(mu_);
    exchanges_.clear();
  }

 private:
  std::shared_ptr<http::Client> inner_;
  mutable std::mutex mu_;
  std::vector<Exchange> exchanges_;
};

class ScaleSetFixture : public ::testing::Test {
 protected:
  void SetUp() override { start({}); }

  // Restarts the fakes with these options (the clock is always the fixture's).
  void start(fake_actions::FakeActionsOptions ao, const std::string& api_prefix = "") {
    server.reset();
    clock = std::make_shared<ManualClock>();
    fake_github::FakeGitHubOptions go;
    go.clock = clock;
    go.api_prefix = api_prefix;
    ao.api_prefix = api_prefix;
    github_fake = std::make_shared<fake_github::FakeGitHub>(go);
    github_fake->add_pat(kScaleSetPat);
    ao.clock = clock;
    actions = std::make_shared<fake_actions::FakeActions>(ao);
    auto s = fake_actions::FakeActionsServer::start(actions, github_fake);
    ASSERT_TRUE(s.ok()) << s.error().describe();
    server = std::move(s).value();
    wire = std::make_shared<RecordingClient>(http::make_curl_client());
    github::Credentials c;
    c.token = kScaleSetPat;
    auto rest_client = github::RestClient::create(rest_options(), c, wire);
    ASSERT_TRUE(rest_client.ok()) << rest_client.error().describe();
    rest = std::shared_ptr<github::RestClient>(std::move(rest_client).value());
    client = make_client(options());
  }

  github::RestClientOptions rest_options() {
    github::RestClientOptions ro;
    ro.api_url = server->api_url();
    ro.clock = clock;
    ro.jitter_seed = 3;
    ro.sleep = [this](Duration d) { clock->advance(d); };
    return ro;
  }

  scaleset::ClientOptions options() {
    scaleset::ClientOptions o;
    o.api_url = server->api_url();
    o.scope = github::Scope{github::Scope::Kind::kOrg, "acme"};
    o.clock = clock;
    o.jitter_seed = 11;
    o.sleep = [this](Duration d) {
      std::lock_guard lock(sleep_mu);
      sleeps.push_back(d);
      clock->advance(d);
    };
    return o;
  }

  std::shared_ptr<scaleset::Client> make_client(scaleset::ClientOptions o) {
    auto c = scaleset::Client::create(std::move(o), rest, wire);
    EXPECT_TRUE(c.ok()) << c.error().describe();
    return c.ok() ? std::shared_ptr<scaleset::Client>(std::move(c).value()) : nullptr;
  }

  scaleset::ScaleSet make_scale_set(const std::string& name = "ghscale-linux") {
    scaleset::ScaleSetSpec spec;
    spec.name = name;
    spec.labels = {name, "x64"};
    auto s = client->ensure_scale_set(spec);
    EXPECT_TRUE(s.ok()) << s.error().describe();
    return s.ok() ? *s : scaleset::ScaleSet{};
  }

  std::int64_t enqueue(const std::string& scale_set = "ghscale-linux", std::int64_t run = 1) {
    fake_actions::FakeJobSpec spec;
    spec.scale_set_name = scale_set;
    spec.workflow_run_id = run;
    auto id = actions->enqueue_job(spec);
    EXPECT_TRUE(id.ok());
    return id.ok() ? *id : 0;
  }

  // A runner registered with a scale-set JIT config that comes online; returns its id.
  std::int64_t online_runner(std::int64_t scale_set_id, const std::string& name) {
    auto jit = client->generate_jit_config(scale_set_id, name);
    EXPECT_TRUE(jit.ok()) << (jit.ok() ? "" : jit.error().describe());
    if (!jit.ok()) return 0;
    auto id = actions->runner_online(jit->encoded_jit_config);
    EXPECT_TRUE(id.has_value());
    EXPECT_EQ(*id, jit->runner.id);
    return id.value_or(0);
  }

  std::shared_ptr<ManualClock> clock;
  std::shared_ptr<fake_github::FakeGitHub> github_fake;
  std::shared_ptr<fake_actions::FakeActions> actions;
  std::unique_ptr<fake_actions::FakeActionsServer> server;
  std::shared_ptr<RecordingClient> wire;
  std::shared_ptr<github::RestClient> rest;
  std::shared_ptr<scaleset::Client> client;
  std::mutex sleep_mu;
  std::vector<Duration> sleeps;
};

inline int count_events(const scaleset::Message& m, scaleset::JobEventKind kind, std::string_view result = {}) {
  int n = 0;
  for (const auto& e : m.events) {
    if (e.kind == kind && (result.empty() || e.result == result)) ++n;
  }
  return n;
}

}  // namespace ghscale::testing
