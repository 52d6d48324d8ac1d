#include "app/routes.h"

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>

#include "app/api_json.h"
#include "app/ui_routes.h"
#include "core/version.h"
#include "scaler/status.h"

namespace ghscale::app {

namespace {

// /readyz proves the store takes writes, not only reads: a store that answers reads but
// cannot commit (disk full, a lock held elsewhere, a throttled table) would acknowledge
// no delivery, and the load balancer must take the daemon out. The probe is a setting
// nothing reads ("readyz_probe" = the time), written at most once a second however
// often /readyz is asked (it is unauthenticated); callers in between get the last result.
constexpr auto kProbeInterval = std::chrono::seconds(1);
constexpr std::string_view kProbeSetting = "readyz_probe";

class WriteProbe {
 public:
  Status check(store::Store& store) {
    std::unique_lock lock(mu_);
    const auto now = std::chrono::steady_clock::now();
    if (last_ && now - last_at_ < kProbeInterval) return *last_;
    if (running_) {
      if (last_) return *last_;  // slightly stale beats piling up behind a stuck store
      done_.wait(lock, [this] { return !running_; });
      return *last_;
    }
    running_ = true;
    lock.unlock();
    Status result = store.ping();
    if (result) result = store.set_setting(kProbeSetting, std::to_string(to_unix_ms(system_clock()->now())));
    lock.lock();
    running_ = false;
    last_ = result;
    last_at_ = std::chrono::steady_clock::now();
    done_.notify_all();
    return result;
  }

 private:
  std::mutex mu_;
  std::condition_variable done_;
  bool running_ = false;                          // guarded by mu_
  std::optional<Status> last_;                    // guarded by mu_
  std::chrono::steady_clock::time_point last_at_;  // guarded by mu_
};

http::Response readyz(bool ready, store::Store* store, WriteProbe& probe) {
  if (!ready) return http::Response::json(503, R"({"status":"shutting down"})");
  if (store != nullptr && !probe.check(*store).ok()) {
    return http::Response::json(503, R"({"status":"store unavailable"})");
  }
  return http::Response::json(200, R"({"status":"ready"})");
}

// The status API's and /metrics' answers are bounded: a client cannot make one read
// copy the whole store.
constexpr std::size_t kMaxListed = 1000;

bool loopback(std::string_view address) {
  return address.rfind("127.", 0) == 0 || address == "::1" || address.rfind("::ffff:127.", 0) == 0;
}

// Equal in time independent of where they differ (the token is a secret): every byte of
// the offered value is compared, against the token or, past its end, against nothing.
bool same_secret(std::string_view offered, std::string_view token) {
  unsigned diff = offered.size() ^ token.size();
  for (std::size_t i = 0; i < offered.size(); ++i) {
    diff |= static_cast<unsigned char>(offered[i]) ^ (i < token.size() ? static_cast<unsigned char>(token[i]) : 0u);
  }
  return diff == 0 && !token.empty();
}

}  // namespace

struct Routes::Workers {
  explicit Workers(int n) : pool(static_cast<std::size_t>(n)), status(2) {}
  WriteProbe readiness;  // runs on the pool; declared first so it outlives the pool
  boost::asio::thread_pool pool;
  // Status and metrics reads: off the I/O threads and apart from the webhook's workers,
  // so a crowd of readers delays neither accepting connections nor deliveries.
  boost::asio::thread_pool status;
};

Routes::Routes(const config::Config& cfg, std::shared_ptr<store::Store> store,
               std::unique_ptr<webhook::Handler> webhook, std::shared_ptr<scaler::Reconciler> reconciler, int workers)
    : cfg_(cfg),
      store_(std::move(store)),
      webhook_(std::move(webhook)),
      reconciler_(std::move(reconciler)),
      workers_(std::make_unique<Workers>(workers)) {}

Routes::~Routes() { drain(); }

void Routes::drain() {
  workers_->pool.join();
  workers_->status.join();
}

bool Routes::is_status_path(std::string_view path) const {
  return path.starts_with(config::kApiV1Prefix) || (cfg_.metrics.enabled && path == cfg_.metrics.path) || is_ui_path(path, cfg_.server.ui_path);
}

std::optional<http::Response> Routes::refuse_status_read(const http::Request& req) const {
  if (status_token_) {
    const std::string_view auth = req.headers.get("Authorization");
    constexpr std::string_view kBearer = "Bearer ";
    if (auth.size() > kBearer.size() && http::iequals(auth.substr(0, kBearer.size()), kBearer) &&
        same_secret(auth.substr(kBearer.size()), *status_token_)) {
      return std::nullopt;
    }
    auto r = http::Response::error(401, "the status API needs Authorization: Bearer <server.status_token>");
    r.headers.set("WWW-Authenticate", "Bearer realm=\"ghscale\"");
    return r;
  }
  if (loopback(req.remote_address)) return std::nullopt;
  return http::Response::error(
      403, "the status API answers loopback clients only; set server.status_token to reach it from elsewhere");
}

http::AsyncHandler Routes::handler() {
  return [this](http::Request&& req, http::Responder respond) {
    if (webhook_ && req.path() == webhook_->path()) {
      // A store that queues its writes answers from its writer thread: the delivery is
      // checked and parsed here, on the connection's I/O thread, and no thread waits.
      if (webhook_->answers_without_blocking()) {
        webhook_->handle_async(std::move(req), std::move(respond));
        return;
      }
      boost::asio::post(workers_->pool, [this, req = std::move(req), respond = std::move(respond)] {
        respond(webhook_->handle(req));
      });
      return;
    }
    // The readiness probe writes to the store: off the server's I/O threads as well.
    if (req.path() == config::kReadyPath && (req.method == "GET" || req.method == "HEAD")) {
      boost::asio::post(workers_->pool, [this, respond = std::move(respond)] {
        respond(readyz(ready_, store_.get(), workers_->readiness));
      });
      return;
    }
    if (is_status_path(req.path())) {
      if (auto refused = refuse_status_read(req)) {
        respond(std::move(*refused));
        return;
      }
      boost::asio::post(workers_->status, [this, req = std::move(req), respond = std::move(respond)] {
        respond(route(req));
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
  if (path == config::kHealthPath) {
    return only_get([] { return http::Response::json(200, R"({"status":"ok"})"); });
  }
  if (path == config::kReadyPath) return only_get([&] { return readyz(ready_, store_.get(), workers_->readiness); });
  if (cfg_.metrics.enabled && path == cfg_.metrics.path) return only_get([&] { return metrics(); });
  if (path.starts_with(config::kApiV1Prefix)) return only_get([&] { return api(req); });
  if (is_ui_path(path, cfg_.server.ui_path)) return only_get([&] { return *ui_response(path, cfg_.server.ui_path); });
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
  if (path == "/api/v1/series" && series_) return http::Response::json(200, series_->to_json());
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
      if (!n || *n > kMaxListed) return http::Response::error(400, "limit must be an integer from 1 to 1000");
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
      if (!n || *n > kMaxListed) return http::Response::error(400, "last must be an integer from 1 to 1000");
      last = *n;
    }
    auto actions = store_->last_actions(last);
    if (!actions) return http::Response::error(503, "store unavailable");
    return http::Response::json(200, actions_json(*actions));
  }
  return http::Response::error(404, "not found");
}

}  // namespace ghscale::app
