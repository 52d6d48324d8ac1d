#include "sandbox/cloud_server.h"

#include <mutex>

#include "provider/remote/wire.h"

namespace ghscale::sandbox {

namespace wire = provider::wire;

struct CloudServer::State {
  std::shared_ptr<provider::Provider> cloud;
  std::shared_ptr<Clock> clock;
  std::unique_ptr<http::Server> server;
  mutable std::mutex mu;
  std::vector<CloudCall> calls;  // guarded by mu

  void record(const http::Request& req, std::string op) {
    std::lock_guard lock(mu);
    calls.push_back({clock->now(), std::string(req.headers.get(wire::kProcessHeader, "?")), std::move(op)});
  }

  static http::Response fail(const Error& e) {
    http::Response r;
    r.status = wire::http_status_for(e.kind);
    r.headers.set("Content-Type", "application/json");
    r.body = wire::encode_error(e);
    return r;
  }

  static http::Response ok_json(std::string body) {
    http::Response r;
    r.status = 200;
    r.headers.set("Content-Type", "application/json");
    r.body = std::move(body);
    return r;
  }

  static http::Response no_content() {
    http::Response r;
    r.status = 204;
    return r;
  }

  http::Response handle(const http::Request& req) {
    const std::string_view path = req.path();
    constexpr std::string_view kPools = "/v1/pools/", kInstances = "/instances";
    if (path.starts_with(kPools) && path.ends_with(kInstances) && path.size() > kPools.size() + kInstances.size()) {
      if (req.method != "GET") return http::Response::error(405, "method not allowed");
      const std::string_view pool = path.substr(kPools.size(), path.size() - kPools.size() - kInstances.size());
      if (pool.find('/') != std::string_view::npos || pool.find('%') != std::string_view::npos) {
        return fail(make_error(ErrorKind::kInvalid, "bad pool name"));
      }
      auto list = cloud->describe(pool);
      return list ? ok_json(wire::encode_instances(*list)) : fail(list.error());
    }
    if (req.method != "POST") {
      return path.starts_with("/v1/") ? http::Response::error(405, "method not allowed")
                                      : http::Response::error(404, "not found");
    }
    if (path == "/v1/launch") {
      auto r = wire::decode_launch_request(req.body);
      if (!r) return fail(r.error());
      record(req, "launch");
      auto out = cloud->launch(*r);
      return out ? ok_json(wire::encode_launch_outcome(*out)) : fail(out.error());
    }
    if (path == "/v1/terminate" || path == "/v1/protect") {
      auto ids = wire::decode_ids(req.body);
      if (!ids) return fail(ids.error());
      const bool terminate = path == "/v1/terminate";
      record(req, terminate ? "terminate" : "protect");
      Status s = terminate ? cloud->terminate(ids->ids) : cloud->protect(ids->ids, ids->enabled);
      return s.ok() ? no_content() : fail(s.error());
    }
    if (path == "/v1/hand-over") {
      auto h = wire::decode_hand_over(req.body);
      if (!h) return fail(h.error());
      record(req, "hand-over");
      Status s = cloud->hand_over(h->instance_id, h->registration);
      return s.ok() ? no_content() : fail(s.error());
    }
    return http::Response::error(404, "not found");
  }
};

Result<std::unique_ptr<CloudServer>> CloudServer::start(std::shared_ptr<provider::Provider> cloud,
                                                        std::shared_ptr<Clock> clock, int threads) {
  auto state = std::make_shared<State>();
  state->cloud = std::move(cloud);
  state->clock = clock ? std::move(clock) : system_clock();
  http::ServerOptions so;
  so.address = "127.0.0.1";
  so.threads = threads;
  so.max_body_bytes = 1 << 20;
  auto server = http::Server::start(so, http::make_sync_handler([s = state.get()](const http::Request& r) {
    return s->handle(r);
  }));
  if (!server) return server.error();
  state->server = std::move(*server);
  return std::unique_ptr<CloudServer>(new CloudServer(std::move(state)));
}

CloudServer::CloudServer(std::shared_ptr<State> state) : state_(std::move(state)) {}

CloudServer::~CloudServer() { shutdown(); }

std::uint16_t CloudServer::port() const { return state_->server->port(); }

std::string CloudServer::endpoint_url() const { return "http://127.0.0.1:" + std::to_string(port()); }

std::vector<CloudCall> CloudServer::calls() const {
  std::lock_guard lock(state_->mu);
  return state_->calls;
}

void CloudServer::shutdown() {
  if (state_->server) state_->server->shutdown(std::chrono::seconds(1));
}

}  // namespace ghscale::sandbox
