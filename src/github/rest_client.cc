#include "github/rest_client.h"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "core/backoff.h"
#include "core/log.h"
#include "core/version.h"
#include "github/jwt.h"
#include "github/parse.h"

namespace ghscale::github {
namespace {

constexpr std::string_view kAccept = "application/vnd.github+json";
constexpr std::string_view kApiVersion = "2022-11-28";
constexpr Duration kSecondaryLimitDefaultWait = std::chrono::seconds(60);  // GitHub: "at least one minute"
// GitHub: filtered workflow-run lists (created, status, actor, ...) return at most 1,000
// results per query, whatever total_count says.
constexpr std::int64_t kFilteredListCap = 1000;
// Below this, a window over the cap is not split further (its first 1,000 runs are kept).
constexpr Duration kMinRunWindow = std::chrono::minutes(1);

enum class Urgency { kUrgent, kNormal, kBackground };
enum class AuthAs { kToken, kAppJwt };

struct Call {
  std::string endpoint;  // metrics and messages: "list_runners"
  std::string method = "GET";
  std::string url;
  std::string body;
  Urgency urgency = Urgency::kNormal;
  AuthAs auth = AuthAs::kToken;
  bool mutating = false;
  std::string if_none_match;
};

bool valid_name(std::string_view name, bool allow_slash) {
  if (name.empty() || name.size() > 200) return false;
  int slashes = 0;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '_' || c == '.';
    if (c == '/' && allow_slash) {
      ++slashes;
      continue;
    }
    if (!ok) return false;
  }
  return !allow_slash || slashes == 1;
}

std::string origin_of(std::string_view url) {
  const auto scheme = url.find("://");
  const auto slash = url.find('/', scheme == std::string_view::npos ? 0 : scheme + 3);
  return std::string(url.substr(0, slash));
}

std::int64_t header_seconds(const http::Headers& h, std::string_view name, std::int64_t fallback) {
  const std::string* text = h.find(name);
  if (text == nullptr) return fallback;
  std::int64_t v = 0;
  const auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  return ec == std::errc() && ptr == text->data() + text->size() ? v : fallback;
}

Error call_error(ErrorKind kind, const std::string& endpoint, const std::string& what) {
  return make_error(kind, "github " + endpoint + ": " + log::redact(what));
}

}  // namespace

Result<std::string> normalise_api_url(std::string_view url) {
  std::string u(url);
  while (!u.empty() && u.back() == '/') u.pop_back();
  const bool https = u.rfind("https://", 0) == 0;
  const bool loopback = u.rfind("http://127.0.0.1", 0) == 0 || u.rfind("http://localhost", 0) == 0 ||
                        u.rfind("http://[::1]", 0) == 0;
  if ((!https && !loopback) || u.find_first_of("?#") != std::string::npos || origin_of(u).size() <= 8) {
    return make_error(ErrorKind::kInvalid, "github: api_url must be https://HOST[/api/v3], got '" + u + "'");
  }
  return u;
}

struct RestClient::Impl {
  // Constant after construction.
  RestClientOptions options;
  Credentials credentials;
  std::shared_ptr<http::Client> transport;
  std::string origin;
  std::string user_agent;
  std::optional<AppJwtSigner> signer;
  bool default_sleep = false;  // this thread sleeps (no test clock): waits can be sliced

  RateLimitTracker limits;
  InFlightLimiter in_flight;
  std::mutex mutating_mu;  // GitHub: avoid parallel mutating calls
  InstallationTokenCache token_cache;

  std::mutex token_mu;  // one renewal at a time
  std::int64_t installation_id = 0;  // guarded by token_mu
  std::string installation_account;  // guarded by token_mu

  std::mutex cache_mu;
  struct Cached {
    std::string etag;
    std::string body;
    std::string link;
  };
  std::map<std::string, Cached> etag_cache;  // guarded by cache_mu; URL of a page -> last 200
  // Pages of runs and their jobs come and go with the repositories' runs: bounds in pages
  // and bytes keep the cache from growing with a long-lived daemon's history.
  static constexpr std::size_t kMaxCachedPages = 4096;
  static constexpr std::size_t kMaxCachedBytes = 32u << 20;
  std::size_t cached_bytes = 0;  // guarded by cache_mu: bodies and links held

