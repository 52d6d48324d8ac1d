// An in-memory GitHub REST API for tests, demos and the sandbox: runners, runner groups,
// registration/remove tokens, JIT configs, workflow runs (the `created` filter, the cap on
// filtered lists) and jobs with their times, an org's repositories, App installations
// (the App JWT is verified with the App's public key), PATs, hook deliveries, per-token
// rate-limit accounting with X-RateLimit-* headers, ETags and 304s, Link pagination, and
// injectable faults (secondary limits, 5xx). Answers follow GitHub's OpenAPI description.
// handle() is an ordinary function of a request; FakeGitHubServer puts it on loopback.
// Optionally rude as GitHub is: its reads may trail its writes (set_read_lag).
// Thread-safe. Deliberately shares no code with src/github (it is the other side).
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "http/message.h"
#include "http/server.h"

namespace ghscale::fake_github {

// Scope keys as GitHub's paths spell them: "orgs/acme", "repos/acme/app", "enterprises/big".
struct FakeRunner {
  std::int64_t id = 0;
  std::string scope;
  std::string name;
  std::string os = "Linux";
  bool online = true;
  bool busy = false;
  std::int64_t group_id = 1;
  std::vector<std::string> labels;
  std::string jit_config;  // set when created through generate-jitconfig
};

struct FakeJob {
  std::int64_t id = 0;
  std::int64_t run_id = 0;
  std::string repo;  // "owner/name"
  std::string name;
  std::string status = "queued";
  std::vector<std::string> labels;
  std::int64_t runner_id = 0;
  std::string runner_name;
  std::string conclusion;  // when completed; empty = "success"
  // Unset: created (and started) at the fake's creation time, as before timestamps existed.
  // update_job stamps started_at (in_progress) and completed_at (completed) when unset.
  std::optional<TimePoint> created_at;
  std::optional<TimePoint> started_at;
  std::optional<TimePoint> completed_at;
};

struct FakeRun {
  std::int64_t id = 0;
  std::string repo;
  std::string name = "CI";
  std::string status = "queued";
  std::optional<TimePoint> created_at;  // unset: the fake's creation time
};

struct FakeDelivery {
  std::int64_t id = 0;
  std::int64_t app_id = 0;
  std::string guid;
  TimePoint delivered_at{};
  int status_code = 200;
  std::string event = "workflow_job";
  std::string action = "queued";
  bool redelivery = false;
};

// A canned answer for the next `times` requests whose path starts with `path_prefix`.
struct Fault {
  std::string method;  // empty = any
  std::string path_prefix;
  int status = 503;
  std::vector<std::pair<std::string, std::string>> headers;  // e.g. {"Retry-After", "30"}
  std::string message = "Service unavailable";
  int times = 1;
  Duration delay{0};  // the answer comes this much later (real time); other requests are not held up
};

struct FakeGitHubOptions {
  std::shared_ptr<Clock> clock;   // default: system clock
  std::int64_t core_limit = 5000; // per token and hour
  std::int64_t registration_limit = 10000;
  std::string api_prefix;         // "" like api.github.com, or "/api/v3" like GHES
  // GitHub lists at most this many workflow runs for a filtered query (created, status,
  // actor, ...): the pages stop there while total_count still says how many matched.
  std::int64_t filtered_list_cap = 1000;
};

// How far GitHub's REST reads trail what happened (its webhooks do not wait for them): a
// runner is listed a while after it was created or registered, shows busy a while after
// it took a job and stays listed a while after it was removed; a job reads `queued` a
// while after its in_progress delivery. Only answers over HTTP lag: the simulation and
// observation calls below, and writes (DELETE of a runner not listed yet), see the truth.
struct ReadLag {
  Duration runners{0};  // GET .../actions/runners and .../actions/runners/{id}
  Duration jobs{0};     // GET .../actions/jobs/{id} and .../actions/runs/{id}/jobs
};

class FakeGitHub {
 public:
  explicit FakeGitHub(FakeGitHubOptions options = {});
  ~FakeGitHub();
  FakeGitHub(const FakeGitHub&) = delete;
  FakeGitHub& operator=(const FakeGitHub&) = delete;

