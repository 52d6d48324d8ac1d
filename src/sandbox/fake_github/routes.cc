// FakeGitHub::handle: authentication, rate-limit accounting, faults, then the route.
#include <algorithm>
#include <thread>

#include "sandbox/fake_github/created_filter.h"
#include "sandbox/fake_github/fake_github.h"
#include "sandbox/fake_github/jwt_verify.h"
#include "sandbox/fake_github/state.h"

namespace ghscale::fake_github {
namespace {

struct Caller {
  enum class Kind { kNone, kPat, kInstallation, kApp };
  Kind kind = Kind::kNone;
  std::string quota_owner;
  std::int64_t installation_id = 0;
  std::int64_t app_id = 0;
  std::string scopes;
};

// The query with page=N set (others kept), for Link URLs.
std::string with_param(std::string_view target, std::string_view name, const std::string& value) {
  const auto q = target.find('?');
  std::string out(target.substr(0, q));
  out += '?';
  bool first = true;
  if (q != std::string_view::npos) {
    std::string_view rest = target.substr(q + 1);
    while (!rest.empty()) {
      const auto amp = rest.find('&');
      const std::string_view pair = rest.substr(0, amp);
      if (pair.substr(0, pair.find('=')) != name && !pair.empty()) {
        out += (first ? "" : "&") + std::string(pair);
        first = false;
      }
      if (amp == std::string_view::npos) break;
      rest.remove_prefix(amp + 1);
    }
  }
  return out + (first ? "" : "&") + std::string(name) + "=" + value;
}

// Slices items by per_page/page and sets Link (next, last) as GitHub does. With a key the
// body is {"total_count": N, key: [...]}, without one a bare array. reported_total, when
// set, is the total_count to report (a capped list reports all that matched).
http::Response paginate(const http::Request& req, json::array items, const char* key,
                        std::int64_t reported_total = -1) {
  const std::int64_t per_page = std::clamp<std::int64_t>(to_int(query_param(req.target, "per_page"), 30), 1, 100);
  const std::int64_t page = std::max<std::int64_t>(1, to_int(query_param(req.target, "page"), 1));
  const std::int64_t total = static_cast<std::int64_t>(items.size());
  const std::int64_t last = std::max<std::int64_t>(1, (total + per_page - 1) / per_page);
  json::array slice;
  for (std::int64_t i = (page - 1) * per_page; i < std::min(total, page * per_page); ++i) slice.push_back(items[i]);
  http::Response r = key == nullptr ? json_response(200, slice)
                                    : json_response(200, json::object{{"total_count", reported_total >= 0 ? reported_total : total},
                                                                      {key, std::move(slice)}});
  if (page < last) {
    const std::string origin = "http://" + std::string(req.headers.get("Host", "127.0.0.1"));
    r.headers.set("Link", "<" + origin + with_param(req.target, "page", std::to_string(page + 1)) + ">; rel=\"next\", <" +
                              origin + with_param(req.target, "page", std::to_string(last)) + ">; rel=\"last\"");
  }
  return r;
}

std::string scope_owner(const std::string& scope) {
  // "orgs/acme" -> "acme"; "repos/acme/app" -> "acme"; "enterprises/big" -> "big"
  const auto slash = scope.find('/');
  const std::string rest = scope.substr(slash + 1);
  return rest.substr(0, rest.find('/'));
}

}  // namespace

http::Response FakeGitHub::handle(const http::Request& req) {
  ++requests_;
  State& s = *state_;
  std::string path(req.path());
  const std::string& prefix = s.options.api_prefix;
  if (!prefix.empty()) {
    if (path.rfind(prefix, 0) != 0) return error_response(404, "Not Found");
    path = path.substr(prefix.size());
  }
  const std::vector<std::string> seg = split_path(path);
  const std::string& method = req.method;
  if (const auto version = req.headers.get("X-GitHub-Api-Version"); !version.empty() && version != "2022-11-28") {
    return error_response(400, "Unsupported API version");
  }

  std::unique_lock lock(s.mu);
  ++s.path_counts[path];
  const TimePoint now = s.now();
  const std::string base = "http://" + std::string(req.headers.get("Host", "127.0.0.1")) + prefix;

  for (auto it = s.faults.begin(); it != s.faults.end(); ++it) {
    if ((it->method.empty() || it->method == method) && path.rfind(it->path_prefix, 0) == 0) {
      http::Response r = error_response(it->status, it->message);
      for (const auto& [k, v] : it->headers) r.headers.set(k, v);
      const Duration delay = it->delay;
      if (--it->times <= 0) s.faults.erase(it);
      // A slow answer holds up only its own request, not every other caller's.
      lock.unlock();
      if (delay.count() > 0) std::this_thread::sleep_for(delay);
      return r;
    }
  }

  // --- who is calling ---
  Caller caller;
  std::string credential(req.headers.get("Authorization"));
  if (credential.rfind("Bearer ", 0) == 0) credential = credential.substr(7);
  else if (credential.rfind("token ", 0) == 0) credential = credential.substr(6);
  else credential.clear();
  if (std::count(credential.begin(), credential.end(), '.') == 2) {
    auto iss = jwt_issuer(credential);
    auto app = iss ? s.apps.find(*iss) : s.apps.end();
    if (app == s.apps.end()) return error_response(401, "Integration not found");
    if (auto ok = verify_app_jwt(credential, app->second.public_key_pem, *iss, now); !ok) {
      return error_response(401, ok.error().message);
    }
    caller.kind = Caller::Kind::kApp;
    caller.app_id = *iss;
  } else if (auto pat = s.pats.find(credential); pat != s.pats.end() && !credential.empty()) {
    caller.kind = Caller::Kind::kPat;
    caller.quota_owner = credential;
    caller.scopes = pat->second;
  } else if (auto tok = s.installation_tokens.find(credential); tok != s.installation_tokens.end()) {
    if (tok->second.expires_at <= now) return error_response(401, "Bad credentials");
    caller.kind = Caller::Kind::kInstallation;
    caller.installation_id = tok->second.installation_id;
    caller.quota_owner = "installation:" + std::to_string(caller.installation_id);
  } else {
    return error_response(401, credential.empty() ? "Requires authentication" : "Bad credentials");
  }

  const bool app_route = (!seg.empty() && seg[0] == "app") ||
                         (seg.size() >= 3 && seg.back() == "installation" && (seg[0] == "orgs" || seg[0] == "repos"));
  if (app_route != (caller.kind == Caller::Kind::kApp)) {
    return error_response(401, app_route ? "A JSON web token could not be decoded"
                                         : "'Authorization' header is not a valid token for this endpoint");
  }

  // --- App (JWT) routes: not counted against an installation's quota ---
  if (caller.kind == Caller::Kind::kApp) {
    const auto& app = s.apps[caller.app_id];
    if (method == "GET" && seg.size() == 1) return json_response(200, render::app(caller.app_id, app.slug, s.created));
    if (seg.size() >= 3 && seg.back() == "installation") {
      const std::string account = seg[0] == "orgs" ? seg[1] : seg[1] + "/" + seg[2];
      for (const auto& [id, inst] : s.installations) {
        if (inst.app_id == caller.app_id && (inst.account == account || inst.account == seg[1])) {
          return json_response(200, render::installation(id, inst.app_id, app.slug, inst.account, base, s.created));
        }
      }
      return error_response(404, "Not Found");
    }
    if (method == "POST" && seg.size() == 4 && seg[1] == "installations" && seg[3] == "access_tokens") {
      auto inst = s.installations.find(to_int(seg[2], 0));
      if (inst == s.installations.end() || inst->second.app_id != caller.app_id) return error_response(404, "Not Found");
      const std::string token = s.random_token("ghs_");
      const TimePoint expires = now + kInstallationTokenLifetime;
      s.installation_tokens[token] = State::IssuedToken{inst->first, expires};
      return json_response(201, json::object{{"token", token},
                                             {"expires_at", render::iso8601(expires)},
                                             {"permissions", json::object{{"organization_self_hosted_runners", "write"}}},
                                             {"repository_selection", "all"}});
    }
    if (method == "GET" && seg.size() == 3 && seg[1] == "hook" && seg[2] == "deliveries") {
      const std::string status = query_param(req.target, "status");
      const std::int64_t per_page = std::clamp<std::int64_t>(to_int(query_param(req.target, "per_page"), 30), 1, 100);
      const std::int64_t cursor = to_int(query_param(req.target, "cursor"), 0);
      std::vector<const FakeDelivery*> matching;
      for (auto it = s.deliveries.rbegin(); it != s.deliveries.rend(); ++it) {  // newest first
        const bool failed = it->status_code >= 400 || it->status_code < 200;
        if (it->app_id != caller.app_id || (status == "failure" && !failed) || (status == "success" && failed)) continue;
        matching.push_back(&*it);
      }
      json::array items;
      for (std::int64_t i = cursor; i < std::min<std::int64_t>(cursor + per_page, static_cast<std::int64_t>(matching.size())); ++i) {
        items.push_back(render::delivery(*matching[static_cast<std::size_t>(i)]));
      }
      http::Response r = json_response(200, items);
      if (cursor + per_page < static_cast<std::int64_t>(matching.size())) {
        r.headers.set("Link", "<http://" + std::string(req.headers.get("Host")) +
                                  with_param(req.target, "cursor", std::to_string(cursor + per_page)) + ">; rel=\"next\"");
      }
      return r;
    }
    if (method == "POST" && seg.size() == 5 && seg[1] == "hook" && seg[2] == "deliveries" && seg[4] == "attempts") {
      const std::int64_t id = to_int(seg[3], 0);
      for (const auto& d : s.deliveries) {
        if (d.id == id && d.app_id == caller.app_id) {
          s.redelivered.push_back(id);
          return json_response(202, json::object{});
        }
      }
      return error_response(404, "Not Found");
    }
    return error_response(404, "Not Found");
  }

  // --- token routes: rate-limited per token (PAT) or installation ---
  if (method == "GET" && seg.size() == 1 && seg[0] == "rate_limit") {
    json::object resources;
    for (const char* name : {"core", "search", "graphql", "integration_manifest", "actions_runner_registration"}) {
      const auto& b = s.bucket(caller.quota_owner, name);
      resources[name] = render::rate_limit(b.limit, b.remaining,
                                           std::chrono::duration_cast<std::chrono::seconds>(b.reset.time_since_epoch()).count());
    }
    json::object body{{"resources", resources}, {"rate", resources["core"]}};
    http::Response r = json_response(200, body);
    if (caller.kind == Caller::Kind::kPat) r.headers.set("X-OAuth-Scopes", caller.scopes);
    return r;
  }

  const bool registration = seg.size() >= 2 && (seg.back() == "registration-token" || seg.back() == "generate-jitconfig");
  const std::string resource = registration ? "actions_runner_registration" : "core";
  auto& bucket = s.bucket(caller.quota_owner, resource);
  const auto set_rate_headers = [&](http::Response& r) {
    r.headers.set("X-RateLimit-Limit", std::to_string(bucket.limit));
    r.headers.set("X-RateLimit-Remaining", std::to_string(bucket.remaining));
    r.headers.set("X-RateLimit-Used", std::to_string(bucket.limit - bucket.remaining));
    r.headers.set("X-RateLimit-Reset",
                  std::to_string(std::chrono::duration_cast<std::chrono::seconds>(bucket.reset.time_since_epoch()).count()));
    r.headers.set("X-RateLimit-Resource", resource);
  };
  if (bucket.remaining <= 0) {
    http::Response r = error_response(403, "API rate limit exceeded for installation or token.");
    set_rate_headers(r);
    return r;
  }

  http::Response r = route_tokens(req, seg, caller.installation_id, base);
  if (r.status == 200 && method == "GET") {
    const std::string etag = etag_of(r.body);
    r.headers.set("ETag", etag);
    if (req.headers.get("If-None-Match") == etag) {
      r.status = 304;
      r.body.clear();
      r.headers.set("Content-Type", "");
      r.headers.items.erase(std::remove_if(r.headers.items.begin(), r.headers.items.end(),
                                           [](const auto& h) { return h.first == "Content-Type"; }),
                            r.headers.items.end());
    }
  }
  if (r.status != 304) --bucket.remaining;  // conditional hits are free, as on GitHub
  set_rate_headers(r);
  return r;
}

http::Response FakeGitHub::route_tokens(const http::Request& req, const std::vector<std::string>& seg,
                                        std::int64_t installation_id, const std::string& base) {
  State& s = *state_;
  const std::string& method = req.method;
  const TimePoint now = s.now();

  if (method == "GET" && seg.size() == 3 && seg[0] == "orgs" && seg[2] == "repos") {
    if (installation_id != 0) {
      const std::string& account = s.installations[installation_id].account;
      if (account.substr(0, account.find('/')) != seg[1]) return error_response(403, "Resource not accessible by integration");
    }
    json::array items;
    for (const auto& [full_name, id] : s.repo_ids) {  // by full name, as sort=full_name
      if (full_name.substr(0, full_name.find('/')) == seg[1]) items.push_back(render::minimal_repository(full_name, id));
    }
    if (items.empty()) {
      // GitHub: an organisation without repositories lists none; an unknown one is a 404.
      // The fake knows an organisation by its repositories, runners or runner groups.
      const std::string scope = "orgs/" + seg[1];
      bool known = false;
      for (const auto& [rid, r] : s.runners) known = known || r.scope == scope;
      for (const auto& g : s.groups) known = known || g.scope == scope;
      if (!known) return error_response(404, "Not Found");
    }
    return paginate(req, std::move(items), nullptr);
  }

  // Scope prefix: orgs/X, enterprises/X (2 segments) or repos/O/R (3 segments).
  if (seg.size() < 3) return error_response(404, "Not Found");
  const std::size_t scope_len = seg[0] == "repos" ? 3 : (seg[0] == "orgs" || seg[0] == "enterprises") ? 2 : 0;
  if (scope_len == 0 || seg.size() < scope_len + 2 || seg[scope_len] != "actions") return error_response(404, "Not Found");
  std::string scope = seg[0] + "/" + seg[1] + (scope_len == 3 ? "/" + seg[2] : "");
  if (installation_id != 0) {
    const auto& inst = s.installations[installation_id];
    const std::string account = inst.account.substr(0, inst.account.find('/'));
    if (account != scope_owner(scope)) return error_response(403, "Resource not accessible by integration");
  }
  const std::vector<std::string> rest(seg.begin() + static_cast<std::ptrdiff_t>(scope_len) + 1, seg.end());
  const std::string repo = scope_len == 3 ? seg[1] + "/" + seg[2] : "";

  if (rest[0] == "runners") {
    if (rest.size() == 1 && method == "GET") {
      json::array items;
      for (const FakeRunner& r : s.listed_runners(scope)) items.push_back(render::runner(r, ""));
      return paginate(req, std::move(items), "runners");
    }
    if (rest.size() == 2 && method == "POST" && (rest[1] == "registration-token" || rest[1] == "remove-token")) {
      const TimePoint expires = now + kRegistrationTokenLifetime;
      return json_response(201, json::object{{"token", s.random_token(rest[1] == "remove-token" ? "AR" : "AA")},
                                             {"expires_at", render::iso8601(expires)}});
    }
    if (rest.size() == 2 && method == "POST" && rest[1] == "generate-jitconfig") {
      boost::system::error_code ec;
      json::value body = json::parse(req.body, ec);
      if (ec || !body.is_object()) return error_response(400, "Problems parsing JSON");
      const auto& o = body.as_object();
      auto* name = o.if_contains("name");
      auto* group = o.if_contains("runner_group_id");
      auto* labels = o.if_contains("labels");
      if (name == nullptr || !name->is_string() || group == nullptr || !group->is_int64() || labels == nullptr ||
          !labels->is_array() || labels->as_array().empty()) {
        return error_response(422, "Invalid request.");
      }
      // As GitHub: a runner's name is at most 64 characters.
      if (name->as_string().empty() || name->as_string().size() > 64) {
        return error_response(422, "Validation Failed: name must be 1 to 64 characters");
      }
      for (const auto& [id, r] : s.runners) {
        if (r.scope == scope && r.name == name->as_string()) return error_response(409, "Already exists - A runner with the same name already exists.");
      }
      bool group_found = group->as_int64() == 1;
      for (const auto& g : s.groups) group_found = group_found || (g.id == group->as_int64() && g.scope == scope);
      if (!group_found) return error_response(404, "Not Found");
      FakeRunner runner;
      runner.id = ++s.next_id;
      runner.scope = scope;
      runner.name = std::string(name->as_string());
      runner.online = false;
      runner.group_id = group->as_int64();
      for (const auto& l : labels->as_array()) {
        if (l.is_string()) runner.labels.emplace_back(l.as_string());
      }
      runner.jit_config = s.random_token("jit_");
      s.runners[runner.id] = runner;
      s.note_runner(runner.id);
      return json_response(201, json::object{{"runner", render::runner(runner, "")}, {"encoded_jit_config", runner.jit_config}});
    }
    if (rest.size() == 2 && method == "GET") {
      auto listed = s.listed_runner(to_int(rest[1], 0));
      if (!listed || listed->scope != scope) return error_response(404, "Not Found");
      return json_response(200, render::runner(*listed, ""));
    }
    if (rest.size() == 2) {
      auto it = s.runners.find(to_int(rest[1], 0));
      if (it == s.runners.end() || it->second.scope != scope) return error_response(404, "Not Found");
      if (method == "DELETE") {
        if (it->second.busy) {
          return error_response(422, "Bad request - Runner \"" + it->second.name + "\" is still running a job\"");
        }
        const std::int64_t id = it->first;
        s.runners.erase(it);
        s.note_runner(id);
        http::Response r;
        r.status = 204;
        return r;
      }
    }
    return error_response(404, "Not Found");
  }
  if (rest[0] == "runner-groups" && rest.size() == 1 && method == "GET" && scope_len == 2) {
    json::array items;
    bool has_default = false;
    for (const auto& g : s.groups) has_default = has_default || (g.scope == scope && g.is_default);
    if (!has_default) items.push_back(render::runner_group(1, "Default", true, base + "/" + scope));
    for (const auto& g : s.groups) {
      if (g.scope == scope) items.push_back(render::runner_group(g.id, g.name, g.is_default, base + "/" + scope));
    }
    return paginate(req, std::move(items), "runner_groups");
  }
  if (!repo.empty() && rest[0] == "jobs" && rest.size() == 2 && method == "GET") {
    auto it = s.jobs.find(to_int(rest[1], 0));
    if (it == s.jobs.end() || it->second.repo != repo) return error_response(404, "Not Found");
    return json_response(200, render::job(s.listed_job(it->second), base, s.created));
  }
  if (!repo.empty() && rest[0] == "runs" && rest.size() == 1 && method == "GET") {
    const std::string status = query_param(req.target, "status");
    const std::string created = query_param(req.target, "created");
    std::optional<CreatedRange> range;
    if (!created.empty() && !(range = parse_created_filter(created))) {
      return error_response(422, "Validation Failed: created is not a date or date range");
    }
    // Newest first; GitHub compares creation times at second resolution.
    std::vector<const FakeRun*> matching;
    for (auto it = s.runs.rbegin(); it != s.runs.rend(); ++it) {
      const TimePoint at = std::chrono::floor<std::chrono::seconds>(it->second.created_at.value_or(s.created));
      if (it->second.repo == repo && (status.empty() || it->second.status == status) && (!range || range->contains(at))) {
        matching.push_back(&it->second);
      }
    }
    std::stable_sort(matching.begin(), matching.end(), [&](const FakeRun* a, const FakeRun* b) {
      return a->created_at.value_or(s.created) > b->created_at.value_or(s.created);
    });
    // Filtered (search-backed) lists stop at the cap; total_count still counts every match.
    bool filtered = false;
    for (const char* p : {"actor", "branch", "check_suite_id", "created", "event", "head_sha", "status"}) {
      filtered = filtered || !query_param(req.target, p).empty();
    }
    const auto total = static_cast<std::int64_t>(matching.size());
    if (filtered && total > s.options.filtered_list_cap) matching.resize(static_cast<std::size_t>(s.options.filtered_list_cap));
    json::array items;
    for (const FakeRun* r : matching) items.push_back(render::run(*r, s.repo_id(repo), base, s.created));
    return paginate(req, std::move(items), "workflow_runs", total);
  }
  if (!repo.empty() && rest[0] == "runs" && rest.size() == 3 && rest[2] == "jobs" && method == "GET") {
    const std::int64_t run_id = to_int(rest[1], 0);
    if (s.runs.count(run_id) == 0) return error_response(404, "Not Found");
    json::array items;
    for (const auto& [id, j] : s.jobs) {
      if (j.run_id == run_id) items.push_back(render::job(s.listed_job(j), base, s.created));
    }
    return paginate(req, std::move(items), "jobs");
  }
  return error_response(404, "Not Found");
}

Result<std::unique_ptr<FakeGitHubServer>> FakeGitHubServer::start(std::shared_ptr<FakeGitHub> github, int threads) {
  http::ServerOptions options;
  options.address = "127.0.0.1";
  options.port = 0;
  options.threads = threads;
  FakeGitHub* raw = github.get();
  auto server = http::Server::start(options, http::make_sync_handler([raw](const http::Request& r) { return raw->handle(r); }));
  if (!server) return std::move(server).error();
  return std::unique_ptr<FakeGitHubServer>(new FakeGitHubServer(std::move(github), std::move(server).value()));
}

FakeGitHubServer::~FakeGitHubServer() { server_->shutdown(std::chrono::seconds(1)); }

std::string FakeGitHubServer::api_url() const {
  return "http://127.0.0.1:" + std::to_string(server_->port()) + github_->base_path();
}

}  // namespace ghscale::fake_github
