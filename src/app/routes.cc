#include "app/routes.h"

namespace ghscale::app {

http::AsyncHandler Routes::handler() {
  return http::make_sync_handler([this](const http::Request& req) { return route(req); });
}

http::Response Routes::route(const http::Request& req) const {
  std::string_view path = req.path();
  bool get = req.method == "GET" || req.method == "HEAD";
  if (path == "/healthz") {
    if (!get) return http::Response::error(405, "method not allowed");
    return http::Response::json(200, R"({"status":"ok"})");
  }
  if (path == "/readyz") {
    if (!get) return http::Response::error(405, "method not allowed");
    if (!ready_) return http::Response::json(503, R"({"status":"shutting down"})");
    return http::Response::json(200, R"({"status":"ready"})");
  }
  return http::Response::error(404, "not found");
}

}  // namespace ghscale::app