  // --- setup ---
  void add_pat(const std::string& token, const std::string& scopes = "repo, admin:org");
  void add_app(std::int64_t app_id, const std::string& slug, const std::string& public_key_pem);
  // account: an org login or a repository "owner/name".
  std::int64_t add_installation(std::int64_t app_id, const std::string& account);
  std::int64_t add_runner_group(const std::string& scope, const std::string& name, bool is_default = false);
  std::int64_t add_runner(FakeRunner runner);
  void set_runner(std::int64_t id, bool online, bool busy);
  // A repository of an org (GET /orgs/{org}/repos); add_run adds its repository too.
  void add_repo(const std::string& full_name);
  std::int64_t add_run(FakeRun run);
  std::int64_t add_job(FakeJob job);
  std::int64_t add_delivery(FakeDelivery delivery);
  void inject(Fault fault);
  // From now on, HTTP reads show runners and jobs as they were `lag` ago (zero: at once).
  void set_read_lag(ReadLag lag);

  // --- simulation (the GitHub simulator drives runners and jobs through these) ---
  // The runner of `scope` called `name`, if any.
  std::optional<FakeRunner> find_runner(const std::string& scope, const std::string& name) const;
  // Marks an idle online runner busy, atomically with its existence: false when the runner
  // is gone (deleted by the scaler), offline or already busy.
  bool claim_runner(std::int64_t id);
  // Removes a runner (an ephemeral runner after its job). Unknown ids are ignored.
  void remove_runner(std::int64_t id);
  // Moves a job along: status "queued", "in_progress" or "completed"; conclusion when completed.
  void update_job(std::int64_t id, const std::string& status, std::int64_t runner_id, const std::string& runner_name,
                  const std::string& conclusion = "");
  void set_run_status(std::int64_t run_id, const std::string& status);
  // Sets a token's remaining quota in a bucket (to test reserves and exhaustion).
  void set_remaining(const std::string& token, const std::string& resource, std::int64_t remaining);

  // --- observation ---
  std::optional<FakeRunner> runner(std::int64_t id) const;
  std::vector<FakeRunner> runners(const std::string& scope) const;
  std::int64_t remaining(const std::string& token, const std::string& resource) const;
  std::int64_t requests() const { return requests_.load(); }
  std::int64_t requests_to(const std::string& path_prefix) const;
  std::vector<std::int64_t> redelivered() const;
  // Tokens the fake issued (installation, registration, remove), newest last.
  std::vector<std::string> issued_tokens() const;
  std::string base_path() const;

  http::Response handle(const http::Request& request);

 private:
  // The runner, job and run routes; called with the state locked.
  http::Response route_tokens(const http::Request& req, const std::vector<std::string>& seg,
                              std::int64_t installation_id, const std::string& base);
  struct State;
  std::unique_ptr<State> state_;
  std::atomic<std::int64_t> requests_{0};
};

// The fake on 127.0.0.1, port 0. Stops on destruction.
class FakeGitHubServer {
 public:
  static Result<std::unique_ptr<FakeGitHubServer>> start(std::shared_ptr<FakeGitHub> github, int threads = 4);
  ~FakeGitHubServer();
  std::uint16_t port() const { return server_->port(); }
  // "http://127.0.0.1:PORT" plus the API prefix: the api_url for a client.
  std::string api_url() const;
  FakeGitHub& github() { return *github_; }

 private:
  FakeGitHubServer(std::shared_ptr<FakeGitHub> github, std::unique_ptr<http::Server> server)
      : github_(std::move(github)), server_(std::move(server)) {}
  std::shared_ptr<FakeGitHub> github_;
  std::unique_ptr<http::Server> server_;
};

}  // namespace ghscale::fake_github
