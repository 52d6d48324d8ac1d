#include "config/loader.h"

#include "config/yaml_include.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "config/yaml_reader.h"
#include "core/duration.h"
#include "core/file_read.h"
#include "core/http_url.h"
#include "core/runner_name.h"

namespace ghscale::config {
namespace {

namespace fs = std::filesystem;

// What the server's boost::asio::ip::make_address accepts, tested the way it does (IPv6
// with an optional %scope first, then IPv4, each by inet_pton), so the daemon never fails
// to start on an address the check passed; Asio itself stays out of this library. The
// server binds that literal and resolves no names, so "localhost" is refused.
// make_address reads a C string and would silently drop everything after a NUL, hence
// the control characters' own refusal.
bool has_control_char(std::string_view text) {
  return std::any_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

bool valid_listen_address(std::string_view text) {
  if (text.empty() || has_control_char(text)) return false;
  const std::string s(text);
  unsigned char bytes[sizeof(in6_addr)];
  const std::string v6 = s.substr(0, s.find('%'));
  return inet_pton(AF_INET6, v6.c_str(), bytes) == 1 || inet_pton(AF_INET, s.c_str(), bytes) == 1;
}

// A path the daemon answers (app/routes.cc), for the collision check once every section
// is read. The webhook is matched first, then the fixed routes, metrics, the status API
// and the dashboard: a setting that lands on another route hides one of the two.
struct Route {
  std::string path;
  bool subtree = false;          // the path and everything below it
  std::string what;              // what answers there, for the message
  std::string key;               // the setting that chose the path; empty for a fixed one
  std::optional<YAML::Mark> at;  // where the file sets it; none for fixed paths and defaults

  std::string describe() const {
    if (key.empty()) return what;
    return what + " (" + key + (at ? " at line " + std::to_string(at->line + 1) : "") + ")";
  }
};

bool route_covers(const Route& r, std::string_view path) {
  return path == r.path || (r.subtree && path.size() > r.path.size() && path.substr(0, r.path.size()) == r.path &&
                            path[r.path.size()] == '/');
}

// A certificate chain or a key is kilobytes; past this a tls file is surely not one.
constexpr std::size_t kMaxTlsFileBytes = 1 << 20;

// The shortest pools[].boot_timeout; Loader::boot_timeout() says why.
constexpr Duration kMinBootTimeout = std::chrono::seconds(30);

// Pool names become parts of tags, parameter paths and metric labels.
bool valid_pool_name(std::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  auto ok = [](char c, bool first) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (!first && (c == '-' || c == '_'));
  };
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (!ok(name[i], i == 0)) return false;
  }
  return true;
}

// Scale set names appear in workflows' runs-on and in the Actions service's URLs.
bool valid_scale_set_name(std::string_view name) {
  if (name.empty() || name.size() > 100) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
  });
}

class Loader {
 public:
  Loader(std::string name, std::string base_dir, std::vector<Diagnostic>& errors)
      : r_(name, errors), base_dir_(std::move(base_dir)) {
    cfg_.source_path = std::move(name);
  }

  // Every document of the file, as YAML::LoadAll found them: YAML::Load would read the
  // first and drop the others without a word.
  void load(const std::vector<YAML::Node>& documents) {
    for (std::size_t i = 1; i < documents.size(); ++i) {
      // An empty one ("---" at the end of the file) holds nothing to lose.
      if (documents[i].IsNull()) continue;
      r_.error(documents[i], "",
               "a second YAML document starts here; a config file is one document, and ghscale would ignore this one");
      break;
    }
    const YAML::Node root = documents.empty() ? YAML::Node() : documents[0];
    r_.check_duplicate_keys(root);
    load(root);
  }

  Config take() { return std::move(cfg_); }

 private:
  void load(const YAML::Node& root) {
    if (root.IsNull() || !root.IsDefined()) {
      r_.error(root, "", "the file is empty; it needs at least webhook.secrets");
      return;
    }
    if (!r_.check_map(root, "", {"server", "github", "webhook", "store", "pools", "reconcile", "logging", "metrics", "prices"})) {
      return;
    }
    if (root["server"]) server(root["server"]);
    if (root["github"]) github(root["github"]);
    if (root["store"]) store(root["store"]);
    if (root["pools"]) pools(root["pools"]);
    webhook(root["webhook"], root);  // after the pools: scale-set pools need no webhook
    if (root["reconcile"]) reconcile(root["reconcile"]);
    if (root["logging"]) logging(root["logging"]);
    if (root["metrics"]) metrics(root["metrics"]);
    if (root["prices"]) prices(root["prices"]);
    check_routes();
    cfg_.store.sqlite_path = resolve_path(cfg_.store.sqlite_path);
  }

