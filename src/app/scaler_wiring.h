// Building the scaler of the daemon from the configuration: the GitHub client, one
// provider per pool, the reconciler and its loop. Wiring only.
#pragma once

#include <atomic>
#include <functional>
#include <memory>

#include "config/config.h"
#include "core/error.h"
#include "github/github_api.h"
#include "provider/provider.h"
#include "scaler/loop.h"
#include "scaler/reconciler.h"
#include "scaler/scale_set_listener.h"
#include "store/store.h"

namespace ghscale::app {

struct Scaler {
  std::shared_ptr<scaler::Reconciler> reconciler;
  std::shared_ptr<scaler::ReconcileLoop> loop;
  // Set before stopping the loop: the GitHub client built from the configuration then
  // makes no further retry or wait, so a sweep stuck in GitHub's 5xx answers cannot hold
  // a shutdown past its grace.
  std::shared_ptr<std::atomic<bool>> stop_github = std::make_shared<std::atomic<bool>>(false);
  // One per `demand: scale_set` pool, in config order; started by start_listeners().
  std::vector<std::shared_ptr<scaler::ScaleSetListener>> listeners;
};

// The scale-set pools' listeners poll while this process holds the scaler lease and wake
// the loop as a webhook does. After the loop started; stop_listeners() before it stops.
void start_listeners(const Scaler& scaler, std::shared_ptr<Clock> clock);
void stop_listeners(const Scaler& scaler);

// What the sandbox replaces; null members mean "from the configuration".
struct ScalerHooks {
  std::function<std::shared_ptr<provider::Provider>(const config::PoolConfig&)> provider_factory;
  std::shared_ptr<github::GitHubApi> github;
  std::shared_ptr<Clock> clock;
  // When set, each provider and the GitHub client made (from the configuration or the
  // members above) is passed through these: `reconcile --once` watches the calls to say
  // which one failed and why.
  std::function<std::shared_ptr<provider::Provider>(const config::PoolConfig&, std::shared_ptr<provider::Provider>)>
      wrap_provider;
  std::function<std::shared_ptr<github::GitHubApi>(std::shared_ptr<github::GitHubApi>)> wrap_github;
};

// Fails (kInvalid) on credentials that cannot be resolved and on providers this build
// cannot run, so the daemon stops at start-up rather than at the first job.
Result<Scaler> build_scaler(const config::Config& cfg, std::shared_ptr<store::Store> store,
                            const ScalerHooks& hooks = {});

}  // namespace ghscale::app
