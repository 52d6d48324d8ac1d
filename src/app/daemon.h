// The daemon in one object: store, webhook server, scaler loop, status API and metrics,
// built from a configuration. `ghscale serve` runs one until a signal; the sandbox runs
// one in-process against simulated GitHub and cloud through the hooks.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "config/config.h"
#include "core/clock.h"
#include "core/error.h"
#include "github/github_api.h"
#include "provider/provider.h"
#include "scaler/reconciler.h"
#include "store/store.h"

namespace ghscale::app {

struct DaemonHooks {
  // Makes each pool's provider; null = from the pool's provider config.
  std::function<std::shared_ptr<provider::Provider>(const config::PoolConfig&)> provider_factory;
  // The GitHub API; null = a REST client from the github config.
  std::shared_ptr<github::GitHubApi> github;
  // The daemon's clock; null = the system clock.
  std::shared_ptr<Clock> clock;
  // The store; null = opened from the store config (created when missing).
  std::shared_ptr<store::Store> store;
};

class Daemon {
 public:
  // Starts serving and scaling. Errors: unresolvable secrets or credentials, store,
  // providers this build cannot run, cannot listen.
  static Result<std::unique_ptr<Daemon>> start(config::Config cfg, DaemonHooks hooks = {});
  ~Daemon();

  std::uint16_t port() const;
  // Graceful: not ready, stop accepting, finish in-flight deliveries within the
  // configured grace, stop the scaler (releasing its lease), flush and close the store.
  void stop();

  const std::shared_ptr<store::Store>& store() const;
  // Null when no pools are configured.
  const std::shared_ptr<scaler::Reconciler>& reconciler() const;

 private:
  struct Parts;
  explicit Daemon(std::unique_ptr<Parts> parts);
  // The dashboard's series (GET /api/v1/series), sampled from the reconciler.
  static void start_series(const config::Config& c, const std::shared_ptr<Clock>& clock, Parts& parts);
  std::unique_ptr<Parts> parts_;
};

}  // namespace ghscale::app