  JitterBackoff backoff;  // 5xx and transport failures

  // When the last call that ran out of attempts could not reach GitHub at all (connect,
  // DNS, TLS, timeout), in ms since the epoch; 0 while GitHub answers. For kUnreachableFor
  // after that, a call makes one attempt and no retries: during an outage a pass (or a
  // `reconcile --once`) fails in one try per call instead of a full back-off on each,
  // and the first answer, of any status, ends it.
  static constexpr Duration kUnreachableFor = std::chrono::seconds(30);
  std::atomic<std::int64_t> unreachable_at{0};
  bool recently_unreachable() const {
    const std::int64_t at = unreachable_at.load();
    return at != 0 && to_unix_ms(now()) - at < kUnreachableFor.count();
  }

  Impl(RestClientOptions o, Credentials c, std::shared_ptr<http::Client> t)
      : options(std::move(o)),
        credentials(std::move(c)),
        transport(std::move(t)),
        in_flight(options.max_in_flight),
        backoff(options.backoff_base, options.backoff_cap, options.jitter_seed) {
    user_agent = "ghscale/" + std::string(kVersion);
    installation_id = credentials.installation_id;
  }

  TimePoint now() const { return options.clock->now(); }

  std::string url(std::string_view path) const { return options.api_url + std::string(path); }

  // Below the reserve (or with the bucket empty), a call of this urgency must not go out.
  std::optional<Error> budget_check(const Call& call) {
    if (call.auth == AuthAs::kAppJwt) return std::nullopt;  // App JWT calls have their own budget
    const auto core = limits.bucket("core");
    if (!core || core->reset <= now()) return std::nullopt;
    const Duration until_reset = std::chrono::duration_cast<Duration>(core->reset - now());
    if (core->remaining <= 0) {
      Error e = call_error(ErrorKind::kThrottled, call.endpoint, "rate limit exhausted until the bucket resets");
      e.retry_after = until_reset;
      return e;
    }
    if (call.urgency == Urgency::kBackground && core->remaining < options.rate_limit_reserve) {
      limits.count_deferred(call.endpoint);
      log::info("github: deferring a non-urgent call to keep the rate-limit reserve",
                {{"endpoint", call.endpoint}, {"remaining", core->remaining},
                 {"reserve", options.rate_limit_reserve}});
      Error e = call_error(ErrorKind::kThrottled, call.endpoint, "deferred: rate limit below the reserve");
      e.retry_after = until_reset;
      return e;
    }
    return std::nullopt;
  }

  Result<std::string> authorization(AuthAs auth) {
    if (auth == AuthAs::kAppJwt) {
      if (!signer) return make_error(ErrorKind::kInvalid, "github: this call needs GitHub App credentials");
      auto jwt = signer->sign(now());
      if (!jwt) return std::move(jwt).error();
      return "Bearer " + *jwt;
    }
    if (credentials.kind == Credentials::Kind::kPat) return "Bearer " + credentials.token;
    auto token = installation_token();
    if (!token) return std::move(token).error();
    return "Bearer " + *token;
  }

  Result<std::string> installation_token() {
    if (auto cached = token_cache.get(now())) return *cached;
    std::lock_guard lock(token_mu);
    if (auto cached = token_cache.get(now())) return *cached;
    if (installation_id == 0) {
      const Scope& s = *credentials.discovery;
      Call find{"get_installation", "GET", url("/" + s.path() + "/installation"), {}, Urgency::kUrgent,
                AuthAs::kAppJwt};
      auto resp = execute(find);
      if (!resp) return std::move(resp).error();
      if (resp->status != 200) return classify(find, *resp);
      auto id = parse_installation_id(resp->body);
      if (!id) return std::move(id).error();
      installation_id = *id;
      installation_account = s.name;
      log::info("github: found the App installation", {{"installation_id", installation_id}, {"scope", s.describe()}});
    }
    Call create{"create_installation_token", "POST",
                url("/app/installations/" + std::to_string(installation_id) + "/access_tokens"), {},
                Urgency::kUrgent, AuthAs::kAppJwt};
    auto resp = execute(create);
    if (!resp) return std::move(resp).error();
    if (resp->status != 201) return classify(create, *resp);
    auto token = parse_token(resp->body);
    if (!token) return std::move(token).error();
    log::add_secret(token->token);
    token_cache.put(token->token, token->expires_at);
    log::debug("github: renewed the installation token",
               {{"installation_id", installation_id}, {"expires_at", format_iso8601(token->expires_at)}});
    return token->token;
  }

