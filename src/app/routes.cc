#include "app/routes.h"

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include "app/api_json.h"
#include "core/version.h"
#include "scaler/status.h"

namespace ghscale::app {

struct Routes::Workers {
  explicit Workers(int n) : pool(static_cast<std::size_t>(n)) {}
  boost::asio::thread_pool pool;
};

Routes::Routes(const config::Config& cfg, std::shared_ptr<store::Store> store,
               std::unique_ptr<webhook::Handler> webhook, std::shared_ptr<scaler::Reconciler> reconciler, int workers)
    : cfg_(cfg),
      store_(std::move(store)),
      webhook_(std::move(webhook)),
      reconciler_(std::move(reconciler)),
      workers_(std::make_unique<Workers>(workers)) {}

Routes::~Routes() { drain(); }

void Routes::drain() { workers_->pool.join(); }

http::AsyncHandler Routes::handler() {
  return [this](http::Request&& req, http::Responder respond) {
    if (webhook_ && req.path() == webhook_->path()) {
      boost::asio::post(workers_->pool, [this, req = std::move(req), respond = std::move(respond)] {
        respond(webhook_->handle(req));
      });
      return;
    }
    respond(route(req));
  };
}

http::Response Routes::route(const http::Request& req) const {
  std::string_view path = req.path();
  bool get = req.method == "GET" || req.method == "HEAD";
  auto only_get = [&](auto&& answer) -> http::Response {
    if (!get) {
      auto r = http::Response::error(405, "method not allowed");
      r.headers.set("Allow", "GET, HEAD");
      return r;
    }
    return answer();
  };
  if (path == "/healthz") {
    return only_get([] { return http::Response::json(200, R"({"status":"ok"})"); });
  }
  if (path == "/readyz") {
    return only_get([&] {
      if (!ready_) return http::Response::json(503, R"({"status":"shutting down"})");
      if (store_ && !store_->ping().ok()) return http::Response::json(503, R"({"status":"store unavailable"})");
      return http::Response::json(200, R"({"status":"ready"})");
    });
  }
  if (cfg_.metrics.enabled && path == cfg_.metrics.path) return only_get([&] { return metrics(); });
  if (path.substr(0, 8) == "/api/v1/") return only_get([&] { return api(req); });
  return http::Response::error(404, "not found");
}

http::Response Routes::metrics() const {
  std::string out;
  out += "# HELP ghscale_build_info ghscale's version.\n# TYPE ghscale_build_info gauge\n";
  out += "ghscale_build_info{version=\"" + std::string(kVersion) + "\"} 1\n";
  if (webhook_) webhook_->append_metrics(out);
  if (reconciler_) reconciler_->metrics().append_prometheus(out);
  for (const auto& source : metrics_sources_) source(out);
  if (store_) {
    if (auto counts = store_->job_counts(); counts.ok()) {
      out += "# HELP ghscale_store_jobs Jobs in the store by status.\n# TYPE ghscale_store_jobs gauge\n";
      out += "ghscale_store_jobs{status=\"waiting\"} " + std::to_string(counts->waiting) + "\n";
      out += "ghscale_store_jobs{status=\"queued\"} " + std::to_string(counts->queued) + "\n";
      out += "ghscale_store_jobs{status=\"in_progress\"} " + std::to_string(counts->in_progress) + "\n";
      out += "ghscale_store_jobs{status=\"completed\"} " + std::to_string(counts->completed) + "\n";
    }
  }
  return http::Response::text(200, std::move(out), "text/plain; version=0.0.4; charset=utf-8");
}

}  // namespace ghscale::app

namespace ghscale::app {

http::Response Routes::api(const http::Request& req) const {
  std::string_view path = req.path();
  if (path == "/api/v1/status") {
    if (!reconciler_) return http::Response::json(200, R"js({"pools":[],"scaler":"disabled: no pools configured"})js");
    return http::Response::json(200, scaler::to_json(reconciler_->status()));
  }
  if (path == "/api/v1/jobs") {
    auto query = parse_query(req.target);
    store::JobFilter filter;
    if (auto s = query.find("state"); s != query.end()) {
      auto st = parse_job_status(s->second);
      if (!st) return http::Response::error(400, "unknown state; use waiting, queued, in_progress or completed");
      filter.status = *st;
    }
    if (auto l = query.find("limit"); l != query.end()) {
      auto n = parse_positive(l->second);
      if (!n) return http::Response::error(400, "limit must be a positive integer");
      filter.limit = *n;
    }
    auto jobs = store_->list_jobs(filter);
    if (!jobs) return http::Response::error(503, "store unavailable");
    return http::Response::json(200, jobs_json(*jobs));
  }
  if (path == "/api/v1/actions") {
    auto query = parse_query(req.target);
    std::size_t last = 50;
    if (auto l = query.find("last"); l != query.end()) {
      auto n = parse_positive(l->second);
      if (!n) return http::Response::error(400, "last must be a positive integer");
      last = *n;
    }
    auto actions = store_->last_actions(last);
    if (!actions) return http::Response::error(503, "store unavailable");
    return http::Response::json(200, actions_json(*actions));
  }
  return http::Response::error(404, "not found");
}

}  // namespace ghscale::app
