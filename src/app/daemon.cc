#include "app/daemon.h"

#include <mutex>
#include <thread>

#include "app/open_store.h"
#include "app/routes.h"
#include "app/scaler_wiring.h"
#include "app/secrets.h"
#include "app/series.h"
#include "app/store_sink.h"
#include "github/rest_client.h"
#include "core/log.h"
#include "core/version.h"
#include "http/server.h"
#include "webhook/handler.h"

namespace ghscale::app {
namespace {

// Threads for deliveries to a store whose record() holds the thread until the write is
// durable (DynamoDB: a network round trip): many in flight let one commit cover many. A
// store that queues its writes (SQLite) needs none: the pool then only runs /readyz.
constexpr int kBlockingWebhookWorkers = 128;

http::ServerOptions server_options(const config::ServerConfig& s) {
  http::ServerOptions so;
  so.address = s.address;
  so.port = static_cast<std::uint16_t>(s.port);
  so.threads = s.threads > 0 ? s.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  so.max_body_bytes = s.max_body_bytes;
  so.max_header_bytes = s.max_header_bytes;
  so.max_connections = s.max_connections;
  so.max_connections_per_peer = s.max_connections_per_peer;
  so.max_inflight_body_bytes = s.max_inflight_body_bytes;
  so.read_timeout = s.read_timeout;
  so.idle_timeout = s.idle_timeout;
  so.write_timeout = s.read_timeout;
  if (s.tls) {
    so.tls_cert_file = s.tls->cert_file;
    so.tls_key_file = s.tls->key_file;
  }
  return so;
}

}  // namespace

struct Daemon::Parts {
  config::Config cfg;  // Routes keeps a reference: lives as long as the daemon
  std::shared_ptr<store::Store> store;
  Scaler scaler;
  std::unique_ptr<Routes> routes;
  std::unique_ptr<http::Server> server;
  std::unique_ptr<SeriesSampler> sampler;  // the dashboard's series, when there are pools
  std::once_flag stopped;
};

namespace {

// The pool's first instance type prices its instances on the dashboard; a pool that
// names none (an ASG's launch template decides) is priced as "default".
std::string priced_type(const config::Config& c, const std::string& pool) {
  for (const auto& p : c.pools) {
    if (p.name == pool && !p.provider.instance_types.empty()) return p.provider.instance_types.front();
  }
  return "";
}

}  // namespace

void Daemon::start_series(const config::Config& c, const std::shared_ptr<Clock>& clock, Parts& parts) {
  SeriesOptions series_options;
  for (const auto& [type, price] : c.prices) series_options.prices[type] = provider::InstancePrice{price.on_demand, price.spot};
  auto series = std::make_shared<Series>(std::move(series_options));
  parts.routes->set_series(series);
  auto reconciler = parts.scaler.reconciler;
  auto rest = std::dynamic_pointer_cast<github::RestClient>(reconciler->options().github);
  parts.sampler = std::make_unique<SeriesSampler>(series, clock, [&c, clock, reconciler, rest] {
    SeriesInput in;
    in.at = clock->now();
    const scaler::ScalerMetrics& m = reconciler->metrics();
    // The counts each pass leaves in the metrics: no store read (status() reads the action
    // log), and every configured pool is shown from the start, at zero before its first pass.
    const auto counts = m.pool_counts();
    for (const auto& pool : c.pools) {
      const auto it = counts.find(pool.name);
      in.pools.push_back({pool.name, priced_type(c, pool.name), it == counts.end() ? scaler::PoolCounts{} : it->second});
    }
    in.launches_total = m.launches_total();
    in.terminations_total = m.terminations_total();
    in.queue_wait = m.queue_wait_snapshot();
    if (rest) in.rate_limits = rest->rate_limits().buckets();
    return in;
  });
}

Daemon::Daemon(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}

Daemon::~Daemon() { stop(); }

Result<std::unique_ptr<Daemon>> Daemon::start(config::Config cfg, DaemonHooks hooks) {
  auto parts = std::make_unique<Parts>();
  parts->cfg = std::move(cfg);
  const config::Config& c = parts->cfg;
  std::shared_ptr<Clock> clock = hooks.clock ? hooks.clock : system_clock();

  auto secrets = resolve_secrets(c.webhook.secrets);
  if (!secrets) return secrets.error();
  if (hooks.store) {
    parts->store = hooks.store;
  } else {
    auto opened = open_store(c, StoreUse::kDaemon);
    if (!opened) return opened.error();
    parts->store = std::move(*opened);
  }
  // No pools: the daemon only ingests (e.g. a webhook front for other daemons).
  if (!c.pools.empty()) {
    ScalerHooks sh{hooks.provider_factory, hooks.github, clock};
    auto built = build_scaler(c, parts->store, sh);
    if (!built) return built.error();
    parts->scaler = std::move(*built);
  }
  // No secrets: every pool learns its jobs from a scale set, and there is no webhook endpoint.
  std::unique_ptr<webhook::Handler> webhook_handler;
  if (!secrets->empty()) {
    webhook::HandlerConfig hc;
    hc.path = c.server.webhook_path;
    hc.secrets = std::move(*secrets);
    hc.max_body_bytes = c.server.max_body_bytes;
    auto handler = webhook::Handler::create(std::move(hc), clock, std::make_shared<StoreSink>(parts->store),
                                            parts->scaler.loop);
    if (!handler) return handler.error();
    webhook_handler = std::move(*handler);
  }
  parts->routes =
      std::make_unique<Routes>(c, parts->store, std::move(webhook_handler), parts->scaler.reconciler,
                               parts->store->records_asynchronously() ? 1 : kBlockingWebhookWorkers);
  if (c.server.status_token) {
    auto token = resolve_secret(*c.server.status_token);
    if (!token) return token.error();
    parts->routes->set_status_token(std::move(*token));
  } else if (c.server.address != "127.0.0.1" && c.server.address != "::1" && c.server.address != "localhost") {
    log::info("the status API and metrics answer loopback clients only (no server.status_token)");
  }
  if (parts->scaler.reconciler) {
    // The REST client counts its calls by endpoint and tracks the rate-limit buckets.
    if (auto rest = std::dynamic_pointer_cast<github::RestClient>(parts->scaler.reconciler->options().github)) {
      parts->routes->add_metrics_source([rest](std::string& out) { rest->append_metrics(out); });
    }
  }
  if (!parts->scaler.listeners.empty()) {
    parts->routes->add_metrics_source(
        [listeners = parts->scaler.listeners](std::string& out) { scaler::append_scale_set_metrics(listeners, out); });
  }
  if (parts->scaler.reconciler) {
    start_series(c, clock, *parts);
  } else {
    // Nothing to sample; the dashboard still answers, with no pools, instead of failing.
    parts->routes->set_series(std::make_shared<Series>());
  }
  auto server = http::Server::start(server_options(c.server), parts->routes->handler());
  if (!server) return server.error();
  parts->server = std::move(*server);
  log::info("listening", {{"address", c.server.address},
                          {"port", static_cast<int>(parts->server->port())},
                          {"tls", c.server.tls.has_value()},
                          {"version", std::string(kVersion)},
                          {"pools", static_cast<int>(c.pools.size())}});
  if (parts->scaler.loop) {
    parts->scaler.loop->start();
    start_listeners(parts->scaler, clock);
  }
  return std::unique_ptr<Daemon>(new Daemon(std::move(parts)));
}

std::uint16_t Daemon::port() const { return parts_->server->port(); }

const std::shared_ptr<store::Store>& Daemon::store() const { return parts_->store; }

const std::shared_ptr<scaler::Reconciler>& Daemon::reconciler() const { return parts_->scaler.reconciler; }

void Daemon::stop() {
  std::call_once(parts_->stopped, [this] {
    Parts& p = *parts_;
    p.routes->set_ready(false);
    if (p.sampler) p.sampler->stop();
    p.server->shutdown(p.cfg.server.shutdown_grace);
    p.routes->drain();
    p.scaler.stop_github->store(true);  // a sweep in GitHub's retries gives up at once
    stop_listeners(p.scaler);  // polling ends at once and the sessions are deleted
    if (p.scaler.loop) p.scaler.loop->stop();  // gives the scaler lease up for another daemon
    if (auto st = p.store->flush(); !st) log::warn("store flush failed", {{"error", st.error().message}});
    if (auto st = p.store->close(); !st) log::warn("store close failed", {{"error", st.error().message}});
  });
}

}  // namespace ghscale::app