  bool stopping() const { return options.stop && options.stop->load(); }

  // Waits d unless the process is stopping; false when it is (the caller gives up). The
  // default sleep waits in slices, so a stop during a long wait is seen within 100 ms.
  bool pause(Duration d) {
    if (stopping()) return false;
    if (!default_sleep) {
      options.sleep(d);
      return !stopping();
    }
    const auto until = std::chrono::steady_clock::now() + d;
    while (!stopping()) {
      const auto left = until - std::chrono::steady_clock::now();
      if (left <= Duration::zero()) return true;
      std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(left, 100ms));
    }
    return false;
  }

  Error stopped(const Call& call) const { return call_error(ErrorKind::kRetryable, call.endpoint, "stopping: no further attempt"); }

  // Sends with waits and retries. Returns the answer for any status the caller should
  // judge (2xx, 304, 4xx other than rate limits); an Error for exhausted retries.
  Result<http::ClientResponse> execute(const Call& call) {
    if (auto e = budget_check(call)) return *e;
    std::unique_lock<std::mutex> serial(mutating_mu, std::defer_lock);
    if (call.mutating) serial.lock();
    bool reauthenticated = false;
    const int transport_attempts = recently_unreachable() ? 1 : options.max_attempts;
    for (int attempt = 1;; ++attempt) {
      if (stopping()) return stopped(call);
      const TimePoint blocked = limits.blocked_until();
      if (blocked > now()) {
        const Duration wait = std::chrono::duration_cast<Duration>(blocked - now());
        if (wait > options.max_wait) {
          Error e = call_error(ErrorKind::kThrottled, call.endpoint, "waiting out a secondary rate limit");
          e.retry_after = wait;
          return e;
        }
        if (!pause(wait)) return stopped(call);
      }
      auto auth = authorization(call.auth);
      if (!auth) return std::move(auth).error();
      http::ClientRequest req;
      req.method = call.method;
      req.url = call.url;
      req.headers.set("Accept", std::string(kAccept));
      req.headers.set("X-GitHub-Api-Version", std::string(kApiVersion));
      req.headers.set("User-Agent", user_agent);
      req.headers.set("Authorization", std::move(auth).value());
      if (!call.if_none_match.empty()) req.headers.set("If-None-Match", call.if_none_match);
      if (!call.body.empty()) req.headers.set("Content-Type", "application/json");
      req.body = call.body;

      in_flight.acquire();
      auto sent = transport->send(req);
      in_flight.release();

      if (!sent) {
        limits.count_call(call.endpoint, "error");
        if (attempt >= transport_attempts || attempt >= options.max_attempts) {
          unreachable_at.store(std::max<std::int64_t>(1, to_unix_ms(now())));
          return call_error(ErrorKind::kRetryable, call.endpoint, sent.error().message);
        }
        if (!pause(backoff.delay(attempt))) return stopped(call);
        continue;
      }
      unreachable_at.store(0);
      http::ClientResponse resp = std::move(sent).value();
      limits.count_call(call.endpoint, std::to_string(resp.status));
      limits.observe(resp.headers);

      if (resp.status == 401 && call.auth == AuthAs::kToken && credentials.kind == Credentials::Kind::kApp &&
          !reauthenticated) {
        token_cache.clear();  // revoked or expired early: get a fresh one, once
        reauthenticated = true;
        continue;
      }
      if (resp.status == 403 || resp.status == 429) {
        if (auto wait = told_wait(resp)) {
          limits.block_until(now() + *wait);
          log::warn("github: rate limited, waiting as told",
                    {{"endpoint", call.endpoint}, {"status", resp.status}, {"wait_ms", std::int64_t{wait->count()}}});
          if (*wait > options.max_wait || attempt >= options.max_attempts) {
            Error e = call_error(ErrorKind::kThrottled, call.endpoint, "rate limited (HTTP " + std::to_string(resp.status) + ")");
            e.retry_after = *wait;
            return e;
          }
          continue;
        }
      }
      if (resp.status >= 500) {
        if (attempt >= options.max_attempts) {
          return call_error(ErrorKind::kRetryable, call.endpoint, "HTTP " + std::to_string(resp.status) + " after " + std::to_string(attempt) + " attempts");
        }
        if (!pause(backoff.delay(attempt))) return stopped(call);
        continue;
      }
      return resp;
    }
  }

  // How long a 403/429 tells us to wait, or nullopt when it is not a rate limit.
  std::optional<Duration> told_wait(const http::ClientResponse& resp) {
    const std::int64_t retry_after = header_seconds(resp.headers, "Retry-After", -1);
    if (retry_after >= 0) return std::chrono::seconds(retry_after);
    if (header_seconds(resp.headers, "X-RateLimit-Remaining", -1) == 0) {
      const TimePoint reset{std::chrono::seconds(header_seconds(resp.headers, "X-RateLimit-Reset", 0))};
      return reset > now() ? std::chrono::duration_cast<Duration>(reset - now()) : Duration{1000};
    }
    const std::string message = error_message(resp.body);
    if (message.find("secondary rate limit") != std::string::npos || resp.status == 429) {
      return kSecondaryLimitDefaultWait;
    }
    return std::nullopt;
  }

  Error classify(const Call& call, const http::ClientResponse& resp) const {
    const std::string message = error_message(resp.body);
    const std::string what = "HTTP " + std::to_string(resp.status) + (message.empty() ? "" : ": " + message);
    switch (resp.status) {
      case 400:
      case 422:
        return call_error(ErrorKind::kInvalid, call.endpoint, what);
      case 401:
        return call_error(ErrorKind::kUnauthorized, call.endpoint, what);
      case 403:
        return call_error(ErrorKind::kPermanent, call.endpoint, what + " (forbidden: check the token's permissions)");
      case 404:
        return call_error(ErrorKind::kNotFound, call.endpoint, what);
      case 409:
        return call_error(ErrorKind::kConflict, call.endpoint, what);
      default:
        return call_error(ErrorKind::kPermanent, call.endpoint, what);
    }
  }

  // GET every page from `first`, following Link rel="next" on the same origin only (the
  // token must never travel elsewhere). Pages seen before are asked for conditionally.
  template <typename T, typename Parse>
  Result<std::vector<T>> get_all(const std::string& endpoint, const std::string& first, Urgency urgency,
                                 bool conditional, Parse parse, AuthAs auth = AuthAs::kToken,
                                 const std::function<bool(const std::vector<T>&)>& stop = {}) {
    std::vector<T> all;
    std::optional<std::string> next = first;
    for (int pages = 0; next && pages < 1000; ++pages) {
      if (origin_of(*next) != origin) {
        return call_error(ErrorKind::kPermanent, endpoint, "refusing a Link to another host");
      }
      Call call{endpoint, "GET", *next, {}, urgency, auth};
      std::optional<Cached> cached;
      if (conditional) {
        std::lock_guard lock(cache_mu);
        if (auto it = etag_cache.find(*next); it != etag_cache.end()) {
          cached = it->second;
          call.if_none_match = it->second.etag;
        }
      }
      auto resp = execute(call);
      if (!resp) return std::move(resp).error();
      std::string body;
      std::string link;
      if (resp->status == 304 && cached) {
        body = cached->body;
        link = cached->link;
      } else if (resp->status == 200) {
        body = resp->body;
        link = std::string(resp->headers.get("Link"));
        if (const std::string* etag = resp->headers.find("ETag"); conditional && etag != nullptr) {
          std::lock_guard lock(cache_mu);
          if (auto old = etag_cache.find(*next); old != etag_cache.end()) {
            cached_bytes -= old->second.body.size() + old->second.link.size();
            etag_cache.erase(old);
          }
          const std::size_t bytes = body.size() + link.size();
          while (!etag_cache.empty() && (etag_cache.size() >= kMaxCachedPages || cached_bytes + bytes > kMaxCachedBytes)) {
            cached_bytes -= etag_cache.begin()->second.body.size() + etag_cache.begin()->second.link.size();
            etag_cache.erase(etag_cache.begin());
          }
          if (bytes <= kMaxCachedBytes) {
            cached_bytes += bytes;
            etag_cache[*next] = Cached{*etag, body, link};
          }
        }
      } else {
        return classify(call, *resp);
      }
      auto page = parse(body);
      if (!page) return std::move(page).error();
      for (auto& item : page->items) all.push_back(std::move(item));
      if (stop && stop(all)) break;
      next = next_link(link);
    }
    return all;
  }

  Result<http::ClientResponse> expect(const Call& call, int status) {
    auto resp = execute(call);
    if (!resp) return resp;
    if (resp->status != status) return classify(call, *resp);
    return resp;
  }
};

