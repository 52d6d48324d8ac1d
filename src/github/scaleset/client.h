// ghscale's client for GitHub's runner scale set protocol. From the scope's registration
// token (through the GitHub REST client, PAT or App) it obtains the Actions service URL and
// an admin token, renewed ahead of its expiry and after a 401; over that it manages scale
// sets, their scale-set JIT configs and message sessions, and reads and acknowledges the
// session's messages. Bounded: retries (5xx, transport) with jittered backoff, answer
// sizes, list lengths and events per message. Tokens never reach logs, errors or URLs.
// Thread-safe: calls may come from several threads; the admin renewal happens once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/clock.h"
#include "core/error.h"
#include "github/github_api.h"
#include "github/scaleset/types.h"
#include "http/client.h"

namespace ghscale::scaleset {

using namespace std::chrono_literals;

struct ClientOptions {
  std::string api_url = "https://api.github.com";  // as RestClientOptions::api_url
  github::Scope scope;
  // The scope's GitHub URL the registration names ("https://github.com/acme"); empty =
  // derived from api_url and scope (config_url_for).
  std::string config_url;
  std::string subsystem = "scaler";  // in the User-Agent, as the reference reports it
  int max_attempts = 4;              // per call, over 5xx and transport failures
  Duration backoff_base = 1s;        // full jitter over base * 2^attempt, capped
  Duration backoff_cap = 30s;
  Duration renew_before = 60s;  // the admin token is renewed this long before it expires
  Duration call_timeout = 30s;
  // The service holds a GetMessage about 50 s when there is nothing to say.
  Duration poll_timeout = 70s;
  std::size_t max_response_bytes = std::size_t{4} * 1024 * 1024;  // larger answers are refused
  std::size_t max_events_per_message = 1000;                      // GitHub sends at most 50
  std::size_t max_scale_sets_listed = 100;                        // by one name in one group: 0 or 1 expected
  std::shared_ptr<Clock> clock;                                   // default: the system clock
  std::function<void(Duration)> sleep;                            // default: this thread sleeps
  std::uint64_t jitter_seed = 0;                                  // 0 = seeded from the OS
};

// Errors: kUnauthorized (401/403 after one renewal), kNotFound (404: the scale set, the
// session or the runner is gone), kConflict (409: a session is held by another owner, a
// runner name is taken; a runner still running its job), kInvalid (400/422), kThrottled (429, retry_after set),
// kRetryable (5xx or transport after the bounded retries), kPermanent (anything else, or a malformed answer).
class Client {
 public:
  // kInvalid for a bad api_url or config_url. `github` supplies registration tokens.
  static Result<std::unique_ptr<Client>> create(ClientOptions options, std::shared_ptr<github::GitHubApi> github,
                                                std::shared_ptr<http::Client> transport);
  ~Client();

  // Runs the token exchange now (it otherwise happens on the first call and when due).
  Status connect();
  // The Actions service root in use; empty before the first exchange. Not a secret.
  std::string actions_url() const;
  // How many token exchanges ran (the first one included).
  int admin_renewals() const;

  // The runner group called `name` as the Actions service knows it; kNotFound when none.
  Result<RunnerGroupRef> get_runner_group(std::string_view name);

  // The scale set called `name` in the group, nullopt when there is none.
  Result<std::optional<ScaleSet>> get_scale_set(std::int64_t runner_group_id, std::string_view name);
  Result<ScaleSet> get_scale_set_by_id(std::int64_t id);
  Result<ScaleSet> create_scale_set(const ScaleSetSpec& spec);
  Result<ScaleSet> update_scale_set(std::int64_t id, const ScaleSetSpec& spec);
  Status delete_scale_set(std::int64_t id);
  // Gets the scale set by name, creates it when missing (after a 404 elsewhere: it was
  // deleted) and updates it when its labels or settings differ from the spec.
  Result<ScaleSet> ensure_scale_set(const ScaleSetSpec& spec);

  // A runner registered for the scale set; kConflict when the name is taken.
  Result<ScaleSetJitConfig> generate_jit_config(std::int64_t scale_set_id, std::string_view runner_name,
                                                std::string_view work_folder = "_work");

  // Runners of the service (the scale set's and others): kNotFound for an unknown id.
  Result<RunnerRef> get_runner(std::int64_t runner_id);
  Result<std::optional<RunnerRef>> get_runner_by_name(std::string_view name);
  // kConflict while the runner runs a job (JobStillRunningException): busy protection.
  Status remove_runner(std::int64_t runner_id);

  // Message sessions (MessageSession wraps these with refresh and reopening).
  Result<Session> create_session(std::int64_t scale_set_id, std::string_view owner);
  Result<Session> refresh_session(std::int64_t scale_set_id, std::string_view session_id);
  Status delete_session(std::int64_t scale_set_id, std::string_view session_id);
  // Long-polls the session's queue: nullopt when there is nothing (202). lastMessageId is
  // sent when > 0; max_capacity (X-ScaleSetMaxCapacity) tells the service how many jobs
  // this scale set can take. kUnauthorized when the session's token expired.
  Result<std::optional<Message>> get_message(const Session& session, std::int64_t last_message_id, int max_capacity);
  // The acknowledgement: an undeleted message comes again.
  Status delete_message(const Session& session, std::int64_t message_id);

 private:
  struct Impl;
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The GitHub URL of a scope as the registration names it, from the REST API root:
// https://api.github.com -> https://github.com/acme; https://ghe.example.com/api/v3 ->
// https://ghe.example.com/acme; https://api.tenant.ghe.com -> https://tenant.ghe.com/acme;
// any other root (a loopback fake) -> ROOT/acme. Enterprises: .../enterprises/NAME.
Result<std::string> config_url_for(std::string_view api_url, const github::Scope& scope);

}  // namespace ghscale::scaleset