  // Each route a setting chose against every other: one report per colliding pair, on the
  // setting written last (the one the file can change; defaults and fixed paths cannot).
  void check_routes() {
    std::vector<Route> routes = {{std::string(kHealthPath), false, "the health check", "", {}},
                                 {std::string(kReadyPath), false, "the readiness check", "", {}},
                                 {std::string(kApiPath), true, "the status API (/api/...)", "", {}}};
    const auto& s = cfg_.server;
    if (webhook_path_.valid) {
      routes.push_back({s.webhook_path, false, "the webhook endpoint", "server.webhook_path", webhook_path_.at});
    }
    if (ui_path_.valid && !s.ui_path.empty()) {
      routes.push_back({s.ui_path, true, "the dashboard", "server.ui_path", ui_path_.at});
    }
    if (metrics_path_.valid && cfg_.metrics.enabled) {
      routes.push_back({cfg_.metrics.path, false, "the metrics endpoint", "metrics.path", metrics_path_.at});
    }
    for (std::size_t i = 0; i < routes.size(); ++i) {
      for (std::size_t j = i + 1; j < routes.size(); ++j) {
        const Route& a = routes[i];
        const Route& b = routes[j];
        if (!route_covers(a, b.path) && !route_covers(b, a.path)) continue;
        // Fixed routes come first and have no position, so they are never blamed.
        const bool blame_b = b.at && (!a.at || a.at->pos < b.at->pos);
        const Route& mine = blame_b ? b : a;
        const Route& other = blame_b ? a : b;
        r_.error(mine.at.value_or(YAML::Mark::null_mark()), mine.key,
                 "\"" + mine.path + "\" is taken by " + other.describe());
      }
    }
  }

  // A URL ghscale dials, by the one check of them (core/http_url): true when present and
  // valid. The URL is not repeated in the error, as it may carry a credential.
  bool read_url(const YAML::Node& map, std::string_view key, const std::string& p, std::string& out, std::string_view hint = "") {
    if (!r_.read(map, key, p, out)) return false;
    if (auto problem = http_url_problem(out)) {
      r_.error(map[std::string(key)], p + "." + std::string(key), *problem + std::string(hint));
      out.clear();
      return false;
    }
    return true;
  }

  std::string resolve_path(const std::string& p) const {
    if (p.empty() || fs::path(p).is_absolute()) return p;
    return (fs::path(base_dir_) / p).lexically_normal().string();
  }

  // The check read_regular_file makes before reading (a FIFO no longer blocks the check,
  // and the contents, a secret's or a key's, stay untouched).
  void check_readable(const YAML::Node& at, const std::string& path, const std::string& file, std::size_t max_bytes) {
    if (Status s = check_regular_file(file, max_bytes); !s) {
      r_.error(at, path, "cannot read file \"" + file + "\": " + s.error().message);
    }
  }

