#include "app/scaler_wiring.h"

#include <unistd.h>

#include <map>
#include <thread>

#include "core/version.h"
#include "github/auth.h"
#include "github/rest_client.h"
#include "github/scaleset/client.h"
#include "http/client.h"
#include "provider/aws/aws_providers.h"
#include "provider/remote/remote_provider.h"
#include "provider/sim/sim_cloud.h"
#include "scaler/scale_set_github.h"

namespace ghscale::app {
namespace {

std::string lease_holder() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "unknown");
  return std::string(host) + ":" + std::to_string(::getpid());
}

// The AWS providers' launch ledgers in the store's settings ("ghscale_launches:KEY"), so a
// restart or the next `reconcile --once` counts what EC2 does not list yet.
class StoreLaunchLedger final : public provider::LaunchLedger {
 public:
  explicit StoreLaunchLedger(std::shared_ptr<store::Store> store) : store_(std::move(store)) {}
  Result<std::optional<std::string>> read(std::string_view key) override {
    return store_->get_setting("ghscale_launches:" + std::string(key));
  }
  Status write(std::string_view key, std::string_view value) override {
    return store_->set_setting("ghscale_launches:" + std::string(key), value);
  }

 private:
  std::shared_ptr<store::Store> store_;
};

// github.com's web URL for runner registration; GHES: the API URL without /api/v3.
std::string web_url(const std::string& api_url) {
  if (api_url == "https://api.github.com") return "https://github.com";
  const std::string suffix = "/api/v3";
  if (api_url.size() > suffix.size() && api_url.compare(api_url.size() - suffix.size(), suffix.size(), suffix) == 0) {
    return api_url.substr(0, api_url.size() - suffix.size());
  }
  return api_url;
}

// The listeners of the scale-set pools, each with its own Actions service client (the
// admin token is per scope). Its retries' waits end at once when the daemon stops.
Result<std::vector<std::shared_ptr<scaler::ScaleSetListener>>> scale_set_listeners(
    const config::Config& cfg, const std::shared_ptr<github::GitHubApi>& github, const std::shared_ptr<store::Store>& store,
    const std::shared_ptr<Clock>& clock, const std::string& holder, const std::shared_ptr<std::atomic<bool>>& stop) {
  std::vector<std::shared_ptr<scaler::ScaleSetListener>> out;
  for (const auto& pool : cfg.pools) {
    if (pool.demand != config::Demand::kScaleSet) continue;
    scaleset::ClientOptions co;
    co.api_url = cfg.github.api_url;
    co.scope = scaler::github_scope_of(pool.scope);
    co.clock = clock;
    co.sleep = [clock, stop](Duration d) {
      const auto until = std::chrono::steady_clock::now() + clock->real_time(d);
      while (!stop->load() && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(std::chrono::milliseconds(50), until - std::chrono::steady_clock::now()));
      }
    };
    auto client = scaleset::Client::create(
        co, github, http::make_curl_client({.user_agent = "ghscale/" + std::string(kVersion)}));
    if (!client) return make_error(client.error().kind, "pool " + pool.name + ": scale set client: " + client.error().message);
    scaler::ScaleSetListenerOptions lo;
    lo.pool = pool;
    lo.client = std::shared_ptr<scaleset::Client>(std::move(*client));
    lo.store = store;
    lo.holder = holder;
    lo.clock = clock;
    out.push_back(std::make_shared<scaler::ScaleSetListener>(std::move(lo)));
  }
  return out;
}

}  // namespace

void start_listeners(const Scaler& scaler, std::shared_ptr<Clock> clock) {
  for (const auto& l : scaler.listeners) {
    l->start([r = scaler.reconciler, clock] { return r->holds_lease(clock->now()); }, scaler.loop);
  }
}

void stop_listeners(const Scaler& scaler) {
  // In parallel: each may wait a poll out, within its bound.
  std::vector<std::thread> stopping;
  for (const auto& l : scaler.listeners) stopping.emplace_back([l] { l->stop(); });
  for (auto& t : stopping) t.join();
}

