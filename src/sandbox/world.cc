#include "sandbox/world.h"

#include <mutex>
#include <random>

#include "http/client.h"

namespace ghscale::sandbox {

std::string random_hex(std::size_t n) {
  std::random_device rd;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += kHex[rd() % 16];
  return out;
}

struct World::State {
  WorldOptions options;
  std::string token = "ghp_world" + random_hex(31);
  std::string secret = random_hex(40);
  std::shared_ptr<fake_github::FakeGitHub> fake;
  std::unique_ptr<fake_github::FakeGitHubServer> server;
  std::shared_ptr<provider::SimCloud> cloud;
  std::shared_ptr<GitHubSim> github;
  std::shared_ptr<http::Client> client = http::make_curl_client({.connect_timeout = 2s, .timeout = 10s});

  std::mutex step_mu;  // one step at a time: deliveries leave in order
  mutable std::mutex mu;
  std::vector<std::string> targets;  // guarded by mu
  std::size_t next_target = 0;       // guarded by mu
  int drop_next = 0;                 // guarded by mu
  std::int64_t posted = 0, not_accepted = 0, dropped = 0;  // guarded by mu
};

Result<std::unique_ptr<World>> World::start(WorldOptions options) {
  if (!options.clock) return make_error(ErrorKind::kInvalid, "world: a clock is required");
  auto s = std::make_unique<State>();
  s->options = options;
  fake_github::FakeGitHubOptions fo;
  fo.clock = options.clock;
  fo.core_limit = 1000000;
  s->fake = std::make_shared<fake_github::FakeGitHub>(fo);
  s->fake->add_pat(s->token);
  auto server = fake_github::FakeGitHubServer::start(s->fake, options.github_threads);
  if (!server) return make_error(server.error().kind, "cannot start the fake GitHub: " + server.error().message);
  s->server = std::move(*server);

  provider::SimCloudOptions co;
  co.clock = options.clock;
  co.boot_time = options.boot_time;
  co.boot_jitter = options.boot_jitter;
  co.spot_interruption_rate = options.spot_interruption_rate;
  co.seed = options.seed;
  s->cloud = std::make_shared<provider::SimCloud>(co);
  GitHubSimOptions go;
  go.clock = options.clock;
  go.org = options.org;
  go.seed = options.seed;
  go.faults = options.faults;
  go.cloud = options.cloud ? options.cloud : s->cloud;
  go.mirror = s->fake;
  go.reuse_wait = options.reuse_wait;
  s->github = std::make_shared<GitHubSim>(go);
  s->cloud->set_observer([g = s->github.get()](const provider::SimEvent& e) { g->on_cloud_event(e); });
  return std::unique_ptr<World>(new World(std::move(s)));
}

World::World(std::unique_ptr<State> state) : state_(std::move(state)) {}
World::~World() = default;

std::string World::github_api_url() const { return state_->server->api_url(); }
const std::string& World::github_token() const { return state_->token; }
const std::string& World::webhook_secret() const { return state_->secret; }

void World::set_targets(std::vector<std::string> urls) {
  std::lock_guard lock(state_->mu);
  state_->targets = std::move(urls);
  state_->next_target = 0;
}

void World::drop_next_deliveries(int n) {
  std::lock_guard lock(state_->mu);
  state_->drop_next += n;
}

std::int64_t World::enqueue(const WorkloadJob& job) { return state_->github->enqueue(job); }

void World::step() {
  std::lock_guard step_lock(state_->step_mu);
  state_->cloud->advance(state_->options.clock->now());
  state_->github->step();
  for (const JobEvent& e : state_->github->take_due_deliveries()) {
    std::string url;
    {
      std::lock_guard lock(state_->mu);
      if (state_->drop_next > 0) {
        --state_->drop_next;
        ++state_->dropped;
        continue;
      }
      if (state_->targets.empty()) {
        ++state_->not_accepted;
        continue;
      }
      url = state_->targets[state_->next_target++ % state_->targets.size()];
      ++state_->posted;
    }
    http::ClientRequest req;
    req.method = "POST";
    req.url = url;
    req.body = render_workflow_job_payload(e);
    for (const auto& [k, v] : delivery_headers(e, req.body, state_->secret)) req.headers.set(k, v);
    auto resp = state_->client->send(req);
    if (!resp.ok() || resp->status / 100 != 2) {
      std::lock_guard lock(state_->mu);
      ++state_->not_accepted;
    }
  }
}

WorldCounts World::counts() const {
  WorldCounts c;
  c.github = state_->github->counts();
  c.cloud = state_->cloud->usage(state_->options.clock->now());
  c.github_requests = state_->fake->requests();
  std::lock_guard lock(state_->mu);
  c.posted = state_->posted;
  c.not_accepted = state_->not_accepted;
  c.dropped_on_purpose = state_->dropped;
  return c;
}

std::shared_ptr<provider::SimCloud> World::cloud() const { return state_->cloud; }
GitHubSim& World::github() { return *state_->github; }
fake_github::FakeGitHub& World::fake_github() { return *state_->fake; }

}  // namespace ghscale::sandbox