RestClient::RestClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RestClient::~RestClient() = default;

Result<std::unique_ptr<RestClient>> RestClient::create(RestClientOptions options, Credentials credentials,
                                                       std::shared_ptr<http::Client> transport) {
  auto api = normalise_api_url(options.api_url);
  if (!api) return std::move(api).error();
  options.api_url = *api;
  if (!options.clock) options.clock = system_clock();
  const bool default_sleep = !options.sleep;
  if (!options.sleep) options.sleep = [](Duration d) { std::this_thread::sleep_for(d); };
  if (options.max_attempts < 1) options.max_attempts = 1;
  if (!transport) return make_error(ErrorKind::kInvalid, "github: no HTTP transport");
  if (credentials.kind == Credentials::Kind::kPat) {
    if (credentials.token.empty()) return make_error(ErrorKind::kInvalid, "github: empty token");
    log::add_secret(credentials.token);
  } else if (credentials.installation_id == 0 &&
             (!credentials.discovery || credentials.discovery->kind == Scope::Kind::kEnterprise)) {
    return make_error(ErrorKind::kInvalid, "github app: an installation id, org or repo is needed");
  }
  auto impl = std::make_unique<Impl>(std::move(options), std::move(credentials), std::move(transport));
  impl->origin = origin_of(impl->options.api_url);
  impl->default_sleep = default_sleep;
  if (impl->credentials.kind == Credentials::Kind::kApp) {
    log::add_secret(impl->credentials.private_key_pem);
    auto signer = AppJwtSigner::create(impl->credentials.app_id, impl->credentials.private_key_pem);
    if (!signer) return std::move(signer).error();
    impl->signer = std::move(signer).value();
  }
  return std::unique_ptr<RestClient>(new RestClient(std::move(impl)));
}

