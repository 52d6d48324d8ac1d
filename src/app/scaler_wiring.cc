#include "app/scaler_wiring.h"

#include <unistd.h>

#include "core/version.h"
#include "github/auth.h"
#include "github/rest_client.h"
#include "http/client.h"
#include "provider/aws/aws_providers.h"
#include "provider/remote/remote_provider.h"
#include "provider/sim/sim_cloud.h"

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

}  // namespace

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
  if (hooks.wrap_github) github = hooks.wrap_github(std::move(github));
  scaler::ReconcilerOptions ropt;
  ropt.reconcile = cfg.reconcile;
  ropt.holder = lease_holder();
  ropt.clock = clock;
  ropt.store = std::move(store);
  ropt.github = std::move(github);
  ropt.web_url = web_url(cfg.github.api_url);
  std::shared_ptr<provider::Provider> sim;
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
        if (!sim) {
          provider::SimCloudOptions so;
          so.clock = clock;
          so.boot_time = pool.provider.boot_time;
          so.spot_interruption_rate = pool.provider.spot_interruption_rate;
          sim = std::make_shared<provider::SimCloud>(so);
        }
        p = sim;
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
