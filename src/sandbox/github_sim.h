// The GitHub side of the sandbox and the simulator: a job queue fed by a workload, runners
// that come online when their instance boots with a registration (the cloud's kReady
// event), GitHub's assignment rule (any idle online runner whose labels include all of
// the job's labels may take it, so a runner launched for job A may serve job B), jobs that
// run for their duration, ephemeral runners that leave after one job and terminate their
// instance (or start the next registration it was handed while busy: reuse, as the
// bootstrap does), and workflow_job deliveries (queued, in_progress with the runner, completed)
// with configurable latency, drops, duplicates and reordering.
//
// Jobs of one workload run share a run id; a job with needs is held (no job id, no queued
// delivery) until they completed with success, then queued; when a need fails for good
// (lost with its runner and not re-run) its dependants are skipped, never queued.
//
// Two modes. Standalone (simulate): runners live here and the scaler reaches them through
// the counted API below. Mirrored (sandbox): runners and jobs also live in a FakeGitHub
// that the real daemon calls over HTTP; the daemon creates runners with JIT configs there,
// and this simulator brings them online, makes them busy and removes them.
// Thread-safe; calls into the cloud are made without the lock held.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "core/job.h"
#include "core/labels.h"
#include "provider/provider.h"
#include "provider/sim/sim_cloud.h"
#include "sandbox/fake_github/fake_github.h"
#include "sandbox/workload.h"

namespace ghscale::sandbox {

using namespace std::chrono_literals;

struct DeliveryFaults {
  Duration latency = 1s;        // every delivery arrives this long after the event
  double drop = 0.0;            // chance a delivery never arrives
  double duplicate = 0.0;       // chance it arrives twice (same X-GitHub-Delivery)
  double reorder = 0.0;         // chance it is held back by up to reorder_delay
  Duration reorder_delay = 5s;
};

// Scale-set mode (a `demand: scale_set` pool), standalone only: the scaler learns of jobs
// from its scale set's messages, not from webhooks. GitHub assigns a queued job to the
// scale set only while fewer than `capacity` of its jobs are assigned and not done (the
// X-ScaleSetMaxCapacity its listener reports), and only an assigned job can be taken by
// the set's runners: the queued event (JobAssigned) comes then. Messages are acknowledged
// and come again until they are, so none is dropped, duplicated or reordered; each batch
// of up to 50 events costs a GetMessage and a DeleteMessage, an idle session one
// GetMessage per long poll. JIT configs come from the Actions service: no REST quota.
struct ScaleSetMode {
  bool enabled = false;
  int capacity = 1;
  Duration long_poll = 50s;
};

struct GitHubSimOptions {
  std::shared_ptr<Clock> clock;  // required
  std::string org = "acme";      // runners are org runners: scope "orgs/ORG"
  DeliveryFaults faults;
  std::uint64_t seed = 7;
  // A job whose runner vanished (spot interruption, termination) fails; GitHub users
  // re-run it, modelled as a new job (run_attempt + 1) queued at once.
  bool rerun_lost_jobs = true;
  // Where ephemeral runners' instances terminate themselves after their job. Optional.
  std::shared_ptr<provider::Provider> cloud;
  // Sandbox mode: mirror runners and jobs into this fake GitHub. Optional.
  std::shared_ptr<fake_github::FakeGitHub> mirror;
  // How long an instance whose ephemeral runner finished waits for a next registration
  // before it shuts itself down (the bootstrap's GHSCALE_REUSE_WAIT); 0 = at once.
  Duration reuse_wait{0};
  ScaleSetMode scale_set;
};

struct SimRunner {
  std::int64_t id = 0;
  std::string name;
  LabelSet labels;
  bool ephemeral = true;
  bool online = false;
  bool busy = false;
  std::string instance_id;
  std::int64_t job_id = 0;
};

struct SimJob {
  std::int64_t id = 0;
  std::int64_t run_id = 0;
  std::int64_t run_attempt = 1;
  std::string repo;
  LabelSet labels;
  Duration duration{0};
  TimePoint queued_at{};
  std::optional<TimePoint> started_at;
  std::optional<TimePoint> completed_at;
  std::string runner_name;
  std::string conclusion;  // "success", or "failure" when its runner vanished
};

struct GitHubSimCounts {
  std::int64_t queued = 0;
  std::int64_t running = 0;
  std::int64_t done = 0;  // completed with success
  std::int64_t failed = 0;  // lost with their runner
  std::int64_t held = 0;     // workload jobs waiting for their needs (not queued yet)
  std::int64_t skipped = 0;  // never queued: a need failed
  std::int64_t runners_idle = 0;
  std::int64_t runners_busy = 0;
  std::int64_t runners_offline = 0;
  std::int64_t busy_terminations = 0;   // a terminate() hit a runner with a job: must stay 0
  std::int64_t interrupted_jobs = 0;    // spot interruptions that hit a running job
  std::int64_t api_calls = 0;           // every call of the scaler-facing API below
  std::int64_t api_quota_calls = 0;     // those that cost rate-limit quota (not 304s)
  std::int64_t deliveries = 0;          // handed out, duplicates included
  std::int64_t dropped = 0;
  std::int64_t duplicated = 0;
};

struct JitRunner {
  std::int64_t runner_id = 0;
  std::string encoded_jit_config;
};

class GitHubSim {
 public:
  explicit GitHubSim(GitHubSimOptions options);
  ~GitHubSim();
  GitHubSim(const GitHubSim&) = delete;
  GitHubSim& operator=(const GitHubSim&) = delete;

