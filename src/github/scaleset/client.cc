#include "github/scaleset/client.h"

#include <algorithm>
#include <charconv>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "core/log.h"
#include "core/backoff.h"
#include "core/version.h"
#include "github/parse.h"
#include "github/rest_client.h"
#include "github/scaleset/wire.h"

namespace ghscale::scaleset {
namespace {

constexpr std::string_view kScaleSets = "_apis/runtime/runnerscalesets";
constexpr std::string_view kRunners = "_apis/distributedtask/pools/0/agents";
constexpr std::string_view kApiVersion = "6.0-preview";
// An admin token or a JIT config stays masked in logs a while after it lapses.
constexpr Duration kSecretGrace = std::chrono::hours(1);

Error call_error(ErrorKind kind, std::string_view what, std::string_view detail) {
  return make_error(kind, "scaleset: " + std::string(what) + ": " + std::string(detail));
}

// Tokens go only to https, or to plain http on loopback (the fakes): the service names
// these URLs itself, and an admin or queue token must not travel in clear elsewhere.
bool allowed_url(std::string_view url) {
  if (url.rfind("https://", 0) == 0) return url.size() > 8;
  for (std::string_view loopback : {"http://127.0.0.1:", "http://127.0.0.1/", "http://localhost:", "http://localhost/",
                                    "http://[::1]:", "http://[::1]/"}) {
    if (url.rfind(loopback, 0) == 0) return true;
  }
  return false;
}

std::string join(std::string_view root, std::string_view path) {
  while (!root.empty() && root.back() == '/') root.remove_suffix(1);
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  return std::string(root) + "/" + std::string(path);
}

std::string with_query(std::string url, std::string_view name, std::string_view value) {
  url += url.find('?') == std::string::npos ? '?' : '&';
  url += name;
  url += '=';
  url += value;
  return url;
}

// Session ids are UUIDs; anything else must not be spliced into a path.
bool plain_id(std::string_view id) {
  return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-';
  });
}

std::string scope_path(const github::Scope& scope) {
  return scope.kind == github::Scope::Kind::kEnterprise ? "enterprises/" + scope.name : scope.name;
}

std::int64_t header_seconds(const http::Headers& headers, std::string_view name) {
  const std::string_view v = headers.get(name);
  std::int64_t n = 0;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  return ec == std::errc() && ptr == v.data() + v.size() ? n : -1;
}

}  // namespace

Result<std::string> config_url_for(std::string_view api_url, const github::Scope& scope) {
  auto root = github::normalise_api_url(api_url);
  if (!root) return std::move(root).error();
  std::string r = std::move(root).value();
  const std::string path = scope_path(scope);
  if (scope.name.empty()) return make_error(ErrorKind::kInvalid, "scaleset: the scope has no name");
  if (r == "https://api.github.com") return "https://github.com/" + path;
  constexpr std::string_view kGhes = "/api/v3";
  if (r.size() > kGhes.size() && r.compare(r.size() - kGhes.size(), kGhes.size(), kGhes) == 0) {
    return r.substr(0, r.size() - kGhes.size()) + "/" + path;
  }
  constexpr std::string_view kApiHost = "https://api.";
  if (r.rfind(kApiHost, 0) == 0 && r.size() > 8 && r.compare(r.size() - 8, 8, ".ghe.com") == 0) {
    return "https://" + r.substr(kApiHost.size()) + "/" + path;  // GHE.com data residency
  }
  return r + "/" + path;
}

struct Client::Impl {
  // Constant after construction.
  ClientOptions options;
  std::shared_ptr<github::GitHubApi> github;
  std::shared_ptr<http::Client> transport;
  std::string user_agent;

  struct Admin {
    std::string actions_url;
    std::string token;
  };
  mutable std::mutex admin_mu;  // one token exchange at a time
  Admin admin;                  // guarded by admin_mu
  TimePoint admin_expires{};    // guarded by admin_mu
  int renewals = 0;             // guarded by admin_mu

  std::optional<JitterBackoff> backoff;  // set by create(): 5xx and transport failures

  TimePoint now() const { return options.clock->now(); }