namespace {

Status check_scope(const Scope& scope) {
  if (!valid_name(scope.name, scope.kind == Scope::Kind::kRepo)) {
    return make_error(ErrorKind::kInvalid, "github: not a valid " + scope.describe());
  }
  return ok_status();
}

Status check_repo(std::string_view repo) {
  if (!valid_name(repo, true)) return make_error(ErrorKind::kInvalid, "github: not a valid repository '" + std::string(repo) + "'");
  return ok_status();
}

std::string json_string(std::string_view s) {
  std::string out;
  log::append_json_string(out, s);
  return out;
}

}  // namespace

Result<std::vector<Runner>> RestClient::list_runners(const Scope& scope) {
  if (auto s = check_scope(scope); !s) return s.error();
  return impl_->get_all<Runner>("list_runners", impl_->url("/" + scope.path() + "/actions/runners?per_page=100"),
                                Urgency::kNormal, true, parse_runner_page);
}

Result<Runner> RestClient::get_runner(const Scope& scope, std::int64_t runner_id) {
  if (auto s = check_scope(scope); !s) return s.error();
  Call call{"get_runner", "GET", impl_->url("/" + scope.path() + "/actions/runners/" + std::to_string(runner_id))};
  auto resp = impl_->expect(call, 200);
  if (!resp) return std::move(resp).error();
  return parse_runner(resp->body);
}