  void server(const YAML::Node& n) {
    const std::string p = "server";
    if (!r_.check_map(n, p,
                      {"address", "port", "webhook_path", "ui_path", "tls", "threads", "max_body_bytes", "max_header_bytes",
                       "max_inflight_body_bytes", "max_connections", "max_connections_per_peer", "read_timeout",
                       "idle_timeout", "shutdown_grace", "status_token"})) {
      return;
    }
    auto& s = cfg_.server;
    if (r_.read(n, "address", p, s.address) && !valid_listen_address(s.address)) {
      r_.error(
          n["address"], p + ".address",
          "expected an IP address such as 0.0.0.0, :: or 127.0.0.1 (not a host name), got " +
              (has_control_char(s.address) ? std::string("text with a control character") : "\"" + s.address + "\""));
    }
    r_.read(n, "port", p, s.port, 0, 65535);
    if (r_.read(n, "webhook_path", p, s.webhook_path)) {
      webhook_path_.at = n["webhook_path"].Mark();
      if (s.webhook_path.empty() || s.webhook_path[0] != '/') {
        webhook_path_.valid = false;
        r_.error(n["webhook_path"], p + ".webhook_path", "must start with /");
      }
    }
    if (r_.read(n, "ui_path", p, s.ui_path) && !s.ui_path.empty()) {
      ui_path_.at = n["ui_path"].Mark();
      const std::string& u = s.ui_path;
      if (u[0] != '/' || u == "/" || u.back() == '/') {
        ui_path_.valid = false;
        r_.error(n["ui_path"], p + ".ui_path",
                 "must start with / and not end with one (e.g. /ui), or be empty for no dashboard");
      }
    }
    r_.read(n, "threads", p, s.threads, 0, 256);
    r_.read(n, "max_body_bytes", p, s.max_body_bytes);
    r_.read(n, "max_header_bytes", p, s.max_header_bytes);
    bool have_inflight = r_.read(n, "max_inflight_body_bytes", p, s.max_inflight_body_bytes);
    if (s.max_inflight_body_bytes < s.max_body_bytes) {
      // A body of the allowed size could never be accepted.
      r_.error(have_inflight ? n["max_inflight_body_bytes"] : n["max_body_bytes"],
               p + (have_inflight ? ".max_inflight_body_bytes" : ".max_body_bytes"),
               "max_inflight_body_bytes (" + std::to_string(s.max_inflight_body_bytes) +
                   ") must be at least max_body_bytes (" + std::to_string(s.max_body_bytes) + ")");
    }
    r_.read(n, "max_connections", p, s.max_connections, 1, 1000000);
    r_.read(n, "max_connections_per_peer", p, s.max_connections_per_peer, 1, 1000000);
    r_.read_duration(n, "read_timeout", p, s.read_timeout);
    r_.read_duration(n, "idle_timeout", p, s.idle_timeout);
    // Both arm a connection's deadline: 0 would cut every request off (read_timeout also
    // bounds each response's write), or close every kept-alive connection as a client
    // reuses it. shutdown_grace may be 0: cutting in-flight requests on SIGTERM is a choice.
    for (auto [key, value] : {std::pair{"read_timeout", s.read_timeout}, {"idle_timeout", s.idle_timeout}}) {
      if (n[key] && value.count() == 0) r_.error(n[key], p + "." + key, "must be greater than 0");
    }
    r_.read_duration(n, "shutdown_grace", p, s.shutdown_grace);
    if (YAML::Node t = n["status_token"]) secret(t, p + ".status_token", s.status_token);
    if (YAML::Node tls = n["tls"]) {
      const std::string tp = p + ".tls";
      if (r_.check_map(tls, tp, {"cert_file", "key_file"})) {
        TlsConfig t;
        bool have_cert = r_.read(tls, "cert_file", tp, t.cert_file);
        bool have_key = r_.read(tls, "key_file", tp, t.key_file);
        if (!have_cert) r_.error(tls, tp + ".cert_file", "is required with tls");
        if (!have_key) r_.error(tls, tp + ".key_file", "is required with tls");
        if (have_cert && have_key) {
          t.cert_file = resolve_path(t.cert_file);
          t.key_file = resolve_path(t.key_file);
          check_readable(tls["cert_file"], tp + ".cert_file", t.cert_file, kMaxTlsFileBytes);
          check_readable(tls["key_file"], tp + ".key_file", t.key_file, kMaxTlsFileBytes);
          s.tls = t;
        }
      }
    }
  }

  void secret(const YAML::Node& n, const std::string& path, std::optional<SecretRef>& out) {
    SecretRef ref;
    if (!r_.read_secret(n, path, ref)) return;
    if (ref.kind == SecretRef::Kind::kFile) {
      ref.target = resolve_path(ref.target);
      check_readable(n, path, ref.target, kMaxSecretFileBytes);
    }
    out = ref;
  }

  void github(const YAML::Node& n) {
    const std::string p = "github";
    if (!r_.check_map(n, p, {"api_url", "auth", "rate_limit_reserve"})) return;
    auto& g = cfg_.github;
    if (read_url(n, "api_url", p, g.api_url, " (such as https://api.github.com or https://HOST/api/v3)")) {
      while (g.api_url.size() > 1 && g.api_url.back() == '/') g.api_url.pop_back();
    }
    r_.read(n, "rate_limit_reserve", p, g.rate_limit_reserve, 0, 1000000);
    YAML::Node a = n["auth"];
    if (!a) {
      r_.error(n, p + ".auth", "is required (pat or app)");
      return;
    }
    const std::string ap = p + ".auth";
    if (!r_.check_map(a, ap, {"pat", "app"})) return;
    if (a["pat"] && a["app"]) {
      r_.error(a, ap, "choose one of pat or app, not both");
      return;
    }
    if (YAML::Node pat = a["pat"]) {
      g.auth.kind = GitHubAuth::Kind::kPat;
      const std::string pp = ap + ".pat";
      if (pat.IsScalar()) {  // shorthand: pat: env:GITHUB_TOKEN
        secret(pat, pp, g.auth.token);
      } else if (r_.check_map(pat, pp, {"token"})) {
        if (pat["token"]) {
          secret(pat["token"], pp + ".token", g.auth.token);
        } else {
          r_.error(pat, pp + ".token", "is required");
        }
      }
    } else if (YAML::Node app = a["app"]) {
      g.auth.kind = GitHubAuth::Kind::kApp;
      const std::string pp = ap + ".app";
      if (!r_.check_map(app, pp, {"id", "private_key", "installation_id", "org", "repo"})) return;
      if (!r_.read(app, "id", pp, g.auth.app_id, 1)) {
        if (!app["id"]) r_.error(app, pp + ".id", "is required (the GitHub App's id)");
      }
      if (app["private_key"]) {
        secret(app["private_key"], pp + ".private_key", g.auth.private_key);
      } else {
        r_.error(app, pp + ".private_key", "is required (a reference to the App's PEM key)");
      }
      r_.read(app, "installation_id", pp, g.auth.installation_id, 1);
      r_.read(app, "org", pp, g.auth.org);
      if (r_.read(app, "repo", pp, g.auth.repo) && g.auth.repo.find('/') == std::string::npos) {
        r_.error(app["repo"], pp + ".repo", "expected owner/name");
      }
      if (!app["installation_id"] && !app["org"] && !app["repo"]) {
        r_.error(app, pp, "needs installation_id, or org or repo to discover the installation");
      }
    } else {
      r_.error(a, ap, "needs pat or app");
    }
  }

