// An in-memory GitHub Actions service for the runner scale set protocol, rude as GitHub:
// the runner-registration exchange (registration token -> service URL and a JWT admin
// token that expires), scale set CRUD, one message session per scale set (a second one is
// a 409 conflict), long-polled messages of at most 50 job events with statistics current at
// every answer, redelivery of messages not acknowledged, scale-set JIT configs, and jobs
// that move as GitHub moves them: queued -> assigned to the scale set (JobAssigned, within
// the X-ScaleSetMaxCapacity the listener reports) -> offered to an idle runner of the set
// -> started (JobStarted) -> completed (JobCompleted). A runner that does not take its
// job within take_timeout loses it: JobCompleted with result "canceled" and a new
// JobAssigned, up to 3 times, then the job ends canceled. Fault flags: 5xx bursts, lost
// sessions, expired admin and message queue tokens.
// Paths, headers and JSON shapes follow the reference client (actions/scaleset:
// client.go, session_client.go, types.go). handle() is an ordinary function of a request;
// FakeActionsServer puts it on loopback, optionally beside a FakeGitHub on the same port
// (api.github.com serves both the registration token and the runner registration).
// Thread-safe. Shares no code with src/github/scaleset on purpose: it is the other side.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "http/message.h"
#include "http/server.h"
#include "sandbox/fake_github/fake_github.h"

namespace ghscale::fake_actions {

using namespace std::chrono_literals;

struct FakeActionsOptions {
  std::shared_ptr<Clock> clock;  // default: the system clock
  std::string api_prefix;        // where /actions/runner-registration lives: "" or "/api/v3"
  Duration admin_token_lifetime = 1h;
  Duration take_timeout = 2min;  // an offered job must be started within this
  int max_reassignments = 3;     // then the job ends canceled
  std::size_t max_events_per_message = 50;
  // A delivered message not acknowledged comes again at once to a poll whose
  // lastMessageId is below it, else after this long.
  Duration redeliver_after = 30s;
  // A GetMessage with nothing to say waits this long (real time) for news before its 202.
  Duration long_poll{0};
  std::size_t max_jobs = 100000;
  std::size_t max_runners = 100000;
};

// A job whose workflow asked for the scale set called scale_set_name (runs-on).
struct FakeJobSpec {
  std::string scale_set_name;
  // What runs-on asked for, as GitHub shows it (requestLabels, the REST job's labels):
  // labels the scale set has, or, when empty, its name alone.
  std::vector<std::string> labels;
  std::string repository = "acme/app";  // owner/name
  std::string workflow_ref = "acme/app/.github/workflows/ci.yml@refs/heads/main";
  std::string display_name = "build";
  // Jobs of one repository with the same run id belong to one workflow run. Mirrored into
  // a REST API, the run gets that API's id, and the messages carry it as GitHub's do.
  std::int64_t workflow_run_id = 1;
  std::string event_name = "push";
};

enum class JobState { kQueued, kAssigned, kOffered, kRunning, kCompleted };

struct FakeJob {
  std::int64_t request_id = 0;
  FakeJobSpec spec;
  JobState state = JobState::kQueued;
  std::int64_t scale_set_id = 0;
  std::int64_t runner_id = 0;
  int reassignments = 0;
  std::string result;  // when completed
  // Its copy in the mirror's REST API (mirror_runners_into); 0 when not mirrored.
  std::int64_t rest_run_id = 0;
  std::int64_t rest_job_id = 0;
};

struct FakeStatistics {
  std::int64_t available = 0;  // queued for the name, beyond the reported capacity
  std::int64_t acquired = 0;   // assigned to the scale set, waiting for a runner
  std::int64_t assigned = 0;   // assigned and not completed (running included)
  std::int64_t running = 0;
  std::int64_t registered_runners = 0;
  std::int64_t busy_runners = 0;
  std::int64_t idle_runners = 0;
};

struct FakeScaleSetInfo {
  std::int64_t id = 0;
  std::string name;
  std::int64_t runner_group_id = 0;
  std::vector<std::string> labels;
  std::optional<int> max_capacity;  // the last X-ScaleSetMaxCapacity polled with
  std::string session_owner;        // empty when no session is open
  std::size_t pending_events = 0;   // not yet in a message
  std::size_t unacknowledged = 0;   // messages delivered or built, not deleted
};

// The next `times` requests whose path contains `path_part` (and method, when set) are
// answered with `status` instead.
struct FakeFault {
  std::string method;
  std::string path_part;
  int status = 503;
  int times = 1;
};

class FakeActions {
 public:
  explicit FakeActions(FakeActionsOptions options = {});
  ~FakeActions();
  FakeActions(const FakeActions&) = delete;
  FakeActions& operator=(const FakeActions&) = delete;