  // One request, again after transport failures and 5xx (and, when asked, 401/403) up to
  // max_attempts. Any other status is the caller's to judge.
  Result<http::ClientResponse> send(const http::ClientRequest& req, std::string_view what, bool retry_auth = false) {
    for (int attempt = 1;; ++attempt) {
      auto sent = transport->send(req);
      const bool last = attempt >= options.max_attempts;
      if (!sent) {
        if (last) return call_error(ErrorKind::kRetryable, what, sent.error().message);
        options.sleep(backoff->delay(attempt));
        continue;
      }
      http::ClientResponse resp = std::move(sent).value();
      if (resp.body.size() > options.max_response_bytes) {
        return call_error(ErrorKind::kPermanent, what,
                          "answer larger than " + std::to_string(options.max_response_bytes) + " bytes");
      }
      const bool auth_failure = resp.status == 401 || resp.status == 403;
      if ((resp.status >= 500 || (retry_auth && auth_failure)) && !last) {
        log::debug("scaleset: retrying", {{"call", std::string(what)}, {"status", resp.status}, {"attempt", attempt}});
        options.sleep(backoff->delay(attempt));
        continue;
      }
      return resp;
    }
  }

  Error status_error(const http::ClientResponse& resp, std::string_view what) const {
    const wire::ServiceException ex = wire::parse_exception(resp.body);
    std::string detail = "HTTP " + std::to_string(resp.status);
    if (!ex.type_name.empty()) detail += " " + ex.type_name;
    if (!ex.message.empty()) detail += ": " + ex.message;
    ErrorKind kind = ErrorKind::kPermanent;
    if (resp.status == 401 || resp.status == 403)
      kind = ErrorKind::kUnauthorized;
    else if (resp.status == 404)
      kind = ErrorKind::kNotFound;
    else if (resp.status == 409)
      kind = ErrorKind::kConflict;
    else if (resp.status == 400 || resp.status == 422)
      kind = ErrorKind::kInvalid;
    else if (resp.status == 429)
      kind = ErrorKind::kThrottled;
    else if (resp.status >= 500)
      kind = ErrorKind::kRetryable;
    // The service's exception names say more than its statuses (errors.go reads them too).
    if (ex.type_name.find("AgentNotFoundException") != std::string::npos) kind = ErrorKind::kNotFound;
    if (ex.type_name.find("AgentExistsException") != std::string::npos ||
        ex.type_name.find("JobStillRunningException") != std::string::npos) {
      kind = ErrorKind::kConflict;
    }
    Error e = call_error(kind, what, detail);
    if (kind == ErrorKind::kThrottled)
      e.retry_after = std::chrono::seconds(std::max<std::int64_t>(header_seconds(resp.headers, "Retry-After"), 0));
    return e;
  }

  // The registration token buys the Actions service URL and an admin token.
  Status exchange_locked() {
    auto registration = github->registration_token(options.scope);
    if (!registration) {
      Error e = registration.error();
      e.message = "scaleset: registration token: " + e.message;
      return e;
    }
    log::add_ephemeral_secret(registration->token, kSecretGrace);
    http::ClientRequest req;
    req.method = "POST";
    req.url = options.api_url + "/actions/runner-registration";
    req.headers.set("Content-Type", "application/json");
    req.headers.set("Authorization", "RemoteAuth " + registration->token);
    req.headers.set("User-Agent", user_agent);
    req.body = wire::render_registration(options.config_url);
    req.timeout = options.call_timeout;
    // A registration token may take a moment to be known everywhere: the reference
    // retries 401 and 403 here too.
    auto resp = send(req, "runner registration", /*retry_auth=*/true);
    if (!resp) return std::move(resp).error();
    if (resp->status < 200 || resp->status > 299) return status_error(*resp, "runner registration");
    auto conn = wire::parse_admin_connection(resp->body);
    if (!conn) return std::move(conn).error();
    if (!allowed_url(conn->actions_url)) {
      return call_error(ErrorKind::kPermanent, "runner registration", "the Actions service URL is not https");
    }
    auto expires = wire::jwt_expiry(conn->admin_token);
    if (!expires) return call_error(ErrorKind::kPermanent, "runner registration", "the admin token carries no expiry");
    log::add_ephemeral_secret(conn->admin_token, std::chrono::duration_cast<Duration>(*expires - now()) + kSecretGrace);
    admin = Admin{conn->actions_url, conn->admin_token};
    admin_expires = *expires;
    ++renewals;
    log::info("scaleset: connected to the Actions service",
              {{"actions_url", http::url_without_query(admin.actions_url)},
               {"expires_at", github::format_iso8601(*expires)}});
    return ok_status();
  }

  // The admin connection, renewed when due; `stale` names a token the service refused,
  // renewed unless another thread already did.
  Result<Admin> current_admin(const std::string* stale = nullptr) {
    std::lock_guard lock(admin_mu);
    const bool due = admin.token.empty() || now() + options.renew_before >= admin_expires;
    if (due || (stale != nullptr && *stale == admin.token)) {
      if (auto s = exchange_locked(); !s) return s.error();
    }
    return admin;
  }