  void webhook(const YAML::Node& n, const YAML::Node& root) {
    const std::string p = "webhook";
    if (!n) {
      // Pools that all learn their jobs from a scale set need no endpoint and no secret.
      const bool all_scale_set =
          !cfg_.pools.empty() && std::all_of(cfg_.pools.begin(), cfg_.pools.end(),
                                             [](const PoolConfig& pool) { return pool.demand == Demand::kScaleSet; });
      if (!all_scale_set) {
        r_.error(root, p + ".secrets", "is required: at least one webhook secret reference");
      }
      return;
    }
    if (!r_.check_map(n, p, {"secrets"})) return;
    YAML::Node s = n["secrets"];
    if (!s) {
      r_.error(n, p + ".secrets", "is required: at least one webhook secret reference");
      return;
    }
    if (!s.IsSequence()) {
      r_.error(s, p + ".secrets", "expected a list of secret references, got " + describe_kind(s));
      return;
    }
    if (s.size() == 0) r_.error(s, p + ".secrets", "needs at least one secret reference");
    for (std::size_t i = 0; i < s.size(); ++i) {
      std::optional<SecretRef> ref;
      secret(s[i], YamlReader::index(p + ".secrets", i), ref);
      if (ref) cfg_.webhook.secrets.push_back(*ref);
    }
  }

  void store(const YAML::Node& n) {
    const std::string p = "store";
    if (!r_.check_map(n, p, {"sqlite", "dynamodb", "retention"})) return;
    auto& s = cfg_.store;
    r_.read_duration(n, "retention", p, s.retention);
    if (n["sqlite"] && n["dynamodb"]) {
      r_.error(n, p, "choose one of sqlite or dynamodb, not both");
      return;
    }
    if (YAML::Node q = n["sqlite"]) {
      s.kind = StoreConfig::Kind::kSqlite;
      if (q.IsNull()) return;
      if (r_.check_map(q, p + ".sqlite", {"path"})) r_.read(q, "path", p + ".sqlite", s.sqlite_path);
    } else if (YAML::Node d = n["dynamodb"]) {
      s.kind = StoreConfig::Kind::kDynamoDb;
      const std::string dp = p + ".dynamodb";
      if (!r_.check_map(d, dp, {"table", "region", "endpoint_url"})) return;
      if (!r_.read(d, "table", dp, s.dynamodb_table)) {
        if (!d["table"]) r_.error(d, dp + ".table", "is required");
      }
      r_.read(d, "region", dp, s.dynamodb_region);
      read_url(d, "endpoint_url", dp, s.dynamodb_endpoint_url);
    }
  }

