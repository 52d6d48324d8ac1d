// Value types of GitHub's runner scale set protocol (the Actions service behind
// api.github.com/actions/runner-registration): scale sets, message sessions, the messages a
// session long-polls and their statistics, scale-set JIT configs. Flattened to what ghscale
// reads; no JSON or transport types here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"

namespace ghscale::scaleset {

// What a scale set is made from: workflows target `name` (or a label) with `runs-on`.
struct ScaleSetSpec {
  std::string name;
  std::int64_t runner_group_id = 1;  // 1 is the Default group
  std::vector<std::string> labels;   // empty = the name as the only label
  bool disable_update = false;       // runners skip self-update
};

// How many jobs and runners the service counts for a scale set, current at the time of the
// answer. Scale on total_assigned_jobs, never by counting messages.
struct Statistics {
  std::int64_t total_available_jobs = 0;
  std::int64_t total_acquired_jobs = 0;
  std::int64_t total_assigned_jobs = 0;
  std::int64_t total_running_jobs = 0;
  std::int64_t total_registered_runners = 0;
  std::int64_t total_busy_runners = 0;
  std::int64_t total_idle_runners = 0;
  friend bool operator==(const Statistics&, const Statistics&) = default;
};

struct ScaleSet {
  std::int64_t id = 0;
  std::string name;
  std::int64_t runner_group_id = 0;
  std::string runner_group_name;
  std::vector<std::string> labels;
  bool disable_update = false;
  std::string runner_jit_config_url;
  std::optional<Statistics> statistics;
};

// A message session: who holds it, where its messages are and the token that reads them.
// message_queue_token is a secret (registered for redaction on receipt).
struct Session {
  std::string session_id;
  std::string owner_name;
  std::int64_t scale_set_id = 0;
  std::string message_queue_url;
  std::string message_queue_token;
  std::optional<Statistics> statistics;
};

enum class JobEventKind { kAvailable, kAssigned, kStarted, kCompleted };
std::string_view to_string(JobEventKind kind);  // the wire's messageType: "JobAssigned", ...

// One job event of a message. Started and completed name the runner; completed says how
// the job ended ("succeeded", "failed", "canceled", ...).
struct JobEvent {
  JobEventKind kind = JobEventKind::kAssigned;
  std::int64_t runner_request_id = 0;
  std::string repository_name;
  std::string owner_name;
  std::string job_id;
  std::string job_workflow_ref;
  std::string job_display_name;
  std::int64_t workflow_run_id = 0;
  std::string event_name;
  std::vector<std::string> request_labels;
  std::optional<TimePoint> queue_time;
  std::optional<TimePoint> scale_set_assign_time;
  std::optional<TimePoint> runner_assign_time;
  std::optional<TimePoint> finish_time;
  std::int64_t runner_id = 0;   // started, completed
  std::string runner_name;      // started, completed
  std::string result;           // completed
  std::string acquire_job_url;  // available
};

// One message of the queue: its id (acknowledge it with delete_message), the statistics
// at the time of the answer and its job events in order. Event kinds the client does not
// know are counted in `unknown_events` and otherwise skipped.
struct Message {
  std::int64_t id = 0;
  Statistics statistics;
  std::vector<JobEvent> events;
  int unknown_events = 0;
};

// A runner group as the Actions service names it (GetRunnerGroupByName in the reference).
struct RunnerGroupRef {
  std::int64_t id = 0;
  std::string name;
  bool is_default = false;
};

struct RunnerRef {
  std::int64_t id = 0;
  std::string name;
  std::int64_t scale_set_id = 0;
};

// A runner registered for a scale set; encoded_jit_config is a secret.
struct ScaleSetJitConfig {
  RunnerRef runner;
  std::string encoded_jit_config;
};

}  // namespace ghscale::scaleset
