// `ghscale status`: the running daemon's per-pool view (GET /api/v1/status) as a table.
#include <boost/json.hpp>

#include <iostream>
#include <optional>

#include "app/commands.h"
#include "app/exit_codes.h"
#include "app/secrets.h"
#include "app/table.h"
#include "config/loader.h"
#include "core/http_url.h"
#include "core/version.h"
#include "http/client.h"

namespace ghscale::app {
namespace {

std::string field(const boost::json::object& o, std::string_view key) {
  const boost::json::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return "-";
  if (v->is_string()) return std::string(v->as_string());
  if (v->is_int64()) return std::to_string(v->as_int64());
  if (v->is_uint64()) return std::to_string(v->as_uint64());
  if (v->is_bool()) return v->as_bool() ? "yes" : "no";
  return boost::json::serialize(*v);
}

}  // namespace

int run_status(const StatusOptions& o) {
  std::string url = o.url;
  std::optional<std::string> token;  // server.status_token, when the configuration has one
  if (url.empty() || !o.config_path.empty()) {
    auto loaded = config::load_config_file(o.config_path);
    if (!loaded.ok()) {
      std::cerr << config::format_all(loaded.errors);
      return kExitUsage;
    }
    const auto& s = loaded.config->server;
    if (s.status_token) {
      auto resolved = resolve_secret(*s.status_token);
      if (!resolved) {
        std::cerr << "ghscale: server.status_token: " << resolved.error().message << "\n";
        return kExitFailure;
      }
      token = std::move(*resolved);
    }
    if (url.empty()) {
      if (s.port == 0) {
        // Port 0 asks the daemon for any free port at start; the file cannot say which.
        std::cerr << "ghscale status: " << o.config_path
                  << " sets server.port: 0, so the daemon's port is chosen when it starts (its log line "
                     "\"listening\" names it); pass --url http://HOST:PORT instead\n";
        return kExitUsage;
      }
      std::string host = s.address == "0.0.0.0" || s.address == "::" ? "127.0.0.1" : s.address;
      url = std::string(s.tls ? "https" : "http") + "://" + host + ":" + std::to_string(s.port);
    }
  }
  if (auto problem = http_url_problem(url)) {
    std::cerr << "ghscale status: " << (o.url.empty() ? "the daemon's address from " + o.config_path : std::string("--url"))
              << " " << *problem << "\n";
    return kExitUsage;
  }
  while (!url.empty() && url.back() == '/') url.pop_back();
  auto client = http::make_curl_client({.timeout = std::chrono::seconds(10),
                                        .user_agent = "ghscale/" + std::string(kVersion)});
  http::ClientRequest request;
  request.url = url + "/api/v1/status";
  if (token) request.headers.set("Authorization", "Bearer " + *token);
  auto r = client->send(request);
  if (!r) {
    std::cerr << "ghscale: cannot reach the daemon: " << r.error().message << "\n";
    return kExitFailure;
  }
  if (r->status != 200) {
    std::cerr << "ghscale: " << url << "/api/v1/status answered HTTP " << r->status << "\n";
    return kExitFailure;
  }
  if (o.json) {
    std::cout << r->body << "\n";
    return kExitOk;
  }
  boost::system::error_code ec;
  boost::json::value doc = boost::json::parse(r->body, ec);
  if (ec || !doc.is_object()) {
    std::cerr << "ghscale: the daemon's status is not JSON\n";
    return kExitFailure;
  }
  const auto& root = doc.as_object();
  std::cout << "lease holder: " << field(root, "lease_holder") << "   acting here: " << field(root, "acting") << "\n";
  const std::vector<std::string> header = {"POOL", "DESIRED", "RUNNING", "IDLE", "BUSY", "BOOTING", "QUEUED",
                                           "ON-DEMAND", "SPOT", "COOLDOWN"};
  std::vector<std::vector<std::string>> rows;
  if (const auto* pools = root.if_contains("pools"); pools != nullptr && pools->is_array()) {
    for (const auto& p : pools->as_array()) {
      if (!p.is_object()) continue;
      const auto& o2 = p.as_object();
      rows.push_back({field(o2, "name"), field(o2, "desired"), field(o2, "running"), field(o2, "idle"),
                      field(o2, "busy"), field(o2, "booting"), field(o2, "queued_jobs"), field(o2, "on_demand"),
                      field(o2, "spot"), field(o2, "cooldown_active")});
    }
  }
  std::cout << render_table(header, rows);
  return kExitOk;
}

}  // namespace ghscale::app