  // A call to the Actions service with the admin token; a 401 renews it once.
  Result<http::ClientResponse> service_call(const std::string& method, const std::string& path, const std::string& body,
                                            std::string_view what) {
    std::string refused;
    for (int round = 0;; ++round) {
      auto a = current_admin(round == 0 ? nullptr : &refused);
      if (!a) return std::move(a).error();
      http::ClientRequest req;
      req.method = method;
      req.url = with_query(join(a->actions_url, path), "api-version", kApiVersion);
      req.headers.set("Content-Type", "application/json");
      req.headers.set("Authorization", "Bearer " + a->token);
      req.headers.set("User-Agent", user_agent);
      req.body = body;
      req.timeout = options.call_timeout;
      auto resp = send(req, what);
      if (!resp) return resp;
      if (resp->status == 401 && round == 0) {
        log::info("scaleset: the Actions service refused the admin token; renewing", {{"call", std::string(what)}});
        refused = a->token;
        continue;
      }
      return resp;
    }
  }

  Result<ScaleSet> scale_set_answer(Result<http::ClientResponse> resp, std::string_view what) {
    if (!resp) return std::move(resp).error();
    if (resp->status != 200) return status_error(*resp, what);
    return wire::parse_scale_set(resp->body);
  }
};

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Client::~Client() = default;

Result<std::unique_ptr<Client>> Client::create(ClientOptions options, std::shared_ptr<github::GitHubApi> github,
                                               std::shared_ptr<http::Client> transport) {
  if (!github || !transport)
    return make_error(ErrorKind::kInvalid, "scaleset: a GitHub client and a transport are required");
  auto root = github::normalise_api_url(options.api_url);
  if (!root) return std::move(root).error();
  options.api_url = std::move(root).value();
  if (options.config_url.empty()) {
    auto url = config_url_for(options.api_url, options.scope);
    if (!url) return std::move(url).error();
    options.config_url = std::move(url).value();
  }
  if (options.max_attempts < 1) options.max_attempts = 1;
  if (!options.clock) options.clock = system_clock();
  if (!options.sleep) options.sleep = [](Duration d) { std::this_thread::sleep_for(d); };
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->github = std::move(github);
  impl->transport = std::move(transport);
  impl->user_agent = wire::render_user_agent("ghscale", kVersion, impl->options.subsystem, 0);
  impl->backoff.emplace(impl->options.backoff_base, impl->options.backoff_cap, impl->options.jitter_seed);
  return std::unique_ptr<Client>(new Client(std::move(impl)));
}

Status Client::connect() {
  auto a = impl_->current_admin();
  if (!a) return std::move(a).error();
  return ok_status();
}

std::string Client::actions_url() const {
  std::lock_guard lock(impl_->admin_mu);
  return impl_->admin.actions_url;
}

int Client::admin_renewals() const {
  std::lock_guard lock(impl_->admin_mu);
  return impl_->renewals;
}

Result<RunnerGroupRef> Client::get_runner_group(std::string_view name) {
  if (name.empty()) return make_error(ErrorKind::kInvalid, "scaleset: a runner group name is required");
  auto resp = impl_->service_call("GET", "_apis/runtime/runnergroups/?groupName=" + wire::url_encode(name), {},
                                  "get runner group");
  if (!resp) return std::move(resp).error();
  if (resp->status != 200) return impl_->status_error(*resp, "get runner group");
  auto list = wire::parse_runner_group_list(resp->body, impl_->options.max_scale_sets_listed);
  if (!list) return std::move(list).error();
  if (list->empty()) return call_error(ErrorKind::kNotFound, "get runner group", "no runner group of that name");
  if (list->size() > 1)
    return call_error(ErrorKind::kConflict, "get runner group", "several runner groups carry that name");
  return list->front();
}

Result<std::optional<ScaleSet>> Client::get_scale_set(std::int64_t runner_group_id, std::string_view name) {
  if (name.empty()) return make_error(ErrorKind::kInvalid, "scaleset: a scale set name is required");
  const std::string path =
      std::string(kScaleSets) + "?runnerGroupId=" + std::to_string(runner_group_id) + "&name=" + wire::url_encode(name);
  auto resp = impl_->service_call("GET", path, {}, "get scale set");
  if (!resp) return std::move(resp).error();
  if (resp->status != 200) return impl_->status_error(*resp, "get scale set");
  auto list = wire::parse_scale_set_list(resp->body, impl_->options.max_scale_sets_listed);
  if (!list) return std::move(list).error();
  if (list->empty()) return std::optional<ScaleSet>{};
  if (list->size() > 1) return call_error(ErrorKind::kConflict, "get scale set", "several scale sets carry that name");
  return std::optional<ScaleSet>{std::move(list->front())};
}