Result<std::shared_ptr<github::GitHubApi>> github_client(const config::Config& cfg, std::shared_ptr<Clock> clock,
                                                         std::shared_ptr<const std::atomic<bool>> stop) {
  auto credentials = github::resolve_credentials(cfg.github.auth);
  if (!credentials) {
    return make_error(ErrorKind::kInvalid, "github credentials: " + credentials.error().message);
  }
  github::RestClientOptions gopt;
  gopt.api_url = cfg.github.api_url;
  gopt.rate_limit_reserve = cfg.github.rate_limit_reserve;
  gopt.clock = std::move(clock);
  gopt.stop = std::move(stop);
  auto client = github::RestClient::create(gopt, std::move(*credentials),
                                           http::make_curl_client({.user_agent = "ghscale/" + std::string(kVersion)}));
  if (!client) return client.error();
  return std::shared_ptr<github::GitHubApi>(std::move(*client));
}

Result<Scaler> build_scaler(const config::Config& cfg, std::shared_ptr<store::Store> store, const ScalerHooks& hooks) {
  std::shared_ptr<Clock> clock = hooks.clock ? hooks.clock : system_clock();
  Scaler out;
  std::shared_ptr<github::GitHubApi> github = hooks.github;
  if (!github) {
    auto made = github_client(cfg, clock, out.stop_github);
    if (!made) return made.error();
    github = std::move(*made);
  }
  const std::string holder = lease_holder();
  // Scale-set pools' runners get their JIT configs from their scale set.
  auto listeners = scale_set_listeners(cfg, github, store, clock, holder, out.stop_github);
  if (!listeners) return listeners.error();
  out.listeners = std::move(*listeners);
  github = scaler::route_scale_set_runners(std::move(github), out.listeners);
  if (hooks.wrap_github) github = hooks.wrap_github(std::move(github));
  scaler::ReconcilerOptions ropt;
  ropt.reconcile = cfg.reconcile;
  ropt.holder = holder;
  ropt.clock = clock;
  ropt.store = std::move(store);
  ropt.github = std::move(github);
  ropt.web_url = web_url(cfg.github.api_url);
  // In-process simulated clouds, one per distinct boot time and interruption rate: pools
  // that agree share one (as pools share an AWS account), and each pool's settings hold
  // (one cloud for all took the first pool's).
  std::map<std::pair<Duration::rep, double>, std::shared_ptr<provider::Provider>> sims;
  provider::AwsProviderFactory aws_providers;
  auto ledger = std::make_shared<StoreLaunchLedger>(ropt.store);
  for (const auto& pool : cfg.pools) {
    std::shared_ptr<provider::Provider> p;
    if (hooks.provider_factory) {
      p = hooks.provider_factory(pool);
      if (!p) return make_error(ErrorKind::kInvalid, "pool " + pool.name + ": no provider");
      if (hooks.wrap_provider) p = hooks.wrap_provider(pool, std::move(p));
      ropt.pools.push_back(scaler::PoolBinding{pool, std::move(p)});
      continue;
    }
    switch (pool.provider.kind) {
      case config::ProviderConfig::Kind::kSim:
        if (!pool.provider.endpoint_url.empty()) {
          // The simulated cloud of another process (a sandbox's or a test's world).
          p = std::make_shared<provider::RemoteProvider>(
              provider::RemoteProviderOptions{.endpoint_url = pool.provider.endpoint_url, .process = ropt.holder});
          break;
        }
        {
          auto& sim = sims[{pool.provider.boot_time.count(), pool.provider.spot_interruption_rate}];
          if (!sim) {
            provider::SimCloudOptions so;
            so.clock = clock;
            so.boot_time = pool.provider.boot_time;
            so.spot_interruption_rate = pool.provider.spot_interruption_rate;
            sim = std::make_shared<provider::SimCloud>(so);
          }
          p = sim;
        }
        break;
      case config::ProviderConfig::Kind::kAwsAsg:
      case config::ProviderConfig::Kind::kAwsFleet: {
        // Pools of one region and endpoint share a session (credentials, retry quota) and
        // the SSM hand-over's pacing; AWS_ENDPOINT_URL* apply when endpoint_url is empty.
        auto made = aws_providers.make(pool, ledger);
        if (!made) return made.error();
        p = std::move(*made);
        break;
      }
    }
    if (hooks.wrap_provider) p = hooks.wrap_provider(pool, std::move(p));
    ropt.pools.push_back(scaler::PoolBinding{pool, std::move(p)});
  }
  out.reconciler = std::make_shared<scaler::Reconciler>(std::move(ropt));
  out.loop = std::make_shared<scaler::ReconcileLoop>(out.reconciler, cfg.reconcile, clock);
  return out;
}

}  // namespace ghscale::app