  void provider(const YAML::Node& n, const std::string& p, ProviderConfig& out) {
    if (!n.IsMap()) {
      r_.error(n, p, "expected a map with a type, got " + describe_kind(n));
      return;
    }
    std::string type;
    if (!n["type"]) {
      r_.error(n, p + ".type", "is required: sim, aws_asg or aws_fleet");
      return;
    }
    if (!r_.read_enum(n, "type", p, type, {"sim", "aws_asg", "aws_fleet"})) return;
    if (type == "sim") {
      out.kind = ProviderConfig::Kind::kSim;
      if (!r_.check_map(n, p, {"type", "boot_time", "spot_interruption_rate", "endpoint_url"})) return;
      r_.read_duration(n, "boot_time", p, out.boot_time);
      r_.read(n, "spot_interruption_rate", p, out.spot_interruption_rate, 0.0, 1000.0);
      // A simulated cloud served by another process (the sandbox's, or a test's) instead of
      // one inside the daemon: only loopback, since it is a testing aid, not a cloud.
      if (r_.read(n, "endpoint_url", p, out.endpoint_url) && out.endpoint_url.rfind("http://127.", 0) != 0 &&
          out.endpoint_url.rfind("http://[::1]", 0) != 0 && out.endpoint_url.rfind("http://localhost", 0) != 0) {
        r_.error(n["endpoint_url"], p + ".endpoint_url", "must be a loopback http:// URL (the sandbox's simulated cloud)");
      }
      return;
    }
    if (type == "aws_asg") {
      out.kind = ProviderConfig::Kind::kAwsAsg;
      if (!r_.check_map(n, p, {"type", "region", "endpoint_url", "asg_name", "instance_types", "ssm_prefix"})) return;
      if (!r_.read(n, "asg_name", p, out.asg_name) && !n["asg_name"]) {
        r_.error(n, p + ".asg_name", "is required for aws_asg");
      }
      // Optional: what `ghscale pools check` expects the group's MixedInstancesPolicy to list.
      r_.read_list(n, "instance_types", p, out.instance_types);
    } else {
      out.kind = ProviderConfig::Kind::kAwsFleet;
      if (!r_.check_map(n, p,
                        {"type", "region", "endpoint_url", "launch_template", "launch_template_version",
                         "instance_types", "subnets", "spot_allocation_strategy", "on_demand_fallback_errors",
                         "ssm_prefix", "deployment"})) {
        return;
      }
      if (!r_.read(n, "launch_template", p, out.launch_template) && !n["launch_template"]) {
        r_.error(n, p + ".launch_template", "is required for aws_fleet");
      }
      r_.read(n, "launch_template_version", p, out.launch_template_version);
      if (r_.read_list(n, "instance_types", p, out.instance_types)) {
        if (out.instance_types.empty()) r_.error(n["instance_types"], p + ".instance_types", "needs at least one");
      } else if (!n["instance_types"]) {
        r_.error(n, p + ".instance_types", "is required for aws_fleet");
      }
      r_.read_list(n, "subnets", p, out.subnets);
      r_.read_enum(n, "spot_allocation_strategy", p, out.spot_allocation_strategy,
                   {"price-capacity-optimized", "capacity-optimized", "lowest-price", "diversified",
                    "capacity-optimized-prioritized"});
      r_.read_list(n, "on_demand_fallback_errors", p, out.on_demand_fallback_errors);
      if (r_.read(n, "deployment", p, out.deployment) &&
          (out.deployment.empty() || out.deployment.size() > 128)) {
        r_.error(n["deployment"], p + ".deployment", "must be 1 to 128 characters (an EC2 tag value)");
      }
    }
    r_.read(n, "region", p, out.region);
    read_url(n, "endpoint_url", p, out.endpoint_url);
    if (r_.read(n, "ssm_prefix", p, out.ssm_prefix) && (out.ssm_prefix.empty() || out.ssm_prefix[0] != '/')) {
      r_.error(n["ssm_prefix"], p + ".ssm_prefix", "must start with /");
    }
  }

  void scope(const YAML::Node& n, const std::string& p, PoolScope& out) {
    if (!r_.check_map(n, p, {"org", "repo", "enterprise"})) return;
    int count = (n["org"] ? 1 : 0) + (n["repo"] ? 1 : 0) + (n["enterprise"] ? 1 : 0);
    if (count != 1) {
      r_.error(n, p, "needs exactly one of org, repo or enterprise");
      return;
    }
    if (r_.read(n, "org", p, out.name)) out.kind = PoolScope::Kind::kOrg;
    if (r_.read(n, "enterprise", p, out.name)) out.kind = PoolScope::Kind::kEnterprise;
    if (r_.read(n, "repo", p, out.name)) {
      out.kind = PoolScope::Kind::kRepo;
      auto slash = out.name.find('/');
      if (slash == std::string::npos || slash == 0 || slash + 1 == out.name.size()) {
        r_.error(n["repo"], p + ".repo", "expected owner/name");
      }
    }
  }