Status RestClient::delete_runner(const Scope& scope, std::int64_t runner_id) {
  if (auto s = check_scope(scope); !s) return s;
  Call call{"delete_runner", "DELETE", impl_->url("/" + scope.path() + "/actions/runners/" + std::to_string(runner_id)),
            {}, Urgency::kUrgent};
  call.mutating = true;
  auto resp = impl_->execute(call);
  if (!resp) return std::move(resp).error();
  if (resp->status == 204) return ok_status();
  Error e = impl_->classify(call, *resp);
  // GitHub answers 422 ("still running a job") while the runner is busy: a state, not bad input.
  const std::string message = error_message(resp->body);
  if (resp->status == 409 || (resp->status == 422 && (message.find("running a job") != std::string::npos ||
                                                      message.find("busy") != std::string::npos))) {
    e.kind = ErrorKind::kConflict;
  }
  return e;
}

// Registration and remove tokens are the same call on two paths; both are secrets.
Result<Token> RestClient::scope_token(const Scope& scope, const char* endpoint, const std::string& suffix) {
  if (auto s = check_scope(scope); !s) return s.error();
  Call call{endpoint, "POST", impl_->url("/" + scope.path() + suffix), {}, Urgency::kUrgent};
  call.mutating = true;
  auto resp = impl_->expect(call, 201);
  if (!resp) return std::move(resp).error();
  auto token = parse_token(resp->body);
  if (token) log::add_secret(token->token);
  return token;
}

Result<Token> RestClient::registration_token(const Scope& scope) {
  return scope_token(scope, "registration_token", "/actions/runners/registration-token");
}

Result<Token> RestClient::remove_token(const Scope& scope) {
  return scope_token(scope, "remove_token", "/actions/runners/remove-token");
}

Result<JitConfig> RestClient::generate_jit_config(const Scope& scope, const JitConfigRequest& request) {
  if (auto s = check_scope(scope); !s) return s.error();
  if (request.name.empty() || request.labels.empty() || request.labels.size() > 100) {
    return make_error(ErrorKind::kInvalid, "github generate_jitconfig: a name and 1 to 100 labels are needed");
  }
  std::string body = "{\"name\":" + json_string(request.name) +
                     ",\"runner_group_id\":" + std::to_string(request.runner_group_id) + ",\"labels\":[";
  for (std::size_t i = 0; i < request.labels.size(); ++i) body += (i ? "," : "") + json_string(request.labels[i]);
  body += "],\"work_folder\":" + json_string(request.work_folder) + "}";
  Call call{"generate_jitconfig", "POST", impl_->url("/" + scope.path() + "/actions/runners/generate-jitconfig"),
            std::move(body), Urgency::kUrgent};
  call.mutating = true;
  auto resp = impl_->expect(call, 201);
  if (!resp) return std::move(resp).error();
  auto config = parse_jit_config(resp->body);
  if (config) log::add_secret(config->encoded_jit_config);
  return config;
}

Result<std::vector<RunnerGroup>> RestClient::list_runner_groups(const Scope& scope) {
  if (auto s = check_scope(scope); !s) return s.error();
  if (scope.kind == Scope::Kind::kRepo) return std::vector<RunnerGroup>{RunnerGroup{1, "Default", true, "all"}};
  return impl_->get_all<RunnerGroup>("list_runner_groups",
                                     impl_->url("/" + scope.path() + "/actions/runner-groups?per_page=100"),
                                     Urgency::kNormal, true, parse_runner_group_page);
}

Result<WorkflowJob> RestClient::get_job(std::string_view repo, std::int64_t job_id) {
  if (auto s = check_repo(repo); !s) return s.error();
  Call call{"get_job", "GET", impl_->url("/repos/" + std::string(repo) + "/actions/jobs/" + std::to_string(job_id))};
  auto resp = impl_->expect(call, 200);
  if (!resp) return std::move(resp).error();
  return parse_job(resp->body);
}

