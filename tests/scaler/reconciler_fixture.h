// The reconciler against real parts: the memory store, the simulated cloud and the fake
// GitHub on loopback (through the real RestClient), all on one ManualClock. A small
// "world" plays GitHub's side: runners come online when their instance boots, take jobs,
// finish them (ephemeral: the runner leaves and the instance ends).
#pragma once

#include <gtest/gtest.h>

#include <atomic>

#include "github/rest_client.h"
#include "http/client.h"
#include "provider/sim/sim_cloud.h"
#include "sandbox/fake_github/fake_github.h"
#include "scaler/reconciler.h"
#include "store/memory_store.h"

namespace ghscale::scaler::testing {

using namespace std::chrono_literals;

inline constexpr const char* kPat = "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB";

class ReconcilerFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    clock = std::make_shared<ManualClock>();
    fake_github::FakeGitHubOptions fo;
    fo.clock = clock;
    fake = std::make_shared<fake_github::FakeGitHub>(fo);
    fake->add_pat(kPat);
    auto server = fake_github::FakeGitHubServer::start(fake, 2);
    ASSERT_TRUE(server.ok()) << server.error().describe();
    server_ = std::move(server).value();
    github::RestClientOptions o;
    o.api_url = server_->api_url();
    o.clock = clock;
    o.jitter_seed = 7;
    o.sleep = [this](Duration d) { clock->advance(d); };
    github::Credentials c;
    c.token = kPat;
    auto client = github::RestClient::create(o, c, http::make_curl_client());
    ASSERT_TRUE(client.ok());
    gh = std::shared_ptr<github::GitHubApi>(std::move(client).value());
    store = std::shared_ptr<store::Store>(store::make_memory_store(clock));
    sim = std::make_shared<provider::SimCloud>(provider::SimCloudOptions{.clock = clock, .boot_time = 30s});
    sim->set_observer([this](const provider::SimEvent& e) { on_sim_event(e); });

    pool.name = "linux";
    pool.labels = LabelSet{"self-hosted", "linux", "x64"};
    pool.scope = {config::PoolScope::Kind::kOrg, "acme"};
    pool.min_idle = 0;
    pool.max_runners = 10;
    pool.on_demand_base = 1;
    pool.idle_timeout = 5min;
    pool.min_lifetime = 1min;
    pool.boot_timeout = 5min;
  }

  std::shared_ptr<Reconciler> make_reconciler(const std::string& holder = "me", std::vector<std::string> sweep_repos = {}) {
    ReconcilerOptions o;
    o.pools = {PoolBinding{pool, sim}};
    o.holder = holder;
    o.clock = clock;
    o.store = store;
    o.github = gh;
    o.sweep_repos = std::move(sweep_repos);
    return std::make_shared<Reconciler>(std::move(o));
  }

  // GitHub's side of the world.
  void on_sim_event(const provider::SimEvent& e) {
    const std::string name = runner_name_for(e.instance.pool, e.instance.id);
    auto r = find_runner(name);
    if (e.kind == provider::SimEvent::Kind::kReady) {
      if (r) fake->set_runner(r->id, true, false);  // the JIT runner starts and goes online
      return;
    }
    // Terminated or interrupted: was a job running on it?
    if (r && r->busy) ++busy_terminations;
    if (r) fake->set_runner(r->id, false, r->busy);
  }

  std::optional<fake_github::FakeRunner> find_runner(const std::string& name) const {
    for (const auto& r : fake->runners("orgs/acme")) {
      if (r.name == name) return r;
    }
    return std::nullopt;
  }

  void record(std::int64_t job_id, JobStatus status, const std::string& runner_name = "", LabelSet labels = {"self-hosted", "linux"},
              const std::string& conclusion = "success") {
    JobEvent e;
    e.event = "workflow_job";
    e.status = status;
    e.action = std::string(to_string(status));
    e.delivery_id = "d-" + std::to_string(job_id) + "-" + e.action;
    e.job_id = job_id;
    e.run_id = 1;
    e.repository = "acme/app";
    e.owner = "acme";
    e.labels = std::move(labels);
    e.runner_name = runner_name;
    e.created_at = clock->now();
    if (status == JobStatus::kInProgress) e.started_at = clock->now();
    if (status == JobStatus::kCompleted) e.conclusion = conclusion;
    e.received_at = clock->now();
    auto r = store->record(e);
    ASSERT_TRUE(r.ok()) << r.error().describe();
  }

  // A runner picks up a job: GitHub marks it busy and a webhook says in_progress.
  void start_job(std::int64_t job_id, const std::string& runner_name) {
    auto r = find_runner(runner_name);
    ASSERT_TRUE(r.has_value()) << runner_name;
    fake->set_runner(r->id, true, true);
    record(job_id, JobStatus::kInProgress, runner_name);
  }

  // The job ends; the ephemeral runner deregisters itself and its instance shuts down.
  void finish_job_ephemeral(std::int64_t job_id, const std::string& runner_name, const std::string& instance_id) {
    record(job_id, JobStatus::kCompleted, runner_name);
    auto r = find_runner(runner_name);
    ASSERT_TRUE(r.has_value());
    fake->set_runner(r->id, true, false);
    ASSERT_TRUE(gh->delete_runner(github::Scope{github::Scope::Kind::kOrg, "acme"}, r->id).ok());
    ASSERT_TRUE(sim->terminate({instance_id}).ok());
  }

  std::vector<provider::CloudInstance> live() { return *sim->describe("linux"); }

  // The live instances' ids and their (first) runners' names, in the cloud's order.
  struct LiveNames {
    std::vector<std::string> ids, names;
  };
  LiveNames live_names() {
    LiveNames out;
    for (const auto& i : live()) {
      out.ids.push_back(i.id);
      out.names.push_back(runner_name_for("linux", i.id));
    }
    return out;
  }

  std::vector<Action> actions() {
    auto a = store->last_actions(10000);
    EXPECT_TRUE(a.ok());
    std::vector<Action> out(a->rbegin(), a->rend());  // oldest first
    return out;
  }

  int count_actions(ActionKind kind) {
    int n = 0;
    for (const auto& a : actions()) n += a.kind == kind ? 1 : 0;
    return n;
  }

  std::shared_ptr<ManualClock> clock;
  std::shared_ptr<fake_github::FakeGitHub> fake;
  std::unique_ptr<fake_github::FakeGitHubServer> server_;
  std::shared_ptr<github::GitHubApi> gh;
  std::shared_ptr<store::Store> store;
  std::shared_ptr<provider::SimCloud> sim;
  config::PoolConfig pool;
  std::atomic<int> busy_terminations{0};
};

}  // namespace ghscale::scaler::testing
