// The daemon's HTTP surface: which path goes to which handler. Wiring only. Webhook
// deliveries are answered once durably stored: with a store that queues its writes
// (SQLite) they are handled on the server's I/O threads and answered from the store's
// writer; with one whose writes hold the thread they run on the worker pool, so the
// I/O threads never block.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/series.h"
#include "config/config.h"
#include "http/server.h"
#include "scaler/reconciler.h"
#include "store/store.h"
#include "webhook/handler.h"

namespace ghscale::app {

class Routes {
 public:
  // reconciler may be null (a daemon without pools). `workers` threads run blocking
  // deliveries and the readiness probe.
  Routes(const config::Config& cfg, std::shared_ptr<store::Store> store, std::unique_ptr<webhook::Handler> webhook,
         std::shared_ptr<scaler::Reconciler> reconciler, int workers);
  ~Routes();

  http::AsyncHandler handler();
  void set_ready(bool ready) { ready_ = ready; }
  // The resolved server.status_token; unset = the status API answers loopback clients only.
  void set_status_token(std::string token) { status_token_ = std::move(token); }
  // More series for /metrics (the GitHub client's calls and rate limits).
  void add_metrics_source(std::function<void(std::string&)> source) { metrics_sources_.push_back(std::move(source)); }
  // The dashboard's series for /api/v1/series; unset = that path answers 404.
  void set_series(std::shared_ptr<const Series> series) { series_ = std::move(series); }
  // Waits for deliveries already handed to the workers.
  void drain();

 private:
  http::Response route(const http::Request& req) const;
  http::Response metrics() const;
  http::Response api(const http::Request& req) const;
  bool is_status_path(std::string_view path) const;
  // Why a status or metrics read is refused (401, 403), or nothing when it may proceed.
  std::optional<http::Response> refuse_status_read(const http::Request& req) const;

  struct Workers;
  const config::Config& cfg_;
  std::shared_ptr<store::Store> store_;
  std::unique_ptr<webhook::Handler> webhook_;
  std::shared_ptr<scaler::Reconciler> reconciler_;
  std::unique_ptr<Workers> workers_;
  std::atomic<bool> ready_{true};
  std::vector<std::function<void(std::string&)>> metrics_sources_;  // set before serving
  std::optional<std::string> status_token_;                          // set before serving
  std::shared_ptr<const Series> series_;                             // set before serving
};

}  // namespace ghscale::app