Result<ScaleSet> Client::get_scale_set_by_id(std::int64_t id) {
  return impl_->scale_set_answer(
      impl_->service_call("GET", std::string(kScaleSets) + "/" + std::to_string(id), {}, "get scale set"),
      "get scale set");
}

Result<ScaleSet> Client::create_scale_set(const ScaleSetSpec& spec) {
  if (spec.name.empty()) return make_error(ErrorKind::kInvalid, "scaleset: a scale set name is required");
  return impl_->scale_set_answer(
      impl_->service_call("POST", std::string(kScaleSets), wire::render_scale_set(spec), "create scale set"),
      "create scale set");
}

Result<ScaleSet> Client::update_scale_set(std::int64_t id, const ScaleSetSpec& spec) {
  return impl_->scale_set_answer(impl_->service_call("PATCH", std::string(kScaleSets) + "/" + std::to_string(id),
                                                     wire::render_scale_set(spec), "update scale set"),
                                 "update scale set");
}

Status Client::delete_scale_set(std::int64_t id) {
  auto resp = impl_->service_call("DELETE", std::string(kScaleSets) + "/" + std::to_string(id), {}, "delete scale set");
  if (!resp) return std::move(resp).error();
  if (resp->status != 204) return impl_->status_error(*resp, "delete scale set");
  return ok_status();
}

Result<ScaleSet> Client::ensure_scale_set(const ScaleSetSpec& spec) {
  auto found = get_scale_set(spec.runner_group_id, spec.name);
  if (!found) return std::move(found).error();
  if (!found->has_value()) {
    log::info("scaleset: creating the scale set", {{"name", spec.name}, {"runner_group_id", spec.runner_group_id}});
    return create_scale_set(spec);
  }
  const ScaleSet& current = **found;
  const std::vector<std::string> wanted = spec.labels.empty() ? std::vector<std::string>{spec.name} : spec.labels;
  const bool same_labels = std::set<std::string>(wanted.begin(), wanted.end()) ==
                           std::set<std::string>(current.labels.begin(), current.labels.end());
  if (same_labels && current.disable_update == spec.disable_update) return current;
  log::info("scaleset: updating the scale set", {{"name", spec.name}, {"id", current.id}});
  return update_scale_set(current.id, spec);
}

Result<ScaleSetJitConfig> Client::generate_jit_config(std::int64_t scale_set_id, std::string_view runner_name,
                                                      std::string_view work_folder) {
  if (runner_name.empty()) return make_error(ErrorKind::kInvalid, "scaleset: a runner name is required");
  auto resp =
      impl_->service_call("POST", std::string(kScaleSets) + "/" + std::to_string(scale_set_id) + "/generatejitconfig",
                          wire::render_jit_request(runner_name, work_folder), "generate JIT config");
  if (!resp) return std::move(resp).error();
  if (resp->status != 200) return impl_->status_error(*resp, "generate JIT config");
  auto config = wire::parse_jit_config(resp->body);
  if (config) log::add_ephemeral_secret(config->encoded_jit_config, kSecretGrace);
  return config;
}

Result<RunnerRef> Client::get_runner(std::int64_t runner_id) {
  auto resp = impl_->service_call("GET", std::string(kRunners) + "/" + std::to_string(runner_id), {}, "get runner");
  if (!resp) return std::move(resp).error();
  if (resp->status != 200) return impl_->status_error(*resp, "get runner");
  return wire::parse_runner(resp->body);
}

Result<std::optional<RunnerRef>> Client::get_runner_by_name(std::string_view name) {
  if (name.empty()) return make_error(ErrorKind::kInvalid, "scaleset: a runner name is required");
  auto resp =
      impl_->service_call("GET", std::string(kRunners) + "?agentName=" + wire::url_encode(name), {}, "get runner");
  if (!resp) return std::move(resp).error();
  if (resp->status != 200) return impl_->status_error(*resp, "get runner");
  auto list = wire::parse_runner_list(resp->body, impl_->options.max_scale_sets_listed);
  if (!list) return std::move(list).error();
  if (list->empty()) return std::optional<RunnerRef>{};
  if (list->size() > 1) return call_error(ErrorKind::kConflict, "get runner", "several runners carry that name");
  return std::optional<RunnerRef>{list->front()};
}

Status Client::remove_runner(std::int64_t runner_id) {
  auto resp =
      impl_->service_call("DELETE", std::string(kRunners) + "/" + std::to_string(runner_id), {}, "remove runner");
  if (!resp) return std::move(resp).error();
  if (resp->status != 204) return impl_->status_error(*resp, "remove runner");
  return ok_status();
}