  void pools(const YAML::Node& n) {
    if (!n.IsSequence()) {
      r_.error(n, "pools", "expected a list of pools, got " + describe_kind(n));
      return;
    }
    std::map<std::string, std::pair<std::size_t, YAML::Mark>> names;
    std::map<std::string, std::size_t> scale_set_names;  // lower-cased, as GitHub compares them
    std::vector<std::pair<std::string, std::size_t>> label_keys;
    for (std::size_t i = 0; i < n.size(); ++i) {
      const YAML::Node pn = n[i];
      const std::string p = YamlReader::index("pools", i);
      if (!r_.check_map(pn, p,
                        {"name", "labels", "os", "arch", "scope", "runner_group", "provider", "min_idle",
                         "max_runners", "on_demand_base", "ephemeral", "cooldown", "idle_timeout", "min_lifetime",
                         "boot_timeout", "warm_pool", "reuse", "demand", "scale_set"})) {
        continue;
      }
      PoolConfig pool;
      if (!r_.read(pn, "name", p, pool.name)) {
        if (!pn["name"]) r_.error(pn, p + ".name", "is required");
      } else if (!valid_pool_name(pool.name)) {
        r_.error(pn["name"], p + ".name",
                 "\"" + pool.name + "\" must be lower-case letters, digits, - and _ (at most 63)");
      } else if (auto [it, inserted] = names.try_emplace(pool.name, i, pn["name"].Mark()); !inserted) {
        r_.error(pn["name"], p + ".name",
                 "duplicate pool name \"" + pool.name + "\" (first used by pools[" + std::to_string(it->second.first) +
                     "] at line " + std::to_string(it->second.second.line + 1) + ")");
      }
      r_.read_enum(pn, "os", p, pool.os, {"linux", "windows", "macos"});
      r_.read_enum(pn, "arch", p, pool.arch, {"x64", "arm64"});
      std::vector<std::string> labels;
      if (r_.read_list(pn, "labels", p, labels)) {
        if (labels.empty()) r_.error(pn["labels"], p + ".labels", "needs at least one label");
      } else if (!pn["labels"]) {
        r_.error(pn, p + ".labels", "is required");
      }
      pool.labels = LabelSet(labels);
      pool.labels.add("self-hosted");
      pool.labels.add(pool.os);
      pool.labels.add(pool.arch);
      if (!labels.empty()) {
        std::string key = pool.labels.joined();
        for (const auto& [other, j] : label_keys) {
          if (other == key) {
            r_.error(pn["labels"], p + ".labels",
                     "same label set as pools[" + std::to_string(j) +
                         "]; every job would go to the first of them, so this pool would never be used");
          }
        }
        label_keys.emplace_back(key, i);
      }
      if (YAML::Node s = pn["scope"]) {
        scope(s, p + ".scope", pool.scope);
      } else {
        r_.error(pn, p + ".scope", "is required: org, repo or enterprise");
      }
      r_.read(pn, "runner_group", p, pool.runner_group);
      if (YAML::Node pr = pn["provider"]) {
        provider(pr, p + ".provider", pool.provider);
      } else {
        r_.error(pn, p + ".provider", "is required");
      }
      bool have_min = r_.read(pn, "min_idle", p, pool.min_idle, 0, 100000);
      bool have_max = r_.read(pn, "max_runners", p, pool.max_runners, 0, 100000);
      r_.read(pn, "on_demand_base", p, pool.on_demand_base, 0, 100000);
      r_.read(pn, "ephemeral", p, pool.ephemeral);
      r_.read_duration(pn, "cooldown", p, pool.cooldown);
      r_.read_duration(pn, "idle_timeout", p, pool.idle_timeout);
      r_.read_duration(pn, "min_lifetime", p, pool.min_lifetime);
      boot_timeout(pn, p, pool);
      if (YAML::Node w = pn["warm_pool"]) {
        const std::string wp = p + ".warm_pool";
        if (r_.check_map(w, wp, {"enabled", "window", "coverage", "max"})) {
          r_.read(w, "enabled", wp, pool.warm_pool.enabled);
          if (r_.read_duration(w, "window", wp, pool.warm_pool.window) && pool.warm_pool.window < std::chrono::minutes(1)) {
            r_.error(w["window"], wp + ".window", "must be at least 1m (fewer starts say little about the rate)");
          }
          r_.read(w, "coverage", wp, pool.warm_pool.coverage, 0.0, 10.0);
          r_.read(w, "max", wp, pool.warm_pool.max, 0, 100000);
        }
      }
      if (YAML::Node u = pn["reuse"]) {
        const std::string rp = p + ".reuse";
        if (r_.check_map(u, rp, {"enabled", "max_jobs", "keep"})) {
          r_.read(u, "enabled", rp, pool.reuse.enabled);
          r_.read(u, "max_jobs", rp, pool.reuse.max_jobs, 1, 100000);
          r_.read(u, "keep", rp, pool.reuse.keep, 0.0, 10.0);
        }
      }
      demand(pn, p, i, pool, scale_set_names);
      // GitHub refuses a runner name over 64 characters: every registration would fail.
      if (valid_pool_name(pool.name)) {
        const int registrations = pool.ephemeral && pool.reuse.enabled ? pool.reuse.max_jobs : 1;
        if (const std::size_t longest = longest_runner_name(pool.name, registrations); longest > kMaxRunnerNameLength) {
          const std::size_t room = kMaxRunnerNameLength - (longest - pool.name.size());
          r_.error(pn["name"], p + ".name",
                   "\"" + pool.name + "\" makes runner names of up to " + std::to_string(longest) + " characters (\"" +
                       std::string(kRunnerNameHead) + pool.name + "-<instance id of up to " +
                       std::to_string(kLongestInstanceIdLength) + ">" +
                       (registrations > 1 ? "-r" + std::to_string(registrations) : std::string()) + "\"), over GitHub's " +
                       std::to_string(kMaxRunnerNameLength) + ": at most " + std::to_string(room) + " characters here" +
                       (registrations > 1 ? " (reuse.max_jobs counts too)" : ""));
        }
      }
      if ((have_min || have_max) && pool.min_idle > pool.max_runners) {
        YAML::Node at = have_min ? pn["min_idle"] : pn["max_runners"];
        r_.error(at, p + (have_min ? ".min_idle" : ".max_runners"),
                 "min_idle (" + std::to_string(pool.min_idle) + ") is greater than max_runners (" +
                     std::to_string(pool.max_runners) + ")");
      }
      cfg_.pools.push_back(std::move(pool));
    }
  }