  // A workload job is handed over now; returns its job id, or 0 while it is held or when
  // it was skipped. The jobs of one workload are handed over in their order, each once:
  // job.needs are positions in that order (they came before it), job.run its run number.
  // A job of no run (run 0, no needs) is simply queued, in a run of its own.
  std::int64_t enqueue(const WorkloadJob& job);
  // The cloud's observer: kReady brings the instance's runner online; kInterrupted and
  // kTerminated take it offline (and fail its job, if it had one).
  void on_cloud_event(const provider::SimEvent& event);
  // Completes the jobs due by now, then assigns queued jobs to idle runners.
  void step();
  // The next job completion or delivery; nullopt when nothing is pending.
  std::optional<TimePoint> next_event_time() const;
  // Deliveries due by now, in arrival order.
  std::vector<JobEvent> take_due_deliveries();

  // --- what the scaler calls in standalone mode (each call counted) ---
  Result<JitRunner> generate_jit_config(const std::string& name, const LabelSet& labels);
  Result<std::string> registration_token();
  // With `etag`: when the runner list has not changed since the version in *etag, the
  // call costs no quota (GitHub's 304) and answers the same list. *etag is updated.
  std::vector<SimRunner> list_runners(std::uint64_t* etag = nullptr);
  // kConflict while the runner runs a job (GitHub refuses); kNotFound when unknown.
  Status delete_runner(std::int64_t runner_id);
  // The sweep's view: every queued job (one list call per repository and one per run).
  std::vector<SimJob> list_queued_jobs();
  // As GitHub's REST calls, one counted call each: the runs of `repo` with a queued job
  // (GET /repos/{repo}/actions/runs?status=queued), the jobs of one run, one job.
  // The sweep's lists. With `version`, a conditional request: when nothing of the list's
  // repository (run; the organisation's repositories) changed since the version in
  // *version, the call costs no quota (GitHub's 304); *version is updated. Any job event
  // changes it, as GitHub's pages carry each run's updated_at.
  std::vector<std::int64_t> queued_runs(const std::string& repo, std::uint64_t* version = nullptr);
  std::vector<SimJob> run_jobs(std::int64_t run_id, std::uint64_t* version = nullptr);
  std::optional<SimJob> get_job(std::int64_t id);
  // The repositories jobs came from (GET /orgs/{org}/repos), one counted call.
  std::vector<std::string> repositories(std::uint64_t* version = nullptr);
  // A call answered elsewhere that GitHub would count (quota: not a 304).
  void count_call(bool quota);

  // --- observation ---
  GitHubSimCounts counts() const;
  std::vector<SimJob> jobs() const;  // every job, in id order
  std::optional<SimJob> job(std::int64_t id) const;
  std::optional<SimRunner> runner_named(const std::string& name) const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// The workflow_job payload GitHub would send for `event` (JSON, as the webhook handler
// parses it), and the headers of the POST signed with `secret`.
std::string render_workflow_job_payload(const JobEvent& event);
std::vector<std::pair<std::string, std::string>> delivery_headers(const JobEvent& event, const std::string& body,
                                                                  const std::string& secret);

}  // namespace ghscale::sandbox
