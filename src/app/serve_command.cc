#include <csignal>
#include <iostream>
#include <thread>

#include "app/commands.h"
#include "app/exit_codes.h"
#include "app/open_store.h"
#include "app/routes.h"
#include "app/secrets.h"
#include "app/store_sink.h"
#include "config/loader.h"
#include "core/log.h"
#include "core/version.h"
#include "http/server.h"

namespace ghscale::app {
namespace {

// Blocks SIGTERM and SIGINT in every thread (call before starting any), so that only
// wait_for_stop_signal() receives them.
sigset_t block_stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

int wait_for_stop_signal(const sigset_t& set) {
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}

}  // namespace

int run_serve(const ServeOptions& options) {
  auto loaded = config::load_config_file(options.config_path);
  if (!loaded.ok()) {
    std::cerr << config::format_all(loaded.errors);
    return kExitUsage;
  }
  const config::Config& cfg = *loaded.config;
  log::init(*log::parse_format(cfg.logging.format), *log::parse_level(cfg.logging.level), cfg.logging.file);

  sigset_t stop_signals = block_stop_signals();

  http::ServerOptions so;
  so.address = cfg.server.address;
  so.port = static_cast<std::uint16_t>(cfg.server.port);
  so.threads = cfg.server.threads > 0 ? cfg.server.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  so.max_body_bytes = cfg.server.max_body_bytes;
  so.max_header_bytes = cfg.server.max_header_bytes;
  so.max_connections = cfg.server.max_connections;
  so.read_timeout = cfg.server.read_timeout;
  so.idle_timeout = cfg.server.idle_timeout;
  so.write_timeout = cfg.server.read_timeout;
  if (cfg.server.tls) {
    so.tls_cert_file = cfg.server.tls->cert_file;
    so.tls_key_file = cfg.server.tls->key_file;
  }

  auto secrets = resolve_secrets(cfg.webhook.secrets);
  if (!secrets) {
    log::error("cannot resolve the webhook secrets", {{"error", secrets.error().message}});
    std::cerr << "ghscale: " << secrets.error().message << "\n";
    return kExitFailure;
  }
  auto opened = open_store(cfg, StoreUse::kDaemon);
  if (!opened) {
    log::error("cannot open the store", {{"error", opened.error().message}});
    std::cerr << "ghscale: " << opened.error().message << "\n";
    return kExitFailure;
  }
  std::shared_ptr<store::Store> store = std::move(*opened);
  webhook::HandlerConfig hc;
  hc.path = cfg.server.webhook_path;
  hc.secrets = std::move(*secrets);
  hc.max_body_bytes = cfg.server.max_body_bytes;
  auto handler = webhook::Handler::create(std::move(hc), system_clock(), std::make_shared<StoreSink>(store));
  if (!handler) {
    std::cerr << "ghscale: " << handler.error().message << "\n";
    return kExitFailure;
  }
  // Deliveries wait for a durable commit; many in flight let one commit cover many.
  constexpr int kWebhookWorkers = 128;
  Routes routes(cfg, store, std::move(*handler), kWebhookWorkers);
  auto server = http::Server::start(so, routes.handler());
  if (!server) {
    log::error("cannot start server", {{"error", server.error().describe()}});
    std::cerr << "ghscale: " << server.error().message << "\n";
    return kExitFailure;
  }
  log::info("listening", {{"address", cfg.server.address},
                          {"port", static_cast<int>((*server)->port())},
                          {"tls", cfg.server.tls.has_value()},
                          {"version", std::string(kVersion)},
                          {"pools", static_cast<int>(cfg.pools.size())}});

  int sig = wait_for_stop_signal(stop_signals);
  log::info("shutting down", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"},
                              {"grace_ms", static_cast<std::int64_t>(cfg.server.shutdown_grace.count())}});
  routes.set_ready(false);
  (*server)->shutdown(cfg.server.shutdown_grace);
  routes.drain();
  if (auto st = store->flush(); !st) log::warn("store flush failed", {{"error", st.error().message}});
  if (auto st = store->close(); !st) log::warn("store close failed", {{"error", st.error().message}});
  log::info("stopped");
  return kExitOk;
}

}  // namespace ghscale::app