  // An instance whose runner is not online boot_timeout after launch is terminated, and the
  // jobs still waiting launch another: a timeout shorter than a boot terminates every
  // instance before it can register, launch after launch, paying for each and running
  // no job. 30s is below a real boot: EC2 takes 10-20s to report an instance running,
  // then the OS boots, the bootstrap fetches its JIT config and the runner starts and
  // registers, and the scaler sees it only on its next tick (10s by default).
  void boot_timeout(const YAML::Node& pn, const std::string& p, PoolConfig& pool) {
    const bool have = pn["boot_timeout"].IsDefined();
    if (have && !r_.read_duration(pn, "boot_timeout", p, pool.boot_timeout)) return;
    if (pool.boot_timeout < kMinBootTimeout) {
      r_.error(pn["boot_timeout"], p + ".boot_timeout",
               "must be at least " + format_duration(kMinBootTimeout) +
                   " (instances would be terminated before their runner can register)");
      return;
    }
    // The daemon's own simulated cloud brings a runner online exactly boot_time after launch.
    const YAML::Node pr = pn["provider"];
    const bool own_sim =
        pr.IsMap() && pr["type"].IsScalar() && pr["type"].Scalar() == "sim" && pool.provider.endpoint_url.empty();
    if (!own_sim || pool.boot_timeout > pool.provider.boot_time) return;
    const std::string why = ": every simulated instance would be terminated before its runner comes online";
    if (have) {
      r_.error(pn["boot_timeout"], p + ".boot_timeout",
               "must be longer than provider.boot_time (" + format_duration(pool.provider.boot_time) + ")" + why);
    } else {
      r_.error(pr["boot_time"] ? pr["boot_time"] : pr, p + ".provider.boot_time",
               "must be shorter than boot_timeout (" + format_duration(pool.boot_timeout) + ")" + why);
    }
  }

  // demand: webhook | scale_set, and scale_set: {name, disable_update} for the latter.
  void demand(const YAML::Node& pn, const std::string& p, std::size_t index, PoolConfig& pool,
              std::map<std::string, std::size_t>& taken) {
    std::string demand = "webhook";
    r_.read_enum(pn, "demand", p, demand, {"webhook", "scale_set"});
    pool.demand = demand == "scale_set" ? Demand::kScaleSet : Demand::kWebhook;
    YAML::Node s = pn["scale_set"];
    if (pool.demand == Demand::kWebhook) {
      if (s) r_.error(s, p + ".scale_set", "applies only with demand: scale_set");
      return;
    }
    const std::string sp = p + ".scale_set";
    if (s && r_.check_map(s, sp, {"name", "disable_update"})) {
      if (r_.read(s, "name", sp, pool.scale_set.name) && !valid_scale_set_name(pool.scale_set.name)) {
        r_.error(s["name"], sp + ".name",
                 "\"" + pool.scale_set.name + "\" must be 1 to 100 letters, digits, -, _ or . (workflows name it in runs-on)");
      }
      r_.read(s, "disable_update", sp, pool.scale_set.disable_update);
    }
    if (pool.scale_set.name.empty()) pool.scale_set.name = pool.name;
    // Scale-set runners are one-job JIT runners issued by the Actions service.
    if (!pool.ephemeral) {
      r_.error(pn["ephemeral"] ? pn["ephemeral"] : pn, p + ".ephemeral", "must be true with demand: scale_set (its runners take one job each)");
    }
    if (pool.max_runners == 0) {
      r_.error(pn["max_runners"] ? pn["max_runners"] : pn, p + ".max_runners",
               "must be at least 1 with demand: scale_set (it is the capacity reported to GitHub)");
    }
    std::string key = pool.scale_set.name;
    std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (auto [it, inserted] = taken.try_emplace(key, index); !inserted) {
      r_.error(s ? s : pn, sp + ".name",
               "scale set \"" + pool.scale_set.name + "\" is already pools[" + std::to_string(it->second) +
                   "]'s: one scale set has one session, so one pool");
    }
  }