Result<std::vector<WorkflowRun>> RestClient::list_queued_runs(std::string_view repo) {
  if (auto s = check_repo(repo); !s) return s.error();
  return impl_->get_all<WorkflowRun>(
      "list_workflow_runs", impl_->url("/repos/" + std::string(repo) + "/actions/runs?status=queued&per_page=100"),
      Urgency::kBackground, true, parse_run_page);  // conditional: a quiet repository costs no quota
}

Result<std::vector<WorkflowJob>> RestClient::list_run_jobs(std::string_view repo, std::int64_t run_id) {
  if (auto s = check_repo(repo); !s) return s.error();
  return impl_->get_all<WorkflowJob>(
      "list_run_jobs",
      impl_->url("/repos/" + std::string(repo) + "/actions/runs/" + std::to_string(run_id) + "/jobs?per_page=100"),
      Urgency::kBackground, true, parse_job_page);
}

Result<std::vector<WorkflowRun>> RestClient::list_runs_created(std::string_view repo, TimePoint from, TimePoint to) {
  using std::chrono::seconds;
  if (auto s = check_repo(repo); !s) return s.error();
  // GitHub's created filter has second resolution and inclusive ends: [a, b] then [b+1s, ...].
  from = std::chrono::floor<seconds>(from);
  to = std::chrono::floor<seconds>(to);
  if (to < from) return make_error(ErrorKind::kInvalid, "github list_workflow_runs: the time range ends before it starts");
  std::vector<WorkflowRun> all;
  std::set<std::int64_t> seen;
  // One query for the whole range first (a quiet repository costs one call per page).
  // A window over the cap is split rather than paged past its first page (the pages past
  // 1,000 would be empty anyway): into days, then a day into halves.
  std::function<Status(TimePoint, TimePoint)> window = [&](TimePoint a, TimePoint b) -> Status {
    const bool can_split = b - a >= kMinRunWindow;
    std::int64_t total = 0;
    auto parse = [&total](std::string_view body) {
      auto page = parse_run_page(body);
      if (page) total = std::max(total, page->total_count);
      return page;
    };
    const std::string url = impl_->url("/repos/" + std::string(repo) + "/actions/runs?created=" + format_iso8601(a) +
                                       ".." + format_iso8601(b) + "&exclude_pull_requests=true&per_page=100");
    auto runs = impl_->get_all<WorkflowRun>(
        "list_workflow_runs", url, Urgency::kBackground, false, parse, AuthAs::kToken,
        [&total, can_split](const std::vector<WorkflowRun>&) { return can_split && total > kFilteredListCap; });
    if (!runs) return std::move(runs).error();
    // Fewer runs than total_count: the list stopped at a cap (GitHub's is 1,000; the
    // fake's may be lower), so this window is split rather than trusted.
    const bool capped = total > kFilteredListCap || static_cast<std::int64_t>(runs->size()) < total;
    if (capped && can_split && b - a >= std::chrono::hours(24)) {
      for (TimePoint day = a; day <= b; day += std::chrono::hours(24)) {
        if (auto st = window(day, std::min<TimePoint>(day + std::chrono::hours(24) - seconds(1), b)); !st) return st;
      }
      return ok_status();
    }
    if (capped && can_split) {
      const TimePoint mid = std::chrono::floor<seconds>(a + (b - a) / 2);
      if (auto st = window(a, mid); !st) return st;
      return window(mid + seconds(1), b);
    }
    if (capped) {
      log::warn("github: more workflow runs in a minute than GitHub lists; keeping those listed",
                {{"repository", std::string(repo)}, {"from", format_iso8601(a)}, {"runs", total},
                 {"listed", static_cast<std::int64_t>(runs->size())}});
    }
    for (auto& r : *runs) {
      if (seen.insert(r.id).second) all.push_back(std::move(r));
    }
    return ok_status();
  };
  if (auto st = window(from, to); !st) return st.error();
  return all;
}