Result<Session> Client::create_session(std::int64_t scale_set_id, std::string_view owner) {
  auto resp = impl_->service_call("POST", std::string(kScaleSets) + "/" + std::to_string(scale_set_id) + "/sessions",
                                  wire::render_session_request(owner), "create session");
  if (!resp) return std::move(resp).error();
  if (resp->status != 200) return impl_->status_error(*resp, "create session");
  auto session = wire::parse_session(resp->body);
  if (!session) return session;
  log::add_ephemeral_secret(session->message_queue_token, kSecretGrace);
  if (session->scale_set_id == 0) session->scale_set_id = scale_set_id;
  return session;
}

Result<Session> Client::refresh_session(std::int64_t scale_set_id, std::string_view session_id) {
  if (!plain_id(session_id)) return make_error(ErrorKind::kInvalid, "scaleset: malformed session id");
  auto resp = impl_->service_call(
      "PATCH", std::string(kScaleSets) + "/" + std::to_string(scale_set_id) + "/sessions/" + std::string(session_id),
      {}, "refresh session");
  if (!resp) return std::move(resp).error();
  if (resp->status != 200) return impl_->status_error(*resp, "refresh session");
  auto session = wire::parse_session(resp->body);
  if (!session) return session;
  log::add_ephemeral_secret(session->message_queue_token, kSecretGrace);
  if (session->scale_set_id == 0) session->scale_set_id = scale_set_id;
  return session;
}

Status Client::delete_session(std::int64_t scale_set_id, std::string_view session_id) {
  if (!plain_id(session_id)) return make_error(ErrorKind::kInvalid, "scaleset: malformed session id");
  auto resp = impl_->service_call(
      "DELETE", std::string(kScaleSets) + "/" + std::to_string(scale_set_id) + "/sessions/" + std::string(session_id),
      {}, "delete session");
  if (!resp) return std::move(resp).error();
  if (resp->status != 204) return impl_->status_error(*resp, "delete session");
  return ok_status();
}

Result<std::optional<Message>> Client::get_message(const Session& session, std::int64_t last_message_id,
                                                   int max_capacity) {
  if (!allowed_url(session.message_queue_url))
    return call_error(ErrorKind::kPermanent, "get message", "the message queue URL is not https");
  http::ClientRequest req;
  req.method = "GET";
  req.url = session.message_queue_url;
  if (last_message_id > 0) req.url = with_query(req.url, "lastMessageId", std::to_string(last_message_id));
  req.headers.set("Accept", "application/json; api-version=" + std::string(kApiVersion));
  req.headers.set("Authorization", "Bearer " + session.message_queue_token);
  req.headers.set("User-Agent", impl_->user_agent);
  req.headers.set("X-ScaleSetMaxCapacity", std::to_string(std::max(max_capacity, 0)));
  req.timeout = impl_->options.poll_timeout;
  auto resp = impl_->send(req, "get message");
  if (!resp) return std::move(resp).error();
  if (resp->status == 202) return std::optional<Message>{};
  if (resp->status == 401) return call_error(ErrorKind::kUnauthorized, "get message", "message queue token expired");
  if (resp->status != 200) return impl_->status_error(*resp, "get message");
  auto message = wire::parse_message(resp->body, impl_->options.max_events_per_message);
  if (!message) return std::move(message).error();
  return std::optional<Message>{std::move(message).value()};
}

Status Client::delete_message(const Session& session, std::int64_t message_id) {
  if (!allowed_url(session.message_queue_url))
    return call_error(ErrorKind::kPermanent, "delete message", "the message queue URL is not https");
  const std::string& queue = session.message_queue_url;
  const auto q = queue.find('?');
  http::ClientRequest req;
  req.method = "DELETE";
  req.url = queue.substr(0, q) + "/" + std::to_string(message_id) + (q == std::string::npos ? "" : queue.substr(q));
  req.headers.set("Content-Type", "application/json");
  req.headers.set("Authorization", "Bearer " + session.message_queue_token);
  req.headers.set("User-Agent", impl_->user_agent);
  req.timeout = impl_->options.call_timeout;
  auto resp = impl_->send(req, "delete message");
  if (!resp) return std::move(resp).error();
  if (resp->status == 204) return ok_status();
  if (resp->status == 401) return call_error(ErrorKind::kUnauthorized, "delete message", "message queue token expired");
  return impl_->status_error(*resp, "delete message");
}

}  // namespace ghscale::scaleset