  // prices: {m7i.large: {on_demand: 0.1008, spot: 0.035}, default: {...}}
  void prices(const YAML::Node& n) {
    if (!n.IsMap()) {
      r_.error(n, "prices", "must be a map of instance type to {on_demand, spot} dollars per hour");
      return;
    }
    for (const auto& entry : n) {
      const std::string type = entry.first.as<std::string>();
      const std::string p = "prices." + type;
      const YAML::Node& v = entry.second;
      if (!r_.check_map(v, p, {"on_demand", "spot"})) continue;
      InstancePriceConfig price;
      const bool od = r_.read(v, "on_demand", p, price.on_demand, 0.0, 1000.0);
      const bool spot = r_.read(v, "spot", p, price.spot, 0.0, 1000.0);
      if (!v["on_demand"]) r_.error(v, p + ".on_demand", "is required");
      if (!v["spot"]) r_.error(v, p + ".spot", "is required");
      if (od && spot) cfg_.prices[type] = price;
    }
  }

  void reconcile(const YAML::Node& n) {
    const std::string p = "reconcile";
    if (!r_.check_map(n, p, {"tick", "sweep", "debounce", "lease_ttl", "launch_rate", "launch_burst", "replay_window"})) return;
    auto& c = cfg_.reconcile;
    r_.read_duration(n, "tick", p, c.tick);
    r_.read_duration(n, "sweep", p, c.sweep);
    r_.read_duration(n, "debounce", p, c.debounce);
    r_.read_duration(n, "lease_ttl", p, c.lease_ttl);
    r_.read(n, "launch_rate", p, c.launch_rate, 0.001, 100000.0);
    r_.read(n, "launch_burst", p, c.launch_burst, 1, 100000);
    if (r_.read_duration(n, "replay_window", p, c.replay_window) && c.replay_window.count() != 0 &&
        c.replay_window < std::chrono::minutes(5)) {
      r_.error(n["replay_window"], p + ".replay_window", "must be 0 (off) or at least 5m: GitHub's own deliveries can lag minutes");
    }
    for (auto [key, value] : {std::pair{"tick", c.tick}, {"sweep", c.sweep}, {"lease_ttl", c.lease_ttl}}) {
      if (n[key] && value.count() == 0) r_.error(n[key], p + "." + key, "must be greater than 0");
    }
  }

  void logging(const YAML::Node& n) {
    const std::string p = "logging";
    if (!r_.check_map(n, p, {"level", "format", "file"})) return;
    r_.read_enum(n, "level", p, cfg_.logging.level, {"debug", "info", "warn", "error"});
    r_.read_enum(n, "format", p, cfg_.logging.format, {"json", "text"});
    if (r_.read(n, "file", p, cfg_.logging.file)) cfg_.logging.file = resolve_path(cfg_.logging.file);
  }

  void metrics(const YAML::Node& n) {
    const std::string p = "metrics";
    if (!r_.check_map(n, p, {"enabled", "path"})) return;
    r_.read(n, "enabled", p, cfg_.metrics.enabled);
    if (r_.read(n, "path", p, cfg_.metrics.path)) {
      metrics_path_.at = n["path"].Mark();
      if (cfg_.metrics.path.empty() || cfg_.metrics.path[0] != '/') {
        metrics_path_.valid = false;
        r_.error(n["path"], p + ".path", "must start with /");
      }
    }
  }

  // Where the file sets a route's path, and whether its own check passed (a path already
  // reported as malformed is not compared with the others).
  struct RouteSetting {
    std::optional<YAML::Mark> at;
    bool valid = true;
  };

  YamlReader r_;
  std::string base_dir_;
  Config cfg_;
  RouteSetting webhook_path_;
  RouteSetting ui_path_;
  RouteSetting metrics_path_;
};

}  // namespace

LoadResult load_config_text(std::string_view yaml, const std::string& name, const std::string& base_dir) {
  LoadResult result;
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(std::string(yaml));
  } catch (const YAML::ParserException& e) {
    Diagnostic d;
    d.file = name;
    d.line = e.mark.line + 1;
    d.column = e.mark.column + 1;
    d.message = "YAML syntax error: " + e.msg;
    result.errors.push_back(std::move(d));
    return result;
  }
  Loader loader(name, base_dir, result.errors);
  loader.load(documents);
  std::stable_sort(result.errors.begin(), result.errors.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return a.line != b.line ? a.line < b.line : a.column < b.column;
  });
  if (result.errors.empty()) result.config = loader.take();
  return result;
}

LoadResult load_config_file(const std::string& path) {
  auto text = read_regular_file(path, kMaxConfigBytes);
  if (!text.ok()) {
    LoadResult result;
    result.errors.push_back(Diagnostic{path, 0, 0, "", "cannot read file: " + text.error().message});
    return result;
  }
  std::string base = fs::path(path).parent_path().string();
  return load_config_text(*text, path, base.empty() ? "." : base);
}

}  // namespace ghscale::config