Result<std::vector<std::string>> RestClient::list_org_repos(std::string_view org) {
  if (!valid_name(org, false)) return make_error(ErrorKind::kInvalid, "github: not a valid org '" + std::string(org) + "'");
  return impl_->get_all<std::string>("list_org_repos",
                                     impl_->url("/orgs/" + std::string(org) + "/repos?type=all&per_page=100"),
                                     Urgency::kBackground, true, parse_repository_names);
}

Result<std::vector<HookDelivery>> RestClient::list_failed_deliveries(TimePoint since) {
  if (impl_->credentials.kind != Credentials::Kind::kApp) {
    return make_error(ErrorKind::kInvalid, "github list_hook_deliveries: needs GitHub App credentials");
  }
  struct DeliveryPage {
    std::vector<HookDelivery> items;
  };
  auto parse = [](std::string_view body) -> Result<DeliveryPage> {
    auto d = parse_deliveries(body);
    if (!d) return std::move(d).error();
    return DeliveryPage{std::move(d).value()};
  };
  // Newest first: stop paging once a page reaches back past `since`.
  auto all = impl_->get_all<HookDelivery>(
      "list_hook_deliveries", impl_->url("/app/hook/deliveries?per_page=100&status=failure"), Urgency::kBackground,
      false, parse, AuthAs::kAppJwt,
      [since](const std::vector<HookDelivery>& seen) { return !seen.empty() && seen.back().delivered_at < since; });
  if (!all) return all;
  std::erase_if(*all, [since](const HookDelivery& d) { return d.delivered_at < since || (d.status_code >= 200 && d.status_code < 400); });
  return all;
}

Status RestClient::redeliver(std::int64_t delivery_id) {
  if (impl_->credentials.kind != Credentials::Kind::kApp) {
    return make_error(ErrorKind::kInvalid, "github redeliver_hook_delivery: needs GitHub App credentials");
  }
  Call call{"redeliver_hook_delivery", "POST",
            impl_->url("/app/hook/deliveries/" + std::to_string(delivery_id) + "/attempts"), {}, Urgency::kNormal,
            AuthAs::kAppJwt};
  call.mutating = true;
  auto resp = impl_->expect(call, 202);
  if (!resp) return std::move(resp).error();
  return ok_status();
}

Result<std::vector<RateLimitBucket>> RestClient::rate_limit() {
  Call call{"rate_limit", "GET", impl_->url("/rate_limit"), {}, Urgency::kUrgent};
  auto resp = impl_->expect(call, 200);
  if (!resp) return std::move(resp).error();
  auto buckets = parse_rate_limit(resp->body);
  if (buckets) {
    for (const auto& b : *buckets) impl_->limits.set(b);
  }
  return buckets;
}

Result<Identity> RestClient::whoami() {
  if (impl_->credentials.kind == Credentials::Kind::kPat) {
    Call call{"rate_limit", "GET", impl_->url("/rate_limit"), {}, Urgency::kUrgent};
    auto resp = impl_->expect(call, 200);
    if (!resp) return std::move(resp).error();
    Identity id;
    id.auth_kind = "pat";
    id.name = "personal access token";
    id.scopes = std::string(resp->headers.get("X-OAuth-Scopes"));
    return id;
  }
  Call call{"get_app", "GET", impl_->url("/app"), {}, Urgency::kUrgent, AuthAs::kAppJwt};
  auto resp = impl_->expect(call, 200);
  if (!resp) return std::move(resp).error();
  auto id = parse_app(resp->body);
  if (!id) return id;
  auto token = impl_->installation_token();  // discovers the installation, proves it works
  if (!token) return std::move(token).error();
  std::lock_guard lock(impl_->token_mu);
  id->installation_id = impl_->installation_id;
  if (!impl_->installation_account.empty()) id->account = impl_->installation_account;
  return id;
}

const RateLimitTracker& RestClient::rate_limits() const { return impl_->limits; }

void RestClient::append_metrics(std::string& out) const { impl_->limits.append_metrics(out); }

}  // namespace ghscale::github