  // --- setup ---
  // Which registration tokens the runner-registration exchange accepts (default: any
  // non-empty one). FakeActionsServer asks its FakeGitHub which it issued.
  void set_registration_check(std::function<bool(std::string_view)> check);
  // The service root URL handed out ("http://127.0.0.1:PORT/tenant/1/"); set by the server.
  void set_public_url(std::string url);
  void inject(FakeFault fault);
  // A runner group beside "Default" (id 1); returns its id.
  std::int64_t add_runner_group(const std::string& name);
  // Every admin token issued so far is refused (401) from now on.
  void expire_admin_tokens();
  // Every session's message queue token is refused until the session is refreshed.
  void expire_message_tokens();
  // The service forgets every session (the messages stay, unacknowledged ones redeliver).
  void lose_sessions();
  // Scale-set runners are also the scope's runners in GitHub's REST API, under the same
  // ids: listed there (offline until online, busy while running a job), removed there when
  // they finish or are removed here, and a runner removed through the REST API is gone
  // here too (its offered job goes back to the scale set). `scope` as the fake GitHub
  // keys it ("orgs/acme"). Call before the first JIT config and the first job.
  // Jobs are mirrored too, as GitHub lists a scale set's jobs like any other: each is a
  // job of a workflow run of its repository (labels as runs-on asked), queued until a
  // runner starts it, then in_progress with that runner's id and name, then completed
  // with its conclusion; a job taken back and assigned again stays the same REST job.
  // So a client that also sweeps the REST API sees every job twice, under two ids.
  void mirror_runners_into(std::shared_ptr<fake_github::FakeGitHub> github, std::string scope);

  // --- simulation: jobs and runners ---
  // kThrottled past max_jobs.
  Result<std::int64_t> enqueue_job(FakeJobSpec spec);
  // The runner whose JIT config this is comes online, idle; nullopt for an unknown config.
  std::optional<std::int64_t> runner_online(std::string_view encoded_jit_config);
  // The job offered to the runner, if any (after timeouts are applied).
  std::optional<std::int64_t> offered_job(std::int64_t runner_id);
  // The runner starts its offered job (JobStarted); false when it is not offered to it
  // (any more).
  bool start_job(std::int64_t runner_id, std::int64_t request_id);
  // The runner ends its job (JobCompleted with `result`); the JIT runner is deregistered.
  bool finish_job(std::int64_t runner_id, std::int64_t request_id, const std::string& result = "succeeded");
  // The runner disappears: an offered job goes back to the scale set, a running one ends
  // "failed".
  void runner_gone(std::int64_t runner_id);
  // Ends every waiting long poll now (with its 202) and any later one at once.
  void end_long_polls();
  // Applies what time alone changes (take timeouts, assignments); every call does it too.
  void settle();
  // An out-of-band deletion (an admin removed the scale set in GitHub's UI).
  void delete_scale_set(std::int64_t id);

  // --- observation ---
  // A job, until 100,000 later ones have completed.
  std::optional<FakeJob> job(std::int64_t request_id) const;
  std::optional<FakeScaleSetInfo> scale_set(std::int64_t id) const;
  std::optional<FakeScaleSetInfo> scale_set_named(std::string_view name) const;
  FakeStatistics statistics(std::int64_t scale_set_id) const;
  // Requests answered per route ("runner-registration", "create scale set", "get message", ...).
  std::int64_t requests(std::string_view route) const;
  std::int64_t requests() const;
  // Sizes of the messages delivered, in order (redeliveries included; the first 100,000).
  std::vector<std::size_t> delivered_message_sizes() const;

  const std::string& api_prefix() const;
  // True for paths this service answers (the rest belongs to GitHub's REST API).
  bool owns(std::string_view path) const;
  http::Response handle(const http::Request& request);

  struct State;

 private:
  std::unique_ptr<State> state_;
};

// The fake on 127.0.0.1, port 0, with a FakeGitHub answering every other path when given.
// Stops on destruction.
class FakeActionsServer {
 public:
  static Result<std::unique_ptr<FakeActionsServer>> start(std::shared_ptr<FakeActions> actions,
                                                          std::shared_ptr<fake_github::FakeGitHub> github = nullptr,
                                                          int threads = 4);
  ~FakeActionsServer();
  std::uint16_t port() const { return server_->port(); }
  // "http://127.0.0.1:PORT" plus GitHub's API prefix: the api_url for both clients.
  std::string api_url() const;
  FakeActions& actions() { return *actions_; }

 private:
  FakeActionsServer(std::shared_ptr<FakeActions> actions, std::shared_ptr<fake_github::FakeGitHub> github)
      : actions_(std::move(actions)), github_(std::move(github)) {}
  std::shared_ptr<FakeActions> actions_;
  std::shared_ptr<fake_github::FakeGitHub> github_;
  std::unique_ptr<http::Server> server_;
};

}  // namespace ghscale::fake_actions
